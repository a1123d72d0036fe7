// The collector's GraphQL schema (served at /graphql of the collector): the node schema itself — its
// queries, types and resolvers, run against one node's replica — with an optional `node` argument on
// every query and on `routeChanges`, a `node` field on every object it returns, and the fleet-only fields
// (`nodes`, `whereIs`, `fleetEvents`, and a `fleet<Query>` twin of each one-object query answering every
// node as a list).
//
// No query logic is written twice: the schema is derived from the node schema. Each object an answer
// holds travels with the node it is about (`InNode`), and every field resolver of the node schema is
// wrapped to run with that node's request context (the very context the node's own endpoint,
// /nodes/<name>/graphql, gives the request).
import {
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  defaultFieldResolver,
  getNamedType,
  getNullableType,
  isListType,
  isNonNullType,
  isObjectType,
  lexicographicSortSchema,
} from 'graphql';
import type {
  GraphQLFieldConfig,
  GraphQLFieldConfigArgumentMap,
  GraphQLFieldConfigMap,
  GraphQLFieldResolver,
  GraphQLNamedType,
  GraphQLOutputType,
  GraphQLResolveInfo,
  GraphQLScalarType,
} from 'graphql';
import type { ChangeFeed, RequestContext } from '../api/index.js';
import { apiError, prefixArg, toSchema, vrfArg, vrfExists } from '../api/index.js';
import type { Point } from '../api/index.js';
import type { NodeReplica } from './collector.js';
import type { FleetBatch, FleetSource, NodeStatus } from './queries.js';
import { fleetFeed, nodeStatuses, selectNodes, whereIs } from './queries.js';
import { fleetRouteChanges } from './route-changes.js';
import type { FleetFeedItem } from './route-changes.js';

/** What the fleet schema's resolvers receive (one per request). */
export interface FleetContext {
  readonly fleet: FleetSource;
  /** The request context a node's own endpoint gives this request, over that node's replica. */
  readonly contextOf: (node: NodeReplica) => RequestContext;
  /** A node's route-change feed over its replica (the one its own endpoint serves). */
  readonly feedOf: (node: NodeReplica) => ChangeFeed;
}

const SCOPE = Symbol('node');

/** A value of the node schema with the node it is about and that node's request context. */
interface InNode {
  readonly [SCOPE]: { readonly node: NodeReplica; readonly ctx: RequestContext };
  readonly value: unknown;
}
type Scope = InNode[typeof SCOPE];

/** Tags a resolver's result (a value, a list of them, a promise of either) with its node. */
function inNode(scope: Scope, out: unknown): unknown {
  if (out === null || out === undefined) return out;
  if (out instanceof Promise) return out.then((v: unknown) => inNode(scope, v));
  if (Array.isArray(out)) return out.map((v: unknown) => inNode(scope, v));
  return { [SCOPE]: scope, value: out } satisfies InNode;
}

function scopeOf(ctx: FleetContext, node: NodeReplica): Scope {
  return { node, ctx: ctx.contextOf(node) };
}

const isList = (t: GraphQLOutputType): boolean => isListType(getNullableType(t));
const holdsObjects = (t: GraphQLOutputType): boolean => isObjectType(getNamedType(t));

/** Queries whose one-object answer gets a `fleet<Name>` twin answering a list, one per node. */
const TWINS = ['vrf', 'rib', 'history', 'diff', 'events', 'journal', 'routeCounts'];

const NODE_ARG = {
  type: GraphQLString,
  description: 'Only this node (NOT_FOUND when the collector does not know it); absent: every node.',
};
const ONE_NODE_ARG = {
  type: GraphQLString,
  description:
    'The node asked (NOT_FOUND when the collector does not know it); may be left out only while the collector holds one node.',
};

/** Whether an error is a node's NOT_FOUND (a VRF it does not hold): a fleet twin leaves that node out. */
function notFound(err: unknown): boolean {
  return (err as { extensions?: { code?: unknown } }).extensions?.code === 'NOT_FOUND';
}

class FleetSchemaBuilder {
  private readonly objects = new Map<string, GraphQLObjectType>();

  constructor(private readonly node: GraphQLSchema) {}

  /** The fleet's version of a node schema type: object types re-made with wrapped resolvers. */
  type<T extends GraphQLOutputType>(t: T): GraphQLOutputType {
    if (isNonNullType(t)) return new GraphQLNonNull(this.type(t.ofType) as GraphQLObjectType);
    if (isListType(t)) return new GraphQLList(this.type(t.ofType));
    return isObjectType(t) ? this.object(t) : t;
  }

  named(name: string): GraphQLNamedType {
    const t = this.node.getType(name);
    if (t === undefined || t === null) throw new Error(`the node schema has no type ${name}`);
    return isObjectType(t) ? this.object(t) : t;
  }

