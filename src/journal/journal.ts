// The Journal contract: an append-only, gapless, checksummed log of envelopes with a live tail.
import type { Envelope, JournalEvent } from '../events/index.js';
import type { DerivedStore } from './derived.js';

export interface ReadOptions {
  /** Start after this seq (0 = from the beginning). */
  readonly after?: number;
  /** Stop after this seq (inclusive). Default: the head when the read starts. */
  readonly through?: number;
}

export interface JournalStats {
  readonly headSeq: number;
  readonly events: number;
  /** Epoch microseconds of the first and last event, undefined when empty. */
  readonly firstTime: number | undefined;
  readonly lastTime: number | undefined;
  /** Bytes on disk (approximate for LevelDB; 0 for memory). */
  readonly sizeOnDisk: number;
}

export type CommitListener = (batch: readonly Envelope[]) => void;

/** Append-only event log. Implementations: LevelJournal (LevelDB), MemoryJournal (tests). */
export interface Journal {
  /** Where the journal lives ("memory" for the memory journal). */
  readonly location: string;
  /** Last committed seq (0 when empty). */
  head(): number;
  /**
   * Appends events atomically: all get consecutive seqs and are committed (durable) together, or none
   * is. Concurrent calls are group-committed. Resolves with the committed envelopes in order.
   */
  append(events: readonly JournalEvent[]): Promise<readonly Envelope[]>;
  /** Committed envelopes in seq order, in batches, from `after` (exclusive) through `through`. */
  read(options?: ReadOptions): AsyncIterable<readonly Envelope[]>;
  /**
   * Calls `listener` synchronously with each committed batch, in seq order, after it is durable.
   * Returns the unsubscribe function.
   */
  onCommit(listener: CommitListener): () => void;
  /** Last seq whose time is <= `time` (epoch microseconds); 0 when none. */
  seqAtTime(time: number): Promise<number>;
  /** The envelope with this seq, or undefined. */
  get(seq: number): Promise<Envelope | undefined>;
  stats(): Promise<JournalStats>;
  /** Derived data kept beside the log (projection checkpoints). Never part of the event history. */
  getMeta(key: string): Promise<Buffer | undefined>;
  putMeta(key: string, value: Buffer): Promise<void>;
  deleteMeta(key: string): Promise<void>;
  /** Derived data (indexes, checkpoints) in a key range of its own: safe to delete, never events. */
  readonly derived: DerivedStore;
  close(): Promise<void>;
}
