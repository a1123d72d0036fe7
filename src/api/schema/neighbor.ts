// Neighbor: the BGP speaker's sessions (issue 6), what `gobgp neighbor` shows plus the outbound queue,
// and the `neighbors` / `neighbor(address)` queries.
import type { AdjRibRoute, MessageCounts, NeighborStatus, PeerState } from '../../bgp/index.js';
import type { BgpFamily } from '../../bgp/codec/index.js';
import { formatCommunity } from '../../config/index.js';
import { plainAddress } from '../../bgp/index.js';
import { builder } from '../builder.js';
import { apiError } from '../errors.js';

const SessionStateEnum = builder.enumType('SessionState', {
  description: 'RFC 4271 8.2.2 state of a neighbor (that of its most advanced connection).',
  values: {
    IDLE: { value: 'idle' },
    CONNECT: { value: 'connect' },
    ACTIVE: { value: 'active' },
    OPENSENT: { value: 'opensent' },
    OPENCONFIRM: { value: 'openconfirm' },
    ESTABLISHED: { value: 'established' },
  } as const satisfies Record<string, { value: PeerState }>,
});

const PrefixCountRef = builder
  .objectRef<{ readonly family: string; readonly count: number }>('PrefixCount')
  .implement({
    fields: (t) => ({
      family: t.exposeString('family', { description: "GoBGP's afi-safi-name, e.g. l3vpn-ipv4-unicast." }),
      count: t.exposeInt('count'),
    }),
  });

const MessageCountsRef = builder.objectRef<MessageCounts>('MessageCounts').implement({
  fields: (t) => ({
    open: t.exposeInt('open'),
    update: t.exposeInt('update'),
    notification: t.exposeInt('notification'),
    keepalive: t.exposeInt('keepalive'),
    routeRefresh: t.exposeInt('routeRefresh'),
  }),
});

const NeighborMessagesRef = builder
  .objectRef<{ readonly sent: MessageCounts; readonly received: MessageCounts }>('NeighborMessages')
  .implement({
    fields: (t) => ({
      sent: t.field({ type: MessageCountsRef, resolve: (m) => m.sent }),
      received: t.field({ type: MessageCountsRef, resolve: (m) => m.received }),
    }),
  });

const FAMILY_NAMES: Readonly<Record<string, BgpFamily>> = {
  ipv4: 'ipv4-unicast',
  ipv6: 'ipv6-unicast',
  vpnv4: 'l3vpn-ipv4-unicast',
  vpnv6: 'l3vpn-ipv6-unicast',
  'ipv4-unicast': 'ipv4-unicast',
  'ipv6-unicast': 'ipv6-unicast',
  'l3vpn-ipv4-unicast': 'l3vpn-ipv4-unicast',
  'l3vpn-ipv6-unicast': 'l3vpn-ipv6-unicast',
};

function familyArg(family: string | null | undefined): BgpFamily | undefined {
  if (family === null || family === undefined) return undefined;
  const f = FAMILY_NAMES[family];
  if (f === undefined)
    throw apiError(
      'BAD_ARGUMENT',
      `unknown family "${family}" (ipv4, ipv6, vpnv4, vpnv6 or an afi-safi-name)`,
      {
        family,
      },
    );
  return f;
}

const AdjRibRouteRef = builder.objectRef<AdjRibRoute>('AdjRibRoute').implement({
  description:
    "A route of adj-in (as the peer sent it) or adj-out (post-policy, as sent, and why), in gobgp's columns.",
  fields: (t) => ({
    family: t.exposeString('family', { description: "GoBGP's afi-safi-name." }),
    vrf: t.string({
      nullable: true,
      description: 'adj-out: the VRF ("" global).',
      resolve: (r) => r.vrf ?? null,
    }),
    rd: t.string({ nullable: true, resolve: (r) => r.rd ?? null }),
    prefix: t.exposeString('prefix'),
    nextHop: t.string({ nullable: true, resolve: (r) => r.nextHop ?? null }),
    asPath: t.floatList({ resolve: (r) => [...r.asPath] }),
    med: t.float({ nullable: true, resolve: (r) => r.med ?? null }),
    localPref: t.float({ nullable: true, resolve: (r) => r.localPref ?? null }),
    communities: t.stringList({ resolve: (r) => r.communities.map(formatCommunity) }),
    largeCommunities: t.stringList({ resolve: (r) => r.largeCommunities.map((l) => l.join(':')) }),
    extCommunities: t.stringList({ resolve: (r) => [...r.extCommunities] }),
    labels: t.intList({ resolve: (r) => [...r.labels] }),
    at: t.field({
      type: 'Timestamp',
      description: 'When it was sent or received.',
      resolve: (r) => r.at * 1000,
    }),
    seq: t.float({
      nullable: true,
      description: 'adj-out: the journal seq of the newest path event the route was sent for.',
      resolve: (r) => r.seq ?? null,
    }),
    configVersion: t.int({
      nullable: true,
      description: 'adj-out: the config version in force when it was sent (VRF attributes, export policy).',
      resolve: (r) => r.configVersion ?? null,
    }),
    statement: t.string({
      nullable: true,
      description: 'adj-out: the export policy statement that accepted it (policy/statement).',
      resolve: (r) => r.statement ?? null,
    }),
  }),
});

