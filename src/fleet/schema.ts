// The collector's fleet-wide GraphQL schema (served at /graphql of the collector): the nodes and their
// lag, whereIs, and the RIB / VRFs / events / history / live changes of every node or of one (`node`).
// Each node's own, complete node schema is served beside it at /nodes/<name>/graphql.
import SchemaBuilder from '@pothos/core';
import type { GraphQLSchema, ValueNode } from 'graphql';
import { Kind } from 'graphql';
import type { ApiScalars } from '../api/index.js';
import { apiError } from '../api/index.js';
import { parsePoint, parseSeq } from '../api/index.js';
import { checkFirst, prefixArg, vrfArg } from '../api/index.js';
import type { PathView } from '../api/index.js';
import { vrfExists } from '../api/index.js';
import { ribDiff } from '../api/index.js';
import type { RibDiff } from '../api/index.js';
import type { ChangeFeed, RouteChange, RouteChangeBatch } from '../api/index.js';
import { envelopeToJson, isRouteEvent, vrfDisplayName } from '../events/index.js';
import { formatMicros } from '../shared/index.js';
import type { NodeReplica } from './collector.js';
import type { FleetBatch, FleetEvent, FleetPath, FleetSource, FleetVrf, NodeStatus } from './queries.js';
import {
  fleetEvents,
  fleetFeed,
  fleetHistory,
  fleetRib,
  fleetVrf,
  fleetVrfs,
  nodeStatuses,
  selectNodes,
  whereIs,
} from './queries.js';
import { fleetRouteChanges } from './route-changes.js';
import type { FleetFeedItem } from './route-changes.js';

export interface FleetContext {
  readonly fleet: FleetSource;
  /** A node's route-change feed over its replica (the one its own endpoint serves). */
  readonly feedOf: (node: NodeReplica) => ChangeFeed;
}

const builder = new SchemaBuilder<{
  Context: FleetContext;
  Scalars: ApiScalars;
  DefaultFieldNullability: false;
}>({ defaultFieldNullability: false });

function literal(node: ValueNode): unknown {
  if (node.kind === Kind.INT) return Number(node.value);
  if (node.kind === Kind.STRING) return node.value;
  throw apiError('BAD_ARGUMENT', `expected a string or an integer, got ${node.kind}`);
}

builder.scalarType('Seq', {
  description: 'A node journal sequence number, serialised as a decimal string.',
  serialize: (n) => String(n),
  parseValue: (v) => parseSeq(v),
  parseLiteral: (node) => parseSeq(literal(node)),
});
builder.scalarType('Timestamp', {
  description: 'RFC 3339, UTC, with microseconds.',
  serialize: (micros) => formatMicros(micros),
  parseValue: () => {
    throw apiError('BAD_ARGUMENT', 'Timestamp is an output type here');
  },
});
builder.scalarType('SeqOrTime', {
  description:
    'A point in history: an RFC 3339 time with zone, a time relative to now ("-15m"), or a seq (per node).',
  serialize: () => {
    throw apiError('INTERNAL', 'SeqOrTime is an input type');
  },
  parseValue: (v) => parsePoint(v, () => Date.now() * 1000),
  parseLiteral: (node) => parsePoint(literal(node), () => Date.now() * 1000),
});
builder.scalarType('JSON', { description: 'A JSON value.', serialize: (v) => v, parseValue: (v) => v });

const NodeRef = builder.objectRef<NodeStatus>('FleetNode').implement({
  description: 'A node publishing its journal to the fleet stream, as this collector holds it.',
  fields: (t) => ({
    name: t.exposeString('name'),
    headSeq: t.field({
      type: 'Seq',
      description: 'Last seq of the node held here.',
      resolve: (n) => n.headSeq,
    }),
    lastEventTime: t.field({ type: 'Timestamp', nullable: true, resolve: (n) => n.lastEventTime ?? null }),
    lag: t.int({
      description: 'Events of the node already in the stream but not yet applied here.',
      resolve: (n) => n.lag,
    }),
    paths: t.int({ resolve: (n) => n.paths }),
    gapAt: t.field({
      type: 'Seq',
      nullable: true,
      description: 'Set when the stream no longer held events this collector lacked (retention).',
      resolve: (n) => n.gapAt ?? null,
    }),
  }),
});

