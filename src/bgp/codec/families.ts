// Address families (AFI/SAFI, RFC 4760; SAFI 128 from RFC 4364/RFC 4659) under GoBGP's afi-safi-name strings.
import type { RdRt } from '../../shared/index.js';
import { AFI_IPV4, AFI_IPV6, SAFI_MPLS_VPN, SAFI_UNICAST } from './constants.js';

/** The families ribjournal advertises, named as GoBGP names them in `afi-safi-name`. */
export type BgpFamily = 'ipv4-unicast' | 'ipv6-unicast' | 'l3vpn-ipv4-unicast' | 'l3vpn-ipv6-unicast';

export const BGP_FAMILIES: readonly BgpFamily[] = [
  'ipv4-unicast',
  'ipv6-unicast',
  'l3vpn-ipv4-unicast',
  'l3vpn-ipv6-unicast',
];

/** An AFI/SAFI pair as it appears on the wire. */
export interface AfiSafi {
  readonly afi: number;
  readonly safi: number;
}

/**
 * One route as the codec sees it. `prefix` is canonical text ("10.0.0.0/24", "2001:db8::/64");
 * `rd` is required for the l3vpn families; `labels` defaults to [0] (as GoBGP sends) there.
 */
export interface BgpRoute {
  readonly family: BgpFamily;
  readonly prefix: string;
  readonly rd?: RdRt;
  readonly labels?: readonly number[];
}

const BY_NAME: Readonly<Record<BgpFamily, AfiSafi>> = {
  'ipv4-unicast': { afi: AFI_IPV4, safi: SAFI_UNICAST },
  'ipv6-unicast': { afi: AFI_IPV6, safi: SAFI_UNICAST },
  'l3vpn-ipv4-unicast': { afi: AFI_IPV4, safi: SAFI_MPLS_VPN },
  'l3vpn-ipv6-unicast': { afi: AFI_IPV6, safi: SAFI_MPLS_VPN },
};

export function familyAfiSafi(family: BgpFamily): AfiSafi {
  return BY_NAME[family];
}

/** The family of an AFI/SAFI pair, or undefined for one this codec does not carry. */
export function familyOfAfiSafi(afi: number, safi: number): BgpFamily | undefined {
  if (afi === AFI_IPV4)
    return safi === SAFI_UNICAST ? 'ipv4-unicast' : safi === SAFI_MPLS_VPN ? 'l3vpn-ipv4-unicast' : undefined;
  if (afi === AFI_IPV6)
    return safi === SAFI_UNICAST ? 'ipv6-unicast' : safi === SAFI_MPLS_VPN ? 'l3vpn-ipv6-unicast' : undefined;
  return undefined;
}

export function isBgpFamily(name: string): name is BgpFamily {
  return Object.prototype.hasOwnProperty.call(BY_NAME, name);
}

export function isVpnFamily(family: BgpFamily): boolean {
  return family === 'l3vpn-ipv4-unicast' || family === 'l3vpn-ipv6-unicast';
}

export function isIpv6Family(family: BgpFamily): boolean {
  return family === 'ipv6-unicast' || family === 'l3vpn-ipv6-unicast';
}
