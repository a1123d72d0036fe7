// `history(vrf, prefix, from, to)`: every event of one prefix, with its reason, the flap count and the
// time since the last change. Found through the history index, read from the journal.
import { isRouteEvent, vrfDisplayName } from '../../events/index.js';
import type { Envelope, LifecycleEvent, RouteDiscovered, RouteVanished } from '../../events/index.js';
import type { Journal } from '../../journal/index.js';
import { upperBoundSeq } from '../../projections/index.js';
import { builder } from '../builder.js';
import { apiError } from '../errors.js';
import { resolvePoint } from '../points.js';
import { countFlaps } from '../flaps.js';
import { assertVrf, checkFirst, prefixArg, ribViewAt, vrfArg } from '../rib-query.js';
import { vrfExists } from '../views.js';
import { PathRef } from './path.js';
import type { PathView } from '../views.js';
import { pathViews } from '../views.js';

type RouteEnvelope = Envelope<RouteDiscovered | RouteVanished>;

/** A window when the daemon was not watching (issue 9.6): from its last sign of life to its next start. */
interface Downtime {
  /** Seq of the DaemonStopped (clean) or of the last event before the start (unclean). */
  readonly lastSeenSeq: number;
  readonly lastSeenTime: number;
  readonly startedSeq: number;
  readonly startedTime: number;
  readonly clean: boolean;
}

/**
 * An entry as the API shows it: a plain object whose fields are read as properties (no resolver per
 * field: see property-fields.ts), built only for the page answered.
 */
interface Entry {
  readonly seq: number;
  readonly time: number;
  readonly type: RouteEnvelope['event']['type'];
  readonly interface: string;
  readonly ifindex: number | null;
  readonly address: string | null;
  readonly reason: string | null;
  /** A withdrawal found at a start: the change happened while nothing was watching. */
  readonly whileDown: boolean;
}

interface HistoryShape {
  readonly vrf: string;
  readonly prefix: string;
  readonly from: number;
  readonly to: number;
  readonly entries: readonly Entry[];
  readonly downtimes: readonly Downtime[];
  readonly totalCount: number;
  readonly hasMore: boolean;
  readonly flapCount: number;
  readonly lastChange: number | undefined;
  readonly now: number;
  readonly pathsAtTo: readonly PathView[];
}

const DowntimeRef = builder.objectRef<Downtime>('Downtime').implement({
  description: 'A window when the daemon was not watching: from its last sign of life to its next start.',
  fields: (t) => ({
    lastSeenSeq: t.field({
      type: 'Seq',
      description:
        'The DaemonStopped of a clean stop, or the last event before the start after an unclean one.',
      resolve: (d) => d.lastSeenSeq,
    }),
    lastSeenTime: t.field({ type: 'Timestamp', resolve: (d) => d.lastSeenTime }),
    startedSeq: t.field({
      type: 'Seq',
      description: 'The DaemonStarted that ended it.',
      resolve: (d) => d.startedSeq,
    }),
    startedTime: t.field({ type: 'Timestamp', resolve: (d) => d.startedTime }),
    clean: t.boolean({
      description: 'False when the daemon was killed or crashed.',
      resolve: (d) => d.clean,
    }),
  }),
});

const HistoryEntryRef = builder.objectRef<Entry>('HistoryEntry').implement({
  description: 'One event of a prefix.',
  fields: (t) => ({
    whileDown: t.exposeBoolean('whileDown', {
      description:
        'A withdrawal found by the reconcile at a start: the route vanished while the daemon was not watching (see `downtimes`).',
    }),
    seq: t.expose('seq', { type: 'Seq' }),
    time: t.expose('time', { type: 'Timestamp' }),
    type: t.exposeString('type', { description: 'RouteDiscovered or RouteVanished.' }),
    interface: t.exposeString('interface'),
    ifindex: t.exposeInt('ifindex', { nullable: true }),
    address: t.exposeString('address', { nullable: true }),
    reason: t.exposeString('reason', {
      nullable: true,
      description:
        'Why it vanished: address-removed, link-down, interface-removed, config-changed, reconcile.',
    }),
  }),
});

const PrefixHistoryRef = builder.objectRef<HistoryShape>('PrefixHistory').implement({
  fields: (t) => ({
    vrf: t.string({ resolve: (h) => vrfDisplayName(h.vrf) }),
    prefix: t.exposeString('prefix'),
    from: t.field({ type: 'Seq', description: 'The window is (from, to].', resolve: (h) => h.from }),
    to: t.field({ type: 'Seq', resolve: (h) => h.to }),
    entries: t.field({
      type: [HistoryEntryRef],
      description: 'Events in the window, oldest first (one page).',
      resolve: (h) => h.entries,
    }),
    totalCount: t.int({ description: 'Events of the prefix in the window.', resolve: (h) => h.totalCount }),
    downtimes: t.field({
      type: [DowntimeRef],
      description: 'Windows in (from, to] when the daemon was not watching (from the lifecycle events).',
      resolve: (h) => h.downtimes,
    }),
    hasMore: t.boolean({
      description: 'More entries follow: ask again with `after` = the last seq.',
      resolve: (h) => h.hasMore,
    }),
    flapCount: t.int({
      description:
        'Flaps in the window: the prefix became unreachable (its last path vanished) and came back.',
      resolve: (h) => h.flapCount,
    }),
    lastChange: t.field({
      type: 'Timestamp',
      nullable: true,
      description: 'Time of the last event of the prefix at or before `to`.',
      resolve: (h) => h.lastChange ?? null,
    }),
    secondsSinceLastChange: t.float({
      nullable: true,
      description: 'Seconds from the last change to now.',
      resolve: (h) => (h.lastChange === undefined ? null : Math.max(0, (h.now - h.lastChange) / 1e6)),
    }),
    paths: t.field({
      type: [PathRef],
      description: 'The paths of the prefix at `to`.',
      resolve: (h) => h.pathsAtTo,
    }),
  }),
});