const PathRef = builder.objectRef<FleetPath>('FleetPath').implement({
  fields: (t) => ({
    node: t.exposeString('node'),
    vrf: t.exposeString('vrf'),
    family: t.exposeString('family'),
    prefix: t.exposeString('prefix'),
    interface: t.exposeString('interface'),
    ifindex: t.exposeInt('ifindex'),
    address: t.exposeString('address'),
    nlri: t.exposeString('nlri'),
    rd: t.string({ nullable: true, resolve: (p) => p.rd }),
    best: t.exposeBoolean('best'),
    seq: t.field({ type: 'Seq', resolve: (p) => p.seq }),
    time: t.field({ type: 'Timestamp', resolve: (p) => p.time }),
  }),
});

const VrfRef = builder.objectRef<FleetVrf>('FleetVrf').implement({
  fields: (t) => ({
    node: t.exposeString('node'),
    name: t.exposeString('name'),
    rd: t.string({ nullable: true, resolve: (v) => v.rd }),
    ipv4: t.exposeInt('ipv4'),
    ipv6: t.exposeInt('ipv6'),
  }),
});

const EventRef = builder.objectRef<FleetEvent>('FleetEvent').implement({
  fields: (t) => ({
    node: t.exposeString('node'),
    seq: t.field({ type: 'Seq', resolve: (e) => e.env.seq }),
    time: t.field({ type: 'Timestamp', resolve: (e) => e.env.time }),
    type: t.string({ resolve: (e) => e.env.event.type }),
    vrf: t.string({
      nullable: true,
      resolve: (e) => (isRouteEvent(e.env.event) ? vrfDisplayName(e.env.event.vrf) : null),
    }),
    prefix: t.string({
      nullable: true,
      resolve: (e) => (isRouteEvent(e.env.event) ? e.env.event.prefix : null),
    }),
    json: t.field({
      type: 'JSON',
      description: 'The event as `journal dump --json` shows it.',
      resolve: (e) => envelopeToJson(e.env),
    }),
  }),
});

const BatchRef = builder.objectRef<FleetBatch>('FleetEventBatch').implement({
  description: "One node's events in seq order; resume with `after: [{node, seq: throughSeq}, ...]`.",
  fields: (t) => ({
    node: t.exposeString('node'),
    throughSeq: t.field({ type: 'Seq', resolve: (b) => b.throughSeq }),
    events: t.field({
      type: [EventRef],
      resolve: (b) => b.events.map((env) => ({ node: b.node, env })),
    }),
  }),
});

const CursorInput = builder.inputType('NodeCursor', {
  description: "A node's resume point: every event with seq <= `seq` was received.",
  fields: (t) => ({
    node: t.string({ required: true }),
    seq: t.field({ type: 'Seq', required: true }),
  }),
});

const tagged = (node: string, p: PathView): FleetPath => ({ ...p, node });

const RibDiffRef = builder.objectRef<{ node: string; d: RibDiff }>('RibDiff').implement({
  description: "One node's diff, as a node's own `diff` answers it, with the node.",
  fields: (t) => ({
    node: t.string({ resolve: (x) => x.node }),
    vrf: t.string({ resolve: (x) => vrfDisplayName(x.d.vrf) }),
    from: t.field({ type: 'Seq', resolve: (x) => x.d.from.seq }),
    to: t.field({ type: 'Seq', resolve: (x) => x.d.to.seq }),
    fromTime: t.field({ type: 'Timestamp', nullable: true, resolve: (x) => x.d.from.time || null }),
    toTime: t.field({ type: 'Timestamp', nullable: true, resolve: (x) => x.d.to.time || null }),
    added: t.field({ type: [PathRef], resolve: (x) => x.d.added.map((p) => tagged(x.node, p)) }),
    removed: t.field({ type: [PathRef], resolve: (x) => x.d.removed.map((p) => tagged(x.node, p)) }),
    addedCount: t.int({ resolve: (x) => x.d.addedCount }),
    removedCount: t.int({ resolve: (x) => x.d.removedCount }),
  }),
});

const RouteChangeTypeEnum = builder.enumType('RouteChangeType', {
  values: { DISCOVERED: {}, VANISHED: {} } as const,
});

const RouteChangeRef = builder.objectRef<{ node: string; c: RouteChange }>('RouteChange').implement({
  fields: (t) => ({
    node: t.string({ resolve: (x) => x.node }),
    seq: t.field({ type: 'Seq', resolve: (x) => x.c.seq }),
    time: t.field({ type: 'Timestamp', resolve: (x) => x.c.time }),
    type: t.field({ type: RouteChangeTypeEnum, resolve: (x) => x.c.type }),
    withdrawn: t.boolean({ resolve: (x) => x.c.type === 'VANISHED' }),
    vrf: t.string({ resolve: (x) => x.c.vrf }),
    reason: t.string({ nullable: true, resolve: (x) => x.c.reason }),
    path: t.field({ type: PathRef, resolve: (x) => tagged(x.node, x.c.path) }),
  }),
});

