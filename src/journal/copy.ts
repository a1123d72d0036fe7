// Copies of a journal into a fresh directory: a backup (every key of one LevelDB snapshot, so a copy
// of a live journal is consistent: copying the folder of a live LevelDB can give a broken copy), and a
// recovery (the intact events 1..N of a damaged journal, with a rebuilt time index). Both verify what
// they wrote before they report success.
import { readdir, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RibjournalError } from '../shared/index.js';
import { BlockDamage, blockRecords, decodeStoredBlock } from './blocks.js';
import { levelCode, openDb } from './db.js';
import {
  EVENTS_HI,
  EVENTS_LO,
  HORIZON_KEY,
  FORMAT_KEY,
  JOURNAL_FORMAT_VERSION,
  READ_BUFFER_BYTES,
  RECORD_HEADER,
  blockSeqOfKey,
  encodeHorizon,
  encodeStoredBlock,
  eventKey,
  formatValue,
  metaKey,
  parseBlockHeader,
  timeKey,
  timeValue,
} from './storage.js';
import type { Db } from './storage.js';
import type { Envelope } from '../events/index.js';
import { describeDamage, verifyStore } from './verify.js';
import type { VerifyReport } from './verify.js';
import { writeHeadMarker } from './head-marker.js';
import type { HeadMark } from './head-marker.js';

/** What a copy wrote. */
export interface CopyResult {
  /** Absolute path of the new journal. */
  readonly location: string;
  /** Events in the copy (its head). */
  readonly events: number;
  /** Bytes of keys and values written. */
  readonly bytes: number;
  /** The verification of the copy. */
  readonly report: VerifyReport;
}

export interface CopyOptions {
  readonly onProgress?: (seq: number, head: number) => void;
  /** The source's head marker, for the report of what is missing. */
  readonly headMark?: HeadMark | undefined;
}

const BATCH_BYTES = 4 * 1024 * 1024;

/** Creates the output database: the directory must be new or empty, and not the source. */
async function createOutput(source: string, outDir: string): Promise<{ location: string; db: Db }> {
  const location = resolve(outDir);
  if (location === source) {
    throw new RibjournalError('BAD_ARGUMENT', `cannot copy journal ${source} onto itself`);
  }
  try {
    const names = await readdir(location);
    if (names.length > 0) {
      throw new RibjournalError(
        'BAD_ARGUMENT',
        `${location} is not empty: a copy goes into a new or empty directory`,
      );
    }
  } catch (err) {
    if (levelCode(err) !== 'ENOENT') throw err;
  }
  return { location, db: await openDb(location, true) };
}

async function verifyOutput(db: Db, location: string, what: string): Promise<VerifyReport> {
  const report = await verifyStore(db, location);
  if (!report.ok) {
    throw new RibjournalError('JOURNAL_CORRUPT', `the ${what} does not verify: ${describeDamage(report)}`, {
      details: { report },
    });
  }
  return report;
}

/** Last seq of the journal as a snapshot holds it (for progress). */
async function headOf(db: Db, snapshot: ReturnType<Db['snapshot']>): Promise<number> {
  const last = await db.iterator({ gte: EVENTS_LO, lt: EVENTS_HI, reverse: true, limit: 1, snapshot }).all();
  const entry = last[0];
  if (entry === undefined) return 0;
  const header = parseBlockHeader(entry[1]);
  return blockSeqOfKey(entry[0]) + (typeof header === 'string' ? 0 : header.count - 1);
}

/**
 * Copies every key of one snapshot of `db` (events, time index, checkpoints, format record) into a new
 * journal at `outDir`, then verifies it. On failure the partial copy is removed.
 */
export async function copyStore(
  db: Db,
  source: string,
  outDir: string,
  options: CopyOptions = {},
): Promise<CopyResult> {
  const snapshot = db.snapshot();
  let out: { location: string; db: Db } | undefined;
  try {
    out = await createOutput(source, outDir);
    const head = await headOf(db, snapshot);
    const it = db.iterator({ snapshot, highWaterMarkBytes: READ_BUFFER_BYTES });
    let bytes = 0;
    try {
      let batch = out.db.batch();
      let pending = 0;
      for (;;) {
        const entries = await it.nextv(1000);
        if (entries.length === 0) break;
        let lastSeq = 0;
        for (const [key, value] of entries) {
          batch.put(key, value);
          pending += key.length + value.length;
          if (key[0] === EVENTS_LO[0] && key.length === 9) lastSeq = blockSeqOfKey(key);
        }
        if (pending >= BATCH_BYTES) {
          await batch.write();
          bytes += pending;
          pending = 0;
          batch = out.db.batch();
        }
        if (lastSeq > 0) options.onProgress?.(lastSeq, head);
      }
      // One synced write at the end makes everything before it durable too (one log, in order).
      bytes += pending;
      await batch.write({ sync: true });
    } finally {
      await it.close();
    }
    const report = await verifyOutput(out.db, out.location, `backup in ${out.location}`);
    await writeHeadMarker(out.location, { head: report.lastSeq, time: report.lastTime ?? 0 });
    options.onProgress?.(head, head);
    await out.db.close();
    return { location: out.location, events: report.lastSeq, bytes, report };
  } catch (err) {
    if (out) {
      await out.db.close().catch(() => undefined);
      await rm(out.location, { recursive: true, force: true });
    }
    throw err;
  } finally {
    await snapshot.close();
  }
}

