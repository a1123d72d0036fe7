// The API's derived indexes (history index + timeline) and their life on disk: start from the derived
// data the journal holds when it is sound and current, otherwise clear it and rebuild from the journal
// in the background; follow the journal's live tail afterwards. Readiness names what is going on.
import type { Envelope } from '../../events/index.js';
import type { Journal } from '../../journal/index.js';
import { DerivedDamage, DERIVED_FORMAT, MANIFEST_KEY, decodeManifest } from '../derived/index.js';
import { HistoryIndex } from '../history/index.js';
import type { Projection } from '../runner.js';
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
}

/** Whether the indexes answer for the whole journal, and if not, why. */
export interface IndexReadiness {
  readonly ready: boolean;
  /** Set while not ready: what is happening (loading, rebuilding and why, catching up). */
  readonly reason: string | undefined;
}

type Phase = 'idle' | 'loading' | 'rebuilding' | 'failed' | 'catching-up' | 'live' | 'stopped';

/** Events applied between two awaited writes while catching up (bounds memory during a rebuild). */
const CATCH_UP_WRITE_EVERY = 20_000;

/** The per-prefix history index and the RIB timeline: what the API needs beside the live Rib. */
export class ApiIndexes {
  readonly history: HistoryIndex;
  readonly timeline: Timeline;
  /**
   * Per-VRF route counts over time (the operator page's charts). In memory and bounded; the daemon's
   * projection runner feeds it from seq 1 (and swaps in a rebuilt one), not this class's own loop.
   */
  routeCounts = new RouteCountSeries();
  /** Both, in apply order, for callers that feed them by hand (offline tools, tests). */
  readonly projections: readonly Projection[];
  private phase: Phase = 'idle';
  private why: string | undefined;
  private unfollow: (() => void) | undefined;
  private running: Promise<void> | undefined;
  /** Bumped by every follow(): an older follow's loop and listener stop applying. */
  private generation = 0;

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
    // series in its projection runner instead, and start() follows only the history and timeline).
    const series = (): RouteCountSeries => this.routeCounts;
    const counts: Projection = {
      get seq() {
        return series().seq;
      },
      apply: (env) => series().apply(env),
    };
    this.projections = [this.history, this.timeline, counts];
  }

  readiness(): IndexReadiness {
    const head = this.journal.head();
    const progress = `seq ${Math.min(this.history.seq, this.timeline.seq)} of ${head}`;
    switch (this.phase) {
      case 'idle':
      case 'live': {
        const behind = this.history.seq !== head || this.timeline.seq !== head;
        return behind
          ? { ready: false, reason: `API indexes catching up (${progress})` }
          : { ready: true, reason: undefined };
      }
      case 'loading':
        return { ready: false, reason: 'API indexes loading their derived data' };
      case 'failed':
      case 'rebuilding':
        return {
          ready: false,
          reason: `API indexes rebuilding (${this.why ?? 'no derived data'}): ${progress}`,
        };
      case 'catching-up':
        return { ready: false, reason: `API indexes catching up (${progress})` };
      case 'stopped':
        return { ready: false, reason: 'API indexes stopped' };
    }
  }

  /**
   * Loads the derived data (or clears it to rebuild), replays the journal after it, then follows new
   * commits. Resolves once caught up.
   */
  start(): Promise<void> {
    this.running ??= this.run();
    return this.running;
  }

  /** Stops following and writes what is not yet written. */
  async stop(): Promise<void> {
    this.phase = 'stopped';
    await this.running?.catch(() => undefined);
    this.unfollow?.();
    this.unfollow = undefined;
    await this.history.flush();
  }

  private async run(): Promise<void> {
    this.phase = 'loading';
    const from = await this.load();
    await this.follow(from);
  }

  /** Resumes from the derived data; returns the seq to replay after (0 = rebuild from scratch). */
  private async load(): Promise<number> {
    const head = this.journal.head();
    let problem: string | undefined;
    try {
      const raw = await this.journal.derived.get(MANIFEST_KEY);
      if (raw === undefined) {
        const any = await this.journal.derived.range({
          gte: Buffer.alloc(0),
          lt: Buffer.from([0xff]),
          limit: 1,
        });
        problem = head === 0 && any.length === 0 ? undefined : 'no derived data';
      } else {
        const m = decodeManifest(raw);
        const at = m.seq > 0 ? await this.journal.get(m.seq) : undefined;
        if (m.seq > head || (m.seq > 0 && at?.time !== m.time)) {
          problem = `derived data covers seq ${m.seq}, which is not this journal's`;
        } else {
          await this.history.restore(m.seq);
          const cp = await this.timeline.restore(m.seq);
          const horizon = this.journal.horizon?.() ?? { seq: 0 };
          if (cp.seq < horizon.seq) {
            // Retention removed the events after that checkpoint: the timeline starts at the horizon.
            const base = await loadHorizonCheckpoint(this.journal);
            if (base === undefined) throw new DerivedDamage(`no RIB at the retention horizon ${horizon.seq}`);
            this.timeline.seed(base);
            this.options.log?.info({ seq: m.seq, checkpoint: base.seq }, 'API indexes loaded from disk');
            return base.seq;
          }
          const interval = this.timeline.checkpointStats().interval;
          if (cp.seq > 0) {
            const env = await this.journal.get(cp.seq);
            if (env?.time !== cp.time) throw new DerivedDamage(`checkpoint ${cp.seq} is not this journal's`);
          } else if (m.seq >= interval) throw new DerivedDamage(`no checkpoint before seq ${m.seq}`);
          this.options.log?.info({ seq: m.seq, checkpoint: cp.seq }, 'API indexes loaded from disk');
          return cp.seq;
        }
      }
    } catch (err) {
      if (!(err instanceof DerivedDamage)) throw err;
      problem = err.message.includes(`this build writes ${DERIVED_FORMAT}`)
        ? `derived data written by another build (${err.message})`
        : err.message;
    }
    if (problem !== undefined) {
      this.phase = 'rebuilding';
      this.why = problem;
      this.options.log?.warn({ reason: problem }, 'API indexes rebuilding from the journal');
    }
    await this.history.reset();
    this.timeline.reset();
    await this.journal.derived.clear();
    // After a retention trim (issue 9.5) the events before the horizon are gone: start from its RIB.
    const base = await loadHorizonCheckpoint(this.journal);
    if (base === undefined) return 0;
    this.timeline.seed(base);
    return base.seq;
  }

  /** Replays after `from` with bounded memory, then follows commits; no event is applied twice. */
  private async follow(from: number): Promise<void> {
    if (this.phase !== 'rebuilding') this.phase = 'catching-up';
    const started = Date.now();
    let live = false;
    const pending: Envelope[] = [];
    // The runner's failure policy, for these two: a throw is logged once with the projection's name
    // and seq, readiness drops with the reason, and both are rebuilt from the journal.
    const generation = ++this.generation;
    const apply = (env: Envelope): void => {
      // A rebuild started meanwhile (a failure or damage) owns the indexes now.
      if (generation !== this.generation) return;
      try {
        if (env.seq > this.history.seq) this.history.apply(env);
      } catch (err) {
        this.failed('history', env.seq, err);
        return;
      }
      try {
        if (env.seq > this.timeline.seq) this.timeline.apply(env);
      } catch (err) {
        this.failed('timeline', env.seq, err);
      }
    };
    this.unfollow = this.journal.onCommit((batch) => {
      if (live) for (const env of batch) apply(env);
      else for (const env of batch) pending.push(env);
    });
    let since = 0;
    for await (const batch of this.journal.read({ after: from })) {
      for (const env of batch) apply(env);
      since += batch.length;
      if (since >= CATCH_UP_WRITE_EVERY) {
        since = 0;
        await this.history.flush();
      }
      if (this.isStopped() || generation !== this.generation) return;
    }
    for (const env of pending) apply(env);
    pending.length = 0;
    live = true;
    this.timeline.followingLive();
    await this.history.flush();
    if (this.isStopped() || generation !== this.generation) return;
    const rebuilt = this.phase === 'rebuilding';
    this.phase = 'live';
    this.why = undefined;
    this.options.log?.info(
      { seq: this.history.seq, ms: Date.now() - started, rebuilt },
      rebuilt ? 'API indexes rebuilt' : 'API indexes caught up',
    );
  }

  private isStopped(): boolean {
    return this.phase === 'stopped';
  }

  /** A projection threw: logged once, readiness drops with the reason, both are rebuilt. */
  private failed(projection: 'history' | 'timeline', seq: number, err: unknown): void {
    if (this.phase === 'stopped') return;
    this.phase = 'failed';
    this.why = `${projection}: failed at seq ${seq}, rebuilding`;
    this.options.log?.error({ err, projection, seq }, 'projection failed; rebuilding from the journal');
    this.rebuild(`${projection}: failed at seq ${seq}, rebuilding`, projection);
  }

  /** Damaged derived data found by a query (which answered from the journal): rebuild it. */
  private damaged(d: DerivedDamage): void {
    if (this.phase !== 'live') return;
    this.phase = 'rebuilding';
    this.why = d.message;
    this.options.log?.warn({ reason: d.message }, 'API index damage found; rebuilding from the journal');
    this.rebuild(d.message);
  }

  private rebuild(why: string, failedProjection?: string): void {
    this.phase = 'rebuilding';
    this.why = why;
    this.unfollow?.();
    this.unfollow = undefined;
    this.running = (async () => {
      await this.history.reset();
      this.timeline.reset();
      await this.journal.derived.clear();
      await this.follow(0);
      if (failedProjection !== undefined && this.phase === 'live')
        this.options.log?.info({ projection: failedProjection }, 'projection rebuilt');
    })();
    this.running.catch((err: unknown) => this.options.log?.error({ err }, 'API index rebuild failed'));
  }
}

/** Creates the indexes (not started: call start(), or feed `projections` by hand). */
export function createApiIndexes(journal: Journal, options: ApiIndexOptions = {}): ApiIndexes {
  return new ApiIndexes(journal, options);
}
