// The journal on LevelDB (classic-level), buffer keys and values. Storage layout: storage.ts.
// Events and their time-index entries are written in one synced chained batch (DESIGN: Durability).
// Reads run against a LevelDB snapshot, so that block compaction (compaction.ts), which rewrites runs of
// small blocks in the background, never shows a reader a mix of old and merged blocks.
import { statfs } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { decodeBlock } from '../events/index.js';
import type { Envelope, JournalEvent } from '../events/index.js';
import { RibjournalError, formatMicros, systemClock } from '../shared/index.js';
import type { Clock } from '../shared/index.js';
import { MIGRATIONS } from '../../migrations/index.js';
import { BlockDamage, blockError, blockRecords, decodeStoredBlock } from './blocks.js';
import {
  CommitListeners,
  GroupCommit,
  MAX_QUEUED_EVENTS,
  MAX_BLOCK_EVENTS,
  closedError,
  readRange,
  defaultJournalLog,
  logListenerError,
} from './common.js';
import type { EncodedBlock, ListenerErrorHandler, WriteRecovery } from './common.js';
import { MAX_RUN_BLOCKS, MIN_CLOSED_RUN_BLOCKS, SMALL_BLOCK_EVENTS, compactionPass } from './compaction.js';
import type { PassResult } from './compaction.js';
import { copyStore } from './copy.js';
import { dirSize, levelCode, openDb } from './db.js';
import type { LevelDbTuning } from './db.js';
import { HeadMarker, readHeadMarker } from './head-marker.js';
import type { MarkerFs } from './head-marker.js';
import type { CopyResult } from './copy.js';
import type {
  CommitListener,
  Journal,
  JournalHealth,
  JournalStats,
  MetaWriteOptions,
  ReadOptions,
} from './journal.js';
import { runMigrations } from './migrate.js';
import type { JournalMigration, MigrationEvent } from './migrate.js';
import {
  BODY_TIME_AT,
  EVENTS_HI,
  EVENTS_LO,
  FORMAT_KEY,
  HORIZON_KEY,
  JOURNAL_FORMAT_VERSION,
  MIGRATION_KEY,
  READ_BUFFER_BYTES,
  READ_CHUNK_ENTRIES,
  RECORD_HEADER,
  TIMES_HI,
  TIMES_LO,
  blockSeqOfKey,
  encodeHorizon,
  encodeStoredBlock,
  eventKey,
  formatValue,
  metaKey,
  parseBlockHeader,
  parseFormatValue,
  parseTimeKey,
  parseTimeValue,
  readHorizon,
  timeKey,
  timeValue,
} from './storage.js';
import type { Db, Horizon } from './storage.js';
import { describeDamage, verifyStore } from './verify.js';
import type { SeqSpan } from './verify.js';
import { DamageRegistry, damagedError } from './damage.js';
import type { DamageSource } from './damage.js';
import { LevelDerivedStore } from './derived.js';

export { JOURNAL_FORMAT_VERSION };

/** Options of openLevelJournal. */
export interface LevelJournalOptions {
  /** Source of event times (default: the system clock). */
  readonly clock?: Clock;
  /** Create the journal when missing (default true); when false a missing one is JOURNAL_NOT_FOUND. */
  readonly create?: boolean;
  /** Where the journal logs what it carries on through (a failing head marker, compaction, listeners). */
  readonly log?: Logger;
  /** Receives what an onCommit listener threw (default: logged). */
  readonly onListenerError?: ListenerErrorHandler;
  /** Follows the migrations an open runs on an older journal (for logs and progress). */
  readonly onMigration?: (event: MigrationEvent) => void;
  /** Merge runs of small blocks in the background (default true). */
  readonly compaction?: boolean;
  /** Receives a failed background compaction (default: logged). The journal carries on. */
  readonly onCompactionError?: (error: unknown) => void;
  /** The migrations to run (tests); default: every migration of this build. */
  readonly migrations?: readonly JournalMigration[];
  /** Head marker writer settings (tests inject a slow or failing file system). */
  readonly headMarker?: {
    readonly intervalMs?: number;
    readonly maxRetryMs?: number;
    readonly fs?: MarkerFs;
  };
  /**
   * Serve a damaged journal: reads skip the events of a block that fails its checksum (recording the
   * range, which every answer that depends on it must check) instead of throwing JOURNAL_DAMAGED.
   */
  readonly allowDamaged?: boolean;
  /** Retrying failed writes (a full disk); see WriteRetryOptions. */
  readonly writeRetry?: WriteRetryOptions;
  /** Events that may wait for a write before appends are refused (JOURNAL_BACKLOG_FULL). */
  readonly maxQueuedEvents?: number;
  /** Wraps the opened database (tests: a spy that sees every write and its options). */
  readonly wrapDb?: (db: Db) => Db;
  /**
   * Sync every append to disk before it commits (default true). Only derived data that is rebuilt from
   * elsewhere turns it off (the fleet collector's replicas, which sync before recording their resume point).
   */
  readonly sync?: boolean;
  /** LevelDB's cache, write buffer and open files (default classic-level's): see LevelDbTuning. */
  readonly leveldb?: LevelDbTuning;
}

/** How failed writes are retried: the same batch, after a growing delay, on a reopened LevelDB. */
export interface WriteRetryOptions {
  /** First delay (default 100 ms), doubled per failed attempt up to maxDelayMs (default 5 s). */
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
  /** After failing this long (default 30 s) the journal reports itself unhealthy (/healthz). */
  readonly graceMs?: number;
}

/** What the structural check at open learned: the head and the blocks the compactor cares about. */
interface Structure {
  readonly head: number;
  readonly lastTime: number;
  readonly firstTime: number | undefined;
  /** Time-index entries (first seq, count) in seq order. */
  readonly blocks: readonly (readonly [number, number])[];
  /** The retention horizon (seq 0: nothing was removed). */
  readonly horizon: Horizon;
}

