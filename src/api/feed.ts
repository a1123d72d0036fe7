// Route changes for subscribers. One follower of the live RIB's changes (the projection runner's live
// path: projections/rib/live.ts) turns each applied route event into a RouteChange once (with the path as it was added or as it was when removed); every subscriber filters
// it into its own bounded queue. Nothing here ever waits for a subscriber, so a slow one slows no other:
// when its queue overflows it is closed with SUBSCRIBER_TOO_SLOW and told where to resume (`after`).
//
// A subscription with `after` replays the journal from there through a RIB restored at `after` (so that
// removals carry their path), paced by its consumer, and switches to live in the same synchronous step
// in which its replay reaches the live feed's seq: every seq is delivered once, in order, with no gap.
import type { Envelope } from '../events/index.js';
import { isRouteEvent, vrfDisplayName } from '../events/index.js';
import type { PathSet } from '../projections/index.js';
import { LiveChanges, LiveRib, Rib, prefixSortKey, withinKeyRange } from '../projections/index.js';
import { RibjournalError } from '../shared/index.js';
import type { ApiContext } from './context.js';
import type { PathView } from './views.js';
import { pathView } from './views.js';

export interface RouteChange {
  readonly seq: number;
  readonly time: number;
  readonly type: 'DISCOVERED' | 'VANISHED';
  /** Internal VRF name ("" = global). */
  readonly vrfKey: string;
  readonly vrf: string;
  readonly reason: string | null;
  readonly path: PathView;
  /** Prefix sort key, for prefix filters. */
  readonly key: string;
}

export interface RouteChangeBatch {
  readonly changes: readonly RouteChange[];
  /** Every event with seq <= throughSeq has been considered; resume with `after: throughSeq`. */
  readonly throughSeq: number;
  readonly headSeq: number;
  readonly heartbeat: boolean;
  readonly time: number;
}

/** What the subscription iterator yields: a batch, or the reason it ends. */
export type FeedItem = RouteChangeBatch | { readonly error: RibjournalError };

export interface ChangeFilter {
  /** Internal VRF name; undefined = every VRF. */
  readonly vrf?: string | undefined;
  /** Canonical prefix; undefined = every prefix. */
  readonly prefix?: string | undefined;
  readonly moreSpecific: boolean;
}

export interface FeedOptions {
  /** Changes a subscriber may have queued before it is closed as too slow (default 10 000). */
  readonly maxQueue?: number;
  /** Changes per message at most (default 1000). */
  readonly maxBatch?: number;
  /** Heartbeat period when nothing else is sent (default 15 s). */
  readonly heartbeatMs?: number;
  /** Wall clock in epoch µs (tests). */
  readonly nowMicros?: () => number;
}

/** The change an applied route event made, or undefined when it changed nothing (vanish of an unknown path). */
export function routeChange(
  env: Envelope,
  before: PathSet,
  after: PathSet,
  rib: Rib,
): RouteChange | undefined {
  const e = env.event;
  switch (e.type) {
    case 'ConfigApplied':
    case 'DaemonStarted':
    case 'DaemonStopped':
      return undefined;
    case 'RouteDiscovered': {
      const i = after.findIndex((p) => p.interface === e.interface);
      if (i < 0) return undefined;
      return {
        seq: env.seq,
        time: env.time,
        type: 'DISCOVERED',
        vrfKey: e.vrf,
        vrf: vrfDisplayName(e.vrf),
        reason: null,
        path: pathView(after[i]!, i === 0, rib.vrfConfig(e.vrf)),
        key: prefixSortKey(e.prefix),
      };
    }
    case 'RouteVanished': {
      const i = before.findIndex((p) => p.interface === e.interface);
      if (i < 0) return undefined;
      return {
        seq: env.seq,
        time: env.time,
        type: 'VANISHED',
        vrfKey: e.vrf,
        vrf: vrfDisplayName(e.vrf),
        reason: e.reason,
        path: pathView(before[i]!, i === 0, rib.vrfConfig(e.vrf)),
        key: prefixSortKey(e.prefix),
      };
    }
    default: {
      const never: never = e;
      throw new TypeError(`unhandled event ${JSON.stringify(never)}`);
    }
  }
}

/** Stands in for the live path where there is none (offline tools): nothing is ever applied. */
const NO_LIVE = new LiveChanges(new LiveRib(new Rib()));

function matcher(filter: ChangeFilter): (c: RouteChange) => boolean {
  const { vrf, prefix, moreSpecific } = filter;
  if (prefix === undefined) return vrf === undefined ? () => true : (c) => c.vrfKey === vrf;
  if (!moreSpecific) {
    const key = prefixSortKey(prefix);
    return (c) => (vrf === undefined || c.vrfKey === vrf) && c.key === key;
  }
  const { lo, hi } = withinKeyRange(prefix);
  return (c) => (vrf === undefined || c.vrfKey === vrf) && c.key >= lo && c.key <= hi;
}

