// Route counts over time, per table, in bounded form: what the operator page charts. Each VRF ("" =
// global) keeps its count changes in time buckets (1 s wide when fresh) holding the count after the
// bucket's last change, the lowest and highest count seen in it, and the seqs and times of its first
// and last change. When a VRF has more than `maxBuckets`, the older half is merged pairwise (as an RRD
// does): the last hours stay at full resolution, old weeks get coarser, and memory stays bounded
// however long the journal grows. A chart point is read by a binary search, never by a replay.
// Non-route events (ConfigApplied, and the lifecycle events to come) are kept as chart markers, the
// newest `maxMarkers` of them.
import type { Envelope } from '../../events/index.js';
import { discoveryOf } from '../rib/index.js';
import type { Rib } from '../rib/index.js';

/** Width of a fresh bucket: one second, in microseconds. */
const BASE_WIDTH = 1_000_000;

export interface RouteCountOptions {
  /** Buckets per VRF before the older half is merged (default 4096). */
  readonly maxBuckets?: number;
  /** Markers kept (default 1000, the newest). */
  readonly maxMarkers?: number;
}

/** Count changes of one VRF in one span of time. */
interface Bucket {
  /** Span start (epoch µs, inclusive); the span ends where the next bucket starts. */
  readonly start: number;
  firstSeq: number;
  firstTime: number;
  lastSeq: number;
  lastTime: number;
  /** Counts after the last change in the bucket. */
  ipv4: number;
  ipv6: number;
  /** Lowest and highest total count in the bucket, including the count it started with. */
  min: number;
  max: number;
  /** Route events in the bucket that changed the count. */
  changes: number;
}

interface VrfSeries {
  ipv4: number;
  ipv6: number;
  buckets: Bucket[];
}

/** A point of history a chart marks: a config change, a daemon start or stop. */
export interface ChartMarker {
  readonly seq: number;
  readonly time: number;
  /** The event's type (ConfigApplied, …). */
  readonly kind: string;
  /** A short human text ("config 3"). */
  readonly detail: string;
}

/** One chart point: the state at `time`, and the extremes since the previous point. */
export interface CountPoint {
  /** The point in time asked for (epoch µs). */
  readonly time: number;
  /**
   * The seq whose state the counts show: the VRF's last count change at or before `time` (the RIB at
   * this seq holds exactly these counts). 0 before the VRF's first change.
   */
  readonly seq: number;
  readonly ipv4: number;
  readonly ipv6: number;
  /** Lowest and highest total count between the previous point (exclusive) and this one. */
  readonly min: number;
  readonly max: number;
  /** Count changes between the previous point and this one (resolution allowing). */
  readonly changes: number;
  /**
   * False when the kept resolution is coarser than the chart's step here: a merged bucket straddles
   * `time`, so the counts shown are those at its start (at `seq`), and min/max cover the whole bucket.
   */
  readonly exact: boolean;
}

function totalOf(b: { ipv4: number; ipv6: number }): number {
  return b.ipv4 + b.ipv6;
}

