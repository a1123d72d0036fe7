// What the LevelDB and memory journals share, so that both keep the contract the same way: group
// commit (seq and time assignment, encoding, listener fan-out, failure handling) and read ranges.
import { pino } from 'pino';
import type { Logger } from 'pino';
import { RibjournalError } from '../shared/index.js';
import type { Clock } from '../shared/index.js';
import { BlockWriter, EVENT_SCHEMA_VERSION, decodeBlock } from '../events/index.js';
import type { Envelope, JournalEvent } from '../events/index.js';
import type { CommitListener, ReadOptions } from './journal.js';

/** Receives what a commit listener threw; the journal itself carries on. */
export type ListenerErrorHandler = (error: unknown) => void;

/** The journal's logger when its caller gives none: pino JSON lines on stderr. */
export function defaultJournalLog(): Logger {
  return pino({ base: { topic: 'journal' } }, pino.destination(2));
}

/** Default listener error handler: logged (with the stack) on the journal's logger. */
export function logListenerError(log: Logger): ListenerErrorHandler {
  return (err) => log.error({ err }, 'a journal commit listener threw');
}

/** The set of onCommit listeners. Copy-on-write, so emitting allocates nothing and (un)subscribing from
 * inside a listener affects only the next batch. */
export class CommitListeners {
  private list: readonly CommitListener[] = [];

  constructor(private readonly onError: ListenerErrorHandler) {}

  add(listener: CommitListener): () => void {
    this.list = [...this.list, listener];
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      const i = this.list.indexOf(listener);
      if (i >= 0) this.list = [...this.list.slice(0, i), ...this.list.slice(i + 1)];
    };
  }

  /** Calls every listener; one that throws neither stops the others nor fails the commit. */
  emit(batch: readonly Envelope[]): void {
    for (const listener of this.list) {
      try {
        listener(batch);
      } catch (error) {
        try {
          this.onError(error);
        } catch (handlerError) {
          // The commit is durable and its callers must still be resolved: surface a broken handler as an
          // uncaught exception (a bug) instead of leaving them hanging.
          queueMicrotask(() => {
            throw handlerError;
          });
        }
      }
    }
  }
}

function checkSeq(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RibjournalError(
      'BAD_ARGUMENT',
      `read ${name} must be a non-negative integer seq, got ${value}`,
    );
  }
  return value;
}

/** The seqs a read covers: from `first` through `last` (empty when last < first). */
export interface SeqRange {
  readonly first: number;
  readonly last: number;
}

/** Resolves read options against the head when the read starts; never reaches beyond that head. */
export function readRange(options: ReadOptions | undefined, head: number): SeqRange {
  const after = checkSeq('after', options?.after ?? 0);
  const through = options?.through === undefined ? head : checkSeq('through', options.through);
  return { first: after + 1, last: Math.min(through, head) };
}

/** Most events in one stored block: bounds the work of get() and of a read that starts mid-block. */
export const MAX_BLOCK_EVENTS = 4096;

/** Consecutive envelopes encoded as one block (one LevelDB value). */
export interface EncodedBlock {
  readonly firstSeq: number;
  readonly firstTime: number;
  readonly lastTime: number;
  readonly count: number;
  /** The records (events/codec.ts), without any storage header. */
  readonly bytes: Buffer;
}

/** Where a group commit lands: must make every block durable at once, or throw and write none. */
export type WriteBlocks = (blocks: readonly EncodedBlock[]) => Promise<void>;

/** How the writing resumed after failures or refused appends (for a resync of what was missed). */
export interface WriteRecovery {
  /** Failed attempts of the write that finally went through (0 when only appends were refused). */
  readonly attempts: number;
  /** Milliseconds from the first failure to the write that went through. */
  readonly failedForMs: number;
  /** Events of appends refused meanwhile (the queue was full): never journaled, to be reconciled. */
  readonly refusedEvents: number;
}

/** Retrying failed writes (a full disk): the journal decides how long to wait and what to repair. */
export interface WriteRetry {
  /**
   * Called after each failed attempt with the failure; resolves when the write should be tried again
   * (the same blocks: rewriting them is idempotent), rejects to give up (the journal is closing).
   */
  failed(cause: unknown, attempt: number, since: number): Promise<void>;
  /** Writes go through again after failures, and everything queued meanwhile is written. */
  recovered(info: WriteRecovery): void;
}

