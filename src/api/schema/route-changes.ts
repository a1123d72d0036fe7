// Subscription `routeChanges`: live route changes, optionally resumed from a seq with no gap and no
// duplicate, in batches, with heartbeats so that a quiet stream can be told from a dead one.
import { assertEventsSound, assertStateSound } from '../damage.js';
import { builder } from '../builder.js';
import { apiError } from '../errors.js';
import type { FeedItem, RouteChange, RouteChangeBatch } from '../feed.js';
import { prefixArg, vrfArg } from '../rib-query.js';
import { vrfExists } from '../views.js';
import { PathRef } from './path.js';

const RouteChangeTypeEnum = builder.enumType('RouteChangeType', {
  values: {
    DISCOVERED: { description: "A path appeared (RouteDiscovered): gobgp monitor's [ROUTE]." },
    VANISHED: { description: "A path went away (RouteVanished): gobgp monitor's [DELROUTE]." },
  } as const,
});

const RouteChangeRef = builder.objectRef<RouteChange>('RouteChange').implement({
  fields: (t) => ({
    seq: t.field({ type: 'Seq', resolve: (c) => c.seq }),
    time: t.field({ type: 'Timestamp', resolve: (c) => c.time }),
    type: t.field({ type: RouteChangeTypeEnum, resolve: (c) => c.type }),
    withdrawn: t.boolean({ resolve: (c) => c.type === 'VANISHED' }),
    vrf: t.exposeString('vrf'),
    reason: t.exposeString('reason', {
      nullable: true,
      description: 'Why it vanished (null when discovered).',
    }),
    path: t.field({
      type: PathRef,
      description: 'The path as added, or as it was when it went away.',
      resolve: (c) => c.path,
    }),
  }),
});

const RouteChangeBatchRef = builder.objectRef<RouteChangeBatch>('RouteChangeBatch').implement({
  description:
    'Changes in seq order. A heartbeat is a batch with `heartbeat: true` and no changes, sent when nothing else was for the heartbeat period.',
  fields: (t) => ({
    changes: t.field({ type: [RouteChangeRef], resolve: (b) => b.changes }),
    throughSeq: t.field({
      type: 'Seq',
      description:
        'Every event up to this seq has been considered: resubscribe with `after` = this to resume.',
      resolve: (b) => b.throughSeq,
    }),
    headSeq: t.field({
      type: 'Seq',
      description: 'The journal head when this was sent.',
      resolve: (b) => b.headSeq,
    }),
    heartbeat: t.exposeBoolean('heartbeat'),
    time: t.field({ type: 'Timestamp', description: 'When this was sent.', resolve: (b) => b.time }),
  }),
});

builder.subscriptionType({});

builder.subscriptionField('routeChanges', (t) =>
  t.field({
    type: RouteChangeBatchRef,
    description:
      'Route changes. With `after`, first every change the journal holds after that seq, then live ones, each seq once and in order. A subscriber that falls too far behind is ended with SUBSCRIBER_TOO_SLOW (extensions.resumeAfter tells where to resume).',
    args: {
      vrf: t.arg.string({ required: false, description: 'Only this VRF ("global" for the global table).' }),
      prefix: t.arg.string({
        required: false,
        description: 'Only this prefix (and more specifics with moreSpecific).',
      }),
      moreSpecific: t.arg.boolean({ required: false, defaultValue: false }),
      after: t.arg({
        type: 'Seq',
        required: false,
        description: 'Replay from the journal after this seq first.',
      }),
      heartbeatSeconds: t.arg.float({
        required: false,
        description: 'Heartbeat period, 0.05..3600 s (default 15).',
      }),
    },
    subscribe: (_root, args, ctx) => {
      // An API without the live path (offline tools) has no live changes to give: say so.
      if (ctx.api.live === undefined)
        throw apiError('NOT_READY', 'this API serves no live route changes (no live RIB is wired)');
      const vrf = args.vrf ? vrfArg(args.vrf) : undefined;
      const prefix = args.prefix ? prefixArg(args.prefix) : undefined;
      if (vrf !== undefined && !vrfExists(ctx.api.rib, vrf)) {
        throw apiError('NOT_FOUND', `VRF "${args.vrf}" not found`, { vrf: args.vrf });
      }
      const hb = args.heartbeatSeconds;
      if (hb !== null && hb !== undefined && !(hb >= 0.05 && hb <= 3600)) {
        throw apiError('BAD_ARGUMENT', `heartbeatSeconds must be between 0.05 and 3600, got ${hb}`);
      }
      const after = args.after ?? undefined;
      if (after !== undefined && after > ctx.api.journal.head()) {
        throw apiError(
          'BAD_ARGUMENT',
          `after (${after}) is beyond the journal head (${ctx.api.journal.head()})`,
        );
      }
      // The changes are computed against the RIB at `after` (or now): derived through any damage before.
      assertStateSound(ctx.api.journal, after ?? ctx.api.journal.head());
      if (after !== undefined) assertEventsSound(ctx.api.journal, after + 1, ctx.api.journal.head());
      return ctx.feed.subscribe(
        { vrf, prefix, moreSpecific: args.moreSpecific ?? false },
        after,
        hb === null || hb === undefined ? undefined : hb * 1000,
      );
    },
    resolve: (item: FeedItem) => {
      if ('error' in item) {
        throw apiError(item.error.code, item.error.message, { ...(item.error.details ?? {}) });
      }
      return item;
    },
  }),
);
