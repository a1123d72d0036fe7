// An MRT reader (RFC 6396) for the records ribjournal writes, written apart from the writer and from the
// BGP codec so that a round trip checks one against the other: TABLE_DUMP_V2 (PEER_INDEX_TABLE, RIB_IPV4/
// IPV6_UNICAST, RIB_GENERIC) and BGP4MP / BGP4MP_ET MESSAGE_AS4 carrying UPDATEs. Path attributes per
// RFC 4271 4.3; MP_REACH/MP_UNREACH per RFC 4760 (cut down to the next hop inside RIB entries, RFC 6396
// 4.3.4); VPN NLRI per RFC 4364 4.3.4 / RFC 4659 (labels RFC 8277); route targets RFC 4360 / RFC 5668.
// Debian's bgpdump reads the unicast records too, but skips SAFI 128: this is what checks VPN records.

/** A malformed MRT file. */
export class MrtFormatError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
    this.name = 'MrtFormatError';
  }
}

export interface DecodedNlri {
  readonly prefix: string;
  /** Route distinguisher text (ASN:nn or a.b.c.d:nn) of a VPN route. */
  readonly rd?: string;
  readonly labels?: readonly number[];
}

export interface DecodedAttributes {
  readonly origin?: number;
  /** AS numbers of every segment, in order. */
  readonly asPath: readonly number[];
  readonly nextHop?: string;
  readonly localPref?: number;
  /** MP_REACH_NLRI: in RIB entries only the next hops are present. */
  readonly mpReach?: {
    readonly afi?: number;
    readonly safi?: number;
    readonly nextHops: readonly string[];
    readonly nlri: readonly DecodedNlri[];
  };
  readonly mpUnreach?: { readonly afi: number; readonly safi: number; readonly nlri: readonly DecodedNlri[] };
  /** Route targets among the extended communities, as text. */
  readonly routeTargets: readonly string[];
  /** Type codes of attributes this reader does not interpret. */
  readonly other: readonly number[];
}

export interface DecodedPeer {
  readonly bgpId: string;
  readonly address: string;
  readonly as: number;
}

export interface DecodedUpdate {
  readonly withdrawn: readonly DecodedNlri[];
  readonly attributes: DecodedAttributes;
  readonly nlri: readonly DecodedNlri[];
}

export type MrtEntry =
  | {
      readonly kind: 'peer-index';
      readonly time: number;
      readonly collectorId: string;
      readonly viewName: string;
      readonly peers: readonly DecodedPeer[];
    }
  | {
      readonly kind: 'rib';
      readonly time: number;
      readonly subtype: number;
      readonly sequence: number;
      readonly afi: number;
      readonly safi: number;
      readonly nlri: DecodedNlri;
      readonly entries: readonly {
        readonly peerIndex: number;
        readonly originated: number;
        readonly attributes: DecodedAttributes;
      }[];
    }
  | {
      readonly kind: 'bgp4mp';
      /** Epoch microseconds (seconds only for BGP4MP, microseconds for BGP4MP_ET). */
      readonly time: number;
      readonly subtype: number;
      readonly peerAs: number;
      readonly localAs: number;
      readonly peerAddress: string;
      readonly localAddress: string;
      readonly messageType: number;
      /** Present when the message is an UPDATE. */
      readonly update?: DecodedUpdate;
    }
  | { readonly kind: 'other'; readonly time: number; readonly type: number; readonly subtype: number };