  private object(t: GraphQLObjectType): GraphQLObjectType {
    const made = this.objects.get(t.name);
    if (made !== undefined) return made;
    const cfg = t.toConfig();
    const o = new GraphQLObjectType<InNode, FleetContext>({
      ...cfg,
      isTypeOf: undefined,
      fields: () => {
        const fields: GraphQLFieldConfigMap<InNode, FleetContext> = {};
        if (cfg.fields['node'] === undefined)
          fields['node'] = {
            type: new GraphQLNonNull(GraphQLString),
            description: 'The node this is about.',
            resolve: (src) => src[SCOPE].node.name,
          };
        for (const [name, f] of Object.entries(cfg.fields)) fields[name] = this.field(f);
        return fields;
      },
    });
    this.objects.set(t.name, o);
    return o;
  }

  /** A field of a node type, resolved by the node's resolver in its node's context. */
  private field(f: GraphQLFieldConfig<unknown, unknown>): GraphQLFieldConfig<InNode, FleetContext> {
    const resolve: GraphQLFieldResolver<unknown, unknown> = f.resolve ?? defaultFieldResolver;
    const tag = holdsObjects(f.type);
    return {
      ...f,
      type: this.type(f.type),
      resolve: (src, args, _ctx, info) => {
        const scope = src[SCOPE];
        const out = resolve(src.value, args, scope.ctx, info);
        return tag ? inNode(scope, out) : out;
      },
    };
  }

  /** A root query of the node schema with `node`; absent, a list query spans every node. */
  query(name: string, f: GraphQLFieldConfig<unknown, unknown>): GraphQLFieldConfig<unknown, FleetContext> {
    const resolve = f.resolve ?? defaultFieldResolver;
    const list = isList(f.type);
    return {
      ...f,
      description: `${f.description ?? ''}${list ? ' On every node, or on `node`.' : ' On `node` (may be left out when the collector holds one node; `fleet' + capital(name) + '` answers every node).'}`,
      type: this.type(f.type),
      args: { ...f.args, node: list ? NODE_ARG : ONE_NODE_ARG },
      resolve: async (root, { node, ...args }: Record<string, unknown>, ctx, info) => {
        const nodes = selectNodes(ctx.fleet, node as string | null | undefined);
        if (list) {
          const parts = await Promise.all(
            nodes.map((n) => {
              const scope = scopeOf(ctx, n);
              return inNode(scope, resolve(root, args, scope.ctx, info));
            }),
          );
          return (parts as unknown[][]).flat();
        }
        if (nodes.length !== 1)
          throw apiError(
            'BAD_ARGUMENT',
            `${name} answers about one node: give node (one of ${nodes.map((n) => n.name).join(', ') || 'none yet'}), or ask fleet${capital(name)} for every node`,
            { nodes: nodes.map((n) => n.name) },
          );
        const scope = scopeOf(ctx, nodes[0]!);
        return inNode(scope, resolve(root, args, scope.ctx, info));
      },
    };
  }

  /** `fleet<Name>`: a one-object query answered on every node (or `node`) as a list; nodes where it is NOT_FOUND are left out. */
  twin(name: string, f: GraphQLFieldConfig<unknown, unknown>): GraphQLFieldConfig<unknown, FleetContext> {
    const resolve = f.resolve ?? defaultFieldResolver;
    const item = this.type(getNullableType(f.type));
    return {
      description: `\`${name}\` on every node (or on \`node\`), one answer per node that has one.`,
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(item))),
      args: { ...f.args, node: NODE_ARG },
      resolve: async (root, { node, ...args }: Record<string, unknown>, ctx, info) => {
        const out: unknown[] = [];
        for (const n of selectNodes(ctx.fleet, node as string | null | undefined)) {
          const scope = scopeOf(ctx, n);
          try {
            const v: unknown = await resolve(root, args, scope.ctx, info);
            if (v !== null && v !== undefined) out.push(inNode(scope, v));
          } catch (err) {
            if (!notFound(err) || (node !== null && node !== undefined)) throw err;
          }
        }
        return out;
      },
    };
  }
}

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function fleetOnlyTypes(b: FleetSchemaBuilder): {
  node: GraphQLObjectType<NodeStatus>;
  batch: GraphQLObjectType<FleetBatch, FleetContext>;
  cursor: GraphQLInputObjectType;
} {
  const seq = b.named('Seq') as GraphQLScalarType;
  const timestamp = b.named('Timestamp') as GraphQLScalarType;
  const node = new GraphQLObjectType<NodeStatus>({
    name: 'FleetNode',
    description: 'A node publishing its journal to the fleet stream, as this collector holds it.',
    fields: {
      name: { type: new GraphQLNonNull(GraphQLString) },
      headSeq: { type: new GraphQLNonNull(seq), description: 'Last seq of the node held here.' },
      lastEventTime: { type: timestamp },
      lag: {
        type: new GraphQLNonNull(GraphQLInt),
        description: 'Events of the node already in the stream but not yet applied here.',
      },
      paths: { type: new GraphQLNonNull(GraphQLInt) },
      gapAt: {
        type: seq,
        description: 'Set when the stream no longer held events this collector lacked (retention).',
      },
    },
  });
  const event = b.named('Event') as GraphQLObjectType;
  const batch = new GraphQLObjectType<FleetBatch, FleetContext>({
    name: 'FleetEventBatch',
    description: "One node's events in seq order; resume with `after: [{node, seq: throughSeq}, ...]`.",
    fields: {
      node: { type: new GraphQLNonNull(GraphQLString) },
      throughSeq: { type: new GraphQLNonNull(seq) },
      events: {
        type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(event))),
        resolve: (bt, _a, ctx) => {
          const n = ctx.fleet.node(bt.node);
          return n === undefined ? [] : inNode(scopeOf(ctx, n), bt.events);
        },
      },
    },
  });
  const cursor = new GraphQLInputObjectType({
    name: 'NodeCursor',
    description: "A node's resume point: every event with seq <= `seq` was received.",
    fields: {
      node: { type: new GraphQLNonNull(GraphQLString) },
      seq: { type: new GraphQLNonNull(seq) },
    },
  });
  return { node, batch, cursor };
}

