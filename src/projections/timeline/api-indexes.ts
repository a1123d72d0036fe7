// The API's derived indexes (history index + timeline) as projections of the runner: each starts from
// the derived data the journal holds when it is sound and current, otherwise the data is cleared and
// rebuilt from the journal (or the retention horizon's checkpoint) while readiness says so. The runner
// follows the journal for them, applies each commit once in its fixed order, and owns the failure
// policy (a throw is logged once, readiness drops, both are restored from their last good derived data);
// damage a query finds asks it for a rebuild from scratch. This class is the API's facade.
import type { Envelope } from '../../events/index.js';
import type { Journal } from '../../journal/index.js';
import { DerivedDamage, DERIVED_FORMAT, MANIFEST_KEY, decodeManifest } from '../derived/index.js';
import { HistoryIndex } from '../history/index.js';
import { ProjectionRunner } from '../runner.js';
import type { Projection, ProjectionStatus, RestoreContext, RunnerEntry } from '../runner.js';
import { RouteCountSeries } from '../route-counts/index.js';
import { loadHorizonCheckpoint } from '../rib/index.js';
import { Timeline } from './timeline.js';
import type { TimelineOptions } from './timeline.js';

/** Where the logs of the indexes go (a pino child fits). */
export interface IndexLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ApiIndexOptions {
  readonly timeline?: Omit<TimelineOptions, 'onDamage'>;
  readonly log?: IndexLog;
  /**
   * The daemon's projection runner: start() adds the history index and timeline to it. Without one (offline
   * tools, benches, tests), start() runs them in a runner of their own that stop() stops.
   */
  readonly runner?: ProjectionRunner;
  /** Events the history index may hold unwritten while catching up (default 20k; bounds its memory). */
  readonly catchUpWriteEvery?: number;
}

/** Whether the indexes answer for the whole journal, and if not, why. */
export interface IndexReadiness {
  readonly ready: boolean;
  /** Set while not ready: what is happening (loading, rebuilding and why, catching up). */
  readonly reason: string | undefined;
}

/** Events the history index may hold unwritten while catching up (bounds memory during a rebuild). */
const CATCH_UP_WRITE_EVERY = 20_000;

/** Not run by a runner: fed by hand. */
const HAND_FED: ProjectionStatus = { state: 'live', why: undefined };

/** The per-prefix history index and the RIB timeline: what the API needs beside the live Rib. */
export class ApiIndexes {
  readonly history: HistoryIndex;
  readonly timeline: Timeline;
  /**
   * Per-VRF route counts over time (the operator page's charts). In memory and bounded; the daemon's
   * projection runner feeds it from seq 1 (and swaps in a rebuilt one).
   */
  routeCounts = new RouteCountSeries();
  /** All three, in apply order, for callers that feed them by hand (offline tools, tests). */
  readonly projections: readonly Projection[];
  private runner: ProjectionRunner | undefined;
  private ownRunner = false;
  private started: Promise<void> | undefined;
  private stopped = false;
  /** The load of the derived data for the runner's current restore round, and that round. */
  private loading: Promise<void> = Promise.resolve();
  private loadingRound = -1;
  /** The restores of that round (told when the load finds it must rebuild). */
  private roundRestores: RestoreContext[] = [];
  /** Set by damage a query found: the next load clears the derived data instead of trusting it. */
  private damage: string | undefined;
  /** Why the indexes are being rebuilt (what the load found, damage, a failure). */
  private why: string | undefined;

  constructor(
    private readonly journal: Journal,
    private readonly options: ApiIndexOptions = {},
  ) {
    const onDamage = (d: DerivedDamage): void => this.damaged(d);
    this.history = new HistoryIndex(journal, {
      onDamage,
      onWriteError: (err) => options.log?.warn({ err }, 'API index write failed; retrying'),
    });
    this.timeline = new Timeline(journal, this.history, { ...options.timeline, onDamage });
    // The route-count series too: a caller feeding these by hand feeds all three (the daemon runs the
    // series as a runner entry of its own).
    const series = (): RouteCountSeries => this.routeCounts;
    const counts: Projection = {
      get seq() {
        return series().seq;
      },
      apply: (env) => series().apply(env),
    };
    this.projections = [this.history, this.timeline, counts];
  }

