// `diff(vrf, from, to)`: paths added and removed between two points; the window is (from, to].
import { vrfDisplayName } from '../../events/index.js';
import { builder } from '../builder.js';
import { ribDiff } from '../diff.js';
import type { RibDiff } from '../diff.js';
import { checkFirst, vrfArg } from '../rib-query.js';
import { PathRef } from './path.js';

const RibDiffRef = builder.objectRef<RibDiff>('RibDiff').implement({
  fields: (t) => ({
    vrf: t.string({ resolve: (d) => vrfDisplayName(d.vrf) }),
    from: t.field({ type: 'Seq', resolve: (d) => d.from.seq }),
    to: t.field({ type: 'Seq', resolve: (d) => d.to.seq }),
    fromTime: t.field({ type: 'Timestamp', nullable: true, resolve: (d) => d.from.time || null }),
    toTime: t.field({ type: 'Timestamp', nullable: true, resolve: (d) => d.to.time || null }),
    added: t.field({
      type: [PathRef],
      description: 'Paths at `to` that were not there at `from` (address order).',
      resolve: (d) => d.added,
    }),
    removed: t.field({
      type: [PathRef],
      description: 'Paths at `from` that are gone at `to`, as they were.',
      resolve: (d) => d.removed,
    }),
    addedCount: t.int({ resolve: (d) => d.addedCount }),
    removedCount: t.int({ resolve: (d) => d.removedCount }),
  }),
});

builder.queryField('diff', (t) =>
  t.field({
    type: RibDiffRef,
    description:
      'Paths added and removed in a VRF ("global" for the global table) between two points: the window (from, to]. A path that left and came back unchanged is not a difference.',
    args: {
      vrf: t.arg.string({ required: true }),
      from: t.arg({ type: 'SeqOrTime', required: true }),
      to: t.arg({ type: 'SeqOrTime', required: false, description: 'Default: now.' }),
      first: t.arg.int({
        required: false,
        defaultValue: 1000,
        description: 'At most this many of each list, 1..1000.',
      }),
    },
    resolve: async (_root, args, ctx) =>
      (await ribDiff(ctx.api, {
        vrf: vrfArg(args.vrf),
        vrfName: args.vrf,
        from: args.from,
        to: args.to,
        first: checkFirst(args.first, 1000),
      }))!,
  }),
);
