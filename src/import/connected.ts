// What counts as a connected route (DESIGN.md): prefix = address masked by its length, host routes
// included; never loopback, link-local, multicast, unspecified, nor tentative / DAD-failed IPv6.
import { isExcludedAddress, maskedPrefix } from '../shared/index.js';
import type { Address } from '../netlink/index.js';

/** The connected prefix of an address, or undefined when the address never yields a route. */
export function connectedPrefix(a: Address): string | undefined {
  if (a.tentative || a.dadFailed) return undefined;
  if (isExcludedAddress(a.address)) return undefined;
  return maskedPrefix(a.address, a.prefixLength);
}
