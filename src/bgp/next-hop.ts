// Next-hop-self for a session: the local address of its TCP connection, and for IPv6 the link-local
// address of the interface that holds it when the peer is on that interface's link (RFC 2545 3,
// RFC 4659 3.2.1). IPv4 routes over an IPv6 session use an IPv4 address of the same interface when it
// has one (else they need the peer's RFC 8950 extended next hop capability); IPv6 routes over an IPv4
// session get the IPv4-mapped address from the codec (RFC 4798).
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import ipaddr from 'ipaddr.js';
import type { NextHopSelf } from './codec/index.js';

/** The interfaces and their addresses, as os.networkInterfaces() returns them. */
export type InterfaceTable = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** `::ffff:192.0.2.1` -> `192.0.2.1`; other text unchanged except for a zone suffix. */
export function plainAddress(address: string): string {
  const noZone = address.split('%')[0] ?? address;
  if (ipaddr.IPv6.isValid(noZone)) {
    const a = ipaddr.IPv6.parse(noZone);
    if (a.isIPv4MappedAddress()) return a.toIPv4Address().toString();
    return a.toString();
  }
  return noZone;
}

function onLink(info: NetworkInterfaceInfo, remote: string): boolean {
  if (!info.cidr) return false;
  try {
    const [net, len] = ipaddr.parseCIDR(info.cidr);
    const r = ipaddr.parse(remote);
    return r.kind() === net.kind() && r.match(net, len);
  } catch {
    return false;
  }
}

/** The next-hop-self addresses of a session from its local and remote socket addresses. */
export function nextHopSelf(
  localAddress: string,
  remoteAddress: string,
  interfaces: InterfaceTable = networkInterfaces(),
): NextHopSelf {
  const local = plainAddress(localAddress);
  const remote = plainAddress(remoteAddress);
  if (!local.includes(':')) return { ipv4: local };
  // Find the interface that holds the local address.
  let found: NetworkInterfaceInfo[] | undefined;
  for (const infos of Object.values(interfaces)) {
    if (infos?.some((i) => i.family === 'IPv6' && plainAddress(i.address) === local)) {
      found = infos;
      break;
    }
  }
  const localIsLinkLocal = ipaddr.parse(local).range() === 'linkLocal';
  if (!found) return { ipv6: local };
  const peerOnLink = localIsLinkLocal || found.some((i) => i.family === 'IPv6' && onLink(i, remote));
  const linkLocal = found.find(
    (i) => i.family === 'IPv6' && ipaddr.parse(plainAddress(i.address)).range() === 'linkLocal',
  );
  const global = localIsLinkLocal
    ? found.find(
        (i) =>
          i.family === 'IPv6' && !i.internal && ipaddr.parse(plainAddress(i.address)).range() !== 'linkLocal',
      )
    : undefined;
  const ipv4 = found.find((i) => i.family === 'IPv4' && !i.internal)?.address;
  return {
    ipv6: localIsLinkLocal ? (global ? plainAddress(global.address) : local) : local,
    ...(peerOnLink && linkLocal ? { ipv6LinkLocal: plainAddress(linkLocal.address) } : {}),
    ...(ipv4 !== undefined ? { ipv4 } : {}),
  };
}