export const NeighborRef = builder.objectRef<NeighborStatus>('Neighbor').implement({
  description: 'A configured BGP neighbor and its session, as `ribjournal neighbor` prints it.',
  fields: (t) => ({
    address: t.exposeString('address'),
    peerAs: t.float({
      description: 'The peer AS (a Float: 4-octet AS numbers do not fit GraphQL Int).',
      resolve: (n) => n.peerAs,
    }),
    localAs: t.float({ resolve: (n) => n.localAs }),
    passive: t.exposeBoolean('passive'),
    state: t.field({ type: SessionStateEnum, resolve: (n) => n.state }),
    established: t.exposeBoolean('established'),
    since: t.field({
      type: 'Timestamp',
      nullable: true,
      description: 'When the session last came up or went down; null when it never came up.',
      resolve: (n) => (n.since === undefined ? null : n.since * 1000),
    }),
    uptime: t.int({
      nullable: true,
      description: 'Seconds since the session came up; null when it is not Established.',
      resolve: (n, _args, ctx) =>
        n.established && n.since !== undefined
          ? Math.max(0, Math.floor((ctx.nowMicros() / 1000 - n.since) / 1000))
          : null,
    }),
    routerId: t.string({
      nullable: true,
      description: "The peer's BGP identifier.",
      resolve: (n) => n.routerId ?? null,
    }),
    localAddress: t.string({
      nullable: true,
      description: 'Our address on the session: the next hop we advertise (next-hop-self).',
      resolve: (n) => n.localAddress ?? null,
    }),
    holdTime: t.int({
      nullable: true,
      description: 'Negotiated hold time in seconds.',
      resolve: (n) => n.holdTime ?? null,
    }),
    keepaliveTime: t.float({
      nullable: true,
      description: 'Keepalive interval in force, seconds.',
      resolve: (n) => n.keepaliveTime ?? null,
    }),
    families: t.stringList({
      description: 'Families the session carries (afi-safi-name).',
      resolve: (n) => [...n.families],
    }),
    prefixesSent: t.field({
      type: [PrefixCountRef],
      description: 'Routes advertised in this session and not withdrawn, per family.',
      resolve: (n) => [...n.prefixesSent],
    }),
    prefixesReceived: t.int({
      description: 'Routes the peer advertises to us (ribjournal only originates; nothing is installed).',
      resolve: (n) => n.prefixesReceived,
    }),
    queueDepth: t.int({
      description:
        'Routes waiting to go out: changes not yet written plus what the initial table walk has left.',
      resolve: (n) => n.queueDepth,
    }),
    queuedBytes: t.int({
      description: 'Octets written to the socket and not yet sent.',
      resolve: (n) => n.queuedBytes,
    }),
    initialTableSent: t.boolean({
      description: 'Whether End-of-RIB followed the initial table in this session.',
      resolve: (n) => n.initialTableSent,
    }),
    updateOctetsSent: t.float({ resolve: (n) => n.updateOctetsSent }),
    flaps: t.int({ description: 'Times the session left Established.', resolve: (n) => n.flaps }),
    lastError: t.string({
      nullable: true,
      description: 'Why the session last went down or a connection was refused.',
      resolve: (n) => n.lastError ?? null,
    }),
    messages: t.field({
      type: NeighborMessagesRef,
      resolve: (n) => ({ sent: n.sent, received: n.received }),
    }),
    adjOut: t.field({
      type: [AdjRibRouteRef],
      description: 'What this session advertised and did not withdraw: post-policy, as sent, with why.',
      args: { family: t.arg.string({ description: 'ipv4, ipv6, vpnv4, vpnv6 or an afi-safi-name' }) },
      resolve: (n, args, ctx) => [...(ctx.api.bgp?.adjRibOut?.(n.address, familyArg(args.family)) ?? [])],
    }),
    adjIn: t.field({
      type: [AdjRibRouteRef],
      description: `What the peer advertised to us (at most 100000 routes kept with attributes).`,
      args: { family: t.arg.string({ description: 'ipv4, ipv6, vpnv4, vpnv6 or an afi-safi-name' }) },
      resolve: (n, args, ctx) => [...(ctx.api.bgp?.adjRibIn?.(n.address, familyArg(args.family)) ?? [])],
    }),
  }),
});

builder.queryField('neighbors', (t) =>
  t.field({
    type: [NeighborRef],
    description: 'BGP neighbors in config order; empty when BGP is off.',
    resolve: (_root, _args, ctx) => [...(ctx.api.bgp?.neighbors() ?? [])],
  }),
);

builder.queryField('neighbor', (t) =>
  t.field({
    type: NeighborRef,
    description: 'One BGP neighbor by address. NOT_FOUND when no neighbor has it.',
    args: { address: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => {
      const address = plainAddress(args.address);
      const n = ctx.api.bgp?.neighbors().find((x) => x.address === address);
      if (!n) throw apiError('NOT_FOUND', `no BGP neighbor ${args.address}`, { address: args.address });
      return n;
    },
  }),
);
