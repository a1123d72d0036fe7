// The projection runner: the one follower of the journal's commits. It applies every committed batch
// to named projections in a fixed order (the RIB first, then what reads it), catches a projection up
// from the journal when it joins behind the head, and has one failure policy: a projection that throws
// is logged once (name and seq), stops receiving events, readiness drops with the reason, and it is
// rebuilt in the background from its last good checkpoint (or from seq 0) while the others carry on.
import type { Logger } from 'pino';
import type { Envelope } from '../events/index.js';
import type { Journal } from '../journal/index.js';
import { loadHorizonCheckpoint } from './rib/checkpoint.js';
import type { Rib } from './rib/rib.js';

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

/** How the runner runs one projection. */
export interface RunnerEntry<P extends Projection = Projection> {
  readonly name: ProjectionName;
  readonly projection: P;
  /** Called before each live batch reaches the projection (the live RIB drops its last batch's record). */
  readonly beforeBatch?: () => void;
  /** Called after each live batch the projection applied (the BGP speaker wakes its sessions). */
  readonly afterBatch?: (batch: readonly Envelope[]) => void;
  /**
   * A fresh projection at its last good checkpoint (seq 0 when there is none), to rebuild it after a
   * failure. Absent: the projection cannot be rebuilt and stays failed (readiness stays down).
   */
  readonly restore?: () => Promise<P> | P;
  /**
   * Takes over a rebuilt projection that has caught up with the live tail, in the same synchronous
   * step as its next live batch; returns the projection to keep applying to (default: `fresh`).
   */
  readonly adopt?: (fresh: P) => P;
}

/** What `/readyz` reports: ok, or why not. */
export interface RunnerHealth {
  readonly ok: boolean;
  readonly reasons: readonly string[];
}

export interface RunnerOptions {
  readonly journal: Journal;
  /** The runner logs under topic `projections`. */
  readonly log: Logger;
  /** Delay before the n-th retry of a rebuild that failed (default: 1 s doubling up to 60 s). */
  readonly retryDelayMs?: (attempt: number) => number;
  /** setTimeout-like (tests). */
  readonly setTimer?: (fn: () => void, ms: number) => { unref?(): unknown };
}

type State = 'live' | 'catching-up' | 'failed';

interface Slot {
  readonly entry: RunnerEntry;
  readonly rank: number;
  current: Projection;
  state: State;
  reason: string;
  /** Live batches that arrived while catching up or rebuilding. */
  pending: (readonly Envelope[])[];
  /** whenLive callers. */
  waiters: (() => void)[];
  /** Bumped when the slot fails again or the runner stops: a running catch-up for an older one quits. */
  generation: number;
}

function defaultRetryDelay(attempt: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.min(attempt, 6));
}

/** Runs projections over a journal's commits. */
export class ProjectionRunner {
  private readonly journal: Journal;
  private readonly log: Logger;
  private readonly retryDelayMs: (attempt: number) => number;
  private readonly setTimer: (fn: () => void, ms: number) => { unref?(): unknown };
  private slots: Slot[] = [];
  private readonly unfollow: () => void;
  private readonly tasks = new Set<Promise<void>>();
  private stopped = false;

  constructor(o: RunnerOptions) {
    this.journal = o.journal;
    this.log = o.log.child({ topic: 'projections' });
    this.retryDelayMs = o.retryDelayMs ?? defaultRetryDelay;
    this.setTimer = o.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.unfollow = this.journal.onCommit((batch) => this.deliver(batch));
  }

  /**
   * Adds a projection. When it is behind the journal's head it catches up from the journal first
   * (commits during that replay are applied once, in order); resolves once it is live. Rejects only
   * when the runner stops first; a projection that throws while catching up is rebuilt as usual.
   */
  add<P extends Projection>(entry: RunnerEntry<P>): Promise<void> {
    if (this.slots.some((s) => s.entry.name === entry.name))
      throw new TypeError(`projection ${entry.name} is already running`);
    const slot: Slot = {
      entry: entry as unknown as RunnerEntry,
      rank: PROJECTION_ORDER.indexOf(entry.name),
      current: entry.projection,
      state: 'live',
      reason: '',
      pending: [],
      generation: 0,
      waiters: [],
    };
    this.slots = [...this.slots, slot].sort((a, b) => a.rank - b.rank);
    if (slot.current.seq >= this.journal.head()) return Promise.resolve();
    slot.state = 'catching-up';
    slot.reason = `${entry.name}: catching up with the journal`;
    return this.track(this.catchUp(slot, slot.current, slot.generation, false));
  }

