// NLRI encoding: <length in bits, prefix> (RFC 4271 4.3, RFC 4760 5), and for the l3vpn families the
// labeled VPN form (RFC 4364 4.3.4, RFC 4659 3.2, labels per RFC 3107 3 / RFC 8277 2):
//   length = 24 bits per label + 64 (RD) + prefix length; label entry = 20-bit label, 3 bits EXP/TC,
//   1 bit bottom-of-stack; the RD is 8 octets; the prefix is trimmed to whole octets.
// A label field of 0x800000 (RFC 3107 3, the RFC 8277 2.4 "compatibility" value) or 0x000000 ends the
// stack; both are accepted as withdrawal labels, as GoBGP accepts them.
import { RibjournalError, prefixValueOf, type RdRt } from '../../shared/index.js';
import { formatIpv4, formatIpv6, parseIpv4Into, parseIpv6Into } from './address.js';
import { WITHDRAW_LABEL_COMPAT } from './constants.js';
import type { BgpFamily, BgpRoute } from './families.js';
import { readRd } from './rd-rt.js';

/**
 * Parses canonical prefix text into scratch[0..4|16) and returns the prefix length, or -1 when the
 * text is not a prefix of that address family. Host bits are cleared.
 */
export function parsePrefixInto(prefix: string, v6: boolean, scratch: Uint8Array): number {
  const slash = prefix.lastIndexOf('/');
  if (slash <= 0) return -1;
  let len = 0;
  const lenDigits = prefix.length - slash - 1;
  if (lenDigits < 1 || lenDigits > 3) return -1;
  for (let i = slash + 1; i < prefix.length; i++) {
    const c = prefix.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    len = len * 10 + (c - 48);
  }
  const max = v6 ? 128 : 32;
  if (len > max) return -1;
  const ok = v6 ? parseIpv6Into(prefix, 0, slash, scratch, 0) : parseIpv4Into(prefix, 0, slash, scratch, 0);
  if (!ok) return -1;
  const whole = len >>> 3;
  const rest = len & 7;
  if (rest !== 0) scratch[whole] = scratch[whole]! & (0xff << (8 - rest));
  return len;
}

/**
 * As parsePrefixInto, but a prefix the import state built from the kernel's bytes (interned by its
 * text, issue 9.4) is copied from those bytes instead of parsed: the hot path has no text round trip.
 */
export function prefixInto(prefix: string, v6: boolean, scratch: Uint8Array): number {
  const value = prefixValueOf(prefix);
  if (value === undefined || (value.family === 'ipv6') !== v6) return parsePrefixInto(prefix, v6, scratch);
  scratch.set(value.bytes);
  return value.length;
}

/** Octets of a route's NLRI: 1 length octet, labels, RD, then the significant prefix octets. */
export function nlriSize(prefixLength: number, labelCount: number, vpn: boolean): number {
  return 1 + (vpn ? 3 * labelCount + 8 : 0) + ((prefixLength + 7) >>> 3);
}

/**
 * Writes one NLRI at out[pos] and returns the position after it. For VPN NLRI `labels` are label
 * values (the last gets the bottom-of-stack bit); a label equal to WITHDRAW_LABEL_COMPAT is written
 * as the raw field 0x800000.
 */
export function writeNlri(
  out: Uint8Array,
  pos: number,
  prefixBytes: Uint8Array,
  prefixLength: number,
  vpn: boolean,
  labels: readonly number[],
  rdBytes: Uint8Array | undefined,
): number {
  const octets = (prefixLength + 7) >>> 3;
  if (vpn) {
    out[pos++] = 24 * labels.length + 64 + prefixLength;
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i]!;
      if (label === WITHDRAW_LABEL_COMPAT) {
        out[pos++] = 0x80;
        out[pos++] = 0;
        out[pos++] = 0;
        continue;
      }
      const field = label * 16 + (i === labels.length - 1 ? 1 : 0);
      out[pos++] = (field >>> 16) & 0xff;
      out[pos++] = (field >>> 8) & 0xff;
      out[pos++] = field & 0xff;
    }
    out.set(rdBytes!, pos);
    pos += 8;
  } else {
    out[pos++] = prefixLength;
  }
  for (let i = 0; i < octets; i++) out[pos++] = prefixBytes[i]!;
  return pos;
}