/** Options of LevelJournal.backup. */
export interface BackupOptions {
  /** Called now and then with the seq copied so far and the head at the snapshot. */
  readonly onProgress?: (seq: number, head: number) => void;
}

/** A LevelDB-backed Journal. Obtain one with openLevelJournal. */
export class LevelJournal implements Journal {
  readonly location: string;
  private db: Db;
  private readonly listeners: CommitListeners;
  private readonly commits: GroupCommit;
  private firstTime: number | undefined;
  private closing: Promise<void> | undefined;
  // Background compaction (compaction.ts): where the next pass starts and what lies after it.
  private readonly compactionEnabled: boolean;
  private readonly onCompactionError: (error: unknown) => void;
  private cursor = 1;
  private smallBlocks = 0;
  private smallEvents = 0;
  private closedRun = false;
  private compacting: Promise<void> | undefined;
  private committedDuringPass: (readonly [number, number])[] = [];
  private compactionFailed = false;
  private readonly marker: HeadMarker;
  private readonly log: Logger;
  private readonly damaged = new DamageRegistry();
  private readonly allowDamaged: boolean;
  private verifying = new Set<Promise<unknown>>();
  // Failed writes (a full disk): retried with backoff until they go through (issue 10.3).
  private readonly retry: Required<WriteRetryOptions>;
  private readonly wrapDb: ((db: Db) => Db) | undefined;
  private readonly tuning: LevelDbTuning | undefined;
  private readonly syncWrites: boolean;
  /** Without `sync`: the last block written, which the head marker names once a synced write follows. */
  private unsyncedMark: { head: number; time: number } | undefined;
  private writeFailReason: string | undefined;
  private wakeRetry: (() => void) | undefined;
  private readonly recoveryListeners = new Set<(info: WriteRecovery) => void>();
  /** Derived data (issue 9.2): the 'd' key range, see derived.ts. */
  readonly derived: LevelDerivedStore;
  /** Retention (issue 9.5): events 1..horizon.seq were removed; see retention.ts. */
  private horizonMark: Horizon;

  private constructor(location: string, db: Db, options: LevelJournalOptions, structure: Structure) {
    this.location = location;
    this.db = db;
    const log = options.log ?? defaultJournalLog();
    this.log = log;
    this.allowDamaged = options.allowDamaged ?? false;
    this.listeners = new CommitListeners(options.onListenerError ?? logListenerError(log));
    this.derived = new LevelDerivedStore(db);
    this.firstTime = structure.firstTime;
    this.horizonMark = structure.horizon;
    this.cursor = structure.horizon.seq + 1;
    this.commits = new GroupCommit(
      location,
      options.clock ?? systemClock,
      this.listeners,
      (blocks) => this.writeBlocks(blocks),
      structure.head,
      structure.lastTime,
      {
        failed: (cause, attempt, since) => this.writeFailed(cause, attempt, since),
        recovered: (info) => this.writeRecovered(info),
      },
      options.maxQueuedEvents ?? MAX_QUEUED_EVENTS,
    );
    this.retry = {
      minDelayMs: options.writeRetry?.minDelayMs ?? 100,
      maxDelayMs: options.writeRetry?.maxDelayMs ?? 5000,
      graceMs: options.writeRetry?.graceMs ?? 30_000,
    };
    this.wrapDb = options.wrapDb;
    this.tuning = options.leveldb;
    this.marker = new HeadMarker(
      location,
      {
        failed: (err, attempt, retryInMs) =>
          log.error(
            { err, attempt, retryInMs, head: this.commits.headSeq, markerHead: this.marker.writtenHead },
            'journal head marker not written; retrying',
          ),
        recovered: (head, attempts) =>
          log.info({ head, attempts }, 'journal head marker written again after failures'),
      },
      options.headMarker ?? {},
    );
    this.syncWrites = options.sync ?? true;
    this.compactionEnabled = options.compaction ?? true;
    this.onCompactionError =
      options.onCompactionError ??
      ((err) => log.error({ err }, 'journal block compaction stopped; the journal carries on without it'));
    for (const [seq, count] of structure.blocks) this.noteBlock(seq, count);
    this.maybeCompact();
  }

  /** Opens (or creates) the journal in `dir`: see openLevelJournal. */
  static async open(dir: string, options: LevelJournalOptions = {}): Promise<LevelJournal> {
    const location = resolve(dir);
    const opened = await openDb(location, options.create ?? true, options.leveldb);
    const db = options.wrapDb ? options.wrapDb(opened) : opened;
    try {
      await prepareFormat(location, db, options);
      const structure = await checkStructure(location, db);
      return new LevelJournal(location, db, options, structure);
    } catch (err) {
      const code = levelCode(err);
      if (code !== 'LEVEL_CORRUPTION' && code !== 'LEVEL_IO_ERROR') {
        await db.close();
        throw err;
      }
      // LevelDB cannot read part of its files: say what is still readable before refusing.
      let summary = `journal ${location}: LevelDB cannot read it (${err instanceof Error ? err.message : String(err)})`;
      try {
        summary = describeDamage(await verifyStore(db, location));
      } catch {
        // The report is a courtesy; the refusal below stands on its own.
      }
      await db.close();
      throw new RibjournalError(
        'JOURNAL_CORRUPT',
        `${summary}. Refusing to open it. ` +
          `\`ribjournal journal recover ${location} --out NEW_DIR\` salvages what LevelDB can still read`,
        { cause: err },
      );
    }
  }

  head(): number {
    return this.commits.headSeq;
  }

  append(events: readonly JournalEvent[]): Promise<readonly Envelope[]> {
    return this.commits.append(events);
  }

