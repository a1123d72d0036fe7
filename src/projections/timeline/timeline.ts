// The RIB as it was at any past seq: RIB checkpoints every N events, kept on disk in the journal's
// derived space (derived/derived-keys.ts), plus a replay of the events after the nearest one. A question
// about a few VRFs restores only those VRFs and replays only their events (from the history index); a
// full-RIB question replays the journal range after the checkpoint. Memory holds the live RIB and two
// bounded caches (checkpoint heads, VRF texts); nothing grows with the journal. A checkpoint that fails
// its checks is reported (onDamage) and the answer replays the journal from an earlier point instead.
// Given the daemon's live RIB (`live`), the timeline keeps no RIB of its own once it has caught up with
// it: checkpoints are then encoded from the live RIB at the end of a batch (when both are at the same
// seq). It keeps its own only while replaying a range long enough to owe a checkpoint (a rebuild).
import type { ConfigApplied, Envelope } from '../../events/index.js';
import { isRouteEvent } from '../../events/index.js';
import type { Journal } from '../../journal/index.js';
import type { DerivedEntry } from '../../journal/index.js';
import {
  DerivedDamage,
  checkpointKey,
  checkpointRange,
  sealed,
  seqOfKey,
  unseal,
  vrfPathsKey,
} from '../derived/index.js';
import type { HistoryIndex } from '../history/index.js';
import { WeightedLru } from '../derived/index.js';
import { Rib } from '../rib/index.js';
import type { PathSet } from '../rib/index.js';
import type { Path, SharedVrf } from '../rib/index.js';
import { copyVrfPaths, loadHorizonCheckpoint, sharedVrfPaths } from '../rib/index.js';
import { encodeVrfColumns, readVrfColumns } from './paths-columns.js';
import { RibjournalError } from '../../shared/index.js';

export interface TimelineOptions {
  /**
   * Events between two checkpoints (default 10 000: a full-RIB time travel replays fewer than that
   * after restoring the checkpoint).
   */
  readonly interval?: number;
  /** Bound on the cached decoded checkpoint VRFs, in characters of their text, each weighed 1.5 times for its filed table (default 16 Mi). */
  readonly cacheBytes?: number;
  /** Called once per damaged checkpoint found (the owner rebuilds the derived data). */
  readonly onDamage?: (damage: DerivedDamage) => void;
  /**
   * The daemon's live RIB, applied before the timeline sees each batch (the projection runner's order).
   * Shared instead of a second copy once the timeline has caught up with it.
   */
  readonly live?: Rib;
}

/** A checkpoint's head: its seq and time, and which checkpoint holds the text of each VRF with paths. */
export interface CheckpointHead {
  readonly seq: number;
  readonly time: number;
  readonly vrfs: ReadonlyMap<string, number>;
}

/** How many decoded checkpoint VRF tables the timeline remembers to cache one asked for again. */
const MISSES = 4096;

/** Characters per path of a checkpoint's text (the cache's unit, see vrfPaths). */
const PATH_CHARS = 54;

const ORIGIN: CheckpointHead = { seq: 0, time: 0, vrfs: new Map() };

export function encodeCheckpointHead(cp: CheckpointHead): Buffer {
  return sealed(Buffer.from(JSON.stringify({ seq: cp.seq, time: cp.time, vrfs: [...cp.vrfs] }), 'utf8'));
}

export function decodeCheckpointHead(key: Buffer, value: Buffer): CheckpointHead {
  const payload = unseal(`checkpoint ${seqOfKey(key)}`, value);
  let body: { seq?: unknown; time?: unknown; vrfs?: unknown };
  try {
    body = JSON.parse(payload.toString('utf8')) as typeof body;
  } catch {
    throw new DerivedDamage(`checkpoint ${seqOfKey(key)} is not JSON`);
  }
  if (body.seq !== seqOfKey(key) || typeof body.time !== 'number' || !Array.isArray(body.vrfs))
    throw new DerivedDamage(`checkpoint ${seqOfKey(key)} does not describe itself`);
  return { seq: body.seq, time: body.time, vrfs: new Map(body.vrfs as [string, number][]) };
}

/** Called after each route event with the paths of its prefix before and after it (best first). */
export type TimelineListener = (env: Envelope, before: PathSet, after: PathSet, rib: Rib) => void;