/** Events that may wait for a write at once; appends beyond are refused with JOURNAL_BACKLOG_FULL. */
export const MAX_QUEUED_EVENTS = 200_000;

/** Events already encoded elsewhere (another journal's records), checked before they are queued. */
interface Encoded {
  readonly envelopes: readonly Envelope[];
  readonly records: Buffer;
  /** offsets[i] is where envelope i's record starts; offsets[n] = records.length. */
  readonly offsets: readonly number[];
}

interface Pending {
  readonly events: readonly JournalEvent[];
  /** Set for appendEncoded: the envelopes keep their own seqs and times (`events` is empty). */
  readonly encoded?: Encoded;
  /** Clock reading when append() was called: the time the caller observed the events. */
  readonly time: number;
  readonly resolve: (envelopes: readonly Envelope[]) => void;
  readonly reject: (error: unknown) => void;
}

const NO_ENVELOPES: readonly Envelope[] = Object.freeze([]);

const RECORD_HEADER_BYTES = 8;

/**
 * Checks records for appendEncoded: every checksum and body decodes (JOURNAL_CORRUPT otherwise), seqs
 * are consecutive and times never go backwards (BAD_ARGUMENT). Returns the envelopes and record offsets.
 */
export function checkEncoded(location: string, records: Buffer): Encoded {
  let envelopes: Envelope[];
  try {
    envelopes = decodeBlock(records);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new RibjournalError('JOURNAL_CORRUPT', `journal ${location}: encoded events refused: ${why}`, {
      cause: err,
      ...(err instanceof RibjournalError && err.details !== undefined ? { details: err.details } : {}),
    });
  }
  const offsets: number[] = [];
  let pos = 0;
  for (let i = 0; i < envelopes.length; i++) {
    offsets.push(pos);
    pos += RECORD_HEADER_BYTES + records.readUInt32LE(pos);
    const prev = envelopes[i - 1];
    const env = envelopes[i]!;
    if (prev !== undefined && (env.seq !== prev.seq + 1 || env.time < prev.time))
      throw new RibjournalError(
        'BAD_ARGUMENT',
        `journal ${location}: encoded events refused: seq ${env.seq} (time ${env.time}) does not follow ` +
          `seq ${prev.seq} (time ${prev.time})`,
      );
  }
  offsets.push(pos);
  return { envelopes, records, offsets };
}