  appendEncoded(records: Buffer): Promise<readonly Envelope[]> {
    return this.commits.appendEncoded(records);
  }

  private async writeBlocks(blocks: readonly EncodedBlock[]): Promise<void> {
    const batch = this.db.batch();
    for (const b of blocks) {
      batch.put(eventKey(b.firstSeq), encodeStoredBlock(b.bytes, b.count, b.lastTime));
      batch.put(timeKey(b.firstTime, b.firstSeq), timeValue(b.count));
    }
    await batch.write({ sync: this.syncWrites });
    const last = blocks[blocks.length - 1];
    if (last !== undefined) {
      const mark = { head: last.firstSeq + last.count - 1, time: last.lastTime };
      // The marker may only name durable events: unsynced ones become durable with the next synced write.
      if (this.syncWrites) this.marker.note(mark);
      else this.unsyncedMark = mark;
    }
    this.firstTime ??= blocks[0]?.firstTime;
    for (const b of blocks) this.noteBlock(b.firstSeq, b.count);
    this.maybeCompact();
  }

  onCommit(listener: CommitListener): () => void {
    return this.listeners.add(listener);
  }

  async *read(options?: ReadOptions): AsyncGenerator<readonly Envelope[]> {
    this.assertOpen();
    const horizon = this.horizonMark;
    // Without `after`, a read starts at the oldest event kept; an explicit one before it cannot be served.
    const { first, last } = readRange(
      options?.after === undefined ? { ...options, after: horizon.seq } : options,
      this.head(),
    );
    if (last < first) return;
    if (first <= horizon.seq) throw beforeRetention(this.location, horizon, first);
    const snapshot = this.db.snapshot();
    try {
      const start = await this.blockAtOrBefore(first, snapshot);
      if (start === undefined) throw this.corrupt(`no block holds seq ${first}`, first);
      const it = this.db.iterator({
        gte: start,
        lte: eventKey(last),
        highWaterMarkBytes: READ_BUFFER_BYTES,
        snapshot,
      });
      try {
        let expect = blockSeqOfKey(start);
        for (;;) {
          let entries: [Buffer, Buffer][];
          try {
            entries = await it.nextv(READ_CHUNK_ENTRIES);
          } catch (err) {
            throw this.levelError(err);
          }
          if (entries.length === 0) break;
          let out: Envelope[] = [];
          for (const [key, value] of entries) {
            const firstSeq = blockSeqOfKey(key);
            if (firstSeq !== expect)
              throw this.corrupt(`seqs ${expect}..${firstSeq - 1} are missing`, expect);
            try {
              expect = firstSeq + decodeStoredBlock(value, JOURNAL_FORMAT_VERSION, firstSeq, out).count;
            } catch (err) {
              if (!(err instanceof BlockDamage)) throw err;
              const span = await this.noteDamage(err, 'read', snapshot);
              // The damage may lie outside the range read (a block reaches beyond it): not this read's.
              if (!this.allowDamaged && span.first <= last && span.last >= first)
                throw damagedError(this.location, span, `block e/${firstSeq}: ${err.message}`);
              // What the block holds before the damage, then on after it (--allow-damaged: skipped).
              salvage(value, firstSeq, span.first, out);
              expect = span.last + 1;
            }
          }
          // Trim what lies before `first` and after `last` (the first and last blocks reach beyond).
          if (out.length > 0 && (out[0]!.seq < first || out[out.length - 1]!.seq > last))
            out = out.filter((e) => e.seq >= first && e.seq <= last);
          if (out.length > 0) yield out;
          if (expect > last) break;
        }
        if (expect <= last) throw this.corrupt(`seqs ${expect}..${last} are missing`, expect);
      } finally {
        await it.close();
      }
    } finally {
      await snapshot.close();
    }
  }

  async get(seq: number): Promise<Envelope | undefined> {
    this.assertOpen();
    if (!Number.isSafeInteger(seq) || seq <= this.horizonMark.seq || seq > this.head()) return undefined;
    // One reverse iterator: its implicit snapshot keeps the key and the value consistent.
    let entries: [Buffer, Buffer][];
    try {
      entries = await this.db.iterator({ gte: EVENTS_LO, lte: eventKey(seq), reverse: true, limit: 1 }).all();
    } catch (err) {
      throw this.levelError(err);
    }
    const entry = entries[0];
    if (entry === undefined) throw this.corrupt(`no block holds seq ${seq}`, seq);
    const known = this.damaged.overlapping(seq, seq);
    if (known) throw damagedError(this.location, known);
    return this.checked(() => this.recordAt(blockSeqOfKey(entry[0]), entry[1], seq));
  }

  async seqAtTime(time: number): Promise<number> {
    this.assertOpen();
    const head = this.head();
    if (head === 0 || !(time >= 0)) return 0;
    if (time >= this.commits.lastTime) return head;
    const snapshot = this.db.snapshot();
    try {
      let index: Buffer[];
      let block: Buffer | undefined;
      const upper = timeKey(Math.floor(time), 0);
      upper.fill(0xff, 9);
      try {
        index = await this.db.keys({ gte: TIMES_LO, lte: upper, reverse: true, limit: 1, snapshot }).all();
      } catch (err) {
        throw this.levelError(err);
      }
      const key = index[0];
      // Before the oldest event kept: the horizon when the time is not before the removed events'.
      if (key === undefined || parseTimeKey(key).seq <= this.horizonMark.seq)
        return time >= this.horizonMark.time ? this.horizonMark.seq : 0;
      const firstSeq = parseTimeKey(key).seq;
      try {
        block = await this.db.get(eventKey(firstSeq), { snapshot });
      } catch (err) {
        throw this.levelError(err);
      }
      if (block === undefined) throw this.corrupt('the time index names a missing block', firstSeq);
      const records = await this.checked(
        () => blockRecords(block, JOURNAL_FORMAT_VERSION, firstSeq),
        snapshot,
      );
      // The block's first event is at or before `time`; find the last one that is, reading times in place.
      let pos = 0;
      let found = firstSeq;
      for (let seq = firstSeq; pos < records.length; seq++) {
        if (pos + RECORD_HEADER + BODY_TIME_AT + 8 > records.length)
          throw this.corrupt('record truncated', seq);
        if (records.readDoubleLE(pos + RECORD_HEADER + BODY_TIME_AT) > time) break;
        found = seq;
        pos += RECORD_HEADER + records.readUInt32LE(pos);
      }
      // Verify the checksum of the record the answer comes from, as get() would.
      const known = this.damaged.overlapping(found, found);
      if (known) throw damagedError(this.location, known);
      await this.checked(() => this.recordAt(firstSeq, block, found), snapshot);
      return found;
    } finally {
      await snapshot.close();
    }
  }