  /** The runner entries of the history index and the timeline (restored together, as one group). */
  private entries(): [RunnerEntry, RunnerEntry] {
    const history = this.history;
    const timeline = this.timeline;
    const writeEvery = this.options.catchUpWriteEvery ?? CATCH_UP_WRITE_EVERY;
    // Late-bound: the runner applies to whatever apply() the index has now (tests break it on purpose).
    const historyProjection: Projection = {
      get seq() {
        return history.seq;
      },
      apply: (env: Envelope) => history.apply(env),
    };
    const timelineProjection: Projection = {
      get seq() {
        return timeline.seq;
      },
      apply: (env: Envelope) => timeline.apply(env),
    };
    // Both restored by one load of their derived data per round.
    const restoring =
      (p: Projection) =>
      async (ctx: RestoreContext): Promise<Projection> => {
        await this.load(ctx);
        return p;
      };
    return [
      {
        name: 'history',
        group: 'api-indexes',
        projection: historyProjection,
        restore: restoring(historyProjection),
        catchUpPause: () => (history.unwritten() >= writeEvery ? history.flush() : undefined),
        onLive: () => void this.loggedLive(),
      },
      {
        name: 'timeline',
        group: 'api-indexes',
        projection: timelineProjection,
        restore: restoring(timelineProjection),
        onLive: () => {
          timeline.followingLive();
          void this.loggedLive();
        },
      },
    ];
  }

  /** From the runner's state of both (fed by hand: whether both are at the journal's head). */
  readiness(): IndexReadiness {
    if (this.stopped) return { ready: false, reason: 'API indexes stopped' };
    const head = this.journal.head();
    const progress = `seq ${Math.min(this.history.seq, this.timeline.seq)} of ${head}`;
    const h = this.runner?.status('history') ?? HAND_FED;
    const t = this.runner?.status('timeline') ?? HAND_FED;
    const states = [h.state, t.state];
    const live = h.state === 'live' && t.state === 'live';
    const why = h.why ?? t.why ?? this.why;
    if (states.includes('rebuilding') || states.includes('failed') || (!live && why !== undefined))
      return { ready: false, reason: `API indexes rebuilding (${why ?? 'no derived data'}): ${progress}` };
    if (states.includes('loading')) return { ready: false, reason: 'API indexes loading their derived data' };
    if (!live || this.history.seq !== head || this.timeline.seq !== head)
      return { ready: false, reason: `API indexes catching up (${progress})` };
    return { ready: true, reason: undefined };
  }

  /**
   * Loads the derived data (or clears it to rebuild), replays the journal after it, then follows new
   * commits (in the daemon's runner, or a runner of their own). Resolves once both are live.
   */
  start(): Promise<void> {
    if (this.started === undefined) {
      this.stopped = false;
      this.ownRunner = this.options.runner === undefined;
      const runner =
        this.options.runner ??
        new ProjectionRunner({ journal: this.journal, log: this.options.log ?? QUIET });
      this.runner = runner;
      const [history, timeline] = this.entries();
      this.started = Promise.all([
        runner.add(history, { restore: true }),
        runner.add(timeline, { restore: true }),
      ]).then(() => undefined);
    }
    // Resolves when both are live (a rebuild in progress included).
    return this.started.then(() => this.whenLive());
  }

  /** Stops following and writes what is not yet written. */
  async stop(): Promise<void> {
    this.stopped = true;
    const runner = this.runner;
    if (runner !== undefined) {
      if (this.ownRunner) await runner.stop();
      else {
        runner.remove('history');
        runner.remove('timeline');
      }
    }
    await this.loading.catch(() => undefined);
    await this.history.flush();
  }

  private async whenLive(): Promise<void> {
    const runner = this.runner;
    if (runner === undefined) return;
    await Promise.all([runner.whenLive('history'), runner.whenLive('timeline')]);
  }

  /** Logs once both went live after a load or rebuild. */
  private async loggedLive(): Promise<void> {
    const runner = this.runner;
    if (runner === undefined || !runner.isLive('history') || !runner.isLive('timeline')) return;
    const rebuilt = this.why !== undefined;
    this.why = undefined;
    await this.history.flush();
    this.options.log?.info(
      { seq: this.history.seq, rebuilt },
      rebuilt ? 'API indexes rebuilt' : 'API indexes caught up',
    );
  }

