// One prefix value from the kernel's bytes to the BGP encoder (issue 9.4): family, network-order bytes
// with the host bits cleared, length, and its canonical text (RFC 5952 for IPv6, as ipaddr.js prints it)
// made once. Events and the journal keep carrying the text; the value is interned by that text in a
// bounded table, so the encoder finds the bytes of a prefix the import state just derived without
// parsing its text again (a miss, e.g. a route replayed from the journal, parses as before).
import type { Family } from './prefix.js';

/** A prefix as bytes and text; built by prefixFromBytes, equal values for equal prefixes. */
export interface PrefixValue {
  readonly family: Family;
  /** 4 or 16 octets, host bits zero. */
  readonly bytes: Uint8Array;
  readonly length: number;
  /** Canonical text ("10.1.0.0/24", "2001:db8::/64"), the form events and the journal hold. */
  readonly text: string;
}

const groupScratch = new Int32Array(8);

/**
 * RFC 5952 text of 16 bytes at `from`: lower-case hex groups without leading zeros, the longest run of
 * two or more zero groups (the first of equals) as "::". Same text as ipaddr.js toString (a test
 * compares them), without building an object per address.
 */
export function formatIpv6(bytes: Uint8Array, from = 0): string {
  const groups = groupScratch;
  let bestAt = -1;
  let bestLen = 1; // a single zero group is never compressed
  let runAt = -1;
  for (let i = 0; i < 8; i++) {
    const g = (bytes[from + 2 * i]! << 8) | bytes[from + 2 * i + 1]!;
    groups[i] = g;
    if (g === 0) {
      if (runAt < 0) runAt = i;
      if (i - runAt + 1 > bestLen) {
        bestAt = runAt;
        bestLen = i - runAt + 1;
      }
    } else {
      runAt = -1;
    }
  }
  // Concatenated, not joined: no array per address (a dump formats 100k of them).
  let text = '';
  let first = true;
  for (let i = 0; i < 8; i++) {
    if (i === bestAt) {
      text += '::';
      i += bestLen - 1;
      first = true;
      continue;
    }
    if (!first) text += ':';
    text += groups[i]!.toString(16);
    first = false;
  }
  return text;
}

/**
 * Whether the address in bytes[from, from + 4|16) may never be a connected route: loopback,
 * link-local, multicast, unspecified (the ranges ipaddr.js names so, as isExcludedAddress decides on
 * text; a test holds the two together).
 */
export function isExcludedAddressBytes(family: Family, bytes: Uint8Array, from = 0): boolean {
  const b0 = bytes[from]!;
  if (family === 'ipv4') {
    // 0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4
    return b0 === 0 || b0 === 127 || (b0 === 169 && bytes[from + 1] === 254) || (b0 & 0xf0) === 224;
  }
  // ff00::/8, fe80::/10
  if (b0 === 0xff || (b0 === 0xfe && (bytes[from + 1]! & 0xc0) === 0x80)) return true;
  // :: and ::1
  for (let i = 0; i < 15; i++) if (bytes[from + i] !== 0) return false;
  return bytes[from + 15]! <= 1;
}

/**
 * Interned values by text, bounded in two generations: when the young one is full it becomes the old
 * one and the previous old one is dropped (O(1), unlike evicting a Map's oldest key one by one, which
 * walks the holes deletions leave). A value forgotten is parsed from text again where it is needed.
 */
let young = new Map<string, PrefixValue>();
let old = new Map<string, PrefixValue>();
/** Values held at most: a flood's working set of recent changes; ~200 B each. */
export const PREFIX_INTERN_MAX = 32_768;
const scratch = new Uint8Array(16);

/**
 * The prefix of `length` bits of the address in bytes[from, from + 4|16), host bits cleared, its
 * text made once. Interned: the encoder finds it by text (prefixValueOf).
 */
export function prefixFromBytes(family: Family, src: Uint8Array, from: number, length: number): PrefixValue {
  const size = family === 'ipv4' ? 4 : 16;
  const bytes = scratch;
  bytes.fill(0);
  const whole = Math.min(size, length >>> 3);
  for (let i = 0; i < whole; i++) bytes[i] = src[from + i]!;
  const rest = length & 7;
  if (rest !== 0 && whole < size) bytes[whole] = src[from + whole]! & (0xff << (8 - rest));
  const address =
    family === 'ipv4' ? `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}` : formatIpv6(bytes, 0);
  const text = `${address}/${length}`;
  const known = prefixValueOf(text);
  if (known !== undefined) return known;
  const value: PrefixValue = { family, bytes: bytes.slice(0, size), length, text };
  if (young.size >= PREFIX_INTERN_MAX / 2) {
    old = young;
    young = new Map();
  }
  young.set(text, value);
  return value;
}

/** The interned value of a canonical prefix text, if one was built from bytes recently. */
export function prefixValueOf(text: string): PrefixValue | undefined {
  return young.get(text) ?? old.get(text);
}
