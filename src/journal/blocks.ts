// Decoding and checking stored blocks (layout in storage.ts), the same way for the journal, verify,
// compaction, backup and migrations: a block is accepted only when every record passes its checksum,
// decodes, and the seqs run consecutively from the block's key through the count its header gives.
import { decodeBlock } from '../events/index.js';
import type { Envelope } from '../events/index.js';
import { RibjournalError, isRibjournalError } from '../shared/index.js';
import { BODY_SEQ_AT, BODY_TIME_AT, RECORD_HEADER, parseBlockHeader } from './storage.js';

/** Why a stored block cannot be used; `seq` is the first seq known to be affected. */
export class BlockDamage extends Error {
  constructor(
    message: string,
    readonly blockSeq: number,
    readonly seq: number,
  ) {
    super(message);
    this.name = 'BlockDamage';
  }
}

/** What a block holds, once checked. */
export interface BlockSummary {
  readonly count: number;
  readonly firstTime: number;
  readonly lastTime: number;
}

/** The records of a block, checked header included (format 2), or a BlockDamage. */
export function blockRecords(value: Buffer, format: number, blockSeq: number): Buffer {
  if (format < 2) return value;
  const header = parseBlockHeader(value);
  if (typeof header === 'string') throw new BlockDamage(header, blockSeq, blockSeq);
  return value.subarray(header.recordsAt);
}

/**
 * Decodes a stored block into `out` and checks it completely. Throws BlockDamage (never a partial
 * result: `out` is restored) when anything is wrong.
 */
export function decodeStoredBlock(
  value: Buffer,
  format: number,
  blockSeq: number,
  out: Envelope[],
): BlockSummary {
  const from = out.length;
  try {
    let count: number | undefined;
    let lastTime: number | undefined;
    let records = value;
    if (format >= 2) {
      const header = parseBlockHeader(value);
      if (typeof header === 'string') throw new BlockDamage(header, blockSeq, blockSeq);
      count = header.count;
      lastTime = header.lastTime;
      records = value.subarray(header.recordsAt);
    }
    try {
      decodeBlock(records, out);
    } catch (err) {
      if (!isRibjournalError(err)) throw err;
      // Every record before the failing one decoded and passed its checksum.
      throw new BlockDamage(err.message, blockSeq, blockSeq + (out.length - from));
    }
    const n = out.length - from;
    if (n === 0) throw new BlockDamage('empty block', blockSeq, blockSeq);
    for (let i = 0; i < n; i++) {
      const env = out[from + i]!;
      if (env.seq !== blockSeq + i) {
        throw new BlockDamage(
          `block holds seq ${env.seq} where ${blockSeq + i} belongs`,
          blockSeq,
          blockSeq + i,
        );
      }
      if (i > 0 && env.time < out[from + i - 1]!.time) {
        throw new BlockDamage(`time goes backwards at seq ${env.seq}`, blockSeq, env.seq);
      }
    }
    const last = out[out.length - 1]!;
    if (count !== undefined && count !== n) {
      throw new BlockDamage(
        `block header says ${count} events but it holds ${n} (seqs ${blockSeq}..${last.seq})`,
        blockSeq,
        blockSeq + Math.min(count, n),
      );
    }
    if (lastTime !== undefined && lastTime !== last.time) {
      throw new BlockDamage('block header time differs from its last event', blockSeq, last.seq);
    }
    return { count: n, firstTime: out[from]!.time, lastTime: last.time };
  } catch (err) {
    out.length = from;
    throw err;
  }
}

/** The JOURNAL_CORRUPT error for a damaged block of the journal at `location`. */
export function blockError(location: string, damage: BlockDamage): RibjournalError {
  return new RibjournalError(
    'JOURNAL_CORRUPT',
    `journal ${location}: block e/${damage.blockSeq} is damaged: ${damage.message}; ` +
      `\`ribjournal journal verify ${location}\` reports what is intact`,
    { cause: damage, details: { blockSeq: damage.blockSeq, seq: damage.seq } },
  );
}

/** Time of the first record of a block's records (no checks: the caller verifies what it keeps). */
export function firstRecordTime(records: Buffer): number {
  return records.readDoubleLE(RECORD_HEADER + BODY_TIME_AT);
}

/** Seq of the first record of a block's records. */
export function firstRecordSeq(records: Buffer): number {
  return records.readDoubleLE(RECORD_HEADER + BODY_SEQ_AT);
}