/** Fans route changes out to subscriptions. One per API instance. */
export class ChangeFeed {
  private readonly subscriptions = new Set<Subscription>();
  private readonly unfollow: () => void;
  private readonly unDamage: (() => void) | undefined;
  readonly maxQueue: number;
  readonly maxBatch: number;
  readonly heartbeatMs: number;
  readonly nowMicros: () => number;

  constructor(
    readonly api: ApiContext,
    options: FeedOptions = {},
  ) {
    this.maxQueue = options.maxQueue ?? 10_000;
    this.maxBatch = options.maxBatch ?? 1000;
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
    this.nowMicros = options.nowMicros ?? (() => Date.now() * 1000);
    this.unfollow = (api.live ?? NO_LIVE).onApply(
      (env, before, after, rib) => {
        if (this.subscriptions.size === 0) return;
        const change = routeChange(env, before, after, rib);
        for (const s of this.subscriptions) s.offerLive(env.seq, change);
      },
      () => this.subscriptions.size > 0,
      () =>
        this.endAll(
          (resumeAfter) =>
            new RibjournalError(
              'NOT_READY',
              `the live route feed restarted; resubscribe with after: "${resumeAfter}" (nothing is lost, the journal has it)`,
              { details: { resumeAfter: String(resumeAfter) } },
            ),
        ),
    );
    // Damage found while subscriptions run (a read, the background verify): every change they follow is
    // derived through it, so they end with JOURNAL_DAMAGED instead of going on as if nothing happened.
    this.unDamage = api.journal.onDamage?.((span) => {
      const error = new RibjournalError(
        'JOURNAL_DAMAGED',
        `journal events ${span.first}..${span.last} failed their checksum; the RIB these changes are ` +
          `computed against is derived through them`,
        { details: { damagedFirstSeq: String(span.first), damagedLastSeq: String(span.last) } },
      );
      for (const s of [...this.subscriptions]) s.failWith(error);
    });
  }

  /** Live subscribers, for metrics and tests. */
  get size(): number {
    return this.subscriptions.size;
  }

  /**
   * Starts a subscription. With `after`, changes after that seq are replayed from the journal first.
   * Without it, the subscription starts at the current seq.
   */
  subscribe(filter: ChangeFilter, after: number | undefined, heartbeatMs = this.heartbeatMs): Subscription {
    const s = new Subscription(this, filter, heartbeatMs, () => this.subscriptions.delete(s));
    this.subscriptions.add(s);
    s.start(after);
    return s;
  }

  /**
   * Ends every subscription with `error` (each is told where to resume); the feed stays open. For a
   * live path that missed events (the RIB was rebuilt): subscribers resume from the journal.
   */
  endAll(error: (resumeAfter: number) => RibjournalError): void {
    for (const s of [...this.subscriptions]) s.end(error);
  }

  /** Ends every subscription and stops following the live RIB. */
  close(): void {
    this.unfollow();
    this.unDamage?.();
    for (const s of [...this.subscriptions]) void s.return();
  }
}

type Waiter = (wake: 'data' | 'end') => void;

/** One subscriber: a bounded queue drained by the GraphQL layer through the async iterator protocol. */
export class Subscription implements AsyncIterableIterator<FeedItem> {
  private queue: RouteChange[] = [];
  private qHead = 0;
  private mode: 'replay' | 'live' | 'done' = 'replay';
  /** Every event <= through has been considered (queued when it matched). */
  private through = 0;
  /** throughSeq of the last batch handed out: where a closed subscriber resumes. */
  private delivered = 0;
  private failure: RibjournalError | undefined;
  private failureSent = false;
  private waiter: Waiter | undefined;
  private drained: (() => void) | undefined;
  private readonly matches: (c: RouteChange) => boolean;