const EMPTY: PathSet = [];

/** A Projection (seq + apply) that answers "what did the RIB hold at seq X?". */
export class Timeline {
  /** Seq of the last event applied. */
  seq = 0;
  /** Its own RIB at `seq`, while it cannot share the live one (catching up, or listeners to feed). */
  private own: Rib | undefined = new Rib();
  private last: CheckpointHead = ORIGIN;
  private readonly dirty = new Set<string>();
  private readonly interval: number;
  private listeners: readonly TimelineListener[] = [];
  /** Listeners hear only events after this seq (a rebuild replays what they have seen). */
  private quietThrough = 0;
  /** Decoded checkpoint VRFs (paths are immutable: every answer restored from one shares them). */
  private readonly texts: WeightedLru<string, { readonly table: SharedVrf; readonly chars: number }>;
  private readonly heads = new WeightedLru<number, CheckpointHead>(256, () => 1);
  /** The last MISSES checkpoint VRF tables decoded: decoded again, one is cached (see vrfTables). */
  private readonly missed = new WeightedLru<string, true>(MISSES, () => 1);
  /** Checkpoint VRF tables decoded (for the bench and tests). */
  private decoded = 0;
  private written = 0;
  private horizonConfig: Envelope<ConfigApplied> | undefined;
  private readonly live: Rib | undefined;
  /** Following the live tail behind the live RIB (see followingLive). */
  private following = false;

  constructor(
    private readonly journal: Journal,
    private readonly history: HistoryIndex,
    private readonly options: TimelineOptions = {},
  ) {
    this.interval = Math.max(1, options.interval ?? 10_000);
    this.texts = new WeightedLru(options.cacheBytes ?? 16 * 1024 * 1024, (t) => t.chars);
    this.live = options.live;
  }

  apply(env: Envelope): void {
    const e = env.event;
    // Every event moves the timeline's seq (and its RIB's); route events also dirty their VRF and reach
    // the listeners. Exhaustive: a new event type must say here what it does to the timeline.
    switch (e.type) {
      case 'RouteDiscovered':
      case 'RouteVanished':
      case 'ConfigApplied':
      case 'DaemonStarted':
      case 'DaemonStopped':
        break;
      default: {
        const never: never = e;
        throw new TypeError(`unhandled event ${JSON.stringify(never)}`);
      }
    }
    const route = isRouteEvent(e);
    const own = this.own;
    const hear = route && own !== undefined && this.listeners.length > 0 && env.seq > this.quietThrough;
    const before = hear ? own.lookup(e.vrf, e.prefix).slice() : EMPTY;
    own?.apply(env);
    this.seq = env.seq;
    if (route) this.dirty.add(e.vrf);
    if (env.seq - this.last.seq >= this.interval) {
      // Shared: at the end of the live RIB's batch (a checkpoint is at most one batch late).
      const rib = this.ribNow();
      if (rib !== undefined) this.checkpoint(env, rib);
    }
    if (hear) {
      const after = own.lookup(e.vrf, e.prefix);
      for (const l of this.listeners) l(env, before, after, own);
    }
    // Caught up with the live RIB: share it and drop the copy.
    if (own !== undefined && this.following) this.share();
  }

  /**
   * Told by its owner once it follows the journal's live tail (after the live RIB, in commit order):
   * from then on it shares the live RIB as soon as both are at the same seq.
   */
  followingLive(): void {
    this.following = true;
    this.share();
  }

  private share(): void {
    if (this.live?.seq === this.seq && this.listeners.length === 0) this.own = undefined;
  }

  /** The RIB at exactly `seq`: its own, or the live one when that is at the same seq. */
  private ribNow(): Rib | undefined {
    if (this.own !== undefined) return this.own;
    return this.live !== undefined && this.live.seq === this.seq ? this.live : undefined;
  }

  /** Whether it holds a RIB of its own (not sharing the live one), for tests. */
  holdsOwnRib(): boolean {
    return this.own !== undefined;
  }

  /** An own copy of the live RIB at `seq` (a listener came while sharing). */
  private ownCopy(): Rib {
    const live = this.ribNow();
    if (live === undefined)
      throw new TypeError('timeline: a listener joined while the live RIB is elsewhere');
    const copy = new Rib();
    if (live.config !== undefined)
      copy.apply({ seq: live.seq, time: live.time, version: 1, event: live.config });
    for (const vrf of live.vrfNames()) copyVrfPaths(live, copy, vrf);
    copy.seq = live.seq;
    copy.time = live.time;
    this.own = copy;
    return copy;
  }

