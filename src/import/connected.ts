// What counts as a connected route (DESIGN.md): prefix = address masked by its length, host routes
// included; never loopback, link-local, multicast, unspecified, nor tentative / DAD-failed IPv6.
// The prefix is built from the kernel's octets of the address when the notification carried them (the
// live path, issue 9.4), else from its text (dumps); both give the same value (a unit test holds them
// together).
import {
  isExcludedAddressBytes,
  parseIpv4Into,
  parseIpv6Into,
  prefixFromBytes,
  type PrefixValue,
} from '../shared/index.js';
import type { Address } from '../netlink/index.js';

const scratch = new Uint8Array(16);

/**
 * The connected prefix of an address, or undefined when the address never yields a route. `octets`:
 * the kernel's octets of `a.address` (one latin1 char each), when the notification carried them.
 */
export function connectedPrefixValue(a: Address, octets?: string): PrefixValue | undefined {
  if (a.tentative || a.dadFailed) return undefined;
  const v4 = a.family === 'ipv4';
  const bytes = scratch;
  if (octets !== undefined && octets.length === (v4 ? 4 : 16)) {
    for (let i = 0; i < octets.length; i++) bytes[i] = octets.charCodeAt(i);
  } else {
    const text = a.address;
    const ok = v4
      ? parseIpv4Into(text, 0, text.length, bytes, 0)
      : parseIpv6Into(text, 0, text.length, bytes, 0);
    // The observer made the text from 4 or 16 octets: anything else is a bug upstream, not input.
    if (!ok) throw new TypeError(`address ${JSON.stringify(text)} is not ${a.family}`);
  }
  if (isExcludedAddressBytes(a.family, bytes)) return undefined;
  return prefixFromBytes(a.family, bytes, 0, a.prefixLength);
}

/** The connected prefix of an address as canonical text, or undefined (see connectedPrefixValue). */
export function connectedPrefix(a: Address, octets?: string): string | undefined {
  return connectedPrefixValue(a, octets)?.text;
}
