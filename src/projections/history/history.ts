// The per-prefix history index: for every (vrf, prefix) the events that touched it, for every VRF its
// route events, and every ConfigApplied, kept on disk in the journal's derived space (../derived/derived-keys.ts)
// and written after the events they follow. Memory holds only the events applied but not yet written
// (a few group commits) and each VRF's prefix order (one entry per prefix ever seen, not per event).
// Derived data: a record that fails its checks is reported (onDamage) and the answer comes from the
// journal instead, so damage never changes an answer.
import type { ConfigApplied, Envelope, LifecycleEvent } from '../../events/index.js';
import { isLifecycleEvent, isRouteEvent } from '../../events/index.js';
import type { DerivedEntry, DerivedStore, Journal } from '../../journal/index.js';
import {
  DerivedDamage,
  MANIFEST_KEY,
  ORDER_HI,
  ORDER_LO,
  configKey,
  configRange,
  decodeEventValue,
  encodeEventValue,
  encodeManifest,
  lifecycleKey,
  lifecycleRange,
  orderKey,
  parseOrderKey,
  prefixKey,
  prefixRange,
  vrfKey,
  vrfRange,
} from '../derived/index.js';
import { WeightedLru } from '../derived/index.js';
import { PrefixOrder, prefixSortKey } from './prefix-order.js';

