// The projection runner: the one follower of the journal's commits. It applies every committed batch
// to named projections in a fixed order (the RIB first, then what reads it), catches a projection up
// from the journal when it joins behind the head (or starts it from its derived data on disk), and has
// one failure policy: a projection that throws is logged once (name and seq), stops receiving events,
// readiness drops with the reason, and it is rebuilt in the background from its last good checkpoint
// (or from seq 0) while the others carry on. Projections of one group (the API's history index and
// timeline, which share their derived data) are restored together.
import type { Envelope } from '../events/index.js';
import type { Journal } from '../journal/index.js';
import { loadHorizonCheckpoint, type Rib } from './rib/index.js';

/** Anything that folds committed events into state, in seq order. */
export interface Projection {
  readonly seq: number;
  apply(env: Envelope): void;
  /**
   * After a retention trim (issue 9.5) the events before the horizon are gone: a projection behind it
   * that can start from the RIB at the horizon does so here (its seq becomes the horizon's). Without it,
   * catching up fails with BEFORE_RETENTION (the runner's failure policy).
   */
  seedAtHorizon?(rib: Rib): void;
}

/** The projections the daemon runs, in the order each commit reaches them. */
export const PROJECTION_ORDER = [
  'rib',
  'bgp-outbound',
  'history',
  'timeline',
  'route-counts',
  'feed',
  'events-by-type',
] as const;

export type ProjectionName = (typeof PROJECTION_ORDER)[number];

/** Where the runner logs (a pino logger fits; its child `projections` is used when it has one). */
export interface RunnerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  child?(bindings: { topic: string }): RunnerLog;
}

/** What a restore is told by the runner. */
export interface RestoreContext {
  /**
   * The same for every restore of one group started together (a failure or rebuild of one member, or
   * their start): the members' restores can share one load of their derived data.
   */
  readonly round: number;
  /** The restore found it must rebuild (no derived data, damaged, another build's): readiness says why. */
  rebuilding(why: string): void;
}

/** How the runner runs one projection. */
export interface RunnerEntry<P extends Projection = Projection> {
  readonly name: ProjectionName;
  readonly projection: P;
  /**
   * Projections of one group share their derived data: when one is restored (after a failure, on
   * request, at its start) every member is, in the same round (see RestoreContext).
   */
  readonly group?: string;
  /** Called before each live batch reaches the projection (the live RIB drops its last batch's record). */
  readonly beforeBatch?: () => void;
  /** Called after each live batch the projection applied (the BGP speaker wakes its sessions). */
  readonly afterBatch?: (batch: readonly Envelope[]) => void;
  /**
   * A fresh projection at its last good checkpoint (seq 0 when there is none), to rebuild it after a
   * failure. Absent: the projection cannot be rebuilt and stays failed (readiness stays down).
   */
  readonly restore?: (ctx: RestoreContext) => Promise<P> | P;
  /**
   * Takes over a rebuilt projection that has caught up with the live tail, in the same synchronous
   * step as its next live batch; returns the projection to keep applying to (default: `fresh`).
   */
  readonly adopt?: (fresh: P) => P;
  /** Called in the synchronous step that makes the projection live (after a catch-up or rebuild too). */
  readonly onLive?: (p: P) => void;
  /**
   * Awaited, when it returns a promise, between two batches of a catch-up: lets a projection write what
   * it holds so that a long replay's memory stays bounded (the history index flushes its writes).
   */
  readonly catchUpPause?: (p: P) => Promise<void> | undefined;
}

/** How add() starts a projection. */
export interface AddOptions {
  /**
   * Start from `entry.restore()` (its derived data on disk, or a rebuild) instead of `entry.projection`
   * as it is. A group member added while another member's restore runs joins that round.
   */
  readonly restore?: boolean;
}

/** One projection as the runner runs it (for a facade's readiness). */
export interface ProjectionStatus {
  readonly state: ProjectionState;
  /** Why it is rebuilding (a failure, a request, what its restore found). */
  readonly why: string | undefined;
}

