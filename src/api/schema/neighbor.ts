// Neighbor: the BGP speaker's sessions (issue 6), what `gobgp neighbor` shows plus the outbound queue,
// and the `neighbors` / `neighbor(address)` queries.
import type { MessageCounts, NeighborStatus, PeerState } from '../../bgp/index.js';
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
