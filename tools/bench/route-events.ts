// The route events of the generated benchmark journals (api.bench.ts, durable.bench.ts): VRF `vrf-NNN`
// on interface `ethN`, a /24 whose address is .1.
import type { ConfigApplied, JournalEvent } from '../../src/events/index.js';

export const vrfName = (v: number): string => `vrf-${String(v).padStart(3, '0')}`;

/** RouteDiscovered (up) or RouteVanished of `prefix` on VRF number `v` (or the VRF named `vrf`). */
export function routeEvent(v: number, prefix: string, up: boolean, vrf = vrfName(v)): JournalEvent {
  return up
    ? {
        type: 'RouteDiscovered',
        vrf,
        family: 'ipv4',
        prefix,
        interface: `eth${v}`,
        ifindex: 10 + v,
        address: prefix.replace('0/24', '1'),
      }
    : { type: 'RouteVanished', vrf, family: 'ipv4', prefix, interface: `eth${v}`, reason: 'address-removed' };
}

/** The ConfigApplied of `count` such VRFs (RD and RTs 65000:N). */
export function benchConfig(count: number): ConfigApplied {
  const vrfs = Array.from({ length: count }, (_, v) => ({
    name: vrfName(v),
    rd: `65000:${v + 1}`,
    importRts: [`65000:${v + 1}`],
    exportRts: [`65000:${v + 1}`],
    label: 0,
    interfaces: [`eth${v}`],
  }));
  return { type: 'ConfigApplied', configVersion: 1, vrfs, neighbors: [] };
}
