// The shapes resolvers return: plain objects built once, so that field resolution is property access.
import { vrfDisplayName } from '../events/index.js';
import type { Family, VrfSnapshot } from '../events/index.js';
import type { Path, PathSet, Rib } from '../projections/index.js';

/** A path as the API shows it: the RIB's path plus what BGP would carry for it. */
export interface PathView {
  /** Display name ("global" for the global table). */
  readonly vrf: string;
  readonly family: Family;
  readonly prefix: string;
  readonly interface: string;
  readonly ifindex: number;
  readonly address: string;
  /** The NLRI as BGP carries it: RD:prefix in a VRF, the plain prefix in the global table. */
  readonly nlri: string;
  readonly rd: string | null;
  readonly exportRts: readonly string[];
  readonly seq: number;
  readonly time: number;
  readonly best: boolean;
}

/** The read side of a Rib that the API uses: the live projection or one restored by the timeline. */
export type RibView = Pick<Rib, 'seq' | 'time' | 'lookup' | 'vrfConfig' | 'countsOf' | 'vrfNames' | 'config'>;

export function pathView(path: Path, best: boolean, config: VrfSnapshot | undefined): PathView {
  const rd = path.vrf === '' ? null : config?.rd || null;
  return {
    vrf: vrfDisplayName(path.vrf),
    family: path.family,
    prefix: path.prefix,
    interface: path.interface,
    ifindex: path.ifindex,
    address: path.address,
    nlri: rd === null ? path.prefix : `${rd}:${path.prefix}`,
    rd,
    exportRts: path.vrf === '' ? [] : (config?.exportRts ?? []),
    seq: path.seq,
    time: path.time,
    best,
  };
}

/** Views of every path of a prefix, best first. */
export function pathViews(paths: PathSet, config: VrfSnapshot | undefined): PathView[] {
  return paths.map((p, i) => pathView(p, i === 0, config));
}

/** Whether the VRF ("" = global) exists in this view: configured, or holding paths. */
export function vrfExists(view: RibView, vrf: string): boolean {
  if (vrf === '') return true;
  if (view.vrfConfig(vrf) !== undefined) return true;
  const c = view.countsOf(vrf);
  return c.ipv4 + c.ipv6 > 0;
}