/** What `/readyz` reports: ok, or why not. */
export interface RunnerHealth {
  readonly ok: boolean;
  readonly reasons: readonly string[];
}

export interface RunnerOptions {
  readonly journal: Journal;
  /** The runner logs under topic `projections`. */
  readonly log: RunnerLog;
  /** Delay before the n-th retry of a rebuild that failed (default: 1 s doubling up to 60 s). */
  readonly retryDelayMs?: (attempt: number) => number;
  /** setTimeout-like (tests). */
  readonly setTimer?: (fn: () => void, ms: number) => { unref?(): unknown };
}

/**
 * live; loading its derived data (a restore at add); catching up with the journal; rebuilding (after a
 * failure or on request, restore and catch-up); failed for good (no restore).
 */
export type ProjectionState = 'live' | 'loading' | 'catching-up' | 'rebuilding' | 'failed';

/** What a slot is doing and why, as readiness reports it. */
interface Phase {
  readonly state: ProjectionState;
  readonly reason: string;
  readonly why: string | undefined;
}

/** A projection to catch up, for the slot's `generation` (a newer one makes it stale). */
interface CatchingUp {
  readonly slot: Slot;
  readonly p: Projection;
  readonly generation: number;
  readonly rebuilt: boolean;
}

interface Slot {
  readonly entry: RunnerEntry;
  readonly rank: number;
  current: Projection;
  /** The projection being caught up (the fresh one while rebuilding). */
  working: Projection;
  state: ProjectionState;
  /** Set while rebuilding or failed: the reason readiness gives. */
  reason: string;
  why: string | undefined;
  /** The restore round it last joined. */
  round: number;
  /** Live batches that arrived while catching up or rebuilding. */
  pending: (readonly Envelope[])[];
  /** whenLive callers. */
  waiters: (() => void)[];
  /** Failures since it was last live (a rebuild that fails the same way waits before the next). */
  failures: number;
  /** Bumped when the slot fails again or the runner stops: a running catch-up for an older one quits. */
  generation: number;
}

function defaultRetryDelay(attempt: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.min(attempt, 6));
}

/** Runs projections over a journal's commits. */
export class ProjectionRunner {
  private readonly journal: Journal;
  private readonly log: RunnerLog;
  private readonly retryDelayMs: (attempt: number) => number;
  private readonly setTimer: (fn: () => void, ms: number) => { unref?(): unknown };
  private slots: Slot[] = [];
  private readonly unfollow: () => void;
  private readonly tasks = new Set<Promise<void>>();
  /** Retries waiting for their delay (stop() ends the waits). */
  private readonly sleeping = new Set<() => void>();
  private stopped = false;
  private rounds = 0;
  /** Restored members of a round waiting for the others before their catch-up. */
  private readonly waiting = new Map<number, CatchingUp[]>();

  constructor(o: RunnerOptions) {
    this.journal = o.journal;
    this.log = o.log.child?.({ topic: 'projections' }) ?? o.log;
    this.retryDelayMs = o.retryDelayMs ?? defaultRetryDelay;
    this.setTimer = o.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.unfollow = this.journal.onCommit((batch) => this.deliver(batch));
  }

