// Wire forms of route distinguishers (RFC 4364 section 4.2: type 0, 1, 2 as 2-octet type + 6-octet
// value) and of route targets as extended communities (RFC 4360 sections 3.1 and 3.2: 2-octet-AS form
// type 0x00 and IPv4 form type 0x01; RFC 5668 section 2: 4-octet-AS form type 0x02; subtype 0x02).
import { RibjournalError, type RdRt } from '../../shared/index.js';
import { formatIpv4, parseIpv4Into } from './address.js';
import {
  EC_SUBTYPE_ROUTE_TARGET,
  EC_TYPE_FOUR_OCTET_AS,
  EC_TYPE_IPV4,
  EC_TYPE_TWO_OCTET_AS,
} from './constants.js';

/** Writes the 6-octet administrator + assigned number part shared by RDs and RTs. */
function writeValue(rd: RdRt, out: Uint8Array, off: number): void {
  const n = rd.assigned;
  if (rd.type === 0) {
    const as = rd.admin as number;
    out[off] = as >>> 8;
    out[off + 1] = as & 0xff;
    out[off + 2] = n >>> 24;
    out[off + 3] = (n >>> 16) & 0xff;
    out[off + 4] = (n >>> 8) & 0xff;
    out[off + 5] = n & 0xff;
  } else if (rd.type === 1) {
    if (!parseIpv4Into(rd.admin as string, 0, (rd.admin as string).length, out, off)) {
      throw new RibjournalError('BAD_ARGUMENT', `RD/RT ${rd.text}: "${rd.admin}" is not an IPv4 address`);
    }
    out[off + 4] = n >>> 8;
    out[off + 5] = n & 0xff;
  } else {
    const as = rd.admin as number;
    out[off] = as >>> 24;
    out[off + 1] = (as >>> 16) & 0xff;
    out[off + 2] = (as >>> 8) & 0xff;
    out[off + 3] = as & 0xff;
    out[off + 4] = n >>> 8;
    out[off + 5] = n & 0xff;
  }
}

/** Writes the 8-octet route distinguisher at out[off]. */
export function writeRd(rd: RdRt, out: Uint8Array, off: number): void {
  out[off] = 0;
  out[off + 1] = rd.type;
  writeValue(rd, out, off + 2);
}

export function encodeRd(rd: RdRt): Uint8Array {
  const out = new Uint8Array(8);
  writeRd(rd, out, 0);
  return out;
}

function fromValue(type: 0 | 1 | 2, buf: Uint8Array, off: number): RdRt {
  if (type === 0) {
    const admin = (buf[off]! << 8) | buf[off + 1]!;
    const assigned =
      ((buf[off + 2]! << 24) | (buf[off + 3]! << 16) | (buf[off + 4]! << 8) | buf[off + 5]!) >>> 0;
    return { type, admin, assigned, text: `${admin}:${assigned}` };
  }
  const assigned = (buf[off + 4]! << 8) | buf[off + 5]!;
  if (type === 1) {
    const admin = formatIpv4(buf, off);
    return { type, admin, assigned, text: `${admin}:${assigned}` };
  }
  const admin = ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
  return { type, admin, assigned, text: `${admin}:${assigned}` };
}

/** Reads the 8-octet route distinguisher at buf[off]; undefined for a type other than 0, 1, 2. */
export function readRd(buf: Uint8Array, off: number): RdRt | undefined {
  if (buf[off] !== 0) return undefined;
  const type = buf[off + 1];
  if (type !== 0 && type !== 1 && type !== 2) return undefined;
  return fromValue(type, buf, off + 2);
}

const RT_TYPE: Readonly<Record<0 | 1 | 2, number>> = {
  0: EC_TYPE_TWO_OCTET_AS,
  1: EC_TYPE_IPV4,
  2: EC_TYPE_FOUR_OCTET_AS,
};

/** Writes a route target as an 8-octet transitive extended community at out[off]. */
export function writeRouteTarget(rt: RdRt, out: Uint8Array, off: number): void {
  out[off] = RT_TYPE[rt.type];
  out[off + 1] = EC_SUBTYPE_ROUTE_TARGET;
  writeValue(rt, out, off + 2);
}

export function encodeRouteTarget(rt: RdRt): Uint8Array {
  const out = new Uint8Array(8);
  writeRouteTarget(rt, out, 0);
  return out;
}

/** The route target in the extended community at buf[off], or undefined when it is not one. */
export function readRouteTarget(buf: Uint8Array, off: number): RdRt | undefined {
  if (buf[off + 1] !== EC_SUBTYPE_ROUTE_TARGET) return undefined;
  const t = buf[off];
  if (t === EC_TYPE_TWO_OCTET_AS) return fromValue(0, buf, off + 2);
  if (t === EC_TYPE_IPV4) return fromValue(1, buf, off + 2);
  if (t === EC_TYPE_FOUR_OCTET_AS) return fromValue(2, buf, off + 2);
  return undefined;
}
