// The effective config as journaled in ConfigApplied: what matters for routes and BGP, never secrets.
import type { Config } from '../config/index.js';
import type { ConfigApplied, VrfSnapshot } from '../events/index.js';

/** Builds the ConfigApplied body for a config (configVersion filled in by the caller). */
export function configSnapshot(config: Config, configVersion: number): ConfigApplied {
  const g = config.netlink.import;
  const globalInterfaces = g.enabled && g.vrf === '' ? [...g.interfaces] : [];
  const vrfs: VrfSnapshot[] = [
    { name: '', rd: '', importRts: [], exportRts: [], label: 0, interfaces: globalInterfaces },
    ...config.vrfs.map((v) => ({
      name: v.name,
      rd: v.rd.text,
      importRts: v.importRts.map((r) => r.text),
      exportRts: v.exportRts.map((r) => r.text),
      label: v.label,
      ...(v.id > 0 ? { id: v.id } : {}),
      interfaces: [
        ...(v.netlinkImport.enabled ? v.netlinkImport.interfaces : []),
        ...(g.enabled && g.vrf === v.name ? g.interfaces : []),
      ],
    })),
  ];
  return {
    type: 'ConfigApplied',
    configVersion,
    vrfs,
    neighbors: config.neighbors.map((n) => ({
      address: n.address,
      peerAs: n.peerAs,
      ...(n.localAs !== undefined ? { localAs: n.localAs } : {}),
      families: [...n.families],
      passive: n.passive,
    })),
    global: config.global ? { as: config.global.as, routerId: config.global.routerId } : undefined,
  };
}

/** Whether two snapshots describe the same effective config (configVersion aside). */
export function sameEffectiveConfig(a: ConfigApplied | undefined, b: ConfigApplied): boolean {
  if (a === undefined) return false;
  const strip = (c: ConfigApplied): string =>
    JSON.stringify({ ...c, configVersion: 0, global: c.global ?? null });
  return strip(a) === strip(b);
}
