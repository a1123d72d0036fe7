// RIB pages: paths in address order (as `gobgp global rib` prints them), filtered by family and prefix
// (exact, longer, shorter), cursor-paginated, from the live RIB or from the RIB at a past seq.
import { vrfInternalName } from '../events/index.js';
import type { Family } from '../events/index.js';
import type { PrefixOrder } from '../projections/index.js';
import { coveringPrefixes, lowerBound, prefixSortKey, withinKeyRange } from '../projections/index.js';
import { parsePrefix } from '../shared/index.js';
import type { ApiContext } from './context.js';
import { assertStateSound } from './damage.js';
import { apiError } from './errors.js';
import type { Point } from './points.js';
import { resolveAt } from './time-point.js';
import type { PathView, RibView } from './views.js';
import { pathView, vrfExists } from './views.js';

export type PrefixMatch = 'EXACT' | 'LONGER' | 'SHORTER';

/** Largest page any list of the API returns. */
export const MAX_PAGE = 1000;

export interface RibQuery {
  /** Internal VRF name ("" = global). */
  readonly vrf: string;
  readonly family?: Family | undefined;
  /** Canonical prefix. */
  readonly prefix?: string | undefined;
  readonly match: PrefixMatch;
  readonly first: number;
  readonly after?: string | undefined;
}

export interface PathEdge {
  /** Sort key of the prefix: the cursor is computed from it only when asked for. */
  readonly key: string;
  readonly node: PathView;
}

/** The opaque cursor of an edge. */
export function edgeCursor(e: PathEdge): string {
  return encodeCursor(e.key, e.node.ifindex, e.node.interface);
}

export interface RibPage {
  readonly edges: readonly PathEdge[];
  readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null };
  /** The seq the page reflects: every event up to it, none after. */
  readonly seq: number;
  readonly time: number;
  totalCount(): number;
}

/** Checks a page size argument. */
export function checkFirst(first: number | null | undefined, fallback: number, max = MAX_PAGE): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw apiError('BAD_ARGUMENT', `first must be between 1 and ${max}, got ${n}`, { max });
  }
  return n;
}

/** Maps a user's VRF name ("global" for the global table) to the journal's. */
export function vrfArg(name: string): string {
  if (name.length === 0 || name.length > 256) throw apiError('BAD_ARGUMENT', `"${name}" is not a VRF name`);
  return vrfInternalName(name);
}

/** Canonical text of a prefix argument; BAD_ARGUMENT when it is not a prefix. */
export function prefixArg(text: string): string {
  const p = parsePrefix(text);
  if (!p)
    throw apiError('BAD_ARGUMENT', `"${text}" is not a prefix (expected e.g. 10.1.0.0/24 or 2001:db8::/64)`);
  return p.canonical;
}

/**
 * The RIB to answer from: the live one when `at` is absent or not in the past, otherwise the RIB at that
 * seq restored by the timeline (only `vrfs` when given).
 */
export async function ribViewAt(
  api: ApiContext,
  at: Point | null | undefined,
  vrfs?: readonly string[],
): Promise<RibView> {
  if (at === null || at === undefined) {
    assertStateSound(api.journal, api.rib.seq);
    return api.rib;
  }
  const seq = await resolveAt(api, at);
  assertStateSound(api.journal, Math.min(seq, api.rib.seq));
  if (seq >= api.rib.seq) return api.rib;
  return api.indexes.timeline.ribAt(seq, vrfs);
}

/** NOT_FOUND unless the VRF exists in the view. */
export function assertVrf(view: RibView, vrf: string, name: string): void {
  if (!vrfExists(view, vrf)) {
    throw apiError('NOT_FOUND', `VRF "${name}" not found${view.seq > 0 ? ` at seq ${view.seq}` : ''}`, {
      vrf: name,
    });
  }
}

