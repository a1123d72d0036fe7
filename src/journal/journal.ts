// The Journal contract: an append-only, gapless, checksummed log of envelopes with a live tail.
import type { Envelope, JournalEvent } from '../events/index.js';
import type { WriteRecovery } from './common.js';
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
  /** The retention horizon when events were removed (issue 9.5): seqs 1..seq are gone. */
  readonly horizon?: { readonly seq: number; readonly time: number };
}

/** A range of seqs (inclusive). */
export interface SeqRange {
  readonly first: number;
  readonly last: number;
}

/** Faults of a journal that the daemon reports (/readyz, /healthz, metrics) and the API checks. */
export interface JournalHealth {
  /** Ranges whose events failed their checksum, in seq order (answers depending on them must fail). */
  readonly damaged: readonly SeqRange[];
  /** Events in those ranges. */
  readonly damagedEvents: number;
  /** Events waiting for a write. */
  readonly queuedEvents?: number;
  /** Set while writes fail (a full disk): since when (epoch ms), failed attempts, the last reason. */
  readonly writeFailing?: { readonly since: number; readonly attempts: number; readonly reason: string };
  /** Set once writes have failed longer than the grace period: why the daemon is unhealthy. */
  readonly unhealthy?: string;
}

export interface MetaWriteOptions {
  /** Wait for the disk (default true). */
  readonly sync?: boolean;
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
  /**
   * Appends records encoded by another journal (events/codec.ts records, concatenated), kept byte for
   * byte with their own seqs and times: how a replica (the fleet collector's) stores what it receives
   * without decoding and re-encoding it. Checksums are verified first (JOURNAL_CORRUPT: nothing stored);
   * the first seq must follow the head, seqs be consecutive and times never go back (BAD_ARGUMENT).
   */
  appendEncoded?(records: Buffer): Promise<readonly Envelope[]>;
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
  /** The retention horizon (issue 9.5): events 1..seq were removed; absent or seq 0: none were. */
  horizon?(): { readonly seq: number; readonly time: number };
  /**
   * Derived data kept beside the log (projection checkpoints). Never part of the event history. Writes
   * are durable when they resolve unless `sync: false` (then durable with the next synced write).
   */
  getMeta(key: string): Promise<Buffer | undefined>;
  putMeta(key: string, value: Buffer, options?: MetaWriteOptions): Promise<void>;
  deleteMeta(key: string, options?: MetaWriteOptions): Promise<void>;
  /**
   * Calls `listener` when writing resumes after failed writes or refused appends (JOURNAL_BACKLOG_FULL),
   * once everything queued meanwhile is written (implementations whose writes can fail).
   */
  onRecovered?(listener: (info: WriteRecovery) => void): () => void;
  /** Calls `listener` once for each damaged range found from now on (implementations that check). */
  onDamage?(listener: (span: SeqRange) => void): () => void;
  /** Faults found so far (implementations that can have any; absent: none). */
  health?(): JournalHealth;
  /** Derived data (indexes, checkpoints) in a key range of its own: safe to delete, never events. */
  readonly derived: DerivedStore;
  close(): Promise<void>;
}