  async stats(): Promise<JournalStats> {
    this.assertOpen();
    const headSeq = this.head();
    const horizon = this.horizonMark;
    return {
      headSeq,
      events: headSeq - horizon.seq,
      ...(horizon.seq > 0 ? { horizon } : {}),
      firstTime: headSeq > 0 ? this.firstTime : undefined,
      lastTime: headSeq > 0 ? this.commits.lastTime : undefined,
      sizeOnDisk: await dirSize(this.location),
    };
  }

  async getMeta(key: string): Promise<Buffer | undefined> {
    this.assertOpen();
    try {
      return await this.db.get(metaKey(key));
    } catch (err) {
      throw this.levelError(err);
    }
  }

  async putMeta(key: string, value: Buffer, options: MetaWriteOptions = {}): Promise<void> {
    this.assertOpen();
    // LevelDB's log is written in order: this synced write makes every earlier (unsynced) one durable.
    const durable = this.unsyncedMark;
    try {
      await this.db.put(metaKey(key), value, { sync: options.sync ?? true });
    } catch (err) {
      throw this.levelError(err);
    }
    if (durable !== undefined) this.marker.note(durable);
  }

  async deleteMeta(key: string, options: MetaWriteOptions = {}): Promise<void> {
    this.assertOpen();
    try {
      await this.db.del(metaKey(key), { sync: options.sync ?? true });
    } catch (err) {
      throw this.levelError(err);
    }
  }