  /**
   * The restore of both (one load per runner round, after the previous one): their derived data when
   * sound and current, otherwise a rebuild.
   */
  private load(ctx: RestoreContext): Promise<void> {
    if (ctx.round !== this.loadingRound) {
      this.loadingRound = ctx.round;
      this.roundRestores = [];
      const previous = this.loading.catch(() => undefined);
      const loading = previous.then(() => this.loadOnce());
      // Failed (a journal read): the runner retries each restore, and the first retry loads again.
      void loading.catch(() => {
        if (this.loading === loading) this.loadingRound = -1;
      });
      this.loading = loading;
    }
    this.roundRestores.push(ctx);
    return this.loading;
  }

  /** Resumes from the derived data, or resets both (and clears it) to rebuild from the journal. */
  private async loadOnce(): Promise<void> {
    const head = this.journal.head();
    let problem = this.damage;
    try {
      if (problem === undefined) problem = await this.resume(head);
      if (problem === undefined) return;
    } catch (err) {
      if (!(err instanceof DerivedDamage)) throw err;
      problem = err.message.includes(`this build writes ${DERIVED_FORMAT}`)
        ? `derived data written by another build (${err.message})`
        : err.message;
    }
    if (problem !== '') {
      this.why = problem;
      for (const ctx of this.roundRestores) ctx.rebuilding(problem);
      this.options.log?.warn({ reason: problem }, 'API indexes rebuilding from the journal');
    }
    await this.history.reset();
    this.timeline.reset();
    await this.journal.derived.clear();
    this.damage = undefined;
    // After a retention trim (issue 9.5) the events before the horizon are gone: start from its RIB.
    const base = await loadHorizonCheckpoint(this.journal);
    if (base === undefined) return;
    await this.history.restore(base.seq);
    this.timeline.seed(base);
  }

  /**
   * Restores both from the derived data on disk; returns why it cannot ('' = nothing there to rebuild
   * from, on an empty journal), undefined when it did. Throws DerivedDamage when it fails its checks.
   */
  private async resume(head: number): Promise<string | undefined> {
    const raw = await this.journal.derived.get(MANIFEST_KEY);
    if (raw === undefined) {
      const any = await this.journal.derived.range({
        gte: Buffer.alloc(0),
        lt: Buffer.from([0xff]),
        limit: 1,
      });
      return head === 0 && any.length === 0 ? '' : 'no derived data';
    }
    const m = decodeManifest(raw);
    const at = m.seq > 0 ? await this.journal.get(m.seq) : undefined;
    if (m.seq > head || (m.seq > 0 && at?.time !== m.time))
      return `derived data covers seq ${m.seq}, which is not this journal's`;
    await this.history.restore(m.seq);
    const cp = await this.timeline.restore(m.seq);
    const horizon = this.journal.horizon?.() ?? { seq: 0 };
    if (cp.seq < horizon.seq) {
      // Retention removed the events after that checkpoint: the timeline starts at the horizon.
      const base = await loadHorizonCheckpoint(this.journal);
      if (base === undefined) throw new DerivedDamage(`no RIB at the retention horizon ${horizon.seq}`);
      this.timeline.seed(base);
      if (m.seq < base.seq) await this.history.restore(base.seq);
      this.options.log?.info({ seq: m.seq, checkpoint: base.seq }, 'API indexes loaded from disk');
      return undefined;
    }
    const interval = this.timeline.checkpointStats().interval;
    if (cp.seq > 0) {
      const env = await this.journal.get(cp.seq);
      if (env?.time !== cp.time) throw new DerivedDamage(`checkpoint ${cp.seq} is not this journal's`);
    } else if (m.seq >= interval) throw new DerivedDamage(`no checkpoint before seq ${m.seq}`);
    this.options.log?.info({ seq: m.seq, checkpoint: cp.seq }, 'API indexes loaded from disk');
    return undefined;
  }

  /** Damaged derived data found by a query (which answered from the journal): rebuild it from scratch. */
  private damaged(d: DerivedDamage): void {
    const runner = this.runner;
    if (runner === undefined || this.stopped) return;
    if (!runner.isLive('history') || !runner.isLive('timeline')) return;
    this.damage = d.message;
    this.why = d.message;
    runner.rebuild('history', d.message); // the timeline is rebuilt with it (one group)
    this.options.log?.warn({ reason: d.message }, 'API index damage found; rebuilding from the journal');
  }
}

/** Logs nothing (a runner of their own, without a log). */
const QUIET: IndexLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Creates the indexes (not started: call start(), or feed `projections` by hand). */
export function createApiIndexes(journal: Journal, options: ApiIndexOptions = {}): ApiIndexes {
  return new ApiIndexes(journal, options);
}
