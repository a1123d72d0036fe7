// Address text <-> network-order bytes for the encode hot path (RFC 791 dotted quads, RFC 4291 2.2 IPv6
// text forms) and RFC 5952 text for decoded addresses. Hand-written parsers: ipaddr.js allocates per call,
// which dominates when 100k prefixes are packed.
import ipaddr from 'ipaddr.js';
import { parseIpv4Into, parseIpv6Into } from '../../shared/index.js';

export { parseIpv4Into, parseIpv6Into };

/** Bytes of an IPv4 or IPv6 address text; null when it is neither. */
export function addressBytes(text: string): Uint8Array | null {
  if (text.includes(':')) {
    const out = new Uint8Array(16);
    return parseIpv6Into(text, 0, text.length, out, 0) ? out : null;
  }
  const out = new Uint8Array(4);
  return parseIpv4Into(text, 0, text.length, out, 0) ? out : null;
}

export function formatIpv4(buf: Uint8Array, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

/**
 * RFC 5952 text, as ipaddr.js (and so the rest of ribjournal) prints it. With `dottedMapped`, an
 * IPv4-mapped address keeps its dotted tail (::ffff:192.0.2.1), as next hops are usually shown.
 */
export function formatIpv6(buf: Uint8Array, off: number, dottedMapped = false): string {
  let mapped = dottedMapped && buf[off + 10] === 0xff && buf[off + 11] === 0xff;
  for (let i = 0; mapped && i < 10; i++) if (buf[off + i] !== 0) mapped = false;
  if (mapped) return `::ffff:${formatIpv4(buf, off + 12)}`;
  return ipaddr.fromByteArray(Array.from(buf.subarray(off, off + 16))).toString();
}