  /**
   * Writes a consistent copy of the journal, as of one point in time (a LevelDB snapshot), into `outDir`,
   * which must not exist or be empty: a journal of its own, checkpoints included, that `journal verify`
   * accepts. Appends go on meanwhile; the copy holds every event committed before the call. Verifies the
   * copy before resolving and throws JOURNAL_CORRUPT when it does not verify.
   */
  async backup(outDir: string, options: BackupOptions = {}): Promise<CopyResult> {
    this.assertOpen();
    return copyStore(this.db, this.location, outDir, {
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  }

  /**
   * Runs a compaction pass now (after any running one) and resolves when it is done: the background
   * one does the same on its own. `final` compacts the whole journal from seq 1 into blocks of up to
   * MAX_BLOCK_EVENTS events, including the short runs between large blocks and the run at the end, which
   * later commits would otherwise extend (for a journal about to be archived or benchmarked).
   */
  async compact(options: { final?: boolean } = {}): Promise<PassResult> {
    this.assertOpen();
    while (this.compacting) await this.compacting;
    if (options.final) this.cursor = this.horizonMark.seq + 1;
    const run = this.pass(options.final ?? false);
    this.compacting = run.then(
      () => undefined,
      () => undefined,
    );
    return await run;
  }

  /** The retention horizon: events 1..seq were removed (seq 0: none). */
  horizon(): Horizon {
    return this.horizonMark;
  }

  /**
   * The first seqs of the stored blocks that end at or before `through` and after the horizon, with
   * their counts, in seq order (retention.ts picks whole blocks to remove).
   */
  async blocksThrough(through: number): Promise<{ seq: number; count: number; lastTime: number }[]> {
    this.assertOpen();
    const out: { seq: number; count: number; lastTime: number }[] = [];
    const it = this.db.iterator({ gt: eventKey(this.horizonMark.seq), lte: eventKey(through) });
    try {
      for (;;) {
        const entries = await it.nextv(READ_CHUNK_ENTRIES);
        if (entries.length === 0) break;
        for (const [key, value] of entries) {
          const seq = blockSeqOfKey(key);
          const header = parseBlockHeader(value);
          if (typeof header === 'string') throw this.corrupt(header, seq);
          out.push({ seq, count: header.count, lastTime: header.lastTime });
        }
      }
    } catch (err) {
      throw this.levelError(err);
    } finally {
      await it.close();
    }
    return out;
  }

  /**
   * Removes events horizon+1..`through` (which must end a stored block, and stay below the head): first
   * records the new horizon (synced), then deletes the blocks and their time-index entries in chunks and
   * compacts LevelDB's files over the range, so the space is given back. An interruption leaves stale
   * blocks below the recorded horizon, which open ignores and the next removal deletes.
   */
  async removeThrough(through: number, time: number): Promise<void> {
    this.assertOpen();
    while (this.compacting) await this.compacting;
    if (through >= this.head())
      throw new RibjournalError('BAD_ARGUMENT', `cannot remove the newest event (${through})`);
    const end = await this.db
      .iterator({ gte: EVENTS_LO, lte: eventKey(through), reverse: true, limit: 1 })
      .all();
    const last = end[0];
    const header = last !== undefined ? parseBlockHeader(last[1]) : 'none';
    if (
      last === undefined ||
      typeof header === 'string' ||
      blockSeqOfKey(last[0]) + header.count - 1 !== through
    )
      throw new RibjournalError('BAD_ARGUMENT', `seq ${through} does not end a stored block`);
    const horizon: Horizon = { seq: through, time };
    try {
      await this.db.put(HORIZON_KEY, encodeHorizon(horizon), { sync: true });
    } catch (err) {
      throw this.levelError(err);
    }
    this.horizonMark = horizon;
    this.cursor = Math.max(this.cursor, through + 1);
    await removeStale(this.db, through);
    const t = await this.db.keys({ gte: TIMES_LO, lt: TIMES_HI, limit: 1 }).all();
    this.firstTime = t[0] !== undefined ? parseTimeKey(t[0]).time : this.firstTime;
  }

  /** Stored blocks and how many events they hold (for stats and tests). */
  async blockCount(): Promise<number> {
    this.assertOpen();
    let n = 0;
    for await (const _ of this.db.keys({ gte: TIMES_LO, lt: TIMES_HI })) n++;
    return n;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.wakeRetry?.();
      await this.commits.close();
      while (this.compacting) await this.compacting;
      await Promise.allSettled([...this.verifying]);
      await this.marker.flush();
      await this.db.close();
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing) throw closedError(this.location);
  }

  // --- compaction -----------------------------------------------------------------------------------

  /** Accounts for a block now stored at `seq`: small ones gather into runs worth merging. */
  private noteBlock(seq: number, count: number): void {
    if (this.compacting) {
      this.committedDuringPass.push([seq, count]);
      return;
    }
    if (count >= SMALL_BLOCK_EVENTS) {
      if (this.smallBlocks >= MIN_CLOSED_RUN_BLOCKS) this.closedRun = true;
      else if (!this.closedRun) this.cursor = seq + count;
      this.smallBlocks = 0;
      this.smallEvents = 0;
      return;
    }
    this.smallBlocks++;
    this.smallEvents += count;
  }

  private maybeCompact(): void {
    if (!this.compactionEnabled || this.compactionFailed || this.compacting || this.closing) return;
    if (!(this.closedRun || this.smallBlocks >= MAX_RUN_BLOCKS || this.smallEvents >= MAX_BLOCK_EVENTS))
      return;
    this.compacting = this.pass(false).then(
      () => this.maybeCompact(),
      (err: unknown) => {
        this.compactionFailed = true;
        this.onCompactionError(err);
      },
    );
  }

  /** One pass from the cursor; afterwards the counters describe what follows the new cursor. */
  private async pass(final: boolean): Promise<PassResult> {
    this.committedDuringPass = [];
    try {
      const result = await compactionPass(this.db, {
        from: this.cursor,
        sourceFormat: JOURNAL_FORMAT_VERSION,
        final,
        rewriteSingles: false,
        shouldStop: () => this.closing !== undefined,
      });
      this.cursor = result.nextCursor;
      this.smallBlocks = result.openBlocks;
      this.smallEvents = result.openEvents;
      this.closedRun = false;
      return result;
    } catch (err) {
      // A write error (a full disk) stays what it is: only damage found in blocks becomes JOURNAL_CORRUPT.
      throw err instanceof BlockDamage ? blockError(this.location, err) : err;
    } finally {
      const during = this.committedDuringPass;
      this.committedDuringPass = [];
      this.compacting = undefined;
      for (const [seq, count] of during) this.noteBlock(seq, count);
    }
  }

  // --- reading blocks -------------------------------------------------------------------------------

  /** Key of the block holding `seq`: the last block whose first seq is at or before it. */
  private async blockAtOrBefore(
    seq: number,
    snapshot: ReturnType<Db['snapshot']>,
  ): Promise<Buffer | undefined> {
    try {
      const keys = await this.db
        .keys({ gte: EVENTS_LO, lte: eventKey(seq), reverse: true, limit: 1, snapshot })
        .all();
      return keys[0];
    } catch (err) {
      throw this.levelError(err);
    }
  }

  /** Decodes only the record for `seq` of a block, walking the record lengths to reach it. */
  private recordAt(firstSeq: number, block: Buffer, seq: number): Envelope {
    const records = blockRecords(block, JOURNAL_FORMAT_VERSION, firstSeq);
    let pos = 0;
    for (let s = firstSeq; s < seq; s++) {
      if (pos + RECORD_HEADER > records.length) throw this.corrupt(`block ends before seq ${seq}`, firstSeq);
      pos += RECORD_HEADER + records.readUInt32LE(pos);
    }
    if (pos + RECORD_HEADER > records.length) throw this.corrupt(`block ends before seq ${seq}`, firstSeq);
    const end = pos + RECORD_HEADER + records.readUInt32LE(pos);
    const out: Envelope[] = [];
    try {
      decodeStoredBlock(records.subarray(pos, end), 1, seq, out);
    } catch (err) {
      throw err instanceof BlockDamage ? new BlockDamage(err.message, firstSeq, seq) : err;
    }
    return out[0]!;
  }

  /** Runs a block decode; damage it finds is recorded and thrown as JOURNAL_DAMAGED naming the range. */
  private async checked<T>(decode: () => T, snapshot?: ReturnType<Db['snapshot']>): Promise<T> {
    try {
      return decode();
    } catch (err) {
      if (!(err instanceof BlockDamage)) throw err;
      const span = await this.noteDamage(err, 'read', snapshot);
      throw damagedError(this.location, span, `block e/${err.blockSeq}: ${err.message}`);
    }
  }

  /**
   * Records the range a block damage makes unreadable: from the first affected seq through the end of
   * its block (the seq before the next block, or the head).
   */
  private async noteDamage(
    damage: BlockDamage,
    source: DamageSource,
    snapshot?: ReturnType<Db['snapshot']>,
  ): Promise<SeqSpan> {
    let next: Buffer[];
    try {
      next = await this.db
        .keys({ gt: eventKey(damage.blockSeq), lt: EVENTS_HI, limit: 1, ...(snapshot ? { snapshot } : {}) })
        .all();
    } catch (err) {
      throw this.levelError(err);
    }
    const key = next[0];
    const span = {
      first: Math.max(damage.blockSeq, damage.seq),
      last: key === undefined ? this.head() : blockSeqOfKey(key) - 1,
    };
    this.damaged.add(span, source);
    return span;
  }

  // --- damage ---------------------------------------------------------------------------------------

  /** The damaged ranges known so far (start-up check, reads, background verify) and their listeners. */
  damage(): DamageRegistry {
    return this.damaged;
  }

  /** Calls `listener` once for each damaged range found from now on. */
  onDamage(listener: (span: SeqSpan) => void): () => void {
    return this.damaged.onDamage((span) => listener(span));
  }

  /** What the daemon's health and metrics report about the journal. */
  health(): JournalHealth {
    const failure = this.commits.writeFailure;
    const writeFailing =
      failure === undefined
        ? undefined
        : { since: failure.since, attempts: failure.attempts, reason: this.writeFailReason ?? 'unknown' };
    const unhealthy =
      writeFailing !== undefined && Date.now() - writeFailing.since >= this.retry.graceMs
        ? `journal writes failing for ${Math.round((Date.now() - writeFailing.since) / 1000)} s ` +
          `(${writeFailing.attempts} attempts): ${writeFailing.reason}`
        : undefined;
    return {
      damaged: this.damaged.list(),
      damagedEvents: this.damaged.events(),
      queuedEvents: this.commits.queued,
      ...(writeFailing ? { writeFailing } : {}),
      ...(unhealthy ? { unhealthy } : {}),
    };
  }

  /**
   * Calls `listener` each time writing resumes after failed writes or refused appends, once everything
   * queued meanwhile is written: the moment to resync whatever the refused appends would have recorded.
   */
  onRecovered(listener: (info: WriteRecovery) => void): () => void {
    this.recoveryListeners.add(listener);
    return () => this.recoveryListeners.delete(listener);
  }

  // --- failed writes --------------------------------------------------------------------------------

  private async writeFailed(cause: unknown, attempt: number, since: number): Promise<void> {
    const why = cause instanceof Error ? cause.message : String(cause);
    this.writeFailReason = why;
    const delay = Math.min(this.retry.maxDelayMs, this.retry.minDelayMs * 2 ** Math.min(attempt - 1, 20));
    if (attempt === 1 || attempt % 10 === 0) {
      this.log.error(
        {
          err: cause,
          attempt,
          failingForMs: Date.now() - since,
          queued: this.commits.queued,
          retryInMs: delay,
        },
        'journal write failed; events wait in memory and the write is retried',
      );
    }
    // Never write again on this handle: after a failed write LevelDB's log may end in a torn record,
    // and records appended after it would be dropped at the next open. Reopen first (that recovers the
    // log into a table and starts a new one), and only once there is room again, so that reads keep
    // working on the open handle while the disk is full.
    let wait = delay;
    for (let round = 1; ; round++) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.wakeRetry = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeRetry = undefined;
      if (this.closing) throw closedError(this.location);
      // Waiting for room: statfs is cheap, so look often (space freed is noticed within FREE_SPACE_POLL_MS).
      if (!(await freeSpace(this.location))) {
        wait = Math.min(wait, FREE_SPACE_POLL_MS);
        continue;
      }
      wait = Math.min(this.retry.maxDelayMs, wait * 2);
      try {
        await this.reopenDb();
        return;
      } catch (err) {
        this.writeFailReason = err instanceof Error ? err.message : String(err);
        if (round % 10 === 1) this.log.warn({ err }, 'journal database not reopened yet; retrying');
      }
    }
  }