builder.queryField('history', (t) =>
  t.field({
    type: PrefixHistoryRef,
    description: 'Every event of a prefix in a VRF ("global" for the global table) in the window (from, to].',
    args: {
      vrf: t.arg.string({ required: true }),
      prefix: t.arg.string({ required: true }),
      from: t.arg({ type: 'SeqOrTime', required: false, description: 'Exclusive; default: the beginning.' }),
      to: t.arg({ type: 'SeqOrTime', required: false, description: 'Inclusive; default: now.' }),
      first: t.arg.int({ required: false, defaultValue: 1000, description: 'Entries per page, 1..1000.' }),
      after: t.arg({ type: 'Seq', required: false, description: 'Page on: entries after this seq.' }),
    },
    resolve: async (_root, args, ctx) => {
      const vrf = vrfArg(args.vrf);
      const prefix = prefixArg(args.prefix);
      const first = checkFirst(args.first, 1000);
      const from = args.from ? await resolvePoint(ctx.api, args.from) : 0;
      const to = args.to ? await resolvePoint(ctx.api, args.to) : ctx.api.journal.head();
      if (from > to) throw apiError('BAD_ARGUMENT', `from (seq ${from}) is after to (seq ${to})`);
      const history = ctx.api.indexes.history;
      // Presence at `from` (from the timeline), then every event of the window to count flaps.
      const atFrom = await ribViewAt(ctx.api, { seq: from }, [vrf]);
      const present = new Set(atFrom.lookup(vrf, prefix).map((p) => p.interface));
      // The index holds only route events under a prefix: the filter is a check, copying only if not.
      const found = await history.prefixEvents(vrf, prefix, { after: from, through: to });
      const events = found.every(isRouteEnvelope) ? found : found.filter(isRouteEnvelope);
      const flapCount = countFlaps(
        present,
        events.map((e) => e.event),
      );
      let lastChange: number | undefined = events[events.length - 1]?.time;
      if (lastChange === undefined) {
        const last = await history.prefixEvents(vrf, prefix, {
          after: 0,
          through: to,
          limit: 1,
          reverse: true,
        });
        lastChange = last[0]?.time;
      }
      const downtimes = await downtimesIn(
        ctx.api.journal,
        await history.lifecycleEvents({ after: from, through: to }),
      );
      const start = args.after
        ? upperBoundSeq(
            events.map((e) => e.seq),
            args.after,
          )
        : 0;
      const page = entryViews(events, downtimes, start, start + first);
      const atTo = await ribViewAt(ctx.api, { seq: to }, [vrf]);
      // A VRF that existed at neither end and has no event in the window: the error every command gives.
      if (events.length === 0 && !vrfExists(atFrom, vrf)) assertVrf(atTo, vrf, args.vrf);
      return {
        vrf,
        prefix,
        from,
        to,
        entries: page,
        downtimes,
        totalCount: events.length,
        hasMore: start + first < events.length,
        flapCount,
        lastChange,
        now: ctx.nowMicros(),
        pathsAtTo: pathViews(atTo.lookup(vrf, prefix), atTo.vrfConfig(vrf)),
      };
    },
  }),
);

function isRouteEnvelope(env: Envelope): env is RouteEnvelope {
  return isRouteEvent(env.event);
}

/** The downtime each DaemonStarted in the window ends (none for a journal's first start). */
async function downtimesIn(
  journal: Journal,
  lifecycle: readonly Envelope<LifecycleEvent>[],
): Promise<Downtime[]> {
  const out: Downtime[] = [];
  for (const env of lifecycle) {
    const e = env.event;
    if (e.type !== 'DaemonStarted' || e.previousStopClean === null) continue;
    // The last sign of life: the DaemonStopped, or the last event, skipping the ConfigApplied of this start.
    let before = await journal.get(env.seq - 1);
    if (before?.event.type === 'ConfigApplied') before = (await journal.get(env.seq - 2)) ?? before;
    if (before === undefined) continue;
    out.push({
      lastSeenSeq: before.seq,
      lastSeenTime: before.time,
      startedSeq: env.seq,
      startedTime: env.time,
      clean: e.previousStopClean,
    });
  }
  return out;
}

/**
 * The entries of events[start, end), marking the withdrawals a start's reconcile found: a RouteVanished
 * with reason reconcile that is the prefix's first event after a DaemonStarted.
 */
function entryViews(
  events: readonly RouteEnvelope[],
  downtimes: readonly Downtime[],
  start: number,
  end: number,
): Entry[] {
  const out: Entry[] = [];
  let d = 0;
  for (let i = start; i < end && i < events.length; i++) {
    const { seq, time, event: e } = events[i]!;
    // The prefix's first event after a start: its previous event (if any) is before that start.
    while (d < downtimes.length && downtimes[d]!.startedSeq < seq) d++;
    const startedSeq = d > 0 ? downtimes[d - 1]!.startedSeq : undefined;
    const afterStart = startedSeq !== undefined && (i === 0 || events[i - 1]!.seq < startedSeq);
    out.push(
      e.type === 'RouteDiscovered'
        ? {
            seq,
            time,
            type: e.type,
            interface: e.interface,
            ifindex: e.ifindex,
            address: e.address,
            reason: null,
            whileDown: false,
          }
        : {
            seq,
            time,
            type: e.type,
            interface: e.interface,
            ifindex: null,
            address: null,
            reason: e.reason,
            whileDown: afterStart && e.reason === 'reconcile',
          },
    );
  }
  return out;
}