  /** Stops running a projection (a BGP speaker that stops). */
  remove(name: ProjectionName): void {
    const slot = this.slots.find((s) => s.entry.name === name);
    if (slot === undefined) return;
    slot.generation++;
    this.slots = this.slots.filter((s) => s !== slot);
    this.wakeWaiters(slot);
  }

  /** Whether the projection is running and live (not catching up, failed or rebuilding). */
  isLive(name: ProjectionName): boolean {
    return this.slots.find((s) => s.entry.name === name)?.state === 'live';
  }

  /** Resolves when the projection is live (caught up, or rebuilt after a failure); now if it is. */
  whenLive(name: ProjectionName): Promise<void> {
    const slot = this.slots.find((s) => s.entry.name === name);
    if (slot === undefined || slot.state === 'live') return Promise.resolve();
    return new Promise((resolve) => slot.waiters.push(resolve));
  }

  /** The projection currently run under `name` (a rebuilt one replaces the failed one). */
  get(name: ProjectionName): Projection | undefined {
    return this.slots.find((s) => s.entry.name === name)?.current;
  }

  /** Whether every projection is live; the reasons when not. */
  health(): RunnerHealth {
    const reasons = this.slots.filter((s) => s.state !== 'live').map((s) => s.reason);
    return { ok: reasons.length === 0, reasons };
  }

  /** Rebuilds a projection from its last good checkpoint, as after a failure (e.g. its input was rebuilt). */
  rebuild(name: ProjectionName, why: string): void {
    const slot = this.slots.find((s) => s.entry.name === name);
    if (slot === undefined || this.stopped) return;
    this.log.warn({ projection: name, why }, 'projection rebuilt on request');
    this.startRebuild(slot, `${name}: rebuilding (${why})`);
  }

  /** Stops following the journal; background catch-ups and rebuilds quit. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unfollow();
    for (const s of this.slots) {
      s.generation++;
      this.wakeWaiters(s);
    }
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
      slot.reason = `${name}: failed at seq ${seq} and cannot be rebuilt (restart the daemon)`;
      return;
    }
    this.startRebuild(slot, `${name}: failed at seq ${seq}, rebuilding`);
  }

  private startRebuild(slot: Slot, reason: string): void {
    const restore = slot.entry.restore;
    if (restore === undefined) return;
    slot.state = 'failed';
    slot.reason = reason;
    slot.pending = [];
    const generation = ++slot.generation;
    const attempt = async (n: number): Promise<void> => {
      try {
        const fresh = await restore();
        if (generation !== slot.generation) return;
        await this.catchUp(slot, fresh, generation, true);
      } catch (err) {
        if (generation !== slot.generation || this.stopped) return;
        const ms = this.retryDelayMs(n);
        this.log.error({ err, projection: slot.entry.name, retryInMs: ms }, 'projection rebuild failed');
        await new Promise<void>((resolve) => this.setTimer(resolve, ms).unref?.());
        if (generation === slot.generation && !this.stopped) await attempt(n + 1);
      }
    };
    void this.track(attempt(0));
  }

  /**
   * Replays the journal after `p.seq` into `p`, then the batches that arrived meanwhile, and makes it
   * the slot's live projection in that same synchronous step: no batch is missed or applied twice.
   */
  private async catchUp(slot: Slot, p: Projection, generation: number, rebuilt: boolean): Promise<void> {
    let at = p.seq;
    try {
      const horizon = this.journal.horizon?.();
      if (horizon !== undefined && p.seq < horizon.seq && p.seedAtHorizon !== undefined) {
        const base = await loadHorizonCheckpoint(this.journal);
        if (base !== undefined) p.seedAtHorizon(base);
        at = p.seq;
      }
      for await (const batch of this.journal.read({ after: p.seq })) {
        if (generation !== slot.generation) return;
        for (const env of batch) {
          at = env.seq;
          if (env.seq > p.seq) p.apply(env);
        }
      }
      if (generation !== slot.generation) return;
      for (const batch of slot.pending) {
        for (const env of batch) {
          at = env.seq;
          if (env.seq > p.seq) p.apply(env);
        }
      }
    } catch (err) {
      if (generation !== slot.generation) return;
      this.fail(slot, at, err);
      return;
    }
    slot.pending = [];
    slot.current = rebuilt && slot.entry.adopt ? slot.entry.adopt(p) : p;
    slot.state = 'live';
    slot.reason = '';
    if (rebuilt) this.log.info({ projection: slot.entry.name, seq: p.seq }, 'projection rebuilt');
    this.wakeWaiters(slot);
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