  private writeRecovered(info: WriteRecovery): void {
    this.writeFailReason = undefined;
    this.log.info(
      {
        attempts: info.attempts,
        failedForMs: info.failedForMs,
        refusedEvents: info.refusedEvents,
        head: this.head(),
      },
      'journal writes resumed',
    );
    // Compaction stopped on the same fault: let it try again.
    this.compactionFailed = false;
    this.maybeCompact();
    for (const l of this.recoveryListeners) {
      try {
        l(info);
      } catch (err) {
        this.log.error({ err }, 'a journal recovery listener threw');
      }
    }
  }

  /** Closes and reopens LevelDB, which clears a write error it would otherwise keep. */
  private async reopenDb(): Promise<void> {
    while (this.compacting) await this.compacting;
    await this.db.close().catch(() => undefined);
    const opened = await openDb(this.location, false, this.tuning);
    this.db = this.wrapDb ? this.wrapDb(opened) : opened;
    this.log.info('journal database reopened after failed writes');
  }

  /**
   * Checks every event in `range` (checksums, seqs, block headers), recording damaged ranges (see
   * damage()); resolves with those found. Yields to the event loop every few ms, so it can run in the
   * background of a serving daemon (`background` also reads fewer blocks at a time).
   */
  verifyEvents(range: SeqSpan, options: { background?: boolean } = {}): Promise<readonly SeqSpan[]> {
    this.assertOpen();
    // Seqs at or before the retention horizon were removed on purpose: nothing to check there.
    const first = Math.max(range.first, this.horizonMark.seq + 1);
    if (first > range.last) return Promise.resolve([]);
    range = { first, last: range.last };
    const run = this.verifyRange(range, options.background ? 'background verify' : 'start-up check');
    this.verifying.add(run);
    void run.finally(() => this.verifying.delete(run)).catch(() => undefined);
    return run;
  }

