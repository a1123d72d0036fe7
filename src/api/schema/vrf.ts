// Vrf, and the `vrfs` / `vrf(name)` queries (now or at a past point).
import { vrfDisplayName } from '../../events/index.js';
import { builder } from '../builder.js';
import { assertVrf, ribViewAt, vrfArg } from '../rib-query.js';
import type { RibView } from '../views.js';
import { vrfExists } from '../views.js';
import { PathConnectionRef, ribFilterArgs, ribFromView } from './path.js';

interface VrfShape {
  /** Internal name ("" = global). */
  readonly key: string;
  readonly view: RibView;
}

const RouteCountsRef = builder.objectRef<{ ipv4: number; ipv6: number }>('RouteCounts').implement({
  fields: (t) => ({
    ipv4: t.exposeInt('ipv4'),
    ipv6: t.exposeInt('ipv6'),
    total: t.int({ resolve: (c) => c.ipv4 + c.ipv6 }),
  }),
});

export const VrfRef = builder.objectRef<VrfShape>('Vrf').implement({
  description:
    'A VRF as configured (RD, RTs, interfaces, as journaled by ConfigApplied) with its route counts.',
  fields: (t) => ({
    name: t.string({ description: '"global" for the global table.', resolve: (v) => vrfDisplayName(v.key) }),
    rd: t.string({
      nullable: true,
      resolve: (v) => (v.key === '' ? null : v.view.vrfConfig(v.key)?.rd || null),
    }),
    importRts: t.stringList({ resolve: (v) => v.view.vrfConfig(v.key)?.importRts ?? [] }),
    exportRts: t.stringList({ resolve: (v) => v.view.vrfConfig(v.key)?.exportRts ?? [] }),
    label: t.int({ nullable: true, resolve: (v) => v.view.vrfConfig(v.key)?.label ?? null }),
    id: t.int({
      description: "GoBGP's VRF id from `[vrfs.config] id` (0 when not set), as `gobgp vrf` shows it.",
      resolve: (v) => v.view.vrfConfig(v.key)?.id ?? 0,
    }),
    interfaces: t.stringList({ resolve: (v) => v.view.vrfConfig(v.key)?.interfaces ?? [] }),
    configured: t.boolean({
      description: 'Whether the config in force names this VRF (a VRF may hold paths from an older config).',
      resolve: (v) => v.view.vrfConfig(v.key) !== undefined,
    }),
    routeCounts: t.field({ type: RouteCountsRef, resolve: (v) => v.view.countsOf(v.key) }),
    seq: t.field({
      type: 'Seq',
      description: 'The point in history this answer shows.',
      resolve: (v) => v.view.seq,
    }),
    rib: t.field({
      type: PathConnectionRef,
      description: "This VRF's RIB, at the same point in history as the VRF.",
      args: ribFilterArgs,
      resolve: (v, args, ctx) => ribFromView(ctx, v.view, v.key, args),
    }),
  }),
});

builder.queryField('vrfs', (t) =>
  t.field({
    type: [VrfRef],
    description: 'Every VRF (configured or holding paths) and the global table, sorted by name.',
    args: { at: t.arg({ type: 'SeqOrTime', required: false }) },
    resolve: async (_root, args, ctx) => {
      const view = await ribViewAt(ctx.api, args.at);
      const keys = new Set(view.vrfNames());
      keys.add('');
      return [...keys]
        .filter((k) => vrfExists(view, k))
        .map((key) => ({ key, view }))
        .sort((a, b) => (vrfDisplayName(a.key) < vrfDisplayName(b.key) ? -1 : 1));
    },
  }),
);

builder.queryField('vrf', (t) =>
  t.field({
    type: VrfRef,
    description: 'One VRF by name ("global" for the global table). NOT_FOUND when it does not exist (then).',
    args: { name: t.arg.string({ required: true }), at: t.arg({ type: 'SeqOrTime', required: false }) },
    resolve: async (_root, args, ctx) => {
      const key = vrfArg(args.name);
      const view = await ribViewAt(ctx.api, args.at, [key]);
      assertVrf(view, key, args.name);
      return { key, view };
    },
  }),
);