const RouteChangeBatchRef = builder
  .objectRef<{ node: string; b: RouteChangeBatch }>('RouteChangeBatch')
  .implement({
    description:
      "One node's route changes as its own `routeChanges` sends them; resume with `cursors: [{node, seq: throughSeq}, ...]` (or `node` and `after`).",
    fields: (t) => ({
      node: t.string({ resolve: (x) => x.node }),
      changes: t.field({
        type: [RouteChangeRef],
        resolve: (x) => x.b.changes.map((c) => ({ node: x.node, c })),
      }),
      throughSeq: t.field({ type: 'Seq', resolve: (x) => x.b.throughSeq }),
      headSeq: t.field({ type: 'Seq', resolve: (x) => x.b.headSeq }),
      heartbeat: t.boolean({ resolve: (x) => x.b.heartbeat }),
      time: t.field({ type: 'Timestamp', resolve: (x) => x.b.time }),
    }),
  });

const optVrf = (v: string | null | undefined): string | undefined =>
  v === null || v === undefined ? undefined : vrfArg(v);

builder.queryType({
  description: 'Fleet-wide views over every node this collector receives (`node` narrows to one).',
  fields: (t) => ({
    nodes: t.field({
      type: [NodeRef],
      resolve: (_r, _a, ctx) => nodeStatuses(ctx.fleet),
    }),
    whereIs: t.field({
      type: [PathRef],
      description:
        'The nodes that held `prefix` at `at` (now when absent), with their paths, in `vrf` or in any.',
      args: {
        prefix: t.arg.string({ required: true }),
        vrf: t.arg.string(),
        at: t.arg({ type: 'SeqOrTime' }),
        node: t.arg.string(),
      },
      resolve: (_r, a, ctx) => whereIs(ctx.fleet, prefixArg(a.prefix), optVrf(a.vrf), a.at, a.node),
    }),
    vrfs: t.field({
      type: [VrfRef],
      args: { node: t.arg.string() },
      resolve: (_r, a, ctx) => fleetVrfs(ctx.fleet, a.node),
    }),
    vrf: t.field({
      type: [VrfRef],
      description:
        'One VRF ("global" for the global table) on every node holding it, now or `at`; with `node` NOT_FOUND when that node does not.',
      args: {
        name: t.arg.string({ required: true }),
        node: t.arg.string(),
        at: t.arg({ type: 'SeqOrTime' }),
      },
      resolve: (_r, a, ctx) => fleetVrf(ctx.fleet, vrfArg(a.name), a.name, a.at, a.node),
    }),
    rib: t.field({
      type: [PathRef],
      description:
        'Paths of a VRF on every node (or `node`), now or `at`; at most `first` (default 1000, max 10000).',
      args: {
        vrf: t.arg.string({ required: true }),
        node: t.arg.string(),
        at: t.arg({ type: 'SeqOrTime' }),
        first: t.arg.int(),
      },
      resolve: (_r, a, ctx) =>
        fleetRib(ctx.fleet, vrfArg(a.vrf), a.at, a.node, checkFirst(a.first, 1000, 10_000)),
    }),
    events: t.field({
      type: [EventRef],
      description: 'Events after `after` (per node), at most `first` per node (default 100, max 1000).',
      args: { node: t.arg.string(), after: t.arg({ type: 'Seq' }), first: t.arg.int() },
      resolve: (_r, a, ctx) => fleetEvents(ctx.fleet, a.node, a.after ?? 0, checkFirst(a.first, 100)),
    }),
    diff: t.field({
      type: [RibDiffRef],
      description:
        "Paths added and removed in a VRF between two points, the window (from, to], per node (the node's own `diff`); every node holding the VRF at either point, or `node`.",
      args: {
        vrf: t.arg.string({ required: true }),
        from: t.arg({ type: 'SeqOrTime', required: true }),
        to: t.arg({ type: 'SeqOrTime' }),
        node: t.arg.string(),
        first: t.arg.int({ description: 'At most this many of each list per node, 1..1000 (default 1000).' }),
      },
      resolve: async (_r, a, ctx) => {
        const req = {
          vrf: vrfArg(a.vrf),
          vrfName: a.vrf,
          from: a.from,
          to: a.to,
          first: checkFirst(a.first, 1000),
        };
        const single = a.node !== null && a.node !== undefined;
        const out: { node: string; d: RibDiff }[] = [];
        for (const n of selectNodes(ctx.fleet, a.node)) {
          const d = await ribDiff(n.api, req, !single);
          if (d !== undefined) out.push({ node: n.name, d });
        }
        return out;
      },
    }),
    history: t.field({
      type: [EventRef],
      description: 'Every event of `prefix` in `vrf` (default global) on every node (or `node`).',
      args: { prefix: t.arg.string({ required: true }), vrf: t.arg.string(), node: t.arg.string() },
      resolve: (_r, a, ctx) => fleetHistory(ctx.fleet, prefixArg(a.prefix), optVrf(a.vrf) ?? '', a.node),
    }),
  }),
});