function encodeCursor(key: string, ifindex: number, iface: string): string {
  return Buffer.from(`${key}\t${ifindex}\t${iface}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { key: string; ifindex: number; iface: string } {
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split('\t');
  const [key, ifindex, iface] = parts;
  if (
    parts.length !== 3 ||
    !key ||
    !/^[46][0-9a-f]+$/.test(key) ||
    !/^\d+$/.test(ifindex ?? '') ||
    iface === undefined
  ) {
    throw apiError('BAD_ARGUMENT', `"${cursor}" is not a cursor of this list`);
  }
  return { key, ifindex: Number(ifindex), iface };
}

/** Sort keys to visit, in order, for the query's prefix filter. */
function candidateKeys(
  order: PrefixOrder,
  q: RibQuery,
): { keys: readonly string[]; from: number; to: number } {
  if (q.prefix !== undefined) {
    const fam = q.prefix.includes(':') ? 'ipv6' : 'ipv4';
    if (q.family !== undefined && q.family !== fam) return { keys: [], from: 0, to: 0 };
    if (q.match === 'EXACT') return { keys: [prefixSortKey(q.prefix)], from: 0, to: 1 };
    if (q.match === 'SHORTER') {
      const keys = coveringPrefixes(q.prefix).map((p) => prefixSortKey(p));
      return { keys, from: 0, to: keys.length };
    }
    const { lo, hi } = withinKeyRange(q.prefix);
    const keys = order.keys();
    return { keys, from: lowerBound(keys, lo), to: lowerBound(keys, hi + '\uffff') };
  }
  const keys = order.keys();
  if (q.family === 'ipv4') return { keys, from: lowerBound(keys, '4'), to: lowerBound(keys, '5') };
  if (q.family === 'ipv6') return { keys, from: lowerBound(keys, '6'), to: lowerBound(keys, '7') };
  return { keys, from: 0, to: keys.length };
}

function prefixOfKey(order: PrefixOrder, key: string, q: RibQuery): string | undefined {
  const known = order.prefixOf(key);
  if (known !== undefined) return known;
  // SHORTER/EXACT candidates are computed, not taken from the order (they may never have existed).
  if (q.prefix !== undefined && q.match !== 'LONGER') {
    return q.match === 'EXACT' ? q.prefix : coveringPrefixes(q.prefix).find((p) => prefixSortKey(p) === key);
  }
  return undefined;
}

/** One page of a VRF's RIB. Synchronous, so a page of the live RIB is one consistent state. */
export function ribPage(view: RibView, order: PrefixOrder, q: RibQuery): RibPage {
  const { keys, from, to } = candidateKeys(order, q);
  const config = view.vrfConfig(q.vrf);
  const cursor = q.after !== undefined ? decodeCursor(q.after) : undefined;
  let start = from;
  if (cursor) start = Math.max(from, lowerBound(keys, cursor.key));
  const edges: PathEdge[] = [];
  let hasNextPage = false;
  outer: for (let i = start; i < to; i++) {
    const key = keys[i]!;
    const prefix = prefixOfKey(order, key, q);
    if (prefix === undefined) continue;
    const paths = view.lookup(q.vrf, prefix);
    for (let j = 0; j < paths.length; j++) {
      const p = paths[j]!;
      if (cursor && key === cursor.key) {
        // Skip what the previous page returned: paths are ordered by (ifindex, interface).
        if (p.ifindex < cursor.ifindex || (p.ifindex === cursor.ifindex && p.interface <= cursor.iface))
          continue;
      }
      if (edges.length === q.first) {
        hasNextPage = true;
        break outer;
      }
      edges.push({ key, node: pathView(p, j === 0, config) });
    }
  }
  return {
    edges,
    pageInfo: {
      hasNextPage,
      endCursor: edges.length > 0 ? edgeCursor(edges[edges.length - 1]!) : (q.after ?? null),
    },
    seq: view.seq,
    time: view.time,
    totalCount: () => {
      if (q.prefix === undefined) {
        const c = view.countsOf(q.vrf);
        return q.family === undefined ? c.ipv4 + c.ipv6 : c[q.family];
      }
      let n = 0;
      for (let i = from; i < to; i++) {
        const prefix = prefixOfKey(order, keys[i]!, q);
        if (prefix !== undefined) n += view.lookup(q.vrf, prefix).length;
      }
      return n;
    },
  };
}
