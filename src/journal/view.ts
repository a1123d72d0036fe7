// A read-only view of a journal as it was at one seq: what an offline question about the past needs
// ("the RIB at X" is then simply the RIB at the view's head), and what a tool hands to code written
// for a live journal without letting it append.
import type { Envelope, JournalEvent } from '../events/index.js';
import { RibjournalError } from '../shared/index.js';
import type { CommitListener, Journal, JournalStats, ReadOptions } from './journal.js';
import { MemoryDerivedStore } from './derived.js';

class JournalView implements Journal {
  readonly location: string;
  /** A view's projections keep their derived data to themselves: the journal's covers another head. */
  readonly derived = new MemoryDerivedStore();

  constructor(
    private readonly inner: Journal,
    private readonly through: number,
    private readonly lastTime: number | undefined,
  ) {
    this.location = inner.location;
  }

  head(): number {
    return Math.min(this.through, this.inner.head());
  }

  append(_events: readonly JournalEvent[]): Promise<readonly Envelope[]> {
    return Promise.reject(
      new RibjournalError(
        'BAD_ARGUMENT',
        `a view of journal ${this.location} at seq ${this.through} is read-only`,
      ),
    );
  }

  read(options?: ReadOptions): AsyncIterable<readonly Envelope[]> {
    const through = Math.min(options?.through ?? this.head(), this.head());
    return this.inner.read({ ...(options?.after !== undefined ? { after: options.after } : {}), through });
  }

  onCommit(_listener: CommitListener): () => void {
    // Nothing is ever committed to the past.
    return () => undefined;
  }

  async seqAtTime(time: number): Promise<number> {
    return Math.min(await this.inner.seqAtTime(time), this.head());
  }

  async get(seq: number): Promise<Envelope | undefined> {
    return seq > this.head() ? undefined : this.inner.get(seq);
  }

  horizon(): { readonly seq: number; readonly time: number } {
    return this.inner.horizon?.() ?? { seq: 0, time: 0 };
  }

  async stats(): Promise<JournalStats> {
    const s = await this.inner.stats();
    const head = this.head();
    const events = head - (s.horizon?.seq ?? 0);
    return { ...s, headSeq: head, events, lastTime: head > 0 ? this.lastTime : undefined };
  }

  getMeta(key: string): Promise<Buffer | undefined> {
    return this.inner.getMeta(key);
  }

  putMeta(): Promise<void> {
    return Promise.reject(
      new RibjournalError('BAD_ARGUMENT', `a view of journal ${this.location} is read-only`),
    );
  }

  deleteMeta(): Promise<void> {
    return Promise.reject(
      new RibjournalError('BAD_ARGUMENT', `a view of journal ${this.location} is read-only`),
    );
  }

  async close(): Promise<void> {
    // The view does not own the journal.
  }
}

/** The journal as it was after seq `through` (clamped to its head): read-only, never growing. */
export async function journalThrough(journal: Journal, through: number): Promise<Journal> {
  const seq = Math.max(0, Math.min(through, journal.head()));
  const last = seq > 0 ? await journal.get(seq) : undefined;
  return new JournalView(journal, seq, last?.time);
}
