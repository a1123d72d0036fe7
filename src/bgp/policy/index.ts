// bgp/policy: GoBGP's export policy compiled per peer (pure; the outbound projection applies it).
import type { Config, GlobalConfig, NeighborConfig } from '../../config/index.js';
import type { ExportPolicy } from '../../projections/bgp-outbound/index.js';
import { compileExportPolicy } from './export-policy.js';

export { compileExportPolicy, type PolicyPeer } from './export-policy.js';

/**
 * The export policy of one neighbor: its own `[neighbors.apply-policy]` when it has one (what GoBGP
 * does for route-server clients), else `[global.apply-policy]` (GoBGP's export policy for every other
 * peer, with neighbor-sets choosing peers). undefined: everything goes out as is.
 */
export function exportPolicyFor(
  policy: Config['policy'],
  global: GlobalConfig,
  n: NeighborConfig,
): ExportPolicy | undefined {
  const localAs = n.localAs ?? global.as;
  return compileExportPolicy(policy, n.exportPolicy ?? global.exportPolicy, {
    address: n.address,
    firstAs: n.peerAs === localAs ? undefined : localAs,
  });
}

/** Whether two configs of a neighbor need no new session (export policy is applied in place). */
export function sameSessionConfig(a: NeighborConfig, b: NeighborConfig): boolean {
  const strip = ({ exportPolicy: _e, peerGroup: _g, ...rest }: NeighborConfig): object => rest;
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}
