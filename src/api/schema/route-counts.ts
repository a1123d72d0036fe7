// `routeCounts(vrf, from, to, step | points)`: a table's route count over a window, as chart points,
// answered from the bounded per-VRF count series (projections/route-counts) by binary search, never by
// replaying the journal; plus the markers (config changes, daemon starts and stops) in the window.
import type { ChartMarker, CountPoint } from '../../projections/index.js';
import { vrfDisplayName } from '../../events/index.js';
import { builder } from '../builder.js';
import type { RequestContext } from '../builder.js';
import { apiError } from '../errors.js';
import type { Point } from '../points.js';
import { vrfArg } from '../rib-query.js';
import { vrfExists } from '../views.js';
import { VrfRef } from './vrf.js';

/** Most points one series may have. */
export const MAX_POINTS = 5000;
const DEFAULT_POINTS = 120;

const DURATION = /^(\d+(?:\.\d+)?)(us|µs|ms|s|m|h|d)$/;
const UNIT_MICROS: Record<string, number> = { us: 1, µs: 1, ms: 1e3, s: 1e6, m: 60e6, h: 3600e6, d: 86400e6 };

/** Microseconds of a duration like "30s", "5m", "1h", "1d"; BAD_ARGUMENT otherwise. */
export function parseStep(text: string): number {
  const m = DURATION.exec(text.trim());
  const micros = m ? Math.round(Number(m[1]) * UNIT_MICROS[m[2]!]!) : 0;
  if (micros < 1) {
    throw apiError(
      'BAD_ARGUMENT',
      `step must be a duration like 30s, 5m, 1h or 1d, got ${JSON.stringify(text)}`,
    );
  }
  return micros;
}

interface SeriesShape {
  readonly vrf: string;
  readonly from: number;
  readonly to: number;
  readonly step: number;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly points: readonly CountPoint[];
  readonly markers: readonly ChartMarker[];
}

const CountPointRef = builder.objectRef<CountPoint>('RouteCountPoint').implement({
  description:
    "A chart point: a table's route count (paths) at `time`, and its extremes since the previous point.",
  fields: (t) => ({
    time: t.field({ type: 'Timestamp', resolve: (p) => p.time }),
    seq: t.field({
      type: 'Seq',
      description:
        "The table's last count change at or before `time` (0: none yet): the RIB at this seq holds these counts.",
      resolve: (p) => p.seq,
    }),
    ipv4: t.exposeInt('ipv4'),
    ipv6: t.exposeInt('ipv6'),
    total: t.int({ resolve: (p) => p.ipv4 + p.ipv6 }),
    min: t.exposeInt('min', { description: 'Lowest total since the previous point (dips show here).' }),
    max: t.exposeInt('max', { description: 'Highest total since the previous point.' }),
    changes: t.exposeInt('changes', { description: 'Count changes since the previous point.' }),
    exact: t.exposeBoolean('exact', {
      description:
        'False where the kept resolution (1 s for recent history, coarser for old) is coarser than the step: the counts are those at `seq`, just before `time`.',
    }),
  }),
});

const ChartMarkerRef = builder.objectRef<ChartMarker>('ChartMarker').implement({
  description: 'A point of history to mark on charts: a config change, a daemon start or stop.',
  fields: (t) => ({
    seq: t.field({ type: 'Seq', resolve: (m) => m.seq }),
    time: t.field({ type: 'Timestamp', resolve: (m) => m.time }),
    kind: t.exposeString('kind', { description: 'The event type (ConfigApplied, …).' }),
    detail: t.exposeString('detail'),
  }),
});

const SeriesRef = builder.objectRef<SeriesShape>('RouteCountSeries').implement({
  description: "A table's route count over a window: evenly spaced points ending at `to`.",
  fields: (t) => ({
    vrf: t.string({ resolve: (s) => vrfDisplayName(s.vrf) }),
    from: t.field({ type: 'Timestamp', resolve: (s) => s.from }),
    to: t.field({ type: 'Timestamp', resolve: (s) => s.to }),
    stepSeconds: t.float({ resolve: (s) => s.step / 1e6 }),
    fromSeq: t.field({
      type: 'Seq',
      description: 'Last seq at or before `from`: the window of changes is (fromSeq, toSeq].',
      resolve: (s) => s.fromSeq,
    }),
    toSeq: t.field({ type: 'Seq', description: 'Last seq at or before `to`.', resolve: (s) => s.toSeq }),
    points: t.field({ type: [CountPointRef], resolve: (s) => s.points }),
    markers: t.field({
      type: [ChartMarkerRef],
      description: 'Config changes and daemon starts/stops in (from, to].',
      resolve: (s) => s.markers,
    }),
  }),
});