/** What a recovery wrote and what it had to leave behind. */
export interface RecoverResult extends CopyResult {
  /** The verification of the damaged journal (of its repaired copy when `repaired`). */
  readonly source: VerifyReport;
  /** LevelDB could not read some files, so a copy was repaired by LevelDB's repairer first. */
  readonly repaired?: boolean;
}

/**
 * Copies events 1..N of a (possibly damaged) journal, N being the last seq before the first damage,
 * into a new journal at `outDir`, in the current format, with a rebuilt time index and no checkpoints
 * (they may describe events that are not copied). Seqs, times and content are kept byte for byte.
 */
export async function recoverStore(
  db: Db,
  source: string,
  outDir: string,
  options: CopyOptions = {},
): Promise<RecoverResult> {
  const report = await verifyStore(db, source, { headMark: options.headMark });
  const format = report.blockFormat;
  const through = report.intactThrough;
  const snapshot = db.snapshot();
  let out: { location: string; db: Db } | undefined;
  try {
    out = await createOutput(source, outDir);
    let batch = out.db.batch();
    batch.put(FORMAT_KEY, formatValue(JOURNAL_FORMAT_VERSION));
    // A trimmed journal (retention, issue 9.5) starts after its horizon: so does the copy, with the RIB
    // at the horizon (projections/rib/checkpoint.ts), without which nothing could be rebuilt from it.
    const horizon = report.horizon ?? { seq: 0, time: 0 };
    if (horizon.seq > 0) {
      batch.put(HORIZON_KEY, encodeHorizon(horizon));
      const rib = await db.get(metaKey('rib-checkpoint-horizon'), { snapshot });
      if (rib !== undefined) batch.put(metaKey('rib-checkpoint-horizon'), rib);
    }
    let pending = 0;
    let bytes = 0;
    const scratch: Envelope[] = [];
    if (through > horizon.seq) {
      const it = db.iterator({
        gte: eventKey(horizon.seq + 1),
        lte: eventKey(through),
        snapshot,
        highWaterMarkBytes: READ_BUFFER_BYTES,
      });
      try {
        let expect = horizon.seq + 1;
        outer: for (;;) {
          const entries = await it.nextv(1000);
          if (entries.length === 0) break;
          for (const [key, value] of entries) {
            const seq = blockSeqOfKey(key);
            if (seq !== expect) break outer;
            scratch.length = 0;
            let records: Buffer;
            try {
              decodeStoredBlock(value, format, seq, scratch);
              records = blockRecords(value, format, seq);
            } catch (err) {
              if (!(err instanceof BlockDamage)) throw err;
              // The damaged block: keep the records before the damage, which verify counted as intact.
              const header = format >= 2 ? parseBlockHeader(value) : undefined;
              if (err.seq <= seq || typeof header === 'string') break outer;
              scratch.length = 0;
              records = soundPrefix(
                header ? value.subarray(header.recordsAt) : value,
                err.seq - seq,
                seq,
                scratch,
              );
            }
            // Cut the block at `through` (only the last one can reach past it).
            let n = scratch.length;
            if (seq + n - 1 > through) {
              n = through - seq + 1;
              scratch.length = n;
              records = prefixBytes(records, n);
            }
            if (n === 0) break outer;
            const last = scratch[n - 1]!;
            const block = encodeStoredBlock(records, n, last.time);
            batch.put(eventKey(seq), block);
            batch.put(timeKey(scratch[0]!.time, seq), timeValue(n));
            pending += block.length + 30;
            expect = seq + n;
            if (pending >= BATCH_BYTES) {
              await batch.write();
              bytes += pending;
              pending = 0;
              batch = out.db.batch();
            }
            options.onProgress?.(expect - 1, through);
            if (expect > through) break outer;
          }
        }
      } finally {
        await it.close();
      }
    }
    bytes += pending;
    await batch.write({ sync: true });
    const copy = await verifyOutput(out.db, out.location, `recovered journal in ${out.location}`);
    await writeHeadMarker(out.location, { head: copy.lastSeq, time: copy.lastTime ?? 0 });
    await out.db.close();
    return { location: out.location, events: copy.lastSeq, bytes, report: copy, source: report };
  } catch (err) {
    if (out) {
      await out.db.close().catch(() => undefined);
      await rm(out.location, { recursive: true, force: true });
    }
    throw err;
  } finally {
    await snapshot.close();
  }
}

/** The bytes of the first `n` records. */
function prefixBytes(records: Buffer, n: number): Buffer {
  let pos = 0;
  for (let i = 0; i < n; i++) pos += RECORD_HEADER + records.readUInt32LE(pos);
  return records.subarray(0, pos);
}

/** The first `n` records of a damaged block (they decoded before), decoded again into `out`. */
function soundPrefix(records: Buffer, n: number, seq: number, out: Envelope[]): Buffer {
  if (n <= 0) return records.subarray(0, 0);
  const prefix = prefixBytes(records, n);
  decodeStoredBlock(prefix, 1, seq, out);
  return prefix;
}