  private async verifyRange(range: SeqSpan, source: DamageSource): Promise<readonly SeqSpan[]> {
    const found: SeqSpan[] = [];
    const last = Math.min(range.last, this.head());
    if (last < range.first) return found;
    const snapshot = this.db.snapshot();
    try {
      const start = await this.blockAtOrBefore(Math.max(1, range.first), snapshot);
      if (start === undefined) return found;
      const it = this.db.iterator({
        gte: start,
        lte: eventKey(last),
        highWaterMarkBytes: READ_BUFFER_BYTES,
        snapshot,
      });
      const out: Envelope[] = [];
      let slice = Date.now();
      try {
        for (;;) {
          if (this.closing) break;
          let entries: [Buffer, Buffer][];
          try {
            entries = await it.nextv(source === 'background verify' ? 64 : READ_CHUNK_ENTRIES);
          } catch (err) {
            throw this.levelError(err);
          }
          if (entries.length === 0) break;
          for (const [key, value] of entries) {
            const seq = blockSeqOfKey(key);
            out.length = 0;
            try {
              decodeStoredBlock(value, JOURNAL_FORMAT_VERSION, seq, out);
            } catch (err) {
              if (!(err instanceof BlockDamage)) throw err;
              found.push(await this.noteDamage(err, source, snapshot));
            }
            // Never hold the event loop for long: the commit path and the API share it.
            if (Date.now() - slice > 5) {
              await new Promise((r) => setImmediate(r));
              slice = Date.now();
            }
          }
        }
      } finally {
        await it.close();
      }
    } finally {
      await snapshot.close();
    }
    return found;
  }

  private corrupt(what: string, seq: number): RibjournalError {
    return new RibjournalError('JOURNAL_CORRUPT', `journal ${this.location}: ${what} (block key e/${seq})`, {
      details: { seq },
    });
  }

  /** Maps classic-level errors to ours; anything unexpected (a bug) passes through untouched. */
  private levelError(err: unknown): unknown {
    const code = levelCode(err);
    if (code === 'LEVEL_DATABASE_NOT_OPEN' || code === 'LEVEL_ITERATOR_NOT_OPEN')
      return closedError(this.location);
    if (code === 'LEVEL_CORRUPTION' || code === 'LEVEL_IO_ERROR') {
      const why = err instanceof Error ? err.message : String(err);
      return new RibjournalError(
        'JOURNAL_CORRUPT',
        `journal ${this.location}: LevelDB cannot read it (${why}); \`ribjournal journal verify ${this.location}\` reports what is intact`,
        { cause: err },
      );
    }
    return err;
  }
}

/**
 * Opens the LevelDB journal in `dir`, creating it (mode 0700) unless `create` is false. Runs the
 * migrations of an older journal. Refuses with JOURNAL_LOCKED when another process holds it,
 * JOURNAL_VERSION_NEWER when a newer build wrote it, and JOURNAL_CORRUPT (with a report of what is
 * intact) when its blocks are not gapless or its last block is damaged.
 */
export function openLevelJournal(dir: string, options?: LevelJournalOptions): Promise<LevelJournal> {
  return LevelJournal.open(dir, options);
}

/** How often a journal whose writes fail for want of space checks whether there is room again. */
const FREE_SPACE_POLL_MS = 200;

/** Whether the file system of `dir` has room again (1 MiB; a write that still fails is retried). */
async function freeSpace(dir: string): Promise<boolean> {
  try {
    const s = await statfs(dir);
    return s.bavail * s.bsize >= 1024 * 1024;
  } catch {
    return false;
  }
}

/** Keeps the records of a damaged block before the damage (`upTo`, exclusive): they passed their checksums. */
function salvage(value: Buffer, blockSeq: number, upTo: number, out: Envelope[]): void {
  const got: Envelope[] = [];
  try {
    decodeBlock(blockRecords(value, JOURNAL_FORMAT_VERSION, blockSeq), got);
  } catch {
    // Expected: the damage. What decoded before it is in `got`.
  }
  for (let i = 0; i < got.length; i++) {
    const env = got[i]!;
    if (env.seq !== blockSeq + i || env.seq >= upTo) break;
    out.push(env);
  }
}

/** Reads the format record; initialises an empty database; refuses newer formats; migrates older ones. */
async function prepareFormat(location: string, db: Db, options: LevelJournalOptions): Promise<void> {
  const stored = await db.get(FORMAT_KEY);
  if (stored === undefined) {
    const any = await db.keys({ limit: 1 }).all();
    if (any.length > 0) {
      throw new RibjournalError(
        'JOURNAL_CORRUPT',
        `${location} holds a LevelDB database that is not a ribjournal journal`,
      );
    }
    await db.put(FORMAT_KEY, formatValue(JOURNAL_FORMAT_VERSION), { sync: true });
    return;
  }
  const version = parseFormatValue(stored);
  if (Number.isNaN(version)) {
    throw new RibjournalError(
      'JOURNAL_CORRUPT',
      `journal ${location}: unreadable format record ${JSON.stringify(stored.toString('utf8'))}`,
    );
  }
  const migrating = (await db.get(MIGRATION_KEY)) !== undefined;
  if (version > JOURNAL_FORMAT_VERSION) {
    throw new RibjournalError(
      'JOURNAL_VERSION_NEWER',
      `journal ${location} has format version ${version}, newer than this build understands ` +
        `(${JOURNAL_FORMAT_VERSION}): upgrade ribjournal to open it`,
      { details: { version, supported: JOURNAL_FORMAT_VERSION } },
    );
  }
  if (version < JOURNAL_FORMAT_VERSION || migrating) {
    try {
      await runMigrations(
        db,
        location,
        version,
        JOURNAL_FORMAT_VERSION,
        options.migrations ?? MIGRATIONS,
        options.onMigration,
      );
    } catch (err) {
      if (err instanceof BlockDamage) {
        throw new RibjournalError(
          'JOURNAL_CORRUPT',
          `journal ${location}: cannot migrate it to format ${JOURNAL_FORMAT_VERSION}: block e/${err.blockSeq} is ` +
            `damaged (${err.message}). Nothing was lost: the blocks before it are migrated, the rest are ` +
            'untouched, and the next open resumes there',
          { cause: err, details: { blockSeq: err.blockSeq, seq: err.seq } },
        );
      }
      throw err;
    }
  }
}

