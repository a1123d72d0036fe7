// What counts as a connected route (DESIGN.md): prefix = address masked by its length, host routes
// included; never loopback, link-local, multicast, unspecified, nor tentative / DAD-failed IPv6.
// The prefix is built from the kernel's octets of the address when the notification carried them (the
// live path, issue 9.4), else from its text (dumps); both give the same value (a unit test holds them
// together).
import ipaddr from 'ipaddr.js';
import { isExcludedAddressBytes, prefixFromBytes, type PrefixValue } from '../shared/index.js';
import type { Address } from '../netlink/index.js';

/**
 * The connected prefix of an address, or undefined when the address never yields a route. `bytes`:
 * the kernel's octets of `a.address`, when known.
 */
export function connectedPrefixValue(a: Address, bytes?: Uint8Array): PrefixValue | undefined {
  if (a.tentative || a.dadFailed) return undefined;
  const octets =
    bytes !== undefined && bytes.length === (a.family === 'ipv4' ? 4 : 16)
      ? bytes
      : Uint8Array.from(ipaddr.parse(a.address).toByteArray());
  if (isExcludedAddressBytes(a.family, octets)) return undefined;
  return prefixFromBytes(a.family, octets, 0, a.prefixLength);
}

/** The connected prefix of an address as canonical text, or undefined (see connectedPrefixValue). */
export function connectedPrefix(a: Address, bytes?: Uint8Array): string | undefined {
  return connectedPrefixValue(a, bytes)?.text;
}