builder.subscriptionType({
  fields: (t) => ({
    fleetEvents: t.field({
      type: BatchRef,
      description:
        'Every committed event of every node (or `node`), per node in seq order, resumable without gap or duplicate from a per-node cursor; nodes without a cursor start now, nodes first seen later from seq 1.',
      args: { node: t.arg.string(), after: t.arg({ type: [CursorInput] }) },
      subscribe: (_r, a, ctx) => {
        const after = new Map<string, number>();
        for (const c of a.after ?? []) after.set(c.node, c.seq);
        return fleetFeed(ctx.fleet, after, a.node);
      },
      resolve: (b) => b,
    }),
    routeChanges: t.field({
      type: RouteChangeBatchRef,
      description:
        "Route changes of every node (or `node`), each node's as its own `routeChanges` sends them. Resume with `cursors` (per node), or with `node` and `after`; without a cursor a node starts now, a node first seen later at seq 1.",
      args: {
        node: t.arg.string(),
        vrf: t.arg.string({ description: 'Only this VRF ("global" for the global table).' }),
        prefix: t.arg.string(),
        moreSpecific: t.arg.boolean({ defaultValue: false }),
        after: t.arg({
          type: 'Seq',
          description: "With `node`: replay that node's journal after this seq first.",
        }),
        cursors: t.arg({ type: [CursorInput] }),
        heartbeatSeconds: t.arg.float({
          description: 'Heartbeat period per node, 0.05..3600 s (default 15).',
        }),
      },
      subscribe: (_r, a, ctx) => {
        const vrf = a.vrf ? vrfArg(a.vrf) : undefined;
        const prefix = a.prefix ? prefixArg(a.prefix) : undefined;
        const hb = a.heartbeatSeconds;
        if (hb !== null && hb !== undefined && !(hb >= 0.05 && hb <= 3600)) {
          throw apiError('BAD_ARGUMENT', `heartbeatSeconds must be between 0.05 and 3600, got ${hb}`);
        }
        const after = new Map<string, number>();
        for (const c of a.cursors ?? []) after.set(c.node, c.seq);
        const nodes = selectNodes(ctx.fleet, a.node);
        if (a.after !== null && a.after !== undefined) {
          if (a.node === null || a.node === undefined)
            throw apiError('BAD_ARGUMENT', 'after needs node; across the fleet resume with cursors');
          after.set(a.node, a.after);
        }
        for (const n of nodes) {
          const seq = after.get(n.name);
          if (seq !== undefined && seq > n.journal.head())
            throw apiError(
              'BAD_ARGUMENT',
              `after (${seq}) is beyond node ${n.name}'s head (${n.journal.head()})`,
              {
                node: n.name,
              },
            );
          if (a.node && vrf !== undefined && !vrfExists(n.rib, vrf))
            throw apiError('NOT_FOUND', `VRF "${a.vrf}" not found on node ${n.name}`, {
              vrf: a.vrf,
              node: n.name,
            });
        }
        return fleetRouteChanges(ctx.fleet, ctx.feedOf, {
          filter: { vrf, prefix, moreSpecific: a.moreSpecific ?? false },
          node: a.node,
          after,
          heartbeatMs: hb === null || hb === undefined ? undefined : hb * 1000,
        });
      },
      resolve: (x: FleetFeedItem) => {
        if ('error' in x.item) {
          const e = x.item.error;
          throw apiError(e.code, e.message, { ...(e.details ?? {}), node: x.node });
        }
        return { node: x.node, b: x.item };
      },
    }),
  }),
});

let schema: GraphQLSchema | undefined;

/** The fleet schema (built once). */
export function fleetSchema(): GraphQLSchema {
  schema ??= builder.toSchema({ sortSchema: true });
  return schema;
}