/**
 * The checks of every open, cheap enough for a fast start: the time index (one small entry per block)
 * must describe gapless blocks from seq 1, and the last block must be sound and match it. On any
 * problem the whole journal is verified, so that the refusal says what is intact.
 */
async function checkStructure(location: string, db: Db): Promise<Structure> {
  const blocks: (readonly [number, number])[] = [];
  let firstTime: number | undefined;
  let problem: string | undefined;
  const horizon = await readHorizon(db);
  let expect = horizon.seq + 1;
  try {
    const it = db.iterator({ gte: TIMES_LO, lt: TIMES_HI, highWaterMarkBytes: READ_BUFFER_BYTES });
    try {
      scan: for (;;) {
        const entries = await it.nextv(READ_CHUNK_ENTRIES);
        if (entries.length === 0) break;
        for (const [key, value] of entries) {
          const { time, seq } = key.length === 17 ? parseTimeKey(key) : { time: NaN, seq: NaN };
          const count = parseTimeValue(value);
          if (seq <= horizon.seq) continue; // left by an interrupted removal (retention.ts)
          if (seq !== expect || count === undefined) {
            problem =
              seq > expect
                ? `seqs ${expect}..${seq - 1} are missing from the time index`
                : `time index entry ${key.toString('hex')} does not follow seq ${expect - 1}`;
            break scan;
          }
          firstTime ??= time;
          blocks.push([seq, count]);
          expect = seq + count;
        }
      }
    } finally {
      await it.close();
    }
    const head = expect - 1;
    let lastTime = 0;
    if (problem === undefined) {
      const last = await db.iterator({ gte: EVENTS_LO, lt: EVENTS_HI, reverse: true, limit: 1 }).all();
      const entry = last[0];
      const lastBlock = blocks[blocks.length - 1];
      if (entry === undefined && lastBlock !== undefined)
        problem = 'the time index names blocks but there are none';
      else if (entry !== undefined && lastBlock === undefined)
        problem = 'there are blocks but the time index is empty';
      else if (entry !== undefined && lastBlock !== undefined) {
        const seq = blockSeqOfKey(entry[0]);
        if (seq !== lastBlock[0])
          problem = `the last block is e/${seq} but the time index ends with e/${lastBlock[0]}`;
        else {
          try {
            const out: Envelope[] = [];
            const summary = decodeStoredBlock(entry[1], JOURNAL_FORMAT_VERSION, seq, out);
            if (summary.count !== lastBlock[1])
              problem = `the last block holds ${summary.count} events, the time index says ${lastBlock[1]}`;
            lastTime = summary.lastTime;
          } catch (err) {
            if (!(err instanceof BlockDamage)) throw err;
            problem = `the last block (e/${seq}) is damaged: ${err.message}`;
          }
        }
      }
    }
    if (problem === undefined) {
      const mark = await readHeadMarker(location);
      if (mark === undefined || mark.head <= head) return { head, lastTime, firstTime, blocks, horizon };
      problem =
        `events ${head + 1}..${mark.head} were committed (the head marker says so) but are gone: ` +
        'a LevelDB log or table file was truncated, deleted or replaced by an older copy';
    }
  } catch (err) {
    const code = levelCode(err);
    if (code !== 'LEVEL_CORRUPTION' && code !== 'LEVEL_IO_ERROR') throw err;
    problem = `LevelDB cannot read it: ${err instanceof Error ? err.message : String(err)}`;
  }
  // Damaged: find out exactly what is intact before refusing.
  const report = await verifyStore(db, location, { headMark: await readHeadMarker(location) });
  throw new RibjournalError(
    'JOURNAL_CORRUPT',
    `${describeDamage(report)}${report.ok ? ` (${problem})` : ''}. Refusing to open it. ` +
      `\`ribjournal journal verify ${location}\` prints the full report; ` +
      `\`ribjournal journal recover ${location} --out NEW_DIR\` copies the intact events into a new journal`,
    { details: { report, problem } },
  );
}

/** Deletes the blocks and time-index entries at or before `through` in chunks, then compacts the range. */
async function removeStale(db: Db, through: number): Promise<void> {
  const CHUNK = 10_000;
  for (;;) {
    const keys = await db.keys({ gte: EVENTS_LO, lte: eventKey(through), limit: CHUNK }).all();
    if (keys.length === 0) break;
    await db.batch(keys.map((key) => ({ type: 'del' as const, key })));
  }
  // Time keys sort by time: the removed blocks' entries come first; stop at the first kept one.
  for (;;) {
    const keys = await db.keys({ gte: TIMES_LO, lt: TIMES_HI, limit: CHUNK }).all();
    const stale = keys.filter((k) => parseTimeKey(k).seq <= through);
    if (stale.length > 0) await db.batch(stale.map((key) => ({ type: 'del' as const, key })));
    if (stale.length < keys.length || keys.length < CHUNK) break;
  }
  await db.compactRange(EVENTS_LO, eventKey(through + 1));
  await db.compactRange(TIMES_LO, TIMES_HI);
}

/** BEFORE_RETENTION: `seq` lies at or before the horizon, whose events were removed. */
export function beforeRetention(location: string, horizon: Horizon, seq: number): RibjournalError {
  return new RibjournalError(
    'BEFORE_RETENTION',
    `journal ${location}: seq ${seq} is at or before the retention horizon (seq ${horizon.seq} at ` +
      `${formatMicros(horizon.time)}): events through it were removed`,
    { details: { horizonSeq: horizon.seq, horizonTime: formatMicros(horizon.time) } },
  );
}
