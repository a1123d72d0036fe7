// The paths added and removed in one VRF of one journal between two points: the window (from, to]. The
// node's `diff` query and the collector's fleet-wide `diff` (per node) both answer with this.
import { prefixSortKey } from '../projections/index.js';
import type { Path } from '../projections/index.js';
import type { ApiContext } from './context.js';
import { apiError } from './errors.js';
import { resolvePoint } from './points.js';
import type { Point } from './points.js';
import { assertVrf, ribViewAt } from './rib-query.js';
import { resolveAt } from './time-point.js';
import type { PathView, RibView } from './views.js';
import { pathView, vrfExists } from './views.js';

export interface RibDiff {
  /** Internal VRF name ("" = global). */
  readonly vrf: string;
  readonly from: RibView;
  readonly to: RibView;
  readonly added: readonly PathView[];
  readonly removed: readonly PathView[];
  readonly addedCount: number;
  readonly removedCount: number;
}

export interface DiffRequest {
  /** Internal VRF name. */
  readonly vrf: string;
  /** The VRF as the user named it (for NOT_FOUND). */
  readonly vrfName: string;
  readonly from: Point;
  /** Default: now. */
  readonly to?: Point | null | undefined;
  /** At most this many of each list. */
  readonly first: number;
}

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

/**
 * The diff of a VRF between two points. A VRF that exists at neither point is NOT_FOUND, or undefined
 * with `skipMissing` (a fleet-wide diff leaves out the nodes without it).
 */
export async function ribDiff(
  api: ApiContext,
  req: DiffRequest,
  skipMissing = false,
): Promise<RibDiff | undefined> {
  const { vrf, first } = req;
  const fromSeq = await resolvePoint(api, req.from);
  const toSeq = req.to ? await resolveAt(api, req.to) : api.journal.head();
  if (fromSeq > toSeq) throw apiError('BAD_ARGUMENT', `from (seq ${fromSeq}) is after to (seq ${toSeq})`);
  const [from, to] = await Promise.all([
    ribViewAt(api, { seq: fromSeq }, [vrf]),
    ribViewAt(api, { seq: toSeq }, [vrf]),
  ]);
  if (!(vrfExists(from, vrf) || vrfExists(to, vrf))) {
    if (skipMissing) return undefined;
    assertVrf(to, vrf, req.vrfName);
  }
  const order = api.indexes.history.prefixOrder(vrf);
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
}
