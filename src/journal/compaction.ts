// Block compaction: a daemon under low load commits one event at a time, and each commit is one stored
// block, so a journal written over months holds one LevelDB value per event and replays at the speed
// of LevelDB's value iteration (~600k values/s here) instead of the decoder's (>1M events/s). Runs of
// consecutive small blocks are rewritten as one block of up to MAX_BLOCK_EVENTS events, in one atomic
// batch that writes the merged block and deletes the blocks it replaces together with their time-index
// entries. The records are copied byte for byte: seqs, times and content cannot change. Readers use
// snapshots, so they see either the old blocks or the merged one, never a mix.
//
// The same pass rewrites format-1 blocks for migration 0002 (`sourceFormat` 1, `rewriteSingles`).
import type { Envelope } from '../events/index.js';
import { BlockDamage, decodeStoredBlock } from './blocks.js';
import { MAX_BLOCK_EVENTS } from './common.js';
import {
  EVENTS_HI,
  READ_BUFFER_BYTES,
  blockSeqOfKey,
  encodeStoredBlock,
  eventKey,
  timeKey,
  timeValue,
} from './storage.js';
import type { Batch, Db } from './storage.js';

/** Blocks with fewer events than this are worth merging with their neighbours. */
export const SMALL_BLOCK_EVENTS = 256;
/** Online, a run of small blocks is merged once it holds this many blocks (or MAX_BLOCK_EVENTS events). */
export const MAX_RUN_BLOCKS = 1024;
/** A run cut short by a large block is worth a compaction of its own from this many blocks on. */
export const MIN_CLOSED_RUN_BLOCKS = 16;
/** Bytes of merged blocks per atomic batch. */
const BATCH_BYTES = 1024 * 1024;

/** A stored block, checked. */
export interface StoredBlock {
  readonly seq: number;
  readonly count: number;
  readonly firstTime: number;
  readonly lastTime: number;
  readonly records: Buffer;
}

/**
 * Groups consecutive blocks into runs: a large block stands alone; small ones gather until a run holds
 * MAX_BLOCK_EVENTS events or MAX_RUN_BLOCKS blocks. Runs are handed to `onRun` as they close; the run
 * still open at the end is `pending`.
 */
export class RunPacker {
  private run: StoredBlock[] = [];
  private events = 0;

  constructor(
    private readonly onRun: (run: StoredBlock[]) => void,
    private readonly maxRunBlocks = MAX_RUN_BLOCKS,
  ) {}

  add(block: StoredBlock): void {
    if (block.count >= SMALL_BLOCK_EVENTS) {
      this.close();
      this.onRun([block]);
      return;
    }
    if (this.events + block.count > MAX_BLOCK_EVENTS) this.close();
    this.run.push(block);
    this.events += block.count;
    if (this.events >= MAX_BLOCK_EVENTS || this.run.length >= this.maxRunBlocks) this.close();
  }

  /** Closes the open run (if any) and hands it on. */
  close(): void {
    if (this.run.length === 0) return;
    const run = this.run;
    this.run = [];
    this.events = 0;
    this.onRun(run);
  }

  get pending(): readonly StoredBlock[] {
    return this.run;
  }

  get pendingEvents(): number {
    return this.events;
  }
}

/** Adds to `batch` the writes that replace `run` by one block; returns the merged block's size. */
export function writeMergedRun(batch: Batch, run: readonly StoredBlock[]): number {
  const first = run[0]!;
  const last = run[run.length - 1]!;
  let count = 0;
  for (const b of run) count += b.count;
  const records = run.length === 1 ? first.records : Buffer.concat(run.map((b) => b.records));
  const block = encodeStoredBlock(records, count, last.lastTime);
  batch.put(eventKey(first.seq), block);
  batch.put(timeKey(first.firstTime, first.seq), timeValue(count));
  for (let i = 1; i < run.length; i++) {
    const b = run[i]!;
    batch.del(eventKey(b.seq));
    batch.del(timeKey(b.firstTime, b.seq));
  }
  return block.length;
}

export interface PassOptions {
  /** First seq to look at: a block starts there. */
  readonly from: number;
  /** Format of the blocks read (1 during migration 0002, else 2). */
  readonly sourceFormat: number;
  /**
   * Offline: also merge the run still open at the end (nothing will extend it), and let runs grow to
   * MAX_BLOCK_EVENTS events whatever their number of blocks.
   */
  readonly final: boolean;
  /** Rewrite blocks that are not merged with any other (migration: every block gets a new header). */
  readonly rewriteSingles: boolean;
  /** Stop between batches when this turns true (the journal is closing). */
  readonly shouldStop?: () => boolean;
  /**
   * Writes a batch (default: synced). `resumeAt` is the first seq not yet rewritten once the batch is
   * durable; a migration records it in the same batch.
   */
  readonly commit?: (batch: Batch, resumeAt: number) => Promise<void>;
  /** Called after each batch with the last seq handled. */
  readonly onProgress?: (seq: number) => void;
}

