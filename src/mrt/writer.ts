// MRT records (RFC 6396), pure encoders: the common header (section 2) and its extended-timestamp form
// (section 3, microseconds); TABLE_DUMP_V2 (section 4.3): PEER_INDEX_TABLE (4.3.1), RIB_IPV4_UNICAST /
// RIB_IPV6_UNICAST (4.3.2) and RIB_GENERIC (4.3.3), whose RIB entries (4.3.4) carry BGP path attributes
// with AS numbers always 4 octets and MP_REACH_NLRI cut down to its next hop; BGP4MP_MESSAGE_AS4
// (4.4.3), which carries a whole BGP message. Path attributes follow RFC 4271 4.3, RFC 4760 (MP_REACH),
// RFC 4360 (extended communities, route targets), VPN NLRI RFC 4364 4.3.4 / RFC 4659 with labels per
// RFC 8277.
import ipaddr from 'ipaddr.js';
import {
  AFI_IPV4,
  AFI_IPV6,
  ATTR_AS_PATH,
  ATTR_EXTENDED_COMMUNITIES,
  ATTR_FLAG_EXTENDED_LENGTH,
  ATTR_FLAG_OPTIONAL,
  ATTR_FLAG_TRANSITIVE,
  ATTR_LOCAL_PREF,
  ATTR_MP_REACH_NLRI,
  ATTR_NEXT_HOP,
  ATTR_ORIGIN,
  ORIGIN_IGP,
  SAFI_MPLS_VPN,
  SAFI_UNICAST,
  encodeRd,
  nlriSize,
  writeNlri as encodeNlri,
  encodeRouteTarget,
} from '../bgp/codec/index.js';
import type { RdRt } from '../shared/index.js';
import {
  BGP4MP_ET,
  BGP4MP_MESSAGE_AS4,
  MRT_HEADER_LENGTH,
  PEER_INDEX_TABLE,
  RIB_GENERIC,
  RIB_IPV4_UNICAST,
  RIB_IPV6_UNICAST,
  TABLE_DUMP_V2,
} from './constants.js';

/** One route as an MRT record carries it. `rd` makes it a VPN route (SAFI 128). */
export interface MrtRoute {
  readonly prefix: string;
  /** Next hop: the address the route was derived from. */
  readonly nextHop: string;
  readonly rd?: RdRt | undefined;
  /** MPLS label of VPN routes (RFC 8277); 0 unless configured. */
  readonly label?: number | undefined;
  /** Route targets, sent as extended communities. */
  readonly routeTargets?: readonly RdRt[] | undefined;
  /** Epoch microseconds the route appeared (RIB entries' originated time). */
  readonly originated: number;
}

/** A BGP speaker in a PEER_INDEX_TABLE. */
export interface MrtPeer {
  readonly bgpId: string;
  readonly address: string;
  readonly as: number;
}

/** Seconds and microseconds of an epoch-microsecond time. */
function split(micros: number): [number, number] {
  const s = Math.floor(micros / 1e6);
  return [s, Math.round(micros - s * 1e6)];
}

/** A whole MRT record; `extended` writes the microsecond field of the _ET types. */
export function mrtRecord(
  type: number,
  subtype: number,
  timeMicros: number,
  body: Uint8Array,
  extended = false,
): Buffer {
  const [sec, usec] = split(timeMicros);
  const head = extended ? MRT_HEADER_LENGTH + 4 : MRT_HEADER_LENGTH;
  const out = Buffer.allocUnsafe(head + body.length);
  out.writeUInt32BE(sec >>> 0, 0);
  out.writeUInt16BE(type, 4);
  out.writeUInt16BE(subtype, 6);
  out.writeUInt32BE(body.length + (extended ? 4 : 0), 8);
  if (extended) out.writeUInt32BE(usec, 12);
  out.set(body, head);
  return out;
}

