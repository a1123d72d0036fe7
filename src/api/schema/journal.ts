// Journal stats and the `events` connection: the journal itself, filtered and paginated.
import { envelopeToJson, envelopeToLine, isRouteEvent, vrfDisplayName } from '../../events/index.js';
import type { Envelope, EventType } from '../../events/index.js';
import { builder } from '../builder.js';
import { assertEventsSound } from '../damage.js';
import { checkFirst, prefixArg, vrfArg } from '../rib-query.js';
import { FamilyEnum, PageInfoRef } from './path.js';

/** Events a single `events` page may scan without finding a match before it returns what it has. */
const MAX_SCAN = 100_000;

export const EventTypeEnum = builder.enumType('EventType', {
  values: ['RouteDiscovered', 'RouteVanished', 'ConfigApplied', 'DaemonStarted', 'DaemonStopped'] as const,
});

const EventRef = builder.objectRef<Envelope>('Event').implement({
  description:
    'One journaled event. Route fields are null for ConfigApplied and the lifecycle events (DaemonStarted, DaemonStopped).',
  fields: (t) => ({
    seq: t.field({ type: 'Seq', resolve: (e) => e.seq }),
    time: t.field({ type: 'Timestamp', resolve: (e) => e.time }),
    version: t.int({ description: 'Schema version of the event body.', resolve: (e) => e.version }),
    type: t.field({ type: EventTypeEnum, resolve: (e) => e.event.type }),
    vrf: t.string({
      nullable: true,
      resolve: (e) => (isRouteEvent(e.event) ? vrfDisplayName(e.event.vrf) : null),
    }),
    family: t.field({
      type: FamilyEnum,
      nullable: true,
      resolve: (e) => (isRouteEvent(e.event) ? e.event.family : null),
    }),
    prefix: t.string({
      nullable: true,
      resolve: (e) => (isRouteEvent(e.event) ? e.event.prefix : null),
    }),
    interface: t.string({
      nullable: true,
      resolve: (e) => (isRouteEvent(e.event) ? e.event.interface : null),
    }),
    ifindex: t.int({
      nullable: true,
      resolve: (e) => (e.event.type === 'RouteDiscovered' ? e.event.ifindex : null),
    }),
    address: t.string({
      nullable: true,
      resolve: (e) => (e.event.type === 'RouteDiscovered' ? e.event.address : null),
    }),
    reason: t.string({
      nullable: true,
      resolve: (e) =>
        e.event.type === 'RouteVanished' || e.event.type === 'DaemonStopped' ? e.event.reason : null,
    }),
    configVersion: t.int({
      nullable: true,
      resolve: (e) =>
        e.event.type === 'ConfigApplied' || e.event.type === 'DaemonStarted' ? e.event.configVersion : null,
    }),
    buildVersion: t.string({
      nullable: true,
      description: 'DaemonStarted, DaemonStopped: the version of the ribjournal build.',
      resolve: (e) =>
        e.event.type === 'DaemonStarted' || e.event.type === 'DaemonStopped' ? e.event.buildVersion : null,
    }),
    previousStopClean: t.boolean({
      nullable: true,
      description:
        'DaemonStarted: whether the previous run ended with DaemonStopped (false: it was killed or crashed; null: unknown).',
      resolve: (e) => (e.event.type === 'DaemonStarted' ? e.event.previousStopClean : null),
    }),
    json: t.field({
      type: 'JSON',
      description: 'The event as `journal export --format jsonl` prints it.',
      resolve: (e) => envelopeToJson(e),
    }),
    line: t.string({
      description: 'The event as `journal dump` prints it.',
      resolve: (e) => envelopeToLine(e),
    }),
  }),
});

interface EventPage {
  readonly edges: readonly Envelope[];
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
}

const EventEdgeRef = builder.objectRef<Envelope>('EventEdge').implement({
  fields: (t) => ({
    cursor: t.string({ description: 'The seq, usable as `after`.', resolve: (e) => String(e.seq) }),
    node: t.field({ type: EventRef, resolve: (e) => e }),
  }),
});

const EventConnectionRef = builder.objectRef<EventPage>('EventConnection').implement({
  fields: (t) => ({
    edges: t.field({ type: [EventEdgeRef], resolve: (p) => p.edges }),
    nodes: t.field({ type: [EventRef], resolve: (p) => p.edges }),
    pageInfo: t.field({
      type: PageInfoRef,
      description: 'endCursor is the last seq examined: pass it as `after` to continue.',
      resolve: (p) => ({ hasNextPage: p.hasNextPage, endCursor: p.endCursor }),
    }),
  }),
});

const EventFilterRef = builder.inputType('EventFilter', {
  fields: (t) => ({
    vrf: t.string({
      required: false,
      description: 'Only route events of this VRF ("global" for the global table).',
    }),
    prefix: t.string({ required: false, description: 'Only route events of this prefix (exact).' }),
    types: t.field({ type: [EventTypeEnum], required: false }),
  }),
});

