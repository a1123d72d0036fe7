// The ribjournal config the BGP lab tests start from: AS 65001 (router ID 192.0.2.1, no listener),
// kubelb0 imported into the global table, optionally VRF "a" on eth1, and one neighbor; each test adds
// what it is about (a policy, BMP, MD5, TTL) through the `extra` fields.
export interface LabConfig {
  /** neighbor-address; absent: no neighbor. */
  readonly neighbor?: string;
  readonly peerAs?: number;
  /** `[global.config] port` (default -1: no listener). */
  readonly port?: number;
  /** Import kubelb0 into the global table (default true). */
  readonly importKubelb?: boolean;
  /** VRF "a" (RD 64551:100, eth1) with these route targets; absent: no VRF. */
  readonly vrfA?: { readonly both: string } | { readonly import: string; readonly export: string };
  readonly connectRetry?: number;
  /** `[[neighbors.afi-safis]]`, in order; absent: the defaults for the neighbor's address. */
  readonly families?: readonly string[];
  /** Lines inside `[global.config]`'s table group, after it (e.g. `[global.apply-policy.config]`). */
  readonly globalExtra?: string;
  /** Key lines inside `[neighbors.config]` (e.g. auth-password). */
  readonly neighborConfig?: string;
  /** Sub-tables of the neighbor (transport, apply-policy, ebgp-multihop). */
  readonly neighborExtra?: string;
  /** Whole sections after everything else (defined sets, policies, BMP servers, [api]). */
  readonly extra?: string;
}

export function labConfig(o: LabConfig): string {
  const lines = ['[global.config]', '  as = 65001', '  router-id = "192.0.2.1"', `  port = ${o.port ?? -1}`];
  if (o.globalExtra !== undefined) lines.push(o.globalExtra);
  if (o.importKubelb ?? true)
    lines.push('[netlink.import]', '  enabled = true', '  interface-list = ["kubelb0"]');
  if (o.vrfA !== undefined) {
    const rts =
      'both' in o.vrfA
        ? [`    both-rt-list = ["${o.vrfA.both}"]`]
        : [`    import-rt-list = ["${o.vrfA.import}"]`, `    export-rt-list = ["${o.vrfA.export}"]`];
    lines.push('[[vrfs]]', '  [vrfs.config]', '    name = "a"', '    rd = "64551:100"', ...rts);
    lines.push('  [vrfs.netlink-import]', '    enabled = true', '    interface-list = ["eth1"]');
  }
  if (o.neighbor !== undefined) {
    lines.push('[[neighbors]]', '  [neighbors.config]', `    neighbor-address = "${o.neighbor}"`);
    lines.push(`    peer-as = ${o.peerAs ?? 65002}`);
    if (o.neighborConfig !== undefined) lines.push(o.neighborConfig);
    lines.push('  [neighbors.timers.config]', `    connect-retry = ${o.connectRetry ?? 1}`);
    if (o.neighborExtra !== undefined) lines.push(o.neighborExtra);
    for (const f of o.families ?? [])
      lines.push(
        '  [[neighbors.afi-safis]]',
        '    [neighbors.afi-safis.config]',
        `      afi-safi-name = "${f}"`,
      );
  }
  if (o.extra !== undefined) lines.push(o.extra);
  return `${lines.join('\n')}\n`;
}