interface RouteChangeArgs {
  node?: string | null;
  vrf?: string | null;
  prefix?: string | null;
  moreSpecific?: boolean | null;
  after?: number | null;
  cursors?: readonly { node: string; seq: number }[] | null;
  heartbeatSeconds?: number | null;
}

/** A subscription's items tagged with their node's scope (returning it ends the source too). */
async function* tagItems<T>(
  items: AsyncIterable<T>,
  scopeFor: (item: T) => Scope,
  valueOf: (item: T) => unknown = (x) => x,
): AsyncGenerator<InNode> {
  for await (const item of items) yield { [SCOPE]: scopeFor(item), value: valueOf(item) };
}

/** `routeChanges` on `node` (the node's own subscription), or merged over every node from per-node cursors. */
function routeChanges(
  b: FleetSchemaBuilder,
  f: GraphQLFieldConfig<unknown, unknown>,
  cursor: GraphQLInputObjectType,
): GraphQLFieldConfig<unknown, FleetContext> {
  const subscribe = f.subscribe!;
  const resolve = f.resolve ?? defaultFieldResolver;
  return {
    ...f,
    description: `${f.description ?? ''} On \`node\`, or on every node (resume with \`cursors\`, one per node; a node without one starts now, a node first seen later at seq 1).`,
    type: b.type(f.type),
    args: {
      ...f.args,
      node: NODE_ARG,
      cursors: {
        type: new GraphQLList(new GraphQLNonNull(cursor)),
        description: 'Per-node resume points (with `after` and `node`: that node from `after`).',
      },
    } satisfies GraphQLFieldConfigArgumentMap,
    subscribe: async (root, a: RouteChangeArgs, ctx, info: GraphQLResolveInfo) => {
      const { node, cursors, ...args } = a;
      if (node !== null && node !== undefined && (cursors ?? []).length === 0) {
        // One node: its own subscription, as its endpoint serves it (its checks throw here).
        const scope = scopeOf(ctx, selectNodes(ctx.fleet, node)[0]!);
        const items = (await subscribe(root, args, scope.ctx, info)) as AsyncIterable<unknown>;
        return tagItems(items, () => scope);
      }
      const after = new Map<string, number>();
      for (const c of cursors ?? []) after.set(c.node, c.seq);
      if (a.after !== null && a.after !== undefined) {
        if (node === null || node === undefined)
          throw apiError('BAD_ARGUMENT', 'after needs node; across the fleet resume with cursors');
        after.set(node, a.after);
      }
      const hb = a.heartbeatSeconds;
      if (hb !== null && hb !== undefined && !(hb >= 0.05 && hb <= 3600))
        throw apiError('BAD_ARGUMENT', `heartbeatSeconds must be between 0.05 and 3600, got ${hb}`);
      const vrf = a.vrf ? vrfArg(a.vrf) : undefined;
      for (const n of selectNodes(ctx.fleet, node)) {
        const seq = after.get(n.name);
        if (seq !== undefined && seq > n.journal.head())
          throw apiError(
            'BAD_ARGUMENT',
            `after (${seq}) is beyond node ${n.name}'s head (${n.journal.head()})`,
            {
              node: n.name,
            },
          );
        if (node && vrf !== undefined && !vrfExists(n.rib, vrf))
          throw apiError('NOT_FOUND', `VRF "${a.vrf}" not found on node ${n.name}`, {
            vrf: a.vrf,
            node: n.name,
          });
      }
      const scopes = new Map<string, Scope>();
      const merged = fleetRouteChanges(ctx.fleet, ctx.feedOf, {
        filter: {
          vrf,
          prefix: a.prefix ? prefixArg(a.prefix) : undefined,
          moreSpecific: a.moreSpecific ?? false,
        },
        node,
        after,
        heartbeatMs: hb === null || hb === undefined ? undefined : hb * 1000,
      });
      return tagItems(
        merged,
        (x: FleetFeedItem) => {
          let scope = scopes.get(x.node);
          if (scope === undefined) {
            scope = scopeOf(ctx, ctx.fleet.node(x.node)!);
            scopes.set(x.node, scope);
          }
          return scope;
        },
        (x: FleetFeedItem) => x.item,
      );
    },
    resolve: (src, args, _ctx, info) => {
      const { [SCOPE]: scope, value } = src as InNode;
      // The node's resolver turns an error item into the node's GraphQL error; the fleet adds the node.
      try {
        return inNode(scope, resolve(value, args, scope.ctx, info));
      } catch (err) {
        const e = err as { extensions?: Record<string, unknown>; message?: string };
        const code = e.extensions?.['code'];
        if (typeof code !== 'string') throw err;
        throw apiError(code as Parameters<typeof apiError>[0], e.message ?? String(err), {
          ...e.extensions,
          node: scope.node.name,
        });
      }
    },
  };
}