  /**
   * Adds a projection. When it is behind the journal's head it catches up from the journal first
   * (commits during that replay are applied once, in order); with `restore` it starts from its
   * restore() (its derived data) instead. Resolves once it is live, or when the runner stops first; a
   * projection that throws while catching up is rebuilt as usual.
   */
  add<P extends Projection>(entry: RunnerEntry<P>, options: AddOptions = {}): Promise<void> {
    if (this.slots.some((s) => s.entry.name === entry.name))
      throw new TypeError(`projection ${entry.name} is already running`);
    const slot: Slot = {
      entry: entry as unknown as RunnerEntry,
      rank: PROJECTION_ORDER.indexOf(entry.name),
      current: entry.projection,
      working: entry.projection,
      state: 'live',
      reason: '',
      why: undefined,
      round: 0,
      pending: [],
      failures: 0,
      generation: 0,
      waiters: [],
    };
    this.slots = [...this.slots, slot].sort((a, b) => a.rank - b.rank);
    if (options.restore === true && entry.restore !== undefined) {
      const joining = this.groupOf(slot).find((s) => s !== slot && s.state !== 'live' && s.round > 0);
      const reason = `${entry.name}: loading its derived data`;
      this.startRestore(slot, { state: 'loading', reason, why: undefined }, false, joining?.round);
      return this.whenLive(entry.name);
    }
    if (slot.current.seq >= this.journal.head()) {
      entry.onLive?.(entry.projection);
      return Promise.resolve();
    }
    slot.state = 'catching-up';
    return this.track(this.catchUp([{ slot, p: slot.current, generation: slot.generation, rebuilt: false }]));
  }

  /** Stops running a projection (a BGP speaker that stops). */
  remove(name: ProjectionName): void {
    const slot = this.slots.find((s) => s.entry.name === name);
    if (slot === undefined) return;
    slot.generation++;
    this.slots = this.slots.filter((s) => s !== slot);
    this.wakeWaiters(slot);
    // Group members restored in its round stop waiting for it.
    if (this.waiting.has(slot.round)) void this.track(this.release(slot.round) ?? Promise.resolve());
  }

  /** Whether the projection is running and live (not catching up, failed or rebuilding). */
  isLive(name: ProjectionName): boolean {
    return this.slots.find((s) => s.entry.name === name)?.state === 'live';
  }

  /** Resolves when the projection is live (caught up, or rebuilt after a failure); now if it is. */
  whenLive(name: ProjectionName): Promise<void> {
    const slot = this.slots.find((s) => s.entry.name === name);
    if (slot === undefined || slot.state === 'live' || this.stopped) return Promise.resolve();
    return new Promise((resolve) => slot.waiters.push(resolve));
  }

  /** How the projection is running (undefined: not added, or removed). */
  status(name: ProjectionName): ProjectionStatus | undefined {
    const slot = this.slots.find((s) => s.entry.name === name);
    if (slot === undefined) return undefined;
    return { state: slot.state, why: slot.why };
  }

  /** The projection currently run under `name` (a rebuilt one replaces the failed one). */
  get(name: ProjectionName): Projection | undefined {
    return this.slots.find((s) => s.entry.name === name)?.current;
  }

  /** Whether every projection is live; the reasons when not. */
  health(): RunnerHealth {
    const head = this.journal.head();
    const reasons = this.slots
      .filter((s) => s.state !== 'live')
      .map((s) =>
        s.state === 'catching-up'
          ? `${s.entry.name}: catching up (seq ${s.working.seq} of ${head})`
          : s.reason,
      );
    return { ok: reasons.length === 0, reasons };
  }

  /** Rebuilds a projection from its last good checkpoint, as after a failure (e.g. its input was rebuilt). */
  rebuild(name: ProjectionName, why: string): void {
    const slot = this.slots.find((s) => s.entry.name === name);
    if (slot === undefined || this.stopped) return;
    this.log.warn({ projection: name, why }, 'projection rebuilt on request');
    this.startRestore(slot, { state: 'rebuilding', reason: `${name}: rebuilding (${why})`, why }, true);
  }