  /** Follows every route event applied from now on; returns the unsubscribe function. */
  onApply(listener: TimelineListener): () => void {
    if (this.own === undefined) this.ownCopy();
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Checkpoints written by this process, the interval and the cache, for metrics and tests. */
  checkpointStats(): {
    written: number;
    interval: number;
    lastSeq: number;
    cachedBytes: number;
    decoded: number;
  } {
    return {
      written: this.written,
      interval: this.interval,
      lastSeq: this.last.seq,
      cachedBytes: this.texts.stats().weight,
      decoded: this.decoded,
    };
  }

  /** Forgets everything (before a rebuild); listeners stay but hear nothing they have heard. */
  reset(): void {
    this.quietThrough = Math.max(this.quietThrough, this.seq);
    this.seq = 0;
    this.following = false;
    this.own = new Rib();
    this.last = ORIGIN;
    this.dirty.clear();
    this.texts.clear();
    this.heads.clear();
    this.missed.clear();
  }

  /**
   * Resumes from the newest checkpoint at or before `seq` on disk (none: from the origin). Returns the
   * seq to replay after. Throws DerivedDamage when that checkpoint fails its checks.
   */
  async restore(seq: number): Promise<CheckpointHead> {
    this.reset();
    this.quietThrough = 0;
    const cp = await this.checkpointAtOrBefore(seq, true);
    // Sharing the live RIB, and no checkpoint owed before catching up with it: no copy to restore.
    const live = this.live;
    if (live !== undefined && this.listeners.length === 0 && cp.seq <= live.seq) {
      if (live.seq - cp.seq < this.interval) {
        // Its VRF texts are checked when a time travel reads them (damage: that answer replays the
        // journal, and the owner rebuilds), not read here.
        this.own = undefined;
        this.seq = cp.seq;
        this.last = cp;
        return cp;
      }
    }
    const rib = new Rib();
    const config = await this.history.configAt(cp.seq);
    if (config) rib.apply(config);
    // The live projection changes its own copy in place: a table it owns is adopted, a cached one copied.
    for (const { table, owned } of await this.vrfTables([...cp.vrfs]))
      if (owned) rib.adopt(table, true);
      else rib.restorePaths(sharedVrfPaths(table));
    rib.seq = cp.seq;
    rib.time = cp.time;
    this.own = rib;
    this.seq = cp.seq;
    this.last = cp;
    return cp;
  }

  /** The ConfigApplied in force at `seq`, if any. */
  async configAt(seq: number): Promise<Envelope<ConfigApplied> | undefined> {
    const found = await this.history.configAt(seq);
    // Rebuilt after a retention trim, the history starts after the horizon: the config at the horizon.
    const h = this.horizonConfig;
    return found ?? (h !== undefined && seq >= h.seq ? h : undefined);
  }

  /**
   * Starts from the RIB at a retention horizon (issue 9.5) instead of the origin, when the events before it
   * are gone: after reset(), before replaying the events after `rib.seq`. Every VRF goes into the next
   * checkpoint.
   */
  seed(rib: Rib): void {
    this.reset();
    const config = rib.config;
    this.horizonConfig =
      config !== undefined ? { seq: rib.seq, time: rib.time, version: 1, event: config } : undefined;
    const copy = new Rib();
    if (config !== undefined) copy.apply(this.horizonConfig!);
    for (const vrf of rib.vrfNames()) {
      copyVrfPaths(rib, copy, vrf);
      this.dirty.add(vrf);
    }
    copy.seq = rib.seq;
    copy.time = rib.time;
    this.own = copy;
    this.seq = rib.seq;
    this.quietThrough = Math.max(this.quietThrough, rib.seq);
  }

  /**
   * A fresh Rib holding the state after every event with seq <= `seq` (clamped to the journal's head).
   * With `vrfs`, only those VRFs ("" = global) are restored, which is much cheaper; the config in force
   * is always there. The caller owns the result and may apply further events to it.
   */
  async ribAt(seq: number, vrfs?: readonly string[]): Promise<Rib> {
    const target = Math.max(0, Math.min(Math.floor(seq), Math.max(this.seq, this.journal.head())));
    const out = new Rib();
    const now = this.ribNow();
    if (target === this.seq && now !== undefined) {
      // The current state: copy it (the caller may mutate the result).
      const config = await this.configAt(target);
      if (config) out.apply(config);
      for (const vrf of vrfs ?? now.vrfNames()) out.restorePaths(pathsOf(now, vrf));
      out.seq = now.seq;
      out.time = now.time;
      return out;
    }
    let cp = await this.checkpointAtOrBefore(Math.min(target, this.seq), false);
    let texts: { table: SharedVrf; owned: boolean }[] = [];
    try {
      const wanted: [string, number][] = [];
      for (const vrf of vrfs ?? [...cp.vrfs.keys()]) {
        const holder = cp.vrfs.get(vrf);
        if (holder !== undefined) wanted.push([vrf, holder]);
      }
      texts = await this.vrfTables(wanted);
    } catch (err) {
      if (!(err instanceof DerivedDamage)) throw err;
      this.options.onDamage?.(err);
      cp = ORIGIN;
      texts.length = 0;
    }
    const horizon = this.journal.horizon?.();
    if (horizon !== undefined && cp.seq < horizon.seq && target > horizon.seq) {
      // Retention removed the events after that checkpoint: start from the RIB at the horizon instead.
      const base = await loadHorizonCheckpoint(this.journal);
      if (base === undefined)
        throw new RibjournalError(
          'JOURNAL_CORRUPT',
          `no RIB checkpoint at the retention horizon (seq ${horizon.seq})`,
        );
      const config = base.config;
      if (config) out.apply({ seq: base.seq, time: base.time, version: 1, event: config });
      for (const vrf of vrfs ?? base.vrfNames()) copyVrfPaths(base, out, vrf);
      const wanted = vrfs === undefined ? undefined : new Set(vrfs);
      for await (const batch of this.journal.read({ after: horizon.seq, through: target }))
        for (const env of batch)
          if (wanted === undefined || !isRouteEvent(env.event) || wanted.has(env.event.vrf)) out.apply(env);
      out.seq = target;
      out.time = (await this.journal.get(target))?.time ?? 0;
      return out;
    }
    const config = await this.configAt(cp.seq);
    if (config) out.apply(config);
    // Adopted, not copied: the answer copies a VRF's table only when the replay below changes it.
    for (const { table, owned } of texts) out.adopt(table, owned);
    if (target > cp.seq) {
      // Beyond what the indexes cover (a rebuild in progress), or the whole RIB: read the journal.
      if (vrfs === undefined || target > this.history.seq) {
        const wanted = vrfs === undefined ? undefined : new Set(vrfs);
        for await (const batch of this.journal.read({ after: cp.seq, through: target })) {
          for (const env of batch) {
            const e = env.event;
            if (wanted === undefined || !isRouteEvent(e) || wanted.has(e.vrf)) out.apply(env);
          }
        }
      } else {
        const w = { after: cp.seq, through: target };
        const lists = [await this.history.configEvents(w)] as Envelope[][];
        for (const vrf of new Set(vrfs)) lists.push(await this.history.vrfEvents(vrf, w));
        for (const env of lists.flat().sort((a, b) => a.seq - b.seq)) out.apply(env);
      }
    }
    out.seq = target;
    out.time = target === 0 ? 0 : target === cp.seq ? cp.time : ((await this.journal.get(target))?.time ?? 0);
    return out;
  }

  /** The newest checkpoint at or before `seq` on disk; the origin when none (or, unless strict, damaged). */
  private async checkpointAtOrBefore(seq: number, strict: boolean): Promise<CheckpointHead> {
    if (seq <= 0) return ORIGIN;
    const [gte, lt] = checkpointRange(0, seq);
    const found = await this.journal.derived.range({ gte, lt, reverse: true, limit: 1 });
    const entry = found[0];
    if (entry === undefined) return ORIGIN;
    const at = seqOfKey(entry[0]);
    const cached = this.heads.get(at);
    if (cached !== undefined) return cached;
    try {
      const head = decodeCheckpointHead(entry[0], entry[1]);
      this.heads.set(at, head);
      return head;
    } catch (err) {
      if (strict || !(err instanceof DerivedDamage)) throw err;
      this.options.onDamage?.(err);
      return ORIGIN;
    }
  }

  /**
   * Each [VRF, holder]'s paths at a checkpoint, decoded and filed. Cached (shared by every answer built
   * on them, which copies a table before changing it) from the second time a table is asked for within
   * the last MISSES tables decoded: scrubbing near one checkpoint decodes it twice, then never again,
   * while a time travel at a random seq owns the tables it decodes (no copy, and nothing held after it).
   * The values not cached are read at once (LevelDB's reads overlap on its threads).
   */
  private async vrfTables(
    wanted: readonly (readonly [string, number])[],
  ): Promise<{ table: SharedVrf; owned: boolean }[]> {
    const values = await Promise.all(
      wanted.map(([vrf, holder]) =>
        this.cachedVrf(holder, vrf) !== undefined
          ? Promise.resolve(undefined)
          : this.journal.derived.get(vrfPathsKey(holder, vrf)).then((v) => v ?? null),
      ),
    );
    const out: { table: SharedVrf; owned: boolean }[] = [];
    for (let i = 0; i < wanted.length; i++) {
      const [vrf, holder] = wanted[i]!;
      const read = values[i];
      const cached = read === undefined ? this.cachedVrf(holder, vrf) : undefined;
      if (cached !== undefined) out.push({ table: cached, owned: false });
      else {
        // Cached when read, but evicted since by the VRFs decoded before it (a RIB larger than the cache).
        const value = read ?? (await this.journal.derived.get(vrfPathsKey(holder, vrf))) ?? null;
        out.push(this.vrfPaths(holder, vrf, value));
      }
    }
    return out;
  }

  private cachedVrf(holder: number, vrf: string): SharedVrf | undefined {
    return this.texts.get(`${holder}\t${vrf}`)?.table;
  }

  /**
   * One VRF's paths at a checkpoint decoded from its value read (null: none on disk): cached when it was
   * decoded recently, else owned by the caller.
   */
  private vrfPaths(holder: number, vrf: string, value: Buffer | null): { table: SharedVrf; owned: boolean } {
    const id = `${holder}\t${vrf}`;
    const what = `checkpoint ${holder} VRF "${vrf}"`;
    if (value === null) throw new DerivedDamage(`checkpoint ${holder} lacks the paths of VRF "${vrf}"`);
    const columns = readVrfColumns(vrf, unseal(what, value), what);
    const table = Rib.shareVrfColumns(vrf, columns);
    this.decoded++;
    if (this.missed.get(id) === undefined) {
      this.missed.set(id, true);
      return { table, owned: true };
    }
    // Weighed as the text of the format before (PATH_CHARS characters per path) times 1.5: the filed
    // table (map + per-prefix arrays) holds ~1.5 times the memory of the parsed paths alone (100k
    // paths: 19.3 + 9.3 MB), so the bound keeps bounding the same memory.
    this.texts.set(id, { table, chars: Math.ceil(columns.length * PATH_CHARS * 1.5) });
    return { table, owned: false };
  }

  private checkpoint(env: Envelope, rib: Rib): void {
    const vrfs = new Map<string, number>();
    const puts: DerivedEntry[] = [];
    for (const vrf of rib.vrfNames()) {
      const previous = this.last.vrfs.get(vrf);
      if (!this.dirty.has(vrf) && previous !== undefined) {
        // Untouched since the previous checkpoint: point at the text that one uses.
        vrfs.set(vrf, previous);
        continue;
      }
      const columns = encodeVrfColumns(rib, vrf);
      if (columns.length === 0) continue;
      vrfs.set(vrf, env.seq);
      puts.push([vrfPathsKey(env.seq, vrf), sealed(columns)]);
    }
    this.dirty.clear();
    const head: CheckpointHead = { seq: env.seq, time: env.time, vrfs };
    puts.push([checkpointKey(env.seq), encodeCheckpointHead(head)]);
    this.history.enqueue(puts);
    this.last = head;
    this.written++;
  }
}

/** Every path of one VRF of a Rib. */
function* pathsOf(rib: Rib, vrf: string): IterableIterator<Path> {
  for (const [, paths] of rib.entries(vrf)) yield* paths;
}
