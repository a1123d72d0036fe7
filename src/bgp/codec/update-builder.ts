// UPDATE encoding (RFC 4271 4.3) for the routes ribjournal originates: ORIGIN IGP, AS_PATH (empty
// toward iBGP, our AS toward eBGP; 4-octet numbers when both sides have RFC 6793, else 2-octet with
// AS_TRANS and AS4_PATH), NEXT_HOP for IPv4 unicast, LOCAL_PREF toward iBGP, route targets as
// EXTENDED_COMMUNITIES (RFC 4360, RFC 5668), MP_REACH_NLRI/MP_UNREACH_NLRI (RFC 4760) for the other
// families with next hops per RFC 4364 4.3.2 (VPN-IPv4: zero RD + IPv4), RFC 4659 3.2.1 (VPN-IPv6:
// zero RD before each address, 24 or 48 octets), RFC 4798 / RFC 4659 (IPv4-mapped IPv6 next hop on an
// IPv4 session), RFC 2545 3 (global + link-local, 32 octets) and RFC 8950 (IPv6 next hop for IPv4 NLRI).
// MP_REACH_NLRI/MP_UNREACH_NLRI come first (RFC 7606 5.1), the rest in type code order (RFC 4271 5).
// Export policy adds MULTI_EXIT_DISC, COMMUNITIES (RFC 1997), more extended communities (route origin,
// RFC 4360 5), LARGE_COMMUNITIES (RFC 8092), a LOCAL_PREF of its own and ASes prepended to AS_PATH.
// End-of-RIB markers per RFC 4724 2. Many NLRI sharing one attribute set are packed per message, up to
// 4096 octets (65535 with RFC 8654 extended messages).
import { RibjournalError, type RdRt } from '../../shared/index.js';
import { parseIpv4Into, parseIpv6Into } from './address.js';
import {
  AS_SEQUENCE,
  AS_TRANS,
  ATTR_AS4_PATH,
  ATTR_AS_PATH,
  ATTR_EXTENDED_COMMUNITIES,
  ATTR_FLAG_EXTENDED_LENGTH,
  ATTR_FLAG_OPTIONAL,
  ATTR_FLAG_TRANSITIVE,
  ATTR_COMMUNITIES,
  ATTR_LARGE_COMMUNITIES,
  ATTR_LOCAL_PREF,
  ATTR_MED,
  ATTR_MP_REACH_NLRI,
  ATTR_MP_UNREACH_NLRI,
  ATTR_NEXT_HOP,
  ATTR_ORIGIN,
  BGP_HEADER_LENGTH,
  BGP_MAX_EXTENDED_MESSAGE_LENGTH,
  BGP_MAX_MESSAGE_LENGTH,
  BGP_MSG_UPDATE,
  ORIGIN_IGP,
  WITHDRAW_LABEL_COMPAT,
} from './constants.js';
import { familyAfiSafi, isIpv6Family, isVpnFamily, type BgpFamily, type BgpRoute } from './families.js';
import { checkLabel, nlriSize, prefixInto, writeNlri } from './nlri.js';
import { writeRd, writeRouteTarget } from './rd-rt.js';
import { writeHeader } from './reader.js';

/** The session's own addresses, used as next-hop-self. */
export interface NextHopSelf {
  /** The local IPv4 address of the session, if it has one. */
  readonly ipv4?: string;
  /** The local global IPv6 address of the session, if it has one. */
  readonly ipv6?: string;
  /** The link-local address of the session's interface, sent beside `ipv6` when the peer is on-link. */
  readonly ipv6LinkLocal?: string;
}

/** The session facts an UpdateBuilder encodes for (from the config and NegotiatedSession). */
export interface UpdateBuilderOptions {
  readonly localAs: number;
  /** iBGP when equal to localAs. */
  readonly peerAs: number;
  /** Both OPENs carried the 4-octet AS capability (RFC 6793). */
  readonly as4: boolean;
  readonly nextHop: NextHopSelf;
  /** LOCAL_PREF toward iBGP peers; 100 unless set. */
  readonly localPref?: number;
  /** IPv4 families for which the peer accepts an IPv6 next hop (RFC 8950), from NegotiatedSession. */
  readonly extendedNextHop?: readonly BgpFamily[];
  /** RFC 8654 negotiated: messages up to 65535 octets. */
  readonly extendedMessage?: boolean;
  /**
   * Label field of withdrawn VPN NLRI: 'route' repeats the route's labels (default [0]), which is what
   * GoBGP sends (its withdrawals reuse the advertised NLRI); 'compat' sends 0x800000 (RFC 3107 3,
   * RFC 8277 2.4). Receivers ignore the field either way.
   */
  readonly withdrawLabel?: 'route' | 'compat';
}