  /** Stops following the journal; background catch-ups and rebuilds quit. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unfollow();
    for (const s of this.slots) {
      s.generation++;
      this.wakeWaiters(s);
    }
    for (const wake of this.sleeping) wake();
    this.sleeping.clear();
    await Promise.allSettled([...this.tasks]);
  }

  private deliver(batch: readonly Envelope[]): void {
    for (const slot of this.slots) {
      if (slot.state !== 'live') {
        slot.pending.push(batch);
        continue;
      }
      this.applyLive(slot, batch);
    }
  }

  private applyLive(slot: Slot, batch: readonly Envelope[]): void {
    const p = slot.current;
    let at = 0;
    try {
      slot.entry.beforeBatch?.();
      for (const env of batch) {
        at = env.seq;
        if (env.seq > p.seq) p.apply(env);
      }
      slot.entry.afterBatch?.(batch);
    } catch (err) {
      this.fail(slot, at, err);
    }
  }

  /** The one failure path: log once, drop readiness, rebuild in the background. */
  private fail(slot: Slot, seq: number, err: unknown): void {
    const name = slot.entry.name;
    this.log.error({ err, projection: name, seq }, 'projection failed: readiness dropped, rebuilding it');
    if (slot.entry.restore === undefined) {
      slot.state = 'failed';
      slot.generation++;
      slot.pending = [];
      slot.why = `failed at seq ${seq}`;
      slot.reason = `${name}: failed at seq ${seq} and cannot be rebuilt (restart the daemon)`;
      return;
    }
    const why = `${name}: failed at seq ${seq}`;
    // Failing again before it was live (a bug the rebuild replays too): the next rebuild waits longer.
    const again = slot.failures++;
    const delay = again === 0 ? 0 : this.retryDelayMs(again - 1);
    this.startRestore(
      slot,
      { state: 'rebuilding', reason: `${why}, rebuilding`, why },
      true,
      undefined,
      delay,
    );
  }

  private groupOf(slot: Slot): Slot[] {
    const group = slot.entry.group;
    return group === undefined ? [slot] : this.slots.filter((s) => s.entry.group === group);
  }

  /**
   * Restores the slot (and, unless it joins a round in progress, every other member of its group) from
   * its `restore`, then catches it up; retried after a delay while the restore throws.
   */
  private startRestore(slot: Slot, phase: Phase, rebuilt: boolean, join?: number, delayMs = 0): void {
    if (slot.entry.restore === undefined) return;
    const round = join ?? ++this.rounds;
    for (const s of join === undefined ? this.groupOf(slot) : [slot]) {
      const name = s.entry.name;
      // The others of the group: rebuilt with it, for the same reason.
      const own: Phase =
        s === slot || phase.why === undefined
          ? phase
          : { state: 'rebuilding', reason: `${name}: rebuilding (${phase.why})`, why: phase.why };
      this.restoreOne(s, own, rebuilt, round, delayMs);
    }
  }

  private restoreOne(slot: Slot, phase: Phase, rebuilt: boolean, round: number, delayMs: number): void {
    const restore = slot.entry.restore;
    if (restore === undefined) return;
    slot.state = phase.state;
    slot.reason = phase.reason;
    slot.why = phase.why;
    slot.round = round;
    slot.pending = [];
    slot.working = slot.current;
    const generation = ++slot.generation;
    const name = slot.entry.name;
    const ctx: RestoreContext = {
      round,
      rebuilding: (why) => {
        if (generation !== slot.generation) return;
        slot.state = 'rebuilding';
        slot.why = why;
        slot.reason = `${name}: rebuilding (${why})`;
      },
    };
    const attempt = async (n: number): Promise<void> => {
      try {
        const fresh = await restore(ctx);
        if (generation !== slot.generation) return;
        slot.working = fresh;
        if (slot.state === 'loading') slot.state = 'catching-up';
        await this.arrive({ slot, p: fresh, generation, rebuilt });
      } catch (err) {
        if (generation !== slot.generation || this.stopped) return;
        const ms = this.retryDelayMs(n);
        this.log.error({ err, projection: name, retryInMs: ms }, 'projection rebuild failed');
        await this.sleep(ms);
        if (generation === slot.generation && !this.stopped) await attempt(n + 1);
      }
    };
    const first = async (): Promise<void> => {
      if (delayMs > 0) await this.sleep(delayMs);
      if (generation === slot.generation && !this.stopped) await attempt(0);
    };
    void this.track(first());
  }

  /**
   * A restored projection is ready to catch up: once every member of its round is (or at once, alone),
   * they catch up together, reading the journal once.
   */
  private arrive(c: CatchingUp): Promise<void> | undefined {
    const round = c.slot.round;
    this.waiting.set(round, [...(this.waiting.get(round) ?? []), c]);
    return this.release(round);
  }