/** Checks a label value for the wire: 20 bits, or the withdrawal compatibility value. */
export function checkLabel(label: number): void {
  if (label === WITHDRAW_LABEL_COMPAT) return;
  if (!Number.isInteger(label) || label < 0 || label > 0xfffff) {
    throw new RibjournalError('BAD_ARGUMENT', `MPLS label ${label} is not 0..1048575`);
  }
}

/** The outcome of decoding an NLRI field: an error text when it cannot be delimited. */
export interface NlriDecodeIssue {
  readonly error?: string;
  /** Routes skipped because their RD type is unknown (RFC 4271 6.3: ignore, log). */
  readonly ignored: string[];
}

/**
 * Decodes the NLRI in buf[start, end) of `family`, pushing routes onto `out`. Returns an issue with
 * `error` set when the field is syntactically incorrect in the sense of RFC 7606 5.3: a prefix longer
 * than the family allows, or an NLRI that overruns the field.
 */
export function decodeNlriField(
  family: BgpFamily,
  buf: Uint8Array,
  start: number,
  end: number,
  out: BgpRoute[],
): NlriDecodeIssue {
  const ignored: string[] = [];
  const v6 = family === 'ipv6-unicast' || family === 'l3vpn-ipv6-unicast';
  const vpn = family === 'l3vpn-ipv4-unicast' || family === 'l3vpn-ipv6-unicast';
  const max = v6 ? 128 : 32;
  const addr = new Uint8Array(v6 ? 16 : 4);
  let pos = start;
  while (pos < end) {
    let bits = buf[pos++]!;
    let labels: number[] | undefined;
    let rd: RdRt | undefined;
    let rdError: string | undefined;
    if (vpn) {
      labels = [];
      for (;;) {
        if (bits < 24) return { error: `VPN NLRI length leaves no room for a label`, ignored };
        if (pos + 3 > end) return { error: 'label overruns the NLRI field', ignored };
        const raw = (buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
        pos += 3;
        bits -= 24;
        if (raw === WITHDRAW_LABEL_COMPAT || raw === 0) {
          if (raw === 0) labels.push(0);
          break;
        }
        labels.push(raw >>> 4);
        if (raw & 1) break;
      }
      if (bits < 64) return { error: `VPN NLRI length leaves no room for the RD`, ignored };
      if (pos + 8 > end) return { error: 'RD overruns the NLRI field', ignored };
      rd = readRd(buf, pos);
      if (!rd) rdError = `RD type ${(buf[pos]! << 8) | buf[pos + 1]!}`;
      pos += 8;
      bits -= 64;
    }
    if (bits > max) return { error: `prefix length ${bits} exceeds ${max}`, ignored };
    const octets = (bits + 7) >>> 3;
    if (pos + octets > end) return { error: `prefix of ${bits} bits overruns the NLRI field`, ignored };
    addr.fill(0);
    for (let i = 0; i < octets; i++) addr[i] = buf[pos + i]!;
    if (bits & 7) addr[octets - 1] = addr[octets - 1]! & (0xff << (8 - (bits & 7)));
    pos += octets;
    const prefix = `${v6 ? formatIpv6(addr, 0) : formatIpv4(addr, 0)}/${bits}`;
    if (rdError) {
      ignored.push(`${prefix} with unknown ${rdError}`);
      continue;
    }
    if (vpn)
      out.push(
        labels!.length > 0 ? { family, prefix, rd: rd!, labels: labels! } : { family, prefix, rd: rd! },
      );
    else out.push({ family, prefix });
  }
  return { ignored };
}