function build(): GraphQLSchema {
  const nodeSchema = toSchema();
  const b = new FleetSchemaBuilder(nodeSchema);
  const { node: nodeType, batch, cursor } = fleetOnlyTypes(b);
  const queries = nodeSchema.getQueryType()!.toConfig().fields;
  const query: GraphQLFieldConfigMap<unknown, FleetContext> = {
    nodes: {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(nodeType))),
      description: 'The nodes this collector receives, with their lag.',
      args: { node: NODE_ARG },
      resolve: (_r, a: { node?: string | null }, ctx) => nodeStatuses(ctx.fleet, a.node),
    },
    whereIs: {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(b.named('Path') as GraphQLObjectType))),
      description:
        'The nodes that held `prefix` at `at` (now when absent), with their paths, in `vrf` or in any VRF.',
      args: {
        prefix: { type: new GraphQLNonNull(GraphQLString) },
        vrf: { type: GraphQLString, description: '"global" for the global table; absent: every VRF.' },
        at: { type: b.named('SeqOrTime') as GraphQLScalarType },
        node: NODE_ARG,
      },
      resolve: async (
        _r,
        a: { prefix: string; vrf?: string | null; at?: Point | null; node?: string | null },
        ctx,
      ) => {
        const vrf = a.vrf === null || a.vrf === undefined ? undefined : vrfArg(a.vrf);
        const paths = await whereIs(ctx.fleet, prefixArg(a.prefix), vrf, a.at, a.node);
        return paths.map(({ node, ...p }) => inNode(scopeOf(ctx, ctx.fleet.node(node)!), p));
      },
    },
  };
  for (const [name, f] of Object.entries(queries)) {
    query[name] = b.query(name, f);
    if (TWINS.includes(name)) query[`fleet${capital(name)}`] = b.twin(name, f);
  }
  const subs = nodeSchema.getSubscriptionType()!.toConfig().fields;
  const subscription: GraphQLFieldConfigMap<unknown, FleetContext> = {
    routeChanges: routeChanges(b, subs['routeChanges']!, cursor),
    fleetEvents: {
      type: new GraphQLNonNull(batch),
      description:
        'Every committed event of every node (or `node`), per node in seq order, resumable without gap or duplicate from a per-node cursor; nodes without a cursor start now, nodes first seen later from seq 1.',
      args: { node: NODE_ARG, after: { type: new GraphQLList(new GraphQLNonNull(cursor)) } },
      subscribe: (
        _r,
        a: { node?: string | null; after?: readonly { node: string; seq: number }[] | null },
        ctx,
      ) => {
        const after = new Map<string, number>();
        for (const c of a.after ?? []) after.set(c.node, c.seq);
        return fleetFeed(ctx.fleet, after, a.node);
      },
      resolve: (x) => x,
    },
  };
  return lexicographicSortSchema(
    new GraphQLSchema({
      description:
        "A ribjournal collector: every node's journal as the node serves it (`node` argument), and the fleet.",
      query: new GraphQLObjectType({ name: 'Query', fields: query }),
      subscription: new GraphQLObjectType({ name: 'Subscription', fields: subscription }),
    }),
  );
}

let schema: GraphQLSchema | undefined;

/** The collector's schema (built once). */
export function fleetSchema(): GraphQLSchema {
  schema ??= build();
  return schema;
}