/** Growable big-endian byte builder for record bodies. */
class Bytes {
  private buf = Buffer.allocUnsafe(256);
  pos = 0;
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(n: number): this {
    this.ensure(1);
    this.buf[this.pos++] = n;
    return this;
  }
  u16(n: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(n, this.pos);
    this.pos += 2;
    return this;
  }
  u32(n: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(n >>> 0, this.pos);
    this.pos += 4;
    return this;
  }
  bytes(b: Uint8Array | readonly number[]): this {
    this.ensure(b.length);
    for (let i = 0; i < b.length; i++) this.buf[this.pos++] = b[i]!;
    return this;
  }
  /** Reserves a u16 to patch later; returns its offset. */
  mark16(): number {
    this.u16(0);
    return this.pos - 2;
  }
  patch16(at: number, n: number): void {
    this.buf.writeUInt16BE(n, at);
  }
  take(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

function addressBytes(text: string): number[] {
  return ipaddr.parse(text).toByteArray();
}

function isV6(address: string): boolean {
  return address.includes(':');
}

/** NLRI as BGP carries it (the codec's encoder): for VPN routes one label and the RD come first. */
function writeNlri(b: Bytes, route: MrtRoute): void {
  const slash = route.prefix.lastIndexOf('/');
  const length = Number(route.prefix.slice(slash + 1));
  const vpn = route.rd !== undefined;
  const out = new Uint8Array(nlriSize(length, 1, vpn));
  const prefix = Uint8Array.from(addressBytes(route.prefix.slice(0, slash)));
  encodeNlri(out, 0, prefix, length, vpn, [route.label ?? 0], route.rd ? encodeRd(route.rd) : undefined);
  b.bytes(out);
}

function attr(b: Bytes, flags: number, type: number, value: Uint8Array | readonly number[]): void {
  if (value.length > 255)
    b.u8(flags | ATTR_FLAG_EXTENDED_LENGTH)
      .u8(type)
      .u16(value.length);
  else b.u8(flags).u8(type).u8(value.length);
  b.bytes(value);
}

/** AFI and SAFI of a route. */
export function afiSafiOf(route: MrtRoute): { afi: number; safi: number } {
  return { afi: isV6(route.prefix) ? AFI_IPV6 : AFI_IPV4, safi: route.rd ? SAFI_MPLS_VPN : SAFI_UNICAST };
}

/** The next hop field of MP_REACH_NLRI: a VPN next hop is a zero RD followed by the address. */
function mpNextHop(route: MrtRoute): number[] {
  const nh = addressBytes(route.nextHop);
  return route.rd ? [0, 0, 0, 0, 0, 0, 0, 0, ...nh] : nh;
}

/**
 * The path attributes of a RIB entry (RFC 6396 4.3.4): ORIGIN IGP, an empty AS_PATH (locally
 * originated), NEXT_HOP for IPv4 unicast, LOCAL_PREF 100, MP_REACH_NLRI with only its next hop for the
 * other families, route targets as EXTENDED_COMMUNITIES. Type code order.
 */
export function ribAttributes(route: MrtRoute): Buffer {
  const b = new Bytes();
  attr(b, ATTR_FLAG_TRANSITIVE, ATTR_ORIGIN, [ORIGIN_IGP]);
  attr(b, ATTR_FLAG_TRANSITIVE, ATTR_AS_PATH, []);
  const { afi, safi } = afiSafiOf(route);
  if (afi === AFI_IPV4 && safi === SAFI_UNICAST)
    attr(b, ATTR_FLAG_TRANSITIVE, ATTR_NEXT_HOP, addressBytes(route.nextHop));
  attr(b, ATTR_FLAG_TRANSITIVE, ATTR_LOCAL_PREF, [0, 0, 0, 100]);
  if (!(afi === AFI_IPV4 && safi === SAFI_UNICAST)) {
    const nh = mpNextHop(route);
    attr(b, ATTR_FLAG_OPTIONAL, ATTR_MP_REACH_NLRI, [nh.length, ...nh]);
  }
  const rts = route.routeTargets ?? [];
  if (rts.length > 0) {
    const value: number[] = [];
    for (const rt of rts) value.push(...encodeRouteTarget(rt));
    attr(b, ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE, ATTR_EXTENDED_COMMUNITIES, value);
  }
  return b.take();
}

/** PEER_INDEX_TABLE: the collector and the peers RIB entries refer to by index (4-octet AS always). */
export function peerIndexTable(
  timeMicros: number,
  collectorId: string,
  viewName: string,
  peers: readonly MrtPeer[],
): Buffer {
  const b = new Bytes();
  b.bytes(addressBytes(collectorId));
  const name = Buffer.from(viewName, 'utf8');
  b.u16(name.length).bytes(name);
  b.u16(peers.length);
  for (const p of peers) {
    const v6 = isV6(p.address);
    b.u8((v6 ? 1 : 0) | 2);
    b.bytes(addressBytes(p.bgpId));
    b.bytes(addressBytes(p.address));
    b.u32(p.as);
  }
  return mrtRecord(TABLE_DUMP_V2, PEER_INDEX_TABLE, timeMicros, b.take());
}

/**
 * One RIB record: a prefix and its entries (one per peer; here the best path of peer 0). Unicast routes
 * are RIB_IPV4_UNICAST / RIB_IPV6_UNICAST; VPN routes RIB_GENERIC with AFI/SAFI and the VPN NLRI.
 */
export function ribRecord(timeMicros: number, sequence: number, route: MrtRoute, peerIndex = 0): Buffer {
  const b = new Bytes();
  b.u32(sequence);
  const { afi, safi } = afiSafiOf(route);
  let subtype: number;
  if (safi === SAFI_UNICAST) {
    subtype = afi === AFI_IPV4 ? RIB_IPV4_UNICAST : RIB_IPV6_UNICAST;
  } else {
    subtype = RIB_GENERIC;
    b.u16(afi).u8(safi);
  }
  writeNlri(b, route);
  b.u16(1);
  const attrs = ribAttributes(route);
  b.u16(peerIndex)
    .u32(Math.floor(route.originated / 1e6))
    .u16(attrs.length)
    .bytes(attrs);
  return mrtRecord(TABLE_DUMP_V2, subtype, timeMicros, b.take());
}

/**
 * BGP4MP_MESSAGE_AS4 with a microsecond timestamp (BGP4MP_ET): a BGP message as `peer` sent it to
 * `local`. The addresses must be of one family.
 */
export function bgp4mpMessage(
  timeMicros: number,
  peer: MrtPeer,
  local: MrtPeer,
  message: Uint8Array,
): Buffer {
  const v6 = isV6(peer.address);
  const b = new Bytes();
  b.u32(peer.as)
    .u32(local.as)
    .u16(0)
    .u16(v6 ? AFI_IPV6 : AFI_IPV4);
  b.bytes(addressBytes(peer.address)).bytes(addressBytes(local.address));
  b.bytes(message);
  return mrtRecord(BGP4MP_ET, BGP4MP_MESSAGE_AS4, timeMicros, b.take(), true);
}
