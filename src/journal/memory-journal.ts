// The journal in memory, for tests and tools. It keeps the same contract as the LevelDB journal (the
// same group commit, and reads return decoded copies of the encoded blocks) so that a test written
// against it sees what production sees; only durability is missing.
import { decodeBlock } from '../events/index.js';
import type { Envelope, JournalEvent } from '../events/index.js';
import { systemClock } from '../shared/index.js';
import type { Clock } from '../shared/index.js';
import type { Logger } from 'pino';
import {
  CommitListeners,
  GroupCommit,
  closedError,
  defaultJournalLog,
  logListenerError,
  readRange,
} from './common.js';
import type { ListenerErrorHandler } from './common.js';
import type { CommitListener, Journal, JournalStats, ReadOptions } from './journal.js';
import { MemoryDerivedStore } from './derived.js';

const READ_CHUNK = 1000;

/** Options of MemoryJournal besides the clock. */
export interface MemoryJournalOptions {
  /** Receives what an onCommit listener threw (default: logged on `log`). */
  readonly onListenerError?: ListenerErrorHandler;
  readonly log?: Logger;
}

/** A Journal held in memory (location "memory"): for tests and tools, never for the daemon. */
export class MemoryJournal implements Journal {
  readonly location = 'memory';
  /** envelopes[i] has seq i + 1. */
  private readonly envelopes: Envelope[] = [];
  private readonly meta = new Map<string, Buffer>();
  readonly derived = new MemoryDerivedStore();
  private readonly listeners: CommitListeners;
  private readonly commits: GroupCommit;
  private closing: Promise<void> | undefined;

  constructor(clock: Clock = systemClock, options: MemoryJournalOptions = {}) {
    this.listeners = new CommitListeners(
      options.onListenerError ?? logListenerError(options.log ?? defaultJournalLog()),
    );
    this.commits = new GroupCommit(
      this.location,
      clock,
      this.listeners,
      async (blocks) => {
        for (const b of blocks) decodeBlock(b.bytes, this.envelopes);
      },
      0,
      0,
    );
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

  onCommit(listener: CommitListener): () => void {
    return this.listeners.add(listener);
  }

  async *read(options?: ReadOptions): AsyncGenerator<readonly Envelope[]> {
    this.assertOpen();
    const { first, last } = readRange(options, this.head());
    for (let from = first; from <= last; from += READ_CHUNK) {
      if (this.closing) throw closedError(this.location);
      yield this.envelopes.slice(from - 1, Math.min(last, from + READ_CHUNK - 1));
    }
  }

  async get(seq: number): Promise<Envelope | undefined> {
    this.assertOpen();
    if (!Number.isSafeInteger(seq) || seq < 1 || seq > this.head()) return undefined;
    return this.envelopes[seq - 1];
  }

  async seqAtTime(time: number): Promise<number> {
    this.assertOpen();
    // Times never decrease with seq: binary search for the first event later than `time`.
    let lo = 0;
    let hi = this.head();
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.envelopes[mid]!.time <= time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  async stats(): Promise<JournalStats> {
    this.assertOpen();
    const headSeq = this.head();
    return {
      headSeq,
      events: headSeq,
      firstTime: this.envelopes[0]?.time,
      lastTime: headSeq > 0 ? this.envelopes[headSeq - 1]!.time : undefined,
      sizeOnDisk: 0,
    };
  }

  async getMeta(key: string): Promise<Buffer | undefined> {
    this.assertOpen();
    const value = this.meta.get(key);
    return value === undefined ? undefined : Buffer.from(value);
  }

  async putMeta(key: string, value: Buffer): Promise<void> {
    this.assertOpen();
    this.meta.set(key, Buffer.from(value));
  }

  async deleteMeta(key: string): Promise<void> {
    this.assertOpen();
    this.meta.delete(key);
  }

  close(): Promise<void> {
    this.closing ??= this.commits.close();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing) throw closedError(this.location);
  }
}