/**
 * Group commit: while one write is in flight, appends queue; then everything queued is written as one
 * atomic write, each caller's events contiguous. Seqs and times are assigned only when a batch is
 * encoded, so an invalid event (rejected alone) never consumes a seq. After a failed write every later
 * append is refused: the log on disk stays whatever the last durable write left, gapless.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private queuedEvents = 0;
  private refusedEvents = 0;
  private failedSince: number | undefined;
  private failedAttempts = 0;
  private failingNow = false;
  private running: Promise<void> | undefined;
  private failure: RibjournalError | undefined;
  private closed = false;
  private readonly writer = new BlockWriter(256 * 1024);

  constructor(
    private readonly location: string,
    private readonly clock: Clock,
    private readonly listeners: CommitListeners,
    private readonly writeBlocks: WriteBlocks,
    /** Last durable seq and its time (0, 0 when empty). */
    public headSeq: number,
    public lastTime: number,
    /** Without it, a failed write fails the journal for good (the memory journal, tools). */
    private readonly retry?: WriteRetry,
    private readonly maxQueuedEvents = MAX_QUEUED_EVENTS,
  ) {}

  append(events: readonly JournalEvent[]): Promise<readonly Envelope[]> {
    if (this.closed) return Promise.reject(closedError(this.location));
    if (this.failure) return Promise.reject(this.failure);
    if (events.length === 0) return Promise.resolve(NO_ENVELOPES);
    if (this.queuedEvents + events.length > this.maxQueuedEvents && this.queuedEvents > 0) {
      // Backpressure: memory stays bounded while the disk is slow or failing. The caller learns that
      // these events are not journaled; the journal's recovery hook asks for a resync afterwards.
      this.refusedEvents += events.length;
      return Promise.reject(
        new RibjournalError(
          'JOURNAL_BACKLOG_FULL',
          `journal ${this.location}: ${this.queuedEvents} events already wait for a write` +
            `${this.failedSince !== undefined ? ' (writes are failing)' : ''}; ${events.length} more refused`,
          { details: { queued: this.queuedEvents, refused: events.length } },
        ),
      );
    }
    const time = Math.floor(this.clock.nowMicros());
    return new Promise((resolve, reject) => {
      this.queue.push({ events, time, resolve, reject });
      this.queuedEvents += events.length;
      this.running ??= this.run();
    });
  }

  /**
   * Appends records encoded elsewhere (a replica of another journal: the fleet collector), stored as they
   * are, with their own seqs and times. Checked first (checkEncoded): damaged records are refused, never
   * stored. At commit the first seq must follow the head and its time must not precede the last one, or
   * this append alone is refused (BAD_ARGUMENT).
   */
  appendEncoded(records: Buffer): Promise<readonly Envelope[]> {
    if (this.closed) return Promise.reject(closedError(this.location));
    if (this.failure) return Promise.reject(this.failure);
    if (records.length === 0) return Promise.resolve(NO_ENVELOPES);
    let encoded: Encoded;
    try {
      encoded = checkEncoded(this.location, records);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const n = encoded.envelopes.length;
    if (this.queuedEvents + n > this.maxQueuedEvents && this.queuedEvents > 0) {
      this.refusedEvents += n;
      return Promise.reject(
        new RibjournalError(
          'JOURNAL_BACKLOG_FULL',
          `journal ${this.location}: ${this.queuedEvents} events already wait for a write; ${n} more refused`,
          { details: { queued: this.queuedEvents, refused: n } },
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ events: [], encoded, time: 0, resolve, reject });
      this.queuedEvents += n;
      this.running ??= this.run();
    });
  }

  /** Refuses new appends and waits until everything already accepted is written (or failed). */
  async close(): Promise<void> {
    this.closed = true;
    while (this.running) await this.running;
  }

  private async run(): Promise<void> {
    // Appends made in the same tick as the first one join its write instead of waiting a whole round.
    await Promise.resolve();
    while (this.queue.length > 0) {
      const callers = this.queue;
      this.queue = [];
      for (const c of callers) this.queuedEvents -= count(c);
      await this.commit(callers);
    }
    this.running = undefined;
    // Everything queued is written: whoever journals kernel state can now resync what was missed.
    if ((this.failedAttempts > 0 || this.refusedEvents > 0) && this.failure === undefined) {
      const info: WriteRecovery = {
        attempts: this.failedAttempts,
        failedForMs: this.failedSince === undefined ? 0 : Date.now() - this.failedSince,
        refusedEvents: this.refusedEvents,
      };
      this.failedAttempts = 0;
      this.failedSince = undefined;
      this.refusedEvents = 0;
      this.retry?.recovered(info);
    }
  }

  /** Since when (epoch ms) writes fail, and how many attempts failed; undefined while they work. */
  get writeFailure(): { readonly since: number; readonly attempts: number } | undefined {
    return this.failedSince === undefined || !this.failingNow
      ? undefined
      : { since: this.failedSince, attempts: this.failedAttempts };
  }

  /** Events waiting for a write. */
  get queued(): number {
    return this.queuedEvents;
  }

  private async commit(batch: Pending[]): Promise<void> {
    let callers = batch;
    let encoded: Batch;
    try {
      encoded = this.encode(callers);
    } catch {
      callers = callers.filter((c) => this.encodable(c));
      if (callers.length === 0) return;
      try {
        encoded = this.encode(callers);
      } catch (error) {
        for (const c of callers) c.reject(error);
        return;
      }
    }
    const { envelopes, blocks } = encoded;
    callers = encoded.callers;
    if (envelopes.length === 0) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.writeBlocks(blocks);
        break;
      } catch (cause) {
        if (this.retry === undefined || this.closed) {
          this.fail(cause, envelopes, callers);
          return;
        }
        this.failingNow = true;
        this.failedSince ??= Date.now();
        this.failedAttempts++;
        try {
          await this.retry.failed(cause, attempt, this.failedSince);
        } catch {
          this.fail(cause, envelopes, callers);
          return;
        }
      }
    }
    // Writing again (the recovery hook waits until the queue is drained).
    this.failingNow = false;
    const last = envelopes[envelopes.length - 1]!;
    this.headSeq = last.seq;
    this.lastTime = last.time;
    this.listeners.emit(envelopes);
    if (callers.length === 1) {
      callers[0]!.resolve(envelopes);
      return;
    }
    let at = 0;
    for (const c of callers) {
      const n = count(c);
      c.resolve(envelopes.slice(at, at + n));
      at += n;
    }
  }

  private encode(callers: readonly Pending[]): Batch {
    const envelopes: Envelope[] = [];
    const accepted: Pending[] = [];
    const blocks: EncodedBlock[] = [];
    const w = this.writer;
    let seq = this.headSeq;
    let time = this.lastTime;
    // The block being built: records from the writer and slices of encoded records, in seq order.
    let parts: Buffer[] = [];
    let first = 0;
    const flushWriter = (): void => {
      if (w.length === 0) return;
      parts.push(w.take());
      w.reset();
    };
    const closeBlock = (): void => {
      flushWriter();
      if (envelopes.length === first) return;
      const env = envelopes[first]!;
      blocks.push({
        firstSeq: env.seq,
        firstTime: env.time,
        lastTime: envelopes[envelopes.length - 1]!.time,
        count: envelopes.length - first,
        bytes: parts.length === 1 ? parts[0]! : Buffer.concat(parts),
      });
      parts = [];
      first = envelopes.length;
    };
    w.reset();
    for (const c of callers) {
      const enc = c.encoded;
      if (enc === undefined) {
        // Times never go backwards, even when the wall clock does: seqAtTime relies on it.
        if (c.time > time) time = c.time;
        for (const event of c.events) {
          const env = { seq: ++seq, time, version: EVENT_SCHEMA_VERSION, event };
          w.write(env);
          envelopes.push(env);
          if (envelopes.length - first === MAX_BLOCK_EVENTS) closeBlock();
        }
        accepted.push(c);
        continue;
      }
      const head = enc.envelopes[0]!;
      if (head.seq !== seq + 1 || head.time < time) {
        c.reject(
          new RibjournalError(
            'BAD_ARGUMENT',
            `journal ${this.location}: encoded events from seq ${head.seq} (time ${head.time}) refused: ` +
              `the journal's head is seq ${seq} (time ${time})`,
            { details: { head: seq, firstSeq: head.seq } },
          ),
        );
        continue;
      }
      flushWriter();
      let i = 0;
      while (i < enc.envelopes.length) {
        const take = Math.min(enc.envelopes.length - i, MAX_BLOCK_EVENTS - (envelopes.length - first));
        parts.push(enc.records.subarray(enc.offsets[i], enc.offsets[i + take]));
        for (let k = i; k < i + take; k++) envelopes.push(enc.envelopes[k]!);
        i += take;
        if (envelopes.length - first === MAX_BLOCK_EVENTS) closeBlock();
      }
      const last = enc.envelopes[enc.envelopes.length - 1]!;
      seq = last.seq;
      time = last.time;
      accepted.push(c);
    }
    closeBlock();
    return { envelopes, blocks, callers: accepted };
  }

  /** Slow path after a batch failed to encode: finds and rejects the callers whose events are invalid. */
  private encodable(c: Pending): boolean {
    if (c.encoded !== undefined) return true; // checked when queued
    const w = this.writer;
    w.reset();
    try {
      for (const event of c.events) w.write({ seq: 1, time: 0, version: EVENT_SCHEMA_VERSION, event });
      return true;
    } catch (error) {
      c.reject(error);
      return false;
    }
  }

  private fail(cause: unknown, envelopes: readonly Envelope[], callers: readonly Pending[]): void {
    const first = envelopes[0]!.seq;
    const last = envelopes[envelopes.length - 1]!.seq;
    const why = cause instanceof Error ? cause.message : String(cause);
    this.failure = new RibjournalError(
      'JOURNAL_WRITE_FAILED',
      `journal ${this.location}: writing events ${first}..${last} failed (${why}); ` +
        'no further events are accepted until the journal is reopened',
      { cause, details: { firstSeq: first, lastSeq: last } },
    );
    for (const c of callers) c.reject(this.failure);
    for (const c of this.queue) c.reject(this.failure);
    this.queue = [];
    this.queuedEvents = 0;
  }
}

/** What one group commit writes: the envelopes, their blocks, and the callers they belong to. */
interface Batch {
  readonly envelopes: Envelope[];
  readonly blocks: EncodedBlock[];
  readonly callers: Pending[];
}

function count(c: Pending): number {
  return c.encoded?.envelopes.length ?? c.events.length;
}

/** The error every operation on a closed journal gets. */
export function closedError(location: string): RibjournalError {
  return new RibjournalError('JOURNAL_CLOSED', `journal ${location} is closed`);
}