class Cursor {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}
  need(n: number, what: string): void {
    if (this.pos + n > this.end) throw new MrtFormatError(`${what} runs past its container`, this.pos);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  take(n: number, what: string): Buffer {
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

function ipv4(b: Uint8Array, at = 0): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/** RFC 5952 text of 16 octets: lower case, longest run of zero groups (2 or more) as "::". */
function ipv6(b: Uint8Array, at = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((b[at + 2 * i]! << 8) | b[at + 2 * i + 1]!);
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function address(b: Uint8Array, v6: boolean, at = 0): string {
  return v6 ? ipv6(b, at) : ipv4(b, at);
}

/** RD text per its type (RFC 4364 4.2). */
function rdText(b: Uint8Array, at: number): string {
  const type = (b[at]! << 8) | b[at + 1]!;
  const v = Buffer.from(b.subarray(at + 2, at + 8));
  if (type === 0) return `${v.readUInt16BE(0)}:${v.readUInt32BE(2)}`;
  if (type === 1) return `${ipv4(v, 0)}:${v.readUInt16BE(4)}`;
  if (type === 2) return `${v.readUInt32BE(0)}:${v.readUInt16BE(4)}`;
  return `type${type}:${v.toString('hex')}`;
}

function prefixText(octets: Uint8Array, length: number, v6: boolean): string {
  const full = new Uint8Array(v6 ? 16 : 4);
  full.set(octets.subarray(0, Math.min(octets.length, full.length)));
  return `${address(full, v6)}/${length}`;
}

function readNlri(c: Cursor, end: number, v6: boolean, vpn: boolean): DecodedNlri[] {
  const out: DecodedNlri[] = [];
  while (c.pos < end) {
    let bits = c.u8('NLRI length');
    if (!vpn) {
      if (bits > (v6 ? 128 : 32)) throw new MrtFormatError(`prefix length ${bits}`, c.pos - 1);
      out.push({ prefix: prefixText(c.take((bits + 7) >> 3, 'prefix'), bits, v6) });
      continue;
    }
    const labels: number[] = [];
    for (;;) {
      if (bits < 24) throw new MrtFormatError('VPN NLRI too short for its label', c.pos);
      const field = c.take(3, 'label');
      bits -= 24;
      const value = (field[0]! << 16) | (field[1]! << 8) | field[2]!;
      labels.push(value >>> 4);
      if (value & 1 || value === 0x800000 || value === 0) break;
    }
    if (bits < 64) throw new MrtFormatError('VPN NLRI too short for its RD', c.pos);
    const rd = rdText(c.take(8, 'RD'), 0);
    bits -= 64;
    if (bits > (v6 ? 128 : 32)) throw new MrtFormatError(`prefix length ${bits}`, c.pos);
    out.push({ prefix: prefixText(c.take((bits + 7) >> 3, 'prefix'), bits, v6), rd, labels });
  }
  if (c.pos !== end) throw new MrtFormatError('NLRI overruns its field', c.pos);
  return out;
}

/** Next hops of an MP_REACH next hop field: VPN ones start with an 8-octet RD (zero), then the address. */
function nextHops(b: Buffer, vpn: boolean): string[] {
  const rd = vpn ? 8 : 0;
  const out: string[] = [];
  if (b.length === rd + 4) out.push(ipv4(b, rd));
  else if (b.length === rd + 16) out.push(ipv6(b, rd));
  else if (b.length === 2 * (rd + 16)) out.push(ipv6(b, rd), ipv6(b, 2 * rd + 16));
  else throw new MrtFormatError(`next hop of ${b.length} octets`, 0);
  return out;
}

/**
 * Path attributes. In RIB entries (`ribAfiSafi` given) MP_REACH_NLRI holds only a next hop length and
 * next hop (RFC 6396 4.3.4); in UPDATEs it is complete.
 */
function readAttributes(
  c: Cursor,
  end: number,
  ribAfiSafi?: { afi: number; safi: number },
): DecodedAttributes {
  let origin: number | undefined;
  const asPath: number[] = [];
  let nextHop: string | undefined;
  let localPref: number | undefined;
  let mpReach: DecodedAttributes['mpReach'];
  let mpUnreach: DecodedAttributes['mpUnreach'];
  const routeTargets: string[] = [];
  const other: number[] = [];
  while (c.pos < end) {
    const flags = c.u8('attribute flags');
    const type = c.u8('attribute type');
    const length = flags & 0x10 ? c.u16('attribute length') : c.u8('attribute length');
    const valueEnd = c.pos + length;
    if (valueEnd > end) throw new MrtFormatError(`attribute ${type} runs past the attributes`, c.pos);
    const v = new Cursor(c.buf, c.pos, valueEnd);
    switch (type) {
      case 1:
        origin = v.u8('ORIGIN');
        break;
      case 2:
        while (v.pos < valueEnd) {
          v.u8('segment type');
          const n = v.u8('segment length');
          for (let i = 0; i < n; i++) asPath.push(v.u32('AS number'));
        }
        break;
      case 3:
        nextHop = ipv4(v.take(4, 'NEXT_HOP'));
        break;
      case 5:
        localPref = v.u32('LOCAL_PREF');
        break;
      case 14: {
        if (ribAfiSafi) {
          const n = v.u8('next hop length');
          mpReach = { nextHops: nextHops(v.take(n, 'next hop'), ribAfiSafi.safi === 128), nlri: [] };
        } else {
          const afi = v.u16('AFI');
          const safi = v.u8('SAFI');
          const n = v.u8('next hop length');
          const hops = nextHops(v.take(n, 'next hop'), safi === 128);
          v.u8('reserved');
          mpReach = { afi, safi, nextHops: hops, nlri: readNlri(v, valueEnd, afi === 2, safi === 128) };
        }
        break;
      }
      case 15: {
        const afi = v.u16('AFI');
        const safi = v.u8('SAFI');
        mpUnreach = { afi, safi, nlri: readNlri(v, valueEnd, afi === 2, safi === 128) };
        break;
      }
      case 16:
        while (v.pos < valueEnd) {
          const ec = v.take(8, 'extended community');
          if (ec[1] !== 0x02) continue;
          if (ec[0] === 0x00) routeTargets.push(`${ec.readUInt16BE(2)}:${ec.readUInt32BE(4)}`);
          else if (ec[0] === 0x01) routeTargets.push(`${ipv4(ec, 2)}:${ec.readUInt16BE(6)}`);
          else if (ec[0] === 0x02) routeTargets.push(`${ec.readUInt32BE(2)}:${ec.readUInt16BE(6)}`);
        }
        break;
      default:
        other.push(type);
    }
    c.pos = valueEnd;
  }
  return {
    ...(origin !== undefined ? { origin } : {}),
    asPath,
    ...(nextHop !== undefined ? { nextHop } : {}),
    ...(localPref !== undefined ? { localPref } : {}),
    ...(mpReach ? { mpReach } : {}),
    ...(mpUnreach ? { mpUnreach } : {}),
    routeTargets,
    other,
  };
}

function readUpdate(c: Cursor, end: number): DecodedUpdate {
  const wl = c.u16('withdrawn routes length');
  const withdrawn = readNlri(c, c.pos + wl, false, false);
  const al = c.u16('path attribute length');
  const attributes = readAttributes(c, c.pos + al);
  const nlri = readNlri(c, end, false, false);
  return { withdrawn, attributes, nlri };
}

function readRecord(buf: Buffer, type: number, subtype: number, time: number, body: Cursor): MrtEntry {
  const c = body;
  if (type === 13 && subtype === 1) {
    const collectorId = ipv4(c.take(4, 'collector id'));
    const viewName = c.take(c.u16('view name length'), 'view name').toString('utf8');
    const count = c.u16('peer count');
    const peers: DecodedPeer[] = [];
    for (let i = 0; i < count; i++) {
      const t = c.u8('peer type');
      const bgpId = ipv4(c.take(4, 'peer BGP id'));
      const v6 = (t & 1) !== 0;
      const addr = address(c.take(v6 ? 16 : 4, 'peer address'), v6);
      const as = t & 2 ? c.u32('peer AS') : c.u16('peer AS');
      peers.push({ bgpId, address: addr, as });
    }
    return { kind: 'peer-index', time, collectorId, viewName, peers };
  }
  if (type === 13 && (subtype === 2 || subtype === 4 || subtype === 6)) {
    const sequence = c.u32('sequence number');
    let afi = subtype === 4 ? 2 : 1;
    let safi = 1;
    if (subtype === 6) {
      afi = c.u16('AFI');
      safi = c.u8('SAFI');
    }
    const v6 = afi === 2;
    const vpn = safi === 128;
    // One NLRI: its length says how far it goes.
    const start = c.pos;
    const bits = start < c.end ? buf[start]! : undefined;
    if (bits === undefined) throw new MrtFormatError('missing NLRI', start);
    const nlriEnd = start + 1 + ((bits + 7) >> 3);
    if (nlriEnd > c.end) throw new MrtFormatError('NLRI runs past its record', start);
    const [nlri] = readNlri(c, nlriEnd, v6, vpn);
    const count = c.u16('entry count');
    const entries = [];
    for (let i = 0; i < count; i++) {
      const peerIndex = c.u16('peer index');
      const originated = c.u32('originated time');
      const length = c.u16('attribute length');
      const attributes = readAttributes(c, c.pos + length, { afi, safi });
      entries.push({ peerIndex, originated, attributes });
    }
    return { kind: 'rib', time, subtype, sequence, afi, safi, nlri: nlri!, entries };
  }
  if ((type === 16 || type === 17) && (subtype === 4 || subtype === 1)) {
    const as4 = subtype === 4;
    const peerAs = as4 ? c.u32('peer AS') : c.u16('peer AS');
    const localAs = as4 ? c.u32('local AS') : c.u16('local AS');
    c.u16('interface index');
    const afi = c.u16('address family');
    const v6 = afi === 2;
    const peerAddress = address(c.take(v6 ? 16 : 4, 'peer address'), v6);
    const localAddress = address(c.take(v6 ? 16 : 4, 'local address'), v6);
    const marker = c.take(16, 'BGP marker');
    if (!marker.every((x) => x === 0xff)) throw new MrtFormatError('BGP marker is not all ones', c.pos - 16);
    const length = c.u16('BGP length');
    const messageType = c.u8('BGP type');
    const end = c.pos - 19 + length;
    if (end > c.end) throw new MrtFormatError('BGP message runs past its record', c.pos);
    const update = messageType === 2 ? readUpdate(c, end) : undefined;
    return {
      kind: 'bgp4mp',
      time,
      subtype,
      peerAs,
      localAs,
      peerAddress,
      localAddress,
      messageType,
      ...(update ? { update } : {}),
    };
  }
  return { kind: 'other', time, type, subtype };
}

/** Decodes every record of an MRT byte stream. Throws MrtFormatError at the first malformed one. */
export function decodeMrt(buf: Buffer): MrtEntry[] {
  const out: MrtEntry[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (pos + 12 > buf.length) throw new MrtFormatError('truncated MRT header', pos);
    const sec = buf.readUInt32BE(pos);
    const type = buf.readUInt16BE(pos + 4);
    const subtype = buf.readUInt16BE(pos + 6);
    const length = buf.readUInt32BE(pos + 8);
    let bodyStart = pos + 12;
    const end = bodyStart + length;
    if (end > buf.length) throw new MrtFormatError('truncated MRT record', pos);
    let time = sec * 1e6;
    if (type === 17) {
      time += buf.readUInt32BE(bodyStart);
      bodyStart += 4;
    }
    out.push(readRecord(buf, type, subtype, time, new Cursor(buf, bodyStart, end)));
    pos = end;
  }
  return out;
}