export interface PassResult {
  /** Where the next pass should start: the first block of the run left open (or after the last block). */
  readonly nextCursor: number;
  /** Blocks and events in the run left open. */
  readonly openBlocks: number;
  readonly openEvents: number;
  /** Blocks before the pass that are gone now, merged into others. */
  readonly removedBlocks: number;
  readonly writtenBlocks: number;
  /** True when the pass stopped early (shouldStop). */
  readonly stopped: boolean;
}

/**
 * One compaction pass over the blocks from `from` on, as of a snapshot taken when it starts. Throws
 * BlockDamage, untouched, when it meets a block that fails its checks or a gap: a pass never rewrites
 * damage into a block that would look sound.
 */
export async function compactionPass(db: Db, options: PassOptions): Promise<PassResult> {
  const snapshot = db.snapshot();
  const it = db.iterator({
    gte: eventKey(options.from),
    lt: EVENTS_HI,
    snapshot,
    highWaterMarkBytes: READ_BUFFER_BYTES,
  });
  const commit = options.commit ?? ((b: Batch) => b.write({ sync: true }));
  let batch = db.batch();
  let batchBytes = 0;
  let batchOps = 0;
  let removed = 0;
  let written = 0;
  let expect = options.from;
  let stopped = false;
  const scratch: Envelope[] = [];
  const closedRuns: StoredBlock[][] = [];
  const packer = new RunPacker(
    (run) => closedRuns.push(run),
    options.final ? MAX_BLOCK_EVENTS : MAX_RUN_BLOCKS,
  );

  // The first seq not yet rewritten once everything flushed so far is durable.
  let durableThrough = options.from;
  const flush = async (resumeAt: number): Promise<void> => {
    if (batchOps === 0) return;
    const full = batch;
    batch = db.batch();
    batchBytes = 0;
    batchOps = 0;
    await commit(full, resumeAt);
    durableThrough = resumeAt;
    options.onProgress?.(resumeAt - 1);
  };
  const take = async (): Promise<void> => {
    const runs = closedRuns.splice(0);
    for (const run of runs) {
      const last = run[run.length - 1]!;
      if (run.length >= 2 || options.rewriteSingles) {
        batchBytes += writeMergedRun(batch, run);
        batchOps++;
        removed += run.length - 1;
        written++;
      }
      if (batchBytes >= BATCH_BYTES) {
        await flush(last.seq + last.count);
        if (options.shouldStop?.()) {
          stopped = true;
          return;
        }
      }
    }
  };

  try {
    outer: for (;;) {
      const entries = await it.nextv(100);
      if (entries.length === 0) break;
      for (const [key, value] of entries) {
        const seq = blockSeqOfKey(key);
        if (seq !== expect) {
          throw new BlockDamage(
            seq > expect
              ? `seqs ${expect}..${seq - 1} are missing`
              : `block e/${seq} overlaps the one before`,
            seq,
            expect,
          );
        }
        scratch.length = 0;
        const summary = decodeStoredBlock(value, options.sourceFormat, seq, scratch);
        // decodeStoredBlock checked the header, so its size field can be trusted here.
        const records = options.sourceFormat >= 2 ? value.subarray(value.readUInt16LE(2)) : value;
        packer.add({
          seq,
          count: summary.count,
          firstTime: summary.firstTime,
          lastTime: summary.lastTime,
          records,
        });
        expect = seq + summary.count;
        if (closedRuns.length > 0) {
          await take();
          if (stopped) break outer;
        }
      }
    }
    if (stopped) {
      return {
        nextCursor: durableThrough,
        openBlocks: 0,
        openEvents: 0,
        removedBlocks: removed,
        writtenBlocks: written,
        stopped,
      };
    }
    if (options.final) {
      packer.close();
      await take();
    }
    const open = packer.pending;
    const nextCursor = open[0]?.seq ?? expect;
    await flush(nextCursor);
    return {
      nextCursor,
      openBlocks: open.length,
      openEvents: packer.pendingEvents,
      removedBlocks: removed,
      writtenBlocks: written,
      stopped: false,
    };
  } finally {
    await it.close();
    await snapshot.close();
  }
}