  constructor(
    private readonly feed: ChangeFeed,
    private readonly filter: ChangeFilter,
    private readonly heartbeatMs: number,
    private readonly detach: () => void,
  ) {
    this.matches = matcher(filter);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private get queued(): number {
    return this.queue.length - this.qHead;
  }

  start(after: number | undefined): void {
    const live = this.feed.api.live;
    if (live === undefined) {
      this.fail(new RibjournalError('NOT_READY', 'route changes are served by a running daemon only'));
      return;
    }
    if (after === undefined || after >= live.seq) {
      this.through = Math.max(after ?? 0, live.seq);
      this.delivered = this.through;
      this.mode = 'live';
      return;
    }
    this.through = after;
    this.delivered = after;
    this.replay(after).catch((err: unknown) => {
      this.fail(
        err instanceof RibjournalError
          ? err
          : new RibjournalError('INTERNAL', 'replay failed', { cause: err }),
      );
    });
  }

  /** Called for every applied route event while live (change undefined: it changed nothing). */
  offerLive(seq: number, change: RouteChange | undefined): void {
    if (this.mode !== 'live' || seq <= this.through) return;
    this.through = seq;
    if (change === undefined || !this.matches(change)) return;
    this.queue.push(change);
    if (this.queued > this.feed.maxQueue) {
      this.fail(
        new RibjournalError(
          'SUBSCRIBER_TOO_SLOW',
          `subscriber fell more than ${this.feed.maxQueue} changes behind; resubscribe with after: "${this.delivered}" (nothing is lost, the journal has it)`,
          { details: { resumeAfter: String(this.delivered) } },
        ),
      );
      return;
    }
    this.wake('data');
  }

  /** Ends the subscription with the error `make` builds from where it should resume. */
  end(make: (resumeAfter: number) => RibjournalError): void {
    this.fail(make(this.delivered));
  }

  private async replay(after: number): Promise<void> {
    const { journal, indexes } = this.feed.api;
    const live = this.feed.api.live ?? NO_LIVE;
    const scope = this.filter.vrf === undefined ? undefined : [this.filter.vrf];
    // The RIB at `after`, from the timeline; while the timeline is still catching up at start-up, from
    // where it is, then the journal up to `after` (silently).
    const base = Math.min(after, indexes.timeline.seq);
    const rib = await indexes.timeline.ribAt(base, scope);
    let last = base;
    const highWater = this.feed.maxBatch * 2;
    for (;;) {
      // Switch to live in the same synchronous step that finds the replay caught up: no event can be
      // applied between this check and the switch, so none is missed or seen twice.
      const target = live.seq;
      if (last >= target && last >= after) {
        this.through = last;
        this.mode = this.mode === 'done' ? 'done' : 'live';
        return;
      }
      for await (const batch of journal.read({ after: last, through: target })) {
        for (const env of batch) {
          const e = env.event;
          if (scope === undefined || !isRouteEvent(e) || e.vrf === scope[0]) {
            const before = isRouteEvent(e) ? rib.lookup(e.vrf, e.prefix).slice() : [];
            rib.apply(env);
            if (isRouteEvent(e) && env.seq > after) {
              const change = routeChange(env, before, rib.lookup(e.vrf, e.prefix), rib);
              if (change !== undefined && this.matches(change)) this.queue.push(change);
            }
          }
          last = env.seq;
        }
        this.through = Math.max(after, last);
        if (this.mode === 'done') return;
        if (this.queued > 0) this.wake('data');
        // Paced by the consumer: the journal holds what is not read yet.
        while (this.queued >= highWater && this.mode === 'replay') {
          await new Promise<void>((resolve) => (this.drained = resolve));
        }
        if (this.mode !== 'replay') return;
      }
    }
  }

  /** Ends the subscription with `error` (delivered after what is already queued is dropped). */
  failWith(error: RibjournalError): void {
    this.fail(error);
  }

  private fail(error: RibjournalError): void {
    if (this.mode === 'done' || this.failure) return;
    this.failure = error;
    this.queue = [];
    this.qHead = 0;
    this.mode = 'done';
    this.detach();
    this.wake('end');
    this.drained?.();
  }

  private wake(why: 'data' | 'end'): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w(why);
    }
  }

  private takeBatch(heartbeat: boolean): RouteChangeBatch {
    const n = Math.min(this.queued, this.feed.maxBatch);
    const changes = this.queue.slice(this.qHead, this.qHead + n);
    this.qHead += n;
    if (this.qHead > 4096 && this.qHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.qHead);
      this.qHead = 0;
    }
    const throughSeq = this.queued > 0 ? changes[changes.length - 1]!.seq : this.through;
    this.delivered = throughSeq;
    if (this.drained && this.queued < this.feed.maxBatch) {
      const d = this.drained;
      this.drained = undefined;
      d();
    }
    return {
      changes,
      throughSeq,
      headSeq: this.feed.api.journal.head(),
      heartbeat,
      time: this.feed.nowMicros(),
    };
  }

  async next(): Promise<IteratorResult<FeedItem>> {
    for (;;) {
      if (this.failure) {
        if (this.failureSent) return { done: true, value: undefined };
        this.failureSent = true;
        return { done: false, value: { error: this.failure } };
      }
      if (this.mode === 'done') return { done: true, value: undefined };
      if (this.queued > 0) return { done: false, value: this.takeBatch(false) };
      const why = await new Promise<'data' | 'end' | 'heartbeat'>((resolve) => {
        const timer = setTimeout(() => {
          this.waiter = undefined;
          resolve('heartbeat');
        }, this.heartbeatMs);
        this.waiter = (w) => {
          clearTimeout(timer);
          resolve(w);
        };
      });
      if (why === 'heartbeat' && !this.failure && !this.ended()) {
        return { done: false, value: this.takeBatch(true) };
      }
    }
  }

  private ended(): boolean {
    return this.mode === 'done';
  }

  async return(): Promise<IteratorResult<FeedItem>> {
    if (this.mode !== 'done') {
      this.mode = 'done';
      this.detach();
    }
    this.failureSent = true;
    this.wake('end');
    this.drained?.();
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<FeedItem>> {
    await this.return();
    throw error;
  }
}