/** The attributes a set of routes shares beyond what the session implies. */
export interface RouteAttributes {
  /** Export route targets, sent as EXTENDED_COMMUNITIES in the order given. */
  readonly routeTargets?: readonly RdRt[];
  /** More extended communities after the route targets (route targets or route origins, RFC 4360 5). */
  readonly extCommunities?: readonly {
    readonly subtype: 'route-target' | 'route-origin';
    readonly value: RdRt;
  }[];
  /** COMMUNITIES (RFC 1997), 32-bit values in the order given. */
  readonly communities?: readonly number[];
  /** LARGE_COMMUNITIES (RFC 8092): [global, local1, local2]. */
  readonly largeCommunities?: readonly (readonly [number, number, number])[];
  /** MULTI_EXIT_DISC. */
  readonly med?: number | undefined;
  /** LOCAL_PREF toward iBGP instead of the session's (never sent to eBGP, RFC 4271 5.1.5). */
  readonly localPref?: number | undefined;
  /** ASes before the path (ours toward eBGP), leftmost first. */
  readonly asPathPrepend?: readonly number[];
}

const DEFAULT_LABELS: readonly number[] = [0];
const COMPAT_LABELS: readonly number[] = [WITHDRAW_LABEL_COMPAT];
const EMPTY: readonly RdRt[] = [];
const NO_NUMBERS: readonly number[] = [];
const EC_SUBTYPE_ROUTE_ORIGIN = 0x03;
const MAX_SEGMENT = 255;