builder.queryField('events', (t) =>
  t.field({
    type: EventConnectionRef,
    description: 'The journal as a connection, oldest first, after a seq, optionally filtered.',
    args: {
      after: t.arg({
        type: 'Seq',
        required: false,
        description: 'Start after this seq (default 0: the beginning).',
      }),
      first: t.arg.int({ required: false, defaultValue: 100, description: '1..1000.' }),
      filter: t.arg({ type: EventFilterRef, required: false }),
    },
    resolve: async (_root, args, ctx) => {
      const first = checkFirst(args.first, 100);
      const after = args.after ?? 0;
      const head = ctx.api.journal.head();
      const types = args.filter?.types ? new Set<EventType>(args.filter.types) : undefined;
      const vrf = args.filter?.vrf ? vrfArg(args.filter.vrf) : undefined;
      const prefix = args.filter?.prefix ? prefixArg(args.filter.prefix) : undefined;
      const history = ctx.api.indexes.history;
      if (vrf !== undefined || prefix !== undefined) {
        if (types && !types.has('RouteDiscovered') && !types.has('RouteVanished')) {
          return { edges: [], hasNextPage: false, endCursor: String(head) };
        }
        // Indexed: the VRF's (or prefix's) events, read from the index a page at a time.
        const through = head;
        const page = async (after: number, limit: number): Promise<Envelope[]> => {
          const w = { after, through, limit };
          if (prefix === undefined) return history.vrfEvents(vrf!, w);
          const vrfs = vrf !== undefined ? [vrf] : history.vrfsWithRoutes();
          const lists = await Promise.all(vrfs.map((v) => history.prefixEvents(v, prefix, w)));
          return lists
            .flat()
            .sort((a, b) => a.seq - b.seq)
            .slice(0, limit);
        };
        const edges: Envelope[] = [];
        let cursor = after;
        let more = true;
        while (edges.length < first && more) {
          const want = first - edges.length;
          const chunk = await page(cursor, want + 1);
          more = chunk.length > want;
          for (const env of chunk.slice(0, want)) {
            cursor = env.seq;
            if (!types || types.has(env.event.type)) edges.push(env);
          }
        }
        const hasNextPage = more;
        // The index was built through any damaged range: it cannot tell what that range held.
        assertEventsSound(
          ctx.api.journal,
          after + 1,
          hasNextPage && edges.length > 0 ? edges[edges.length - 1]!.seq : head,
        );
        const endCursor =
          edges.length > 0
            ? String(edges[edges.length - 1]!.seq)
            : hasNextPage
              ? String(after)
              : String(head);
        return { edges, hasNextPage, endCursor };
      }
      const edges: Envelope[] = [];
      let last = after;
      let hasNextPage = false;
      scan: for await (const batch of ctx.api.journal.read({
        after,
        through: Math.min(head, after + MAX_SCAN),
      })) {
        for (const env of batch) {
          if (types && !types.has(env.event.type)) {
            last = env.seq;
            continue;
          }
          if (edges.length === first) {
            hasNextPage = true;
            break scan;
          }
          edges.push(env);
          last = env.seq;
        }
      }
      if (!hasNextPage && last < head) hasNextPage = true;
      // A read that skipped a damaged range (--allow-damaged) must not look like a quiet stretch.
      assertEventsSound(ctx.api.journal, after + 1, last);
      return { edges, hasNextPage, endCursor: String(last) };
    },
  }),
);

interface Stats {
  readonly location: string;
  readonly headSeq: number;
  readonly events: number;
  readonly firstTime: number | undefined;
  readonly lastTime: number | undefined;
  readonly sizeOnDisk: number;
}

const JournalStatsRef = builder.objectRef<Stats>('JournalStats').implement({
  fields: (t) => ({
    location: t.exposeString('location'),
    headSeq: t.field({ type: 'Seq', resolve: (s) => s.headSeq }),
    events: t.field({ type: 'Seq', description: 'Number of events.', resolve: (s) => s.events }),
    firstTime: t.field({ type: 'Timestamp', nullable: true, resolve: (s) => s.firstTime ?? null }),
    lastTime: t.field({ type: 'Timestamp', nullable: true, resolve: (s) => s.lastTime ?? null }),
    sizeOnDisk: t.float({
      description: 'Bytes on disk (approximate; 0 for a memory journal).',
      resolve: (s) => s.sizeOnDisk,
    }),
  }),
});

builder.queryField('journal', (t) =>
  t.field({
    type: JournalStatsRef,
    description: 'Journal statistics: head seq, first and last time, event count, size on disk.',
    resolve: async (_root, _args, ctx) => ({
      location: ctx.api.journal.location,
      ...(await ctx.api.journal.stats()),
    }),
  }),
);
