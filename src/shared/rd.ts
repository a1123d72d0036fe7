// Route distinguishers (RFC 4364 section 4.2) and route targets (RFC 4360, RFC 5668) share one text form:
//   ASN:nn with ASN <= 65535  -> type 0 (2-octet AS, 4-octet number)
//   a.b.c.d:nn                -> type 1 (IPv4 address, 2-octet number)
//   ASN:nn with ASN > 65535   -> type 2 (4-octet AS, 2-octet number)
// as GoBGP parses them.
import ipaddr from 'ipaddr.js';

/** A parsed RD or RT. `admin` is the AS number (types 0, 2) or dotted IPv4 text (type 1). */
export interface RdRt {
  readonly type: 0 | 1 | 2;
  readonly admin: number | string;
  readonly assigned: number;
  /** Canonical text, as GoBGP prints it. */
  readonly text: string;
}

/** Parses an RD/RT; returns an error message (naming the accepted forms) instead of throwing. */
export function parseRdRt(text: string): RdRt | { error: string } {
  const forms = 'expected ASN:nn (2-byte ASN with 32-bit nn, or 4-byte ASN with 16-bit nn) or IPv4:nn';
  const colon = text.lastIndexOf(':');
  if (colon <= 0 || colon === text.length - 1) return { error: `"${text}" is not an RD/RT: ${forms}` };
  const left = text.slice(0, colon);
  const right = text.slice(colon + 1);
  if (!/^\d+$/.test(right))
    return { error: `"${text}": the assigned number "${right}" is not a decimal number` };
  const assigned = Number(right);
  if (left.includes('.')) {
    if (!ipaddr.IPv4.isValidFourPartDecimal(left))
      return { error: `"${text}": "${left}" is not an IPv4 address` };
    if (assigned > 0xffff)
      return { error: `"${text}": with an IPv4 administrator the number must be 0..65535` };
    return { type: 1, admin: left, assigned, text: `${left}:${assigned}` };
  }
  if (!/^\d+$/.test(left)) return { error: `"${text}" is not an RD/RT: ${forms}` };
  const asn = Number(left);
  if (asn > 0xffffffff) return { error: `"${text}": AS number ${left} is larger than 4294967295` };
  if (asn <= 0xffff) {
    if (assigned > 0xffffffff)
      return { error: `"${text}": with a 2-byte AS the number must be 0..4294967295` };
    return { type: 0, admin: asn, assigned, text: `${asn}:${assigned}` };
  }
  if (assigned > 0xffff) return { error: `"${text}": with a 4-byte AS the number must be 0..65535` };
  return { type: 2, admin: asn, assigned, text: `${asn}:${assigned}` };
}

export function isRdRtError(x: RdRt | { error: string }): x is { error: string } {
  return 'error' in x;
}
