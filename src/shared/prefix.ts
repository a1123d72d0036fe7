// Address and prefix helpers over ipaddr.js: masking, classification, canonical text.
import ipaddr from 'ipaddr.js';

export type Family = 'ipv4' | 'ipv6';

/** Canonical prefix text ("10.1.0.0/24", "2001:db8::/64") of an address masked by its length. */
export function maskedPrefix(address: string, length: number): string {
  const addr = ipaddr.parse(address);
  if (addr.kind() === 'ipv4') {
    const bytes = (addr as ipaddr.IPv4).toByteArray();
    applyMask(bytes, length);
    return `${bytes.join('.')}/${length}`;
  }
  const bytes = (addr as ipaddr.IPv6).toByteArray();
  applyMask(bytes, length);
  return `${ipaddr.fromByteArray(bytes).toString()}/${length}`;
}

function applyMask(bytes: number[], length: number): void {
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, length - i * 8));
    bytes[i] = (bytes[i] ?? 0) & ((0xff << (8 - bits)) & 0xff);
  }
}

export function familyOf(address: string): Family {
  return address.includes(':') ? 'ipv6' : 'ipv4';
}

/**
 * Whether an address may never be a connected route: loopback, link-local, multicast, unspecified
 * (DESIGN.md "What counts as a connected route").
 */
export function isExcludedAddress(address: string): boolean {
  const range = ipaddr.parse(address).range();
  return range === 'loopback' || range === 'linkLocal' || range === 'multicast' || range === 'unspecified';
}

/** Parses "a.b.c.d/len" or "x::/len"; returns null when it is not a valid prefix. */
export function parsePrefix(
  text: string,
): { family: Family; address: string; length: number; canonical: string } | null {
  const slash = text.lastIndexOf('/');
  if (slash < 0) return null;
  const addr = text.slice(0, slash);
  const lenText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText) || !ipaddr.isValid(addr)) return null;
  const length = Number(lenText);
  const family = familyOf(addr);
  if (length > (family === 'ipv4' ? 32 : 128)) return null;
  if (family === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(addr)) return null;
  return { family, address: addr, length, canonical: maskedPrefix(addr, length) };
}

/** Prefix bytes (network order), for containment tests and wire encoding. */
export function prefixBytes(prefix: string): { bytes: number[]; length: number } {
  const slash = prefix.lastIndexOf('/');
  return {
    bytes: ipaddr.parse(prefix.slice(0, slash)).toByteArray(),
    length: Number(prefix.slice(slash + 1)),
  };
}

/** Whether `inner` lies within `outer` (both canonical prefixes of one family); equal counts. */
export function prefixContains(outer: string, inner: string): boolean {
  const o = prefixBytes(outer);
  const i = prefixBytes(inner);
  if (o.bytes.length !== i.bytes.length || i.length < o.length) return false;
  for (let bit = 0; bit < o.length; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if (((o.bytes[byte] ?? 0) & mask) !== ((i.bytes[byte] ?? 0) & mask)) return false;
  }
  return true;
}
