// Which TTL a session sends with and which it demands, as GoBGP decides (pkg/server/fsm.go): GTSM
// (ttl-security, RFC 5082) sends 255 and drops what arrives below ttl-min; otherwise eBGP sends 1, or
// multihop-ttl with ebgp-multihop; `[neighbors.transport.config] ttl` overrides what is sent.
import type { NeighborConfig } from '../config/index.js';

export interface SessionTtl {
  /** undefined: the system default. */
  readonly ttl: number | undefined;
  readonly minTtl: number | undefined;
}

export function sessionTtl(n: NeighborConfig, localAs: number): SessionTtl {
  if (n.ttlSecurity?.enabled) return { ttl: n.ttl ?? 255, minTtl: n.ttlSecurity.ttlMin };
  let ttl: number | undefined;
  if (n.peerAs !== localAs) ttl = n.ebgpMultihop?.enabled ? n.ebgpMultihop.multihopTtl : 1;
  return { ttl: n.ttl ?? ttl, minTtl: undefined };
}