  /** Starts the round's catch-up when no member still restores; drops rounds nobody waits for. */
  private release(round: number): Promise<void> | undefined {
    const arrived = (this.waiting.get(round) ?? []).filter((c) => c.generation === c.slot.generation);
    const restoring = this.slots.filter(
      (s) => s.round === round && s.state !== 'live' && s.state !== 'failed',
    );
    if (arrived.length > 0 && !restoring.every((s) => arrived.some((c) => c.slot === s))) return undefined;
    this.waiting.delete(round);
    return arrived.length === 0 ? undefined : this.catchUp(arrived);
  }

  /**
   * Replays the journal after the projections' seqs into them (one read, each batch to each in the fixed
   * order), then the batches that arrived meanwhile, and makes them live in that same synchronous step:
   * no batch is missed or applied twice.
   */
  private async catchUp(members: readonly CatchingUp[]): Promise<void> {
    let live = [...members].sort((a, b) => a.slot.rank - b.slot.rank);
    const current = (): CatchingUp[] => (live = live.filter((c) => c.generation === c.slot.generation));
    let at = 0;
    let applying = live[0]!;
    const apply = (c: CatchingUp, batch: readonly Envelope[]): void => {
      applying = c;
      for (const env of batch) {
        at = env.seq;
        if (env.seq > c.p.seq) c.p.apply(env);
      }
    };
    try {
      for (const c of live) {
        applying = c;
        c.slot.working = c.p;
        at = c.p.seq;
        const horizon = this.journal.horizon?.();
        if (horizon !== undefined && c.p.seq < horizon.seq && c.p.seedAtHorizon !== undefined) {
          const base = await loadHorizonCheckpoint(this.journal);
          if (base !== undefined) c.p.seedAtHorizon(base);
        }
      }
      const from = Math.min(...live.map((c) => c.p.seq));
      for await (const batch of this.journal.read({ after: from })) {
        if (current().length === 0) return;
        for (const c of live) apply(c, batch);
        for (const c of live) {
          applying = c;
          const pause = c.slot.entry.catchUpPause?.(c.p);
          if (pause !== undefined) await pause;
        }
      }
      if (current().length === 0) return;
      // What was committed meanwhile: each member holds the batches since its restore began.
      const pending = [...new Set(live.flatMap((c) => c.slot.pending))].sort(
        (a, b) => (a[0]?.seq ?? 0) - (b[0]?.seq ?? 0),
      );
      for (const batch of pending) for (const c of live) apply(c, batch);
    } catch (err) {
      if (applying.generation !== applying.slot.generation) return;
      this.fail(applying.slot, at, err);
      return;
    }
    for (const { slot, p, rebuilt } of live) {
      slot.pending = [];
      slot.failures = 0;
      slot.current = rebuilt && slot.entry.adopt ? slot.entry.adopt(p) : p;
      slot.working = slot.current;
      slot.state = 'live';
      slot.reason = '';
      slot.why = undefined;
      slot.entry.onLive?.(slot.current);
      if (rebuilt) this.log.info({ projection: slot.entry.name, seq: p.seq }, 'projection rebuilt');
      this.wakeWaiters(slot);
    }
  }

  /** Waits `ms` before a retry; ends at once when the runner stops. */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.sleeping.add(resolve);
      this.setTimer(() => {
        this.sleeping.delete(resolve);
        resolve();
      }, ms).unref?.();
    });
  }

  private wakeWaiters(slot: Slot): void {
    for (const w of slot.waiters.splice(0)) w();
  }

  private track(p: Promise<void>): Promise<void> {
    // catchUp and rebuild attempts handle their own errors; this only keeps a bug from going unseen.
    const t = p.catch((err: unknown) => this.log.error({ err }, 'projection runner task failed'));
    this.tasks.add(t);
    void t.finally(() => this.tasks.delete(t));
    return t;
  }
}
