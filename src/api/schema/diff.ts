// `diff(vrf, from, to)`: paths added and removed between two points; the window is (from, to].
import { vrfDisplayName } from '../../events/index.js';
import { prefixSortKey } from '../../projections/index.js';
import type { Path } from '../../projections/index.js';
import { builder } from '../builder.js';
import { apiError } from '../errors.js';
import { resolvePoint } from '../points.js';
import { resolveAt } from '../time-point.js';
import { assertVrf, checkFirst, ribViewAt, vrfArg } from '../rib-query.js';
import type { PathView, RibView } from '../views.js';
import { pathView, vrfExists } from '../views.js';
import { PathRef } from './path.js';

interface DiffShape {
  readonly vrf: string;
  readonly from: RibView;
  readonly to: RibView;
  readonly added: readonly PathView[];
  readonly removed: readonly PathView[];
  readonly addedCount: number;
  readonly removedCount: number;
}

const RibDiffRef = builder.objectRef<DiffShape>('RibDiff').implement({
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

function pathsOf(
  view: RibView,
  vrf: string,
  prefixes: Iterable<string>,
): Map<string, { path: Path; best: boolean }> {
  const out = new Map<string, { path: Path; best: boolean }>();
  for (const prefix of prefixes) {
    view
      .lookup(vrf, prefix)
      .forEach((path, i) => out.set(`${prefix}\t${path.interface}`, { path, best: i === 0 }));
  }
  return out;
}

function sameRoute(a: Path, b: Path): boolean {
  return a.address === b.address && a.ifindex === b.ifindex;
}

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
    resolve: async (_root, args, ctx) => {
      const vrf = vrfArg(args.vrf);
      const first = checkFirst(args.first, 1000);
      const fromSeq = await resolvePoint(ctx.api, args.from);
      const toSeq = args.to ? await resolveAt(ctx.api, args.to) : ctx.api.journal.head();
      if (fromSeq > toSeq) throw apiError('BAD_ARGUMENT', `from (seq ${fromSeq}) is after to (seq ${toSeq})`);
      const [from, to] = await Promise.all([
        ribViewAt(ctx.api, { seq: fromSeq }, [vrf]),
        ribViewAt(ctx.api, { seq: toSeq }, [vrf]),
      ]);
      if (!(vrfExists(from, vrf) || vrfExists(to, vrf))) assertVrf(to, vrf, args.vrf);
      const order = ctx.api.indexes.history.prefixOrder(vrf);
      const prefixes = order
        .keys()
        .map((k) => order.prefixOf(k))
        .filter((p): p is string => p !== undefined);
      const before = pathsOf(from, vrf, prefixes);
      const after = pathsOf(to, vrf, prefixes);
      const added: PathView[] = [];
      const removed: PathView[] = [];
      let addedCount = 0;
      let removedCount = 0;
      for (const [key, a] of after) {
        const b = before.get(key);
        if (b !== undefined && sameRoute(a.path, b.path)) continue;
        addedCount++;
        if (added.length < first) added.push(pathView(a.path, a.best, to.vrfConfig(vrf)));
      }
      for (const [key, b] of before) {
        const a = after.get(key);
        if (a !== undefined && sameRoute(a.path, b.path)) continue;
        removedCount++;
        if (removed.length < first) removed.push(pathView(b.path, b.best, from.vrfConfig(vrf)));
      }
      const byAddress = (x: PathView, y: PathView): number => {
        const kx = prefixSortKey(x.prefix);
        const ky = prefixSortKey(y.prefix);
        return kx < ky ? -1 : kx > ky ? 1 : x.ifindex - y.ifindex;
      };
      return {
        vrf,
        from,
        to,
        added: added.sort(byAddress),
        removed: removed.sort(byAddress),
        addedCount,
        removedCount,
      };
    },
  }),
);