interface SeriesArgs {
  readonly from?: Point | null | undefined;
  readonly to?: Point | null | undefined;
  readonly step?: string | null | undefined;
  readonly points?: number | null | undefined;
}

async function timeOf(ctx: RequestContext, point: Point, fallback: number): Promise<number> {
  if ('time' in point) return point.time;
  const head = ctx.api.journal.head();
  if (point.seq === 0) return ctx.api.indexes.routeCounts.firstTime || fallback;
  return (await ctx.api.journal.get(Math.min(point.seq, head)))?.time ?? fallback;
}

/** The series of one VRF (internal name) for the window the arguments name. */
export async function routeCountSeries(
  ctx: RequestContext,
  vrf: string,
  args: SeriesArgs,
): Promise<SeriesShape> {
  const counts = ctx.api.indexes.routeCounts;
  const now = ctx.nowMicros();
  const to = args.to ? await timeOf(ctx, args.to, now) : now;
  // Default window: the whole journal, from just before its first event (so that event is in it).
  const from = args.from ? await timeOf(ctx, args.from, to) : Math.min((counts.firstTime || to) - 1, to);
  if (from > to) throw apiError('BAD_ARGUMENT', '`from` is after `to`');
  if (args.step != null && args.points != null) {
    throw apiError('BAD_ARGUMENT', 'give either step or points, not both');
  }
  let n: number;
  let step: number;
  if (args.step != null) {
    step = parseStep(args.step);
    n = Math.max(1, Math.ceil((to - from) / step));
  } else {
    n = args.points ?? DEFAULT_POINTS;
    if (!Number.isInteger(n) || n < 1) throw apiError('BAD_ARGUMENT', `points must be at least 1, got ${n}`);
    step = Math.max(1, (to - from) / n);
  }
  if (n > MAX_POINTS) {
    throw apiError('BAD_ARGUMENT', `the window and step make ${n} points; at most ${MAX_POINTS}`, {
      max: MAX_POINTS,
    });
  }
  const times: number[] = [];
  for (let k = n - 1; k >= 0; k--) times.push(Math.round(to - k * step));
  const [fromSeq, toSeq] = await Promise.all([
    ctx.api.journal.seqAtTime(from),
    args.to ? ctx.api.journal.seqAtTime(to) : Promise.resolve(ctx.api.journal.head()),
  ]);
  return {
    vrf,
    from,
    to,
    step,
    fromSeq,
    toSeq,
    points: counts.points(vrf, times, from),
    markers: counts.markers(from, to),
  };
}

const seriesArgs = builder.args((t) => ({
  from: t.field({
    type: 'SeqOrTime',
    required: false,
    description: 'Start of the window (exclusive; e.g. "-24h"). Default: the first event.',
  }),
  to: t.field({
    type: 'SeqOrTime',
    required: false,
    description: 'End of the window (the last point). Default: now.',
  }),
  step: t.string({
    required: false,
    description: 'Distance between points ("30s", "5m", "1h"). Give step or points.',
  }),
  points: t.int({
    required: false,
    description: `Number of points, evenly spaced over the window (default ${DEFAULT_POINTS}, at most ${MAX_POINTS}).`,
  }),
}));

builder.queryField('routeCounts', (t) =>
  t.field({
    type: SeriesRef,
    description:
      "A table's route count over a window, as chart points, from the journal's count series (no replay). NOT_FOUND for a VRF that never existed.",
    args: {
      vrf: t.arg.string({ required: true, description: '"global" for the global table.' }),
      ...seriesArgs,
    },
    resolve: (_root, args, ctx) => {
      const vrf = vrfArg(args.vrf);
      if (!vrfExists(ctx.api.rib, vrf) && !ctx.api.indexes.routeCounts.vrfNames().includes(vrf)) {
        throw apiError('NOT_FOUND', `no VRF named "${args.vrf}"`);
      }
      return routeCountSeries(ctx, vrf, args);
    },
  }),
);

builder.objectField(VrfRef, 'routeCountSeries', (t) =>
  t.field({
    type: SeriesRef,
    description:
      "This table's route count over a window (as `routeCounts`), e.g. for an overview's small charts.",
    args: seriesArgs,
    resolve: (v, args, ctx) => routeCountSeries(ctx, v.key, args),
  }),
);

builder.objectField(VrfRef, 'lastChange', (t) =>
  t.field({
    type: 'Timestamp',
    nullable: true,
    description:
      "When its route count last changed (now, not at the VRF's `at`); null when it never held a route.",
    resolve: (v, _args, ctx) => ctx.api.indexes.routeCounts.lastChange(v.key)?.time ?? null,
  }),
);
