// Path, its connection, and the `rib` query (the global table or a VRF's, at any point in history).
import { builder } from '../builder.js';
import { assertVrf, checkFirst, edgeCursor, prefixArg, ribPage, ribViewAt, vrfArg } from '../rib-query.js';
import type { PathEdge, PrefixMatch, RibPage } from '../rib-query.js';
import type { RequestContext } from '../builder.js';
import type { RibView, PathView } from '../views.js';
import type { Family } from '../../events/index.js';

export const FamilyEnum = builder.enumType('Family', {
  description: 'Address family of a prefix.',
  values: ['ipv4', 'ipv6'] as const,
});

export const PrefixMatchEnum = builder.enumType('PrefixMatch', {
  description:
    'How a prefix filter matches, as in `gobgp global rib PREFIX [longer-prefixes|shorter-prefixes]`.',
  values: {
    EXACT: { description: 'That prefix only.' },
    LONGER: { description: 'That prefix and every more specific one within it.' },
    SHORTER: { description: 'That prefix and every less specific one containing it.' },
  } as const,
});

export const PathRef = builder.objectRef<PathView>('Path').implement({
  description: 'A connected route in a VRF (or the global table), learned from one interface.',
  fields: (t) => ({
    vrf: t.exposeString('vrf', { description: 'VRF name; "global" for the global table.' }),
    family: t.field({ type: FamilyEnum, resolve: (p) => p.family }),
    prefix: t.exposeString('prefix'),
    interface: t.exposeString('interface'),
    ifindex: t.exposeInt('ifindex'),
    address: t.exposeString('address', {
      description:
        'The interface address the prefix comes from: the local RIB\'s next hop ("Next Hop" in the CLI).',
    }),
    nlri: t.exposeString('nlri', {
      description: 'The NLRI as BGP carries it: RD:prefix in a VRF, the prefix in the global table.',
    }),
    rd: t.exposeString('rd', {
      nullable: true,
      description: 'Route distinguisher of the VRF (null for the global table).',
    }),
    exportRts: t.exposeStringList('exportRts', {
      description: 'Export route targets (extended communities) sent with it.',
    }),
    discovered: t.field({
      type: 'Timestamp',
      description: 'When it was discovered.',
      resolve: (p) => p.time,
    }),
    seq: t.field({
      type: 'Seq',
      description: 'Seq of the RouteDiscovered that created it.',
      resolve: (p) => p.seq,
    }),
    best: t.exposeBoolean('best', { description: 'Best path of its prefix (lowest ifindex).' }),
  }),
});

export const PageInfoRef = builder
  .objectRef<{ hasNextPage: boolean; endCursor: string | null }>('PageInfo')
  .implement({
    fields: (t) => ({
      hasNextPage: t.exposeBoolean('hasNextPage'),
      endCursor: t.exposeString('endCursor', {
        nullable: true,
        description: 'Pass as `after` for the next page.',
      }),
    }),
  });

const PathEdgeRef = builder.objectRef<PathEdge>('PathEdge').implement({
  fields: (t) => ({
    cursor: t.string({ resolve: (e) => edgeCursor(e) }),
    node: t.field({ type: PathRef, resolve: (e) => e.node }),
  }),
});

export const PathConnectionRef = builder.objectRef<RibPage>('PathConnection').implement({
  description: 'A page of a RIB, in address order (IPv4 first), best path first within a prefix.',
  fields: (t) => ({
    edges: t.field({ type: [PathEdgeRef], resolve: (c) => c.edges }),
    nodes: t.field({ type: [PathRef], resolve: (c) => c.edges.map((e) => e.node) }),
    pageInfo: t.field({ type: PageInfoRef, resolve: (c) => c.pageInfo }),
    totalCount: t.int({
      description: 'Paths matching the filter (all pages).',
      resolve: (c) => c.totalCount(),
    }),
    seq: t.field({
      type: 'Seq',
      description: 'The point in history the page shows: every event up to this seq and none after.',
      resolve: (c) => c.seq,
    }),
    time: t.field({
      type: 'Timestamp',
      nullable: true,
      description: 'Time of the event at `seq`.',
      resolve: (c) => c.time || null,
    }),
  }),
});

/** Arguments of every RIB field. */
export const ribFilterArgs = builder.args((t) => ({
  family: t.field({ type: FamilyEnum, required: false }),
  prefix: t.string({ required: false, description: 'Prefix filter, e.g. 10.1.0.0/16.' }),
  match: t.field({ type: PrefixMatchEnum, required: false, defaultValue: 'EXACT' }),
  first: t.int({ required: false, defaultValue: 100, description: 'Page size, 1..1000.' }),
  after: t.string({ required: false, description: 'Cursor: the endCursor of the previous page.' }),
}));

export interface RibFilterArgs {
  family?: Family | null | undefined;
  prefix?: string | null | undefined;
  match?: PrefixMatch | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}

/** Answers a RIB field from a view (live or past). */
export function ribFromView(ctx: RequestContext, view: RibView, vrf: string, args: RibFilterArgs): RibPage {
  return ribPage(view, ctx.api.indexes.history.prefixOrder(vrf), {
    vrf,
    family: args.family ?? undefined,
    prefix: args.prefix ? prefixArg(args.prefix) : undefined,
    match: args.match ?? 'EXACT',
    first: checkFirst(args.first, 100),
    after: args.after ?? undefined,
  });
}

builder.queryField('rib', (t) =>
  t.field({
    type: PathConnectionRef,
    description: 'The RIB of a VRF ("global" for the global table), now or at any point in history (`at`).',
    args: {
      vrf: t.arg.string({ required: false, defaultValue: 'global' }),
      at: t.arg({ type: 'SeqOrTime', required: false, description: 'Answer with the RIB as it was then.' }),
      ...ribFilterArgs,
    },
    resolve: async (_root, args, ctx) => {
      const name = args.vrf ?? 'global';
      const vrf = vrfArg(name);
      const prefix = args.prefix ? prefixArg(args.prefix) : undefined;
      checkFirst(args.first, 100);
      const view = await ribViewAt(ctx.api, args.at, [vrf]);
      assertVrf(view, vrf, name);
      return ribFromView(ctx, view, vrf, { ...args, prefix });
    },
  }),
);