function pushU32(out: number[], v: number): void {
  out.push(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

/** AS_SEQUENCE segments of at most 255 ASes, each AS in `width` octets. */
function asPathValue(path: readonly number[], width: 2 | 4): number[] {
  const out: number[] = [];
  for (let i = 0; i < path.length; i += MAX_SEGMENT) {
    const seg = path.slice(i, i + MAX_SEGMENT);
    out.push(AS_SEQUENCE, seg.length);
    for (const as of seg) {
      if (width === 4) pushU32(out, as);
      else {
        const as2 = as > 0xffff ? AS_TRANS : as;
        out.push(as2 >>> 8, as2 & 0xff);
      }
    }
  }
  return out;
}

function attrHeader(out: number[], flags: number, type: number, length: number): void {
  if (length > 255) out.push(flags | ATTR_FLAG_EXTENDED_LENGTH, type, length >>> 8, length & 0xff);
  else out.push(flags, type, length);
}

function addressOrThrow(text: string, v6: boolean, what: string): Uint8Array {
  const out = new Uint8Array(v6 ? 16 : 4);
  const ok = v6 ? parseIpv6Into(text, 0, text.length, out, 0) : parseIpv4Into(text, 0, text.length, out, 0);
  if (!ok)
    throw new RibjournalError('BAD_ARGUMENT', `${what} "${text}" is not an ${v6 ? 'IPv6' : 'IPv4'} address`);
  return out;
}

/** The fixed parts of one kind of message: bytes before the NLRI, after it, and lengths to patch. */
interface Layout {
  /** Body bytes after the 19-octet header and before the NLRI. */
  readonly head: Uint8Array;
  /** Body bytes after the NLRI. */
  readonly tail: Uint8Array;
  /** u16 fields in `head` whose value is `base` + the NLRI octets of the message. */
  readonly patches: readonly { readonly offset: number; readonly base: number }[];
}

/**
 * Encodes UPDATEs for one BGP session. `announce` and `withdraw` take routes of one family that share
 * one attribute set and return as many messages as needed, each within the message size limit.
 */
export class UpdateBuilder {
  private readonly o: UpdateBuilderOptions;
  private readonly maxLength: number;
  private readonly ibgp: boolean;
  private readonly scratch = new Uint8Array(16);
  private readonly rdScratch = new Uint8Array(8);
  private lastRd: RdRt | undefined;

  constructor(options: UpdateBuilderOptions) {
    this.o = options;
    this.maxLength = options.extendedMessage ? BGP_MAX_EXTENDED_MESSAGE_LENGTH : BGP_MAX_MESSAGE_LENGTH;
    this.ibgp = options.localAs === options.peerAs;
  }

  /** UPDATEs advertising `routes` (all of `family`) with next-hop-self and the given attributes. */
  announce(family: BgpFamily, routes: readonly BgpRoute[], attrs: RouteAttributes = {}): Buffer[] {
    if (routes.length === 0) return [];
    return this.pack(family, routes, this.announceLayout(family, attrs), false);
  }

  /** UPDATEs withdrawing `routes` (all of `family`). */
  withdraw(family: BgpFamily, routes: readonly BgpRoute[]): Buffer[] {
    if (routes.length === 0) return [];
    let layout: Layout;
    if (family === 'ipv4-unicast') {
      // Withdrawn Routes Length (patched), withdrawn routes, Total Path Attribute Length 0.
      layout = { head: new Uint8Array(2), tail: new Uint8Array(2), patches: [{ offset: 0, base: 0 }] };
    } else {
      const { afi, safi } = familyAfiSafi(family);
      const head = Uint8Array.of(
        0,
        0,
        0,
        0,
        ATTR_FLAG_OPTIONAL | ATTR_FLAG_EXTENDED_LENGTH,
        ATTR_MP_UNREACH_NLRI,
        0,
        0,
        afi >>> 8,
        afi & 0xff,
        safi,
      );
      layout = {
        head,
        tail: new Uint8Array(0),
        patches: [
          { offset: 2, base: 4 + 3 },
          { offset: 6, base: 3 },
        ],
      };
    }
    return this.pack(family, routes, layout, true);
  }

  /** The End-of-RIB marker of a family (RFC 4724 2). */
  endOfRib(family: BgpFamily): Buffer {
    return encodeEndOfRib(family);
  }

  /** The path attributes other than MP_REACH_NLRI, in type code order. */
  private sharedAttributes(nextHopAttr: Uint8Array | undefined, attrs: RouteAttributes): number[] {
    const out: number[] = [];
    attrHeader(out, ATTR_FLAG_TRANSITIVE, ATTR_ORIGIN, 1);
    out.push(ORIGIN_IGP);
    const localAs = this.o.localAs;
    const prepend = attrs.asPathPrepend ?? NO_NUMBERS;
    const path = this.ibgp ? prepend : [...prepend, localAs];
    const as4Path = !this.o.as4 && path.some((as) => as > 0xffff);
    const pathValue = asPathValue(path, this.o.as4 ? 4 : 2);
    attrHeader(out, ATTR_FLAG_TRANSITIVE, ATTR_AS_PATH, pathValue.length);
    out.push(...pathValue);
    if (nextHopAttr) {
      attrHeader(out, ATTR_FLAG_TRANSITIVE, ATTR_NEXT_HOP, 4);
      out.push(...nextHopAttr);
    }
    if (attrs.med !== undefined) {
      attrHeader(out, ATTR_FLAG_OPTIONAL, ATTR_MED, 4);
      pushU32(out, attrs.med);
    }
    if (this.ibgp) {
      attrHeader(out, ATTR_FLAG_TRANSITIVE, ATTR_LOCAL_PREF, 4);
      pushU32(out, attrs.localPref ?? this.o.localPref ?? 100);
    }
    const communities = attrs.communities ?? NO_NUMBERS;
    if (communities.length > 0) {
      attrHeader(out, ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE, ATTR_COMMUNITIES, 4 * communities.length);
      for (const c of communities) pushU32(out, c);
    }
    const rts = attrs.routeTargets ?? EMPTY;
    const more = attrs.extCommunities ?? [];
    if (rts.length + more.length > 0) {
      const length = 8 * (rts.length + more.length);
      attrHeader(out, ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE, ATTR_EXTENDED_COMMUNITIES, length);
      const ec = new Uint8Array(8);
      for (const rt of rts) {
        writeRouteTarget(rt, ec, 0);
        out.push(...ec);
      }
      for (const x of more) {
        writeRouteTarget(x.value, ec, 0);
        if (x.subtype === 'route-origin') ec[1] = EC_SUBTYPE_ROUTE_ORIGIN;
        out.push(...ec);
      }
    }
    if (as4Path) {
      // RFC 6793 4.2.2: the real path for NEW speakers behind an OLD one.
      const value = asPathValue(path, 4);
      attrHeader(out, ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE, ATTR_AS4_PATH, value.length);
      out.push(...value);
    }
    const large = attrs.largeCommunities ?? [];
    if (large.length > 0) {
      attrHeader(out, ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE, ATTR_LARGE_COMMUNITIES, 12 * large.length);
      for (const [g, l1, l2] of large) {
        pushU32(out, g);
        pushU32(out, l1);
        pushU32(out, l2);
      }
    }
    return out;
  }

  /** The next hop of a family: a NEXT_HOP attribute value, or the MP_REACH_NLRI next hop field. */
  private nextHopFor(family: BgpFamily): { attr?: Uint8Array; mp?: Uint8Array } {
    const nh = this.o.nextHop;
    const v6 = isIpv6Family(family);
    const vpn = isVpnFamily(family);
    const rdPad = vpn ? 8 : 0;
    const ipv6Field = (global: Uint8Array, linkLocal: Uint8Array | undefined): Uint8Array => {
      const out = new Uint8Array(linkLocal ? 2 * (rdPad + 16) : rdPad + 16);
      out.set(global, rdPad);
      if (linkLocal) out.set(linkLocal, 2 * rdPad + 16);
      return out;
    };
    const linkLocal =
      nh.ipv6LinkLocal !== undefined
        ? addressOrThrow(nh.ipv6LinkLocal, true, 'link-local next hop')
        : undefined;
    if (!v6) {
      if (nh.ipv4 !== undefined) {
        const a = addressOrThrow(nh.ipv4, false, 'IPv4 next hop');
        if (!vpn) return { attr: a };
        const out = new Uint8Array(12);
        out.set(a, 8);
        return { mp: out };
      }
      if (nh.ipv6 !== undefined && (this.o.extendedNextHop ?? []).includes(family)) {
        return { mp: ipv6Field(addressOrThrow(nh.ipv6, true, 'IPv6 next hop'), linkLocal) };
      }
      throw new RibjournalError(
        'BAD_ARGUMENT',
        `${family} needs an IPv4 next hop, or an IPv6 one with the peer's extended next hop capability (RFC 8950)`,
      );
    }
    if (nh.ipv6 !== undefined)
      return { mp: ipv6Field(addressOrThrow(nh.ipv6, true, 'IPv6 next hop'), linkLocal) };
    if (nh.ipv4 !== undefined) {
      const mapped = new Uint8Array(16);
      mapped[10] = 0xff;
      mapped[11] = 0xff;
      mapped.set(addressOrThrow(nh.ipv4, false, 'IPv4 next hop'), 12);
      return { mp: ipv6Field(mapped, undefined) };
    }
    throw new RibjournalError('BAD_ARGUMENT', `${family} needs a next hop address`);
  }

  private announceLayout(family: BgpFamily, attrs: RouteAttributes): Layout {
    const { attr, mp } = this.nextHopFor(family);
    const shared = this.sharedAttributes(attr, attrs);
    if (!mp) {
      // Withdrawn Routes Length 0, Total Path Attribute Length, attributes; NLRI follow.
      const head = new Uint8Array(4 + shared.length);
      head[2] = shared.length >>> 8;
      head[3] = shared.length & 0xff;
      head.set(shared, 4);
      return { head, tail: new Uint8Array(0), patches: [] };
    }
    const { afi, safi } = familyAfiSafi(family);
    // Withdrawn Routes Length 0, Total Path Attribute Length (patched), MP_REACH_NLRI header with
    // extended length (patched): AFI, SAFI, next hop length, next hop, reserved; NLRI; other attributes.
    const head = new Uint8Array(4 + 4 + 5 + mp.length);
    head[4] = ATTR_FLAG_OPTIONAL | ATTR_FLAG_EXTENDED_LENGTH;
    head[5] = ATTR_MP_REACH_NLRI;
    head[8] = afi >>> 8;
    head[9] = afi & 0xff;
    head[10] = safi;
    head[11] = mp.length;
    head.set(mp, 12);
    const mpBase = 5 + mp.length;
    return {
      head,
      tail: Uint8Array.from(shared),
      patches: [
        { offset: 2, base: 4 + mpBase + shared.length },
        { offset: 6, base: mpBase },
      ],
    };
  }

  private pack(
    family: BgpFamily,
    routes: readonly BgpRoute[],
    layout: Layout,
    withdrawal: boolean,
  ): Buffer[] {
    const vpn = isVpnFamily(family);
    const v6 = isIpv6Family(family);
    const { head, tail, patches } = layout;
    const fixed = BGP_HEADER_LENGTH + head.length + tail.length;
    const room = this.maxLength - fixed;
    const compat = withdrawal && this.o.withdrawLabel === 'compat';
    // One allocation for the whole batch, sized from an upper bound of each route's NLRI; messages are
    // views into it. A message holds at least floor(room / perRoute) routes, so the bound is exact.
    let maxLabels = 1;
    if (vpn && !compat)
      for (const r of routes) if (r.labels && r.labels.length > maxLabels) maxLabels = r.labels.length;
    const perRoute = vpn ? 1 + 3 * maxLabels + 8 + (v6 ? 16 : 4) : 1 + (v6 ? 16 : 4);
    const perMessage = Math.max(1, Math.floor(room / perRoute));
    const total = routes.length * perRoute + Math.ceil(routes.length / perMessage) * fixed;
    const BLOCK_CAP = 32 * 1024 * 1024;
    let block = Buffer.allocUnsafe(Math.min(total, BLOCK_CAP));
    let blockPos = 0;
    const messages: Buffer[] = [];
    const scratch = this.scratch;
    let lastLabels: readonly number[] | undefined;

    let msgStart = 0;
    let nlriStart = 0;
    let pos = 0;
    const open = (remainingRoutes: number): void => {
      const need = Math.min(this.maxLength, fixed + remainingRoutes * perRoute);
      if (block.length - blockPos < need) {
        block = Buffer.allocUnsafe(Math.max(need, Math.min(remainingRoutes * perRoute * 2, BLOCK_CAP)));
        blockPos = 0;
      }
      msgStart = blockPos;
      block.set(head, msgStart + BGP_HEADER_LENGTH);
      nlriStart = msgStart + BGP_HEADER_LENGTH + head.length;
      pos = nlriStart;
    };
    const close = (): void => {
      const nlriOctets = pos - nlriStart;
      block.set(tail, pos);
      pos += tail.length;
      for (const p of patches) {
        const v = p.base + nlriOctets;
        block[msgStart + BGP_HEADER_LENGTH + p.offset] = v >>> 8;
        block[msgStart + BGP_HEADER_LENGTH + p.offset + 1] = v & 0xff;
      }
      writeHeader(block, msgStart, BGP_MSG_UPDATE, pos - msgStart);
      messages.push(block.subarray(msgStart, pos));
      blockPos = pos;
    };

    open(routes.length);
    for (let i = 0; i < routes.length; i++) {
      const r = routes[i]!;
      if (r.family !== family) {
        throw new RibjournalError('BAD_ARGUMENT', `route ${r.prefix} is ${r.family}, not ${family}`);
      }
      const length = prefixInto(r.prefix, v6, scratch);
      if (length < 0) throw new RibjournalError('BAD_ARGUMENT', `"${r.prefix}" is not a ${family} prefix`);
      let labels = DEFAULT_LABELS;
      let rdBytes: Uint8Array | undefined;
      if (vpn) {
        const rd = r.rd;
        if (!rd) throw new RibjournalError('BAD_ARGUMENT', `${family} route ${r.prefix} has no RD`);
        if (rd !== this.lastRd) {
          writeRd(rd, this.rdScratch, 0);
          this.lastRd = rd;
        }
        rdBytes = this.rdScratch;
        labels = compat ? COMPAT_LABELS : (r.labels ?? DEFAULT_LABELS);
        if (labels !== lastLabels) {
          if (labels.length === 0 || 24 * labels.length + 64 + length > 255) {
            throw new RibjournalError(
              'BAD_ARGUMENT',
              `${r.prefix}: ${labels.length} labels do not fit one NLRI`,
            );
          }
          for (const l of labels) checkLabel(l);
          lastLabels = labels;
        }
      }
      const size = nlriSize(length, labels.length, vpn);
      if (pos - nlriStart + size > room) {
        close();
        open(routes.length - i);
      }
      pos = writeNlri(block, pos, scratch, length, vpn, labels, rdBytes);
    }
    close();
    return messages;
  }
}

/** The End-of-RIB marker of a family (RFC 4724 2): an empty UPDATE, or MP_UNREACH_NLRI with only AFI/SAFI. */
export function encodeEndOfRib(family: BgpFamily): Buffer {
  if (family === 'ipv4-unicast') {
    const out = Buffer.alloc(BGP_HEADER_LENGTH + 4);
    writeHeader(out, 0, BGP_MSG_UPDATE, out.length);
    return out;
  }
  const { afi, safi } = familyAfiSafi(family);
  const out = Buffer.alloc(BGP_HEADER_LENGTH + 4 + 6);
  writeHeader(out, 0, BGP_MSG_UPDATE, out.length);
  out.set(
    [0, 0, 0, 6, ATTR_FLAG_OPTIONAL, ATTR_MP_UNREACH_NLRI, 3, afi >>> 8, afi & 0xff, safi],
    BGP_HEADER_LENGTH,
  );
  return out;
}