/** Index of the last bucket whose start is <= time, or -1. */
function bucketAtOrBefore(buckets: readonly Bucket[], time: number): number {
  let lo = 0;
  let hi = buckets.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (buckets[mid]!.start <= time) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * The bucket whose end state is the VRF's state at `time`: the last one that started by then, unless
 * its changes straddle `time` (then the one before it, and the answer is exact only if none of its
 * changes had happened yet).
 */
function stateAt(
  buckets: readonly Bucket[],
  time: number,
): { index: number; shown: Bucket | undefined; exact: boolean } {
  const index = bucketAtOrBefore(buckets, time);
  const b = index >= 0 ? buckets[index]! : undefined;
  if (b === undefined || b.lastTime <= time) return { index, shown: b, exact: true };
  return { index, shown: index > 0 ? buckets[index - 1] : undefined, exact: b.firstTime > time };
}

/**
 * The paths present, as one set of prefixes per (VRF, interface): a path costs one set slot holding the
 * prefix string the event (and the RIB) already hold, not a concatenated key of its own (~125 bytes per
 * path, ~12 MB at 100k paths, measured in the flood bench's heap snapshot; issue 10.6).
 */
class PathSets {
  private readonly byOwner = new Map<string, Set<string>>();

  /** Adds the path; false when it was already present. */
  add(vrf: string, iface: string, prefix: string): boolean {
    const owner = `${vrf}\u0000${iface}`;
    let set = this.byOwner.get(owner);
    if (set === undefined) {
      set = new Set();
      this.byOwner.set(owner, set);
    }
    if (set.has(prefix)) return false;
    set.add(prefix);
    return true;
  }

  /** Removes the path; false when it was not present. */
  delete(vrf: string, iface: string, prefix: string): boolean {
    const owner = `${vrf}\u0000${iface}`;
    const set = this.byOwner.get(owner);
    if (set === undefined || !set.delete(prefix)) return false;
    if (set.size === 0) this.byOwner.delete(owner);
    return true;
  }
}

/** A Projection (seq + apply) of per-VRF route counts over time. */
export class RouteCountSeries {
  /** Seq of the last event applied. */
  seq = 0;
  /** Time of the first and last event applied (epoch µs); 0 before any. */
  firstTime = 0;
  lastTime = 0;
  /** The paths present, to tell a count change from a replaced path (live state, not history). */
  private readonly paths = new PathSets();
  private readonly vrfs = new Map<string, VrfSeries>();
  private markerList: ChartMarker[] = [];
  private readonly maxBuckets: number;
  private readonly maxMarkers: number;

  constructor(options: RouteCountOptions = {}) {
    this.maxBuckets = Math.max(4, options.maxBuckets ?? 4096);
    this.maxMarkers = Math.max(1, options.maxMarkers ?? 1000);
  }

  apply(env: Envelope): void {
    this.seq = env.seq;
    if (this.firstTime === 0) this.firstTime = env.time;
    this.lastTime = env.time;
    const e = env.event;
    switch (e.type) {
      case 'RouteDiscovered': {
        if (!this.paths.add(e.vrf, e.interface, e.prefix)) return;
        this.change(env, e.vrf, e.family, 1);
        return;
      }
      case 'RouteVanished': {
        if (!this.paths.delete(e.vrf, e.interface, e.prefix)) return;
        this.change(env, e.vrf, e.family, -1);
        return;
      }
      case 'ConfigApplied':
        this.mark(env, `config ${e.configVersion}`);
        return;
      case 'DaemonStarted':
        this.mark(env, e.previousStopClean ? 'daemon started' : 'daemon started after an unclean stop');
        return;
      case 'DaemonStopped':
        this.mark(env, 'daemon stopped');
        return;
      default: {
        const never: never = e;
        throw new TypeError(`unhandled event ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * After a retention trim (issue 9.5): starts from the paths of the RIB at the horizon, counted at the
   * horizon's seq and time (the series begins there).
   */
  seedAtHorizon(rib: Rib): void {
    for (const vrf of rib.vrfNames())
      for (const [, paths] of rib.entries(vrf))
        for (const p of paths) this.apply({ ...discoveryOf(p), seq: rib.seq, time: rib.time });
    this.seq = rib.seq;
  }

  /** VRFs that have ever held a route ("" = global). */
  vrfNames(): string[] {
    return [...this.vrfs.keys()];
  }

  /** Buckets kept for a VRF (for metrics and tests). */
  bucketCount(vrf: string): number {
    return this.vrfs.get(vrf)?.buckets.length ?? 0;
  }

  /** Seq and time of the VRF's last route count change, if any. */
  lastChange(vrf: string): { seq: number; time: number } | undefined {
    const buckets = this.vrfs.get(vrf)?.buckets;
    const last = buckets?.[buckets.length - 1];
    return last && { seq: last.lastSeq, time: last.lastTime };
  }

  /** Markers with from < time <= to, oldest first. */
  markers(from: number, to: number): ChartMarker[] {
    return this.markerList.filter((m) => m.time > from && m.time <= to);
  }

  /**
   * The VRF's counts at each of `times` (ascending, epoch µs), with the extremes since the previous
   * one (for the first: since `since`, exclusive).
   */
  points(vrf: string, times: readonly number[], since: number): CountPoint[] {
    const buckets = this.vrfs.get(vrf)?.buckets ?? [];
    const out: CountPoint[] = [];
    let prevTime = since;
    let carried = totalOf(stateAt(buckets, since).shown ?? { ipv4: 0, ipv6: 0 });
    for (const time of times) {
      const { index, shown, exact } = stateAt(buckets, time);
      const ipv4 = shown?.ipv4 ?? 0;
      const ipv6 = shown?.ipv6 ?? 0;
      // Extremes over the state carried in and every bucket with changes in (prevTime, time].
      let min = Math.min(carried, ipv4 + ipv6);
      let max = Math.max(carried, ipv4 + ipv6);
      let changes = 0;
      for (let j = Math.max(bucketAtOrBefore(buckets, prevTime), 0); j <= index; j++) {
        const x = buckets[j]!;
        if (x.lastTime <= prevTime || x.firstTime > time) continue;
        min = Math.min(min, x.min);
        max = Math.max(max, x.max);
        changes += x.changes;
      }
      out.push({ time, seq: shown?.lastSeq ?? 0, ipv4, ipv6, min, max, changes, exact });
      prevTime = time;
      carried = ipv4 + ipv6;
    }
    return out;
  }

  private change(env: Envelope, vrf: string, family: 'ipv4' | 'ipv6', delta: 1 | -1): void {
    let series = this.vrfs.get(vrf);
    if (series === undefined) {
      series = { ipv4: 0, ipv6: 0, buckets: [] };
      this.vrfs.set(vrf, series);
    }
    const before = totalOf(series);
    series[family] += delta;
    const after = before + delta;
    const last = series.buckets[series.buckets.length - 1];
    if (last !== undefined && env.time < last.start + BASE_WIDTH) {
      last.lastSeq = env.seq;
      last.lastTime = env.time;
      last.ipv4 = series.ipv4;
      last.ipv6 = series.ipv6;
      last.min = Math.min(last.min, after);
      last.max = Math.max(last.max, after);
      last.changes++;
      return;
    }
    // Times may step back a little (clock adjustments): a bucket never starts before the previous one.
    const aligned = env.time - (env.time % BASE_WIDTH);
    series.buckets.push({
      start: last !== undefined ? Math.max(aligned, last.start + BASE_WIDTH) : aligned,
      firstSeq: env.seq,
      firstTime: env.time,
      lastSeq: env.seq,
      lastTime: env.time,
      ipv4: series.ipv4,
      ipv6: series.ipv6,
      min: Math.min(before, after),
      max: Math.max(before, after),
      changes: 1,
    });
    if (series.buckets.length > this.maxBuckets) series.buckets = merged(series.buckets);
  }

  private mark(env: Envelope, detail: string): void {
    this.markerList.push({ seq: env.seq, time: env.time, kind: env.event.type, detail });
    if (this.markerList.length > this.maxMarkers * 2)
      this.markerList = this.markerList.slice(-this.maxMarkers);
  }
}

/** Merges the older half of the buckets pairwise; the newer half keeps its resolution. */
function merged(buckets: readonly Bucket[]): Bucket[] {
  const half = buckets.length >>> 1;
  const out: Bucket[] = [];
  let i = 0;
  for (; i + 1 < half; i += 2) {
    const a = buckets[i]!;
    const b = buckets[i + 1]!;
    out.push({
      start: a.start,
      firstSeq: a.firstSeq,
      firstTime: a.firstTime,
      lastSeq: b.lastSeq,
      lastTime: b.lastTime,
      ipv4: b.ipv4,
      ipv6: b.ipv6,
      min: Math.min(a.min, b.min),
      max: Math.max(a.max, b.max),
      changes: a.changes + b.changes,
    });
  }
  for (; i < buckets.length; i++) out.push(buckets[i]!);
  return out;
}