/** First index in ascending `seqs` whose seq is > `seq`. */
export function upperBoundSeq(seqs: readonly number[], seq: number): number {
  let lo = 0;
  let hi = seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (seqs[mid]! <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Seqs in (after, through] of an ascending list. */
export function seqsBetween(seqs: readonly number[], after: number, through: number): readonly number[] {
  const from = upperBoundSeq(seqs, after);
  const to = upperBoundSeq(seqs, through);
  return from === 0 && to === seqs.length ? seqs : seqs.slice(from, to);
}

/** Options of HistoryIndex. */
export interface HistoryIndexOptions {
  /** Called once per damaged record found (the owner rebuilds the derived data). */
  readonly onDamage?: (damage: DerivedDamage) => void;
  /** Called when writing derived data fails (it is retried; answers come from memory meanwhile). */
  readonly onWriteError?: (err: unknown) => void;
  /** Bound on the cached per-prefix event lists, in events (default 20 000; 0: no cache). */
  readonly prefixCacheEvents?: number;
}

/** Every event of one prefix with seq <= `through`, oldest first (decoded once, shared by answers). */
interface CachedPrefix {
  readonly events: Envelope[];
  readonly seqs: number[];
  through: number;
  /** The retention horizon when it was read: a trim since voids it. */
  readonly horizon: number;
}

type Selector = (env: Envelope) => boolean;

/** A window query: events with seq in (after, through], at most `limit` of them, oldest first. */
export interface SeqWindow {
  readonly after: number;
  readonly through: number;
  readonly limit?: number;
  /** Newest first (with `limit`: the newest ones). */
  readonly reverse?: boolean;
}

const RETRY_MS = 1000;

/** Where each prefix's and each VRF's events are. A Projection (seq + apply). */
export class HistoryIndex {
  /** Seq of the last event applied. */
  seq = 0;
  /** Seq up to which the store holds every event (the manifest's). */
  private flushedSeq = 0;
  private pending: Envelope[] = [];
  private writing: readonly Envelope[] = [];
  private extraPuts: DerivedEntry[] = [];
  private newOrders: Buffer[] = [];
  private writes: Promise<void> | undefined;
  private scheduled = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly orders = new Map<string, PrefixOrder>();
  private readonly store: DerivedStore;
  /** Hot prefixes' event lists: a repeated `history` reads only what was committed since. */
  private readonly prefixes: WeightedLru<string, CachedPrefix>;
  /** Bumped by reset(): a read that started before it caches nothing. */
  private resets = 0;
  /**
   * The newest ConfigApplied and lifecycle seq applied (or found at restore()): the config in force
   * now, and "no lifecycle event in a window after it", answered without reading the disk.
   */
  private latestConfig: Envelope<ConfigApplied> | undefined;
  private latestLifecycle = 0;

  constructor(
    private readonly journal: Journal,
    private readonly options: HistoryIndexOptions = {},
  ) {
    this.store = journal.derived;
    this.prefixes = new WeightedLru(options.prefixCacheEvents ?? 20_000, (c) => c.events.length + 1);
  }

  apply(env: Envelope): void {
    this.seq = env.seq;
    const e = env.event;
    switch (e.type) {
      case 'RouteDiscovered':
      case 'RouteVanished': {
        const order = this.prefixOrder(e.vrf);
        const key = prefixSortKey(e.prefix);
        if (!order.has(key)) {
          order.add(e.prefix, key);
          this.newOrders.push(orderKey(e.vrf, e.prefix));
        }
        break;
      }
      case 'ConfigApplied':
        this.latestConfig = env as Envelope<ConfigApplied>;
        break;
      case 'DaemonStarted':
      case 'DaemonStopped':
        this.latestLifecycle = env.seq;
        break;
      default: {
        const never: never = e;
        throw new TypeError(`unhandled event ${JSON.stringify(never)}`);
      }
    }
    this.pending.push(env);
    this.schedule();
  }

  /** Adds records to the next write (the timeline's checkpoints), ordered after the events so far. */
  enqueue(puts: readonly DerivedEntry[]): void {
    for (const p of puts) this.extraPuts.push(p);
    this.schedule();
  }

  /** Events applied but not yet on disk (for tests and metrics). */
  unwritten(): number {
    return this.pending.length + this.writing.length;
  }

  /** Writes everything applied so far; resolves when it is on disk (not synced). */
  async flush(): Promise<void> {
    while (this.writes) await this.writes;
    if (this.pending.length === 0 && this.extraPuts.length === 0 && this.newOrders.length === 0) return;
    const envs = this.pending;
    const extra = this.extraPuts;
    const orders = this.newOrders;
    this.pending = [];
    this.extraPuts = [];
    this.newOrders = [];
    this.writing = envs;
    const puts: DerivedEntry[] = [];
    const empty = Buffer.alloc(0);
    for (const k of orders) puts.push([k, empty]);
    for (const env of envs) {
      const e = env.event;
      const value = encodeEventValue(env);
      if (e.type === 'ConfigApplied') puts.push([configKey(env.seq), value]);
      else if (isLifecycleEvent(e)) puts.push([lifecycleKey(env.seq), value]);
      else {
        puts.push([prefixKey(e.vrf, e.prefix, env.seq), value]);
        puts.push([vrfKey(e.vrf, env.seq), value]);
      }
    }
    for (const p of extra) puts.push(p);
    const last = envs[envs.length - 1];
    if (last !== undefined && last.seq > this.flushedSeq) {
      puts.push([MANIFEST_KEY, encodeManifest({ seq: last.seq, time: last.time })]);
    }
    this.writes = this.store.write(puts).then(
      () => {
        if (last !== undefined) this.flushedSeq = Math.max(this.flushedSeq, last.seq);
      },
      (err: unknown) => {
        // Keep them for the next attempt, in order; a later write never claims more than was written.
        this.pending = [...envs, ...this.pending];
        this.extraPuts = [...extra, ...this.extraPuts];
        this.newOrders = [...orders, ...this.newOrders];
        this.options.onWriteError?.(err);
        this.retry ??= setTimeout(() => {
          this.retry = undefined;
          this.schedule();
        }, RETRY_MS).unref();
      },
    );
    try {
      await this.writes;
    } finally {
      this.writing = [];
      this.writes = undefined;
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  /** Forgets everything (before a rebuild); waits for a write in progress. */
  async reset(): Promise<void> {
    while (this.writes) await this.writes;
    this.seq = 0;
    this.flushedSeq = 0;
    this.pending = [];
    this.extraPuts = [];
    this.newOrders = [];
    this.orders.clear();
    this.prefixes.clear();
    this.resets++;
    this.latestConfig = undefined;
    this.latestLifecycle = 0;
  }

  /** Resumes from derived data on disk that covers every event up to `seq`: loads the prefix orders. */
  async restore(seq: number): Promise<void> {
    await this.reset();
    for await (const chunk of this.store.scan({ gte: ORDER_LO, lt: ORDER_HI })) {
      for (const [key] of chunk) {
        const { vrf, prefix } = parseOrderKey(key);
        this.prefixOrder(vrf).add(prefix);
      }
    }
    this.seq = seq;
    this.flushedSeq = seq;
    this.latestConfig = await this.configAt(seq);
    this.latestLifecycle =
      (await this.lifecycleEvents({ after: 0, through: seq, limit: 1, reverse: true }))[0]?.seq ?? 0;
  }

  /** Route events of one prefix in one VRF ("" = global) in the window, oldest first. */
  async prefixEvents(vrf: string, prefix: string, w: SeqWindow): Promise<Envelope[]> {
    const e = (env: Envelope): boolean =>
      isRouteEvent(env.event) && env.event.vrf === vrf && env.event.prefix === prefix;
    const read = (win: SeqWindow): Promise<Envelope[]> => {
      const [gte, lt] = prefixRange(vrf, prefix, win.after, win.through);
      return this.query(gte, lt, e, win);
    };
    // The cached list covers (0, through] of what the index has applied; extend it by the tail.
    const upTo = Math.min(w.through, this.journal.head());
    if (upTo > this.seq) return read(w); // the index is behind: the journal answers the rest
    const horizon = this.journal.horizon?.()?.seq ?? 0;
    const id = `${vrf}\t${prefix}`;
    const resets = this.resets;
    let cached = this.prefixes.get(id);
    if (cached !== undefined && cached.horizon !== horizon) cached = undefined;
    if (cached === undefined) {
      if (w.after !== 0 || w.limit !== undefined) return read(w);
      const events = await read({ after: 0, through: upTo });
      cached = { events, seqs: events.map((x) => x.seq), through: upTo, horizon };
      if (resets === this.resets) this.prefixes.set(id, cached);
    } else if (upTo > cached.through) {
      const tail = await read({ after: cached.through, through: upTo });
      // Another query may have extended it meanwhile: add only what it lacks.
      for (const env of tail) {
        if (env.seq <= cached.through) continue;
        cached.events.push(env);
        cached.seqs.push(env.seq);
      }
      cached.through = Math.max(cached.through, upTo);
      if (resets === this.resets) this.prefixes.set(id, cached); // its weight grew
    }
    const from = upperBoundSeq(cached.seqs, w.after);
    const to = upperBoundSeq(cached.seqs, upTo);
    if (!w.reverse) {
      const out = cached.events.slice(from, to);
      if (w.limit !== undefined && out.length > w.limit) out.length = w.limit;
      return out;
    }
    const lo = w.limit === undefined ? from : Math.max(from, to - w.limit);
    return cached.events.slice(lo, to).reverse();
  }

  /** Route events of one VRF in the window, oldest first. */
  vrfEvents(vrf: string, w: SeqWindow): Promise<Envelope[]> {
    const [gte, lt] = vrfRange(vrf, w.after, w.through);
    return this.query(gte, lt, (env) => isRouteEvent(env.event) && env.event.vrf === vrf, w);
  }

  /** ConfigApplied events in the window, oldest first. */
  async configEvents(w: SeqWindow): Promise<Envelope<ConfigApplied>[]> {
    const [gte, lt] = configRange(w.after, w.through);
    return (await this.query(
      gte,
      lt,
      (env) => env.event.type === 'ConfigApplied',
      w,
    )) as Envelope<ConfigApplied>[];
  }

  /** DaemonStarted and DaemonStopped in the window: when the daemon was (not) watching. */
  async lifecycleEvents(w: SeqWindow): Promise<Envelope<LifecycleEvent>[]> {
    // None applied after the newest one known: no disk read.
    if (w.after >= this.latestLifecycle && Math.min(w.through, this.journal.head()) <= this.seq) return [];
    const [gte, lt] = lifecycleRange(w.after, w.through);
    return (await this.query(gte, lt, (env) => isLifecycleEvent(env.event), w)) as Envelope<LifecycleEvent>[];
  }

  /** The ConfigApplied in force at `seq`, if any. */
  async configAt(seq: number): Promise<Envelope<ConfigApplied> | undefined> {
    const latest = this.latestConfig;
    if (latest !== undefined && seq >= latest.seq && seq <= this.seq) return latest;
    return (await this.configEvents({ after: 0, through: seq, limit: 1, reverse: true }))[0];
  }

  /** VRFs that have ever held a route. */
  vrfsWithRoutes(): string[] {
    return [...this.orders.keys()];
  }

  /** Every prefix the VRF has ever held, in address order (see prefix-order.ts). */
  prefixOrder(vrf: string): PrefixOrder {
    let order = this.orders.get(vrf);
    if (order === undefined) {
      order = new PrefixOrder();
      this.orders.set(vrf, order);
    }
    return order;
  }

  /** Disk records in [gte, lt) merged with the events not yet written; the journal when damaged. */
  private async query(gte: Buffer, lt: Buffer, select: Selector, w: SeqWindow): Promise<Envelope[]> {
    // Past what has been applied (a rebuild in progress): the journal answers for the rest.
    const head = this.journal.head();
    const beyond =
      Math.min(w.through, head) > Math.max(w.after, this.seq)
        ? await this.scanJournal(select, Math.max(w.after, this.seq), Math.min(w.through, head))
        : [];
    const through = Math.min(w.through, this.seq);
    if (through <= w.after) return this.window(beyond, w);
    // Memory first: a write that completes meanwhile is then seen on disk (a read is a snapshot).
    const mem: Envelope[] = [];
    for (const list of [this.writing, this.pending]) {
      for (const env of list) if (env.seq > w.after && env.seq <= through && select(env)) mem.push(env);
    }
    let disk: Envelope[];
    try {
      const entries = await this.store.range({
        gte,
        lt,
        ...(w.reverse ? { reverse: true } : {}),
        ...(w.limit !== undefined ? { limit: w.limit } : {}),
      });
      disk = entries.map(([k, v]) => decodeEventValue(k, v));
    } catch (err) {
      if (!(err instanceof DerivedDamage)) throw err;
      this.options.onDamage?.(err);
      disk = await this.scanJournal(select, w.after, through);
    }
    const bySeq = new Map<number, Envelope>();
    for (const env of disk) if (env.seq <= through) bySeq.set(env.seq, env);
    for (const env of mem) bySeq.set(env.seq, env);
    for (const env of beyond) bySeq.set(env.seq, env);
    return this.window([...bySeq.values()], w);
  }

  private window(envs: Envelope[], w: SeqWindow): Envelope[] {
    const out = envs.sort((a, b) => (w.reverse ? b.seq - a.seq : a.seq - b.seq));
    if (w.limit !== undefined && out.length > w.limit) out.length = w.limit;
    return out;
  }

  private async scanJournal(select: Selector, after: number, through: number): Promise<Envelope[]> {
    const out: Envelope[] = [];
    for await (const batch of this.journal.read({ after, through })) {
      for (const env of batch) if (select(env)) out.push(env);
    }
    return out;
  }
}
