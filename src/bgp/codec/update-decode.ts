// UPDATE decoding (RFC 4271 4.3) and its error handling: RFC 4271 6.3 as revised by RFC 7606, with the
// attribute rules of RFC 4760 (MP_REACH/MP_UNREACH), RFC 6793 (AS4_PATH, AS4_AGGREGATOR), RFC 7607
// (AS 0), RFC 8092 (large communities), RFC 4724 (End-of-RIB) and RFC 8950 (IPv6 next hop for IPv4).
//
// The expected action for each malformed case. "subcode" is the UPDATE Message Error subcode RFC 4271
// assigns to the case; it is sent (code 3) only when the action is session-reset, and recorded in the
// problem list otherwise.
//
// | Malformed case                                                   | Action            | Subcode | Rule                |
// |------------------------------------------------------------------|-------------------|---------|---------------------|
// | Withdrawn Routes Length or Total Path Attribute Length overruns  | session-reset     | 3/1     | 4271 6.3            |
// |   the message                                                    |                   |         |                     |
// | Withdrawn routes or NLRI field: prefix longer than 32 bits, or a | session-reset     | 3/10    | 7606 3+5.3, 4271 6.3|
// |   prefix that overruns the field (truncated NLRI)                |                   |         |                     |
// | Fewer than 3 (4 with Extended Length) octets left for an         | treat-as-withdraw | 3/1     | 7606 4              |
// |   attribute header                                               |                   |         |                     |
// | An attribute's length overruns the path attributes               | treat-as-withdraw | 3/1     | 7606 4              |
// |   ... and that attribute is MP_REACH_NLRI / MP_UNREACH_NLRI       | session-reset     | 3/1     | 7606 5.3, 4760 7    |
// | MP_REACH_NLRI or MP_UNREACH_NLRI appears twice                   | session-reset     | 3/1     | 7606 3            |
// | Any other attribute appears twice: later copies dropped          | attribute-discard | 3/1     | 7606 3            |
// | Unrecognized well-known (Optional bit 0) attribute               | session-reset     | 3/2     | 4271 6.3 (data: the |
// |                                                                  |                   |         |   attribute)        |
// | Unrecognized optional transitive attribute                       | kept, Partial set | -       | 4271 5              |
// | Unrecognized optional non-transitive attribute                   | ignored           | -       | 4271 5              |
// | Optional/Transitive flag bits wrong on a recognized attribute    | per attribute     | 3/4     | 7606 3            |
// |   (the action that attribute's malformation gets, below)         |                   |         |                     |
// | ORIGIN length not 1                                              | treat-as-withdraw | 3/5     | 7606 7.1            |
// | ORIGIN value not 0, 1, 2                                         | treat-as-withdraw | 3/6     | 7606 7.1            |
// | AS_PATH: unknown segment type, zero segment length, overrun or   | treat-as-withdraw | 3/11    | 7606 7.2            |
// |   a lone trailing octet                                          |                   |         |                     |
// | AS_PATH of an eBGP peer not starting with its AS (only with      | treat-as-withdraw | 3/11    | 4271 6.3, 7606 7.2  |
// |   enforceFirstAs)                                                |                   |         |                     |
// | NEXT_HOP length not 4                                            | treat-as-withdraw | 3/5     | 7606 7.3            |
// | NEXT_HOP 0.0.0.0, 255.255.255.255 or multicast (semantic)        | treat-as-withdraw | 3/8     | 4271 6.3 (ignore    |
// |                                                                  |                   |         |   the routes)       |
// | MULTI_EXIT_DISC length not 4                                     | treat-as-withdraw | 3/5     | 7606 7.4            |
// | LOCAL_PREF length not 4                                          | treat-as-withdraw | 3/5     | 7606 7.5            |
// | LOCAL_PREF from an eBGP peer                                     | attribute-discard | -       | 7606 7.5            |
// | ATOMIC_AGGREGATE length not 0                                    | attribute-discard | 3/5     | 7606 7.6            |
// | AGGREGATOR length not 6 (8 with 4-octet AS), or AS 0             | attribute-discard | 3/5     | 7606 7.7, 7607      |
// | COMMUNITIES length 0 or not a multiple of 4                      | treat-as-withdraw | 3/5     | 7606 7.8            |
// | ORIGINATOR_ID length not 4                                       | treat-as-withdraw | 3/5     | 7606 7.9            |
// | CLUSTER_LIST length 0 or not a multiple of 4                     | treat-as-withdraw | 3/5     | 7606 7.10           |
// | MP_REACH_NLRI shorter than 5 octets, next hop length overruns it | session-reset     | 3/9     | 7606 7.11, 4760 7   |
// |   or does not fit the AFI/SAFI (NLRI cannot be located)          |                   |         |                     |
// | MP_REACH/MP_UNREACH NLRI: prefix too long or overrunning         | session-reset     | 3/9     | 7606 3+5.3, 4760 7  |
// | MP_UNREACH_NLRI shorter than 3 octets                            | session-reset     | 3/9     | 7606 5.3, 4760 7    |
// | MP_REACH/MP_UNREACH of an AFI/SAFI we do not carry               | ignored           | -       | 4760 6              |
// | VPN NLRI with an RD type other than 0, 1, 2                      | route ignored     | -       | 4271 6.3 (semantic) |
// | EXTENDED_COMMUNITIES length 0 or not a multiple of 8             | treat-as-withdraw | 3/5     | 7606 7.14           |
// | AS4_PATH malformed (as AS_PATH, 4-octet numbers)                 | attribute-discard | 3/11    | 6793 6              |
// | AS4_PATH or AS4_AGGREGATOR from a 4-octet AS speaker             | attribute-discard | -       | 6793 6              |
// | AS4_AGGREGATOR length not 8                                      | attribute-discard | 3/5     | 6793 6              |
// | LARGE_COMMUNITIES length 0 or not a multiple of 12               | treat-as-withdraw | 3/5     | 8092 6              |
// | NLRI present without ORIGIN or AS_PATH (or, for the NLRI field,  | treat-as-withdraw | 3/3     | 7606 3            |
// |   NEXT_HOP)                                                      |                   |         |                     |
//
// treat-as-withdraw needs every NLRI parsed (RFC 7606 3): where they cannot be, RFC 4271/4760 still
// apply and the session is reset (AFI/SAFI disable, the other option, is not offered).
// Several problems: the strongest action wins (RFC 7606 3). LOCAL_PREF missing on iBGP is accepted
// (GoBGP and FRR accept it too). treat-as-withdraw moves every announced route into `withdrawn`.
import type { RdRt } from '../../shared/index.js';
import { formatIpv4, formatIpv6 } from './address.js';
import {
  AS_CONFED_SEQUENCE,
  AS_CONFED_SET,
  AS_SEQUENCE,
  AS_SET,
  AS_TRANS,
  ATTR_AGGREGATOR,
  ATTR_AS4_AGGREGATOR,
  ATTR_AS4_PATH,
  ATTR_AS_PATH,
  ATTR_ATOMIC_AGGREGATE,
  ATTR_CLUSTER_LIST,
  ATTR_COMMUNITIES,
  ATTR_EXTENDED_COMMUNITIES,
  ATTR_FLAG_EXTENDED_LENGTH,
  ATTR_FLAG_OPTIONAL,
  ATTR_FLAG_PARTIAL,
  ATTR_FLAG_TRANSITIVE,
  ATTR_LARGE_COMMUNITIES,
  ATTR_LOCAL_PREF,
  ATTR_MED,
  ATTR_MP_REACH_NLRI,
  ATTR_MP_UNREACH_NLRI,
  ATTR_NAMES,
  ATTR_NEXT_HOP,
  ATTR_ORIGIN,
  ATTR_ORIGINATOR_ID,
  ERR_UPDATE,
  ERR_UPDATE_ATTR_FLAGS,
  ERR_UPDATE_ATTR_LENGTH,
  ERR_UPDATE_INVALID_NETWORK,
  ERR_UPDATE_INVALID_NEXT_HOP,
  ERR_UPDATE_INVALID_ORIGIN,
  ERR_UPDATE_MALFORMED_ATTR_LIST,
  ERR_UPDATE_MALFORMED_AS_PATH,
  ERR_UPDATE_MISSING_WELL_KNOWN,
  ERR_UPDATE_OPTIONAL_ATTR,
  ERR_UPDATE_UNRECOGNIZED_WELL_KNOWN,
} from './constants.js';
import type { NotificationData } from './errors.js';
import { familyOfAfiSafi, type BgpFamily, type BgpRoute } from './families.js';
import { decodeNlriField } from './nlri.js';
import { readRouteTarget } from './rd-rt.js';

export type AsPathSegmentType = 'set' | 'sequence' | 'confed-sequence' | 'confed-set';

/** One AS_PATH segment (RFC 4271 4.3, RFC 5065 for the confederation types). */
export interface AsPathSegment {
  readonly type: AsPathSegmentType;
  readonly asns: readonly number[];
}

/** An attribute this codec does not interpret, kept as received (Partial bit set when transitive). */
export interface UnknownAttribute {
  readonly flags: number;
  readonly type: number;
  readonly value: Uint8Array;
}

/** The path attributes of an UPDATE, decoded. */
export interface PathAttributes {
  origin?: 'igp' | 'egp' | 'incomplete';
  /** With a 2-octet AS session, AS4_PATH is already merged in (RFC 6793 4.2.3). */
  asPath?: AsPathSegment[];
  /** The NEXT_HOP attribute (IPv4 unicast NLRI field). */
  nextHop?: string;
  med?: number;
  localPref?: number;
  atomicAggregate?: boolean;
  aggregator?: { readonly as: number; readonly address: string };
  communities?: number[];
  originatorId?: string;
  clusterList?: string[];
  /** Every extended community, 8 octets each. */
  extendedCommunities?: Uint8Array[];
  /** The route targets among the extended communities. */
  routeTargets?: RdRt[];
  largeCommunities?: [number, number, number][];
  unknown?: UnknownAttribute[];
}

/** An advertised route with its next hop (and the link-local one of a 32/48-octet next hop). */
export interface AnnouncedRoute extends BgpRoute {
  readonly nextHop: string;
  readonly linkLocalNextHop?: string;
}

/** The routes and attributes of an UPDATE that was not reset. */
export interface DecodedUpdate {
  readonly withdrawn: BgpRoute[];
  readonly announced: AnnouncedRoute[];
  readonly attributes: PathAttributes;
  /** Set when the UPDATE is an End-of-RIB marker (RFC 4724 2). */
  readonly endOfRib?: BgpFamily;
}

/** The overall action for an UPDATE, strongest first: session-reset > treat-as-withdraw > attribute-discard. */
export type UpdateAction = 'accept' | 'attribute-discard' | 'treat-as-withdraw' | 'session-reset';

/** One malformation found, with what was done about it. */
export interface UpdateProblem {
  readonly action: 'attribute-discard' | 'treat-as-withdraw' | 'session-reset' | 'route-ignored';
  /** The UPDATE Message Error subcode of the case (0 when RFC 4271 names none). */
  readonly subcode: number;
  /** Type code of the attribute concerned. */
  readonly attribute?: number;
  readonly reason: string;
}

/** What to do with a received UPDATE: reset the session, or apply `update` (RFC 7606 actions). */
export type UpdateResult =
  | {
      readonly action: 'session-reset';
      /** The NOTIFICATION to send before closing the session. */
      readonly notification: NotificationData;
      readonly problems: UpdateProblem[];
    }
  | {
      readonly action: 'accept' | 'attribute-discard' | 'treat-as-withdraw';
      readonly update: DecodedUpdate;
      readonly problems: UpdateProblem[];
    };

/** What the session negotiated, which decides how an UPDATE reads. */
export interface UpdateDecodeOptions {
  /** Both sides announced the 4-octet AS capability: AS_PATH and AGGREGATOR carry 4-octet numbers. */
  readonly as4: boolean;
  /** iBGP session: LOCAL_PREF is accepted (from eBGP it is discarded). */
  readonly ibgp: boolean;
  /** The peer's AS, for enforceFirstAs. */
  readonly peerAs?: number;
  /** eBGP: require the leftmost AS of AS_PATH to be the peer's (RFC 4271 6.3, optional check). */
  readonly enforceFirstAs?: boolean;
}

type MalformedAction = 'treat-as-withdraw' | 'attribute-discard' | 'session-reset';

/** Expected Optional/Transitive bits and the action for a malformed copy, per recognized attribute. */
const KNOWN: Readonly<Record<number, { readonly flags: number; readonly onError: MalformedAction }>> = {
  [ATTR_ORIGIN]: { flags: ATTR_FLAG_TRANSITIVE, onError: 'treat-as-withdraw' },
  [ATTR_AS_PATH]: { flags: ATTR_FLAG_TRANSITIVE, onError: 'treat-as-withdraw' },
  [ATTR_NEXT_HOP]: { flags: ATTR_FLAG_TRANSITIVE, onError: 'treat-as-withdraw' },
  [ATTR_MED]: { flags: ATTR_FLAG_OPTIONAL, onError: 'treat-as-withdraw' },
  [ATTR_LOCAL_PREF]: { flags: ATTR_FLAG_TRANSITIVE, onError: 'treat-as-withdraw' },
  [ATTR_ATOMIC_AGGREGATE]: { flags: ATTR_FLAG_TRANSITIVE, onError: 'attribute-discard' },
  [ATTR_AGGREGATOR]: { flags: ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE, onError: 'attribute-discard' },
  [ATTR_COMMUNITIES]: { flags: ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE, onError: 'treat-as-withdraw' },
  [ATTR_ORIGINATOR_ID]: { flags: ATTR_FLAG_OPTIONAL, onError: 'treat-as-withdraw' },
  [ATTR_CLUSTER_LIST]: { flags: ATTR_FLAG_OPTIONAL, onError: 'treat-as-withdraw' },
  [ATTR_MP_REACH_NLRI]: { flags: ATTR_FLAG_OPTIONAL, onError: 'session-reset' },
  [ATTR_MP_UNREACH_NLRI]: { flags: ATTR_FLAG_OPTIONAL, onError: 'session-reset' },
  [ATTR_EXTENDED_COMMUNITIES]: {
    flags: ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE,
    onError: 'treat-as-withdraw',
  },
  [ATTR_AS4_PATH]: { flags: ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE, onError: 'attribute-discard' },
  [ATTR_AS4_AGGREGATOR]: { flags: ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE, onError: 'attribute-discard' },
  [ATTR_LARGE_COMMUNITIES]: {
    flags: ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE,
    onError: 'treat-as-withdraw',
  },
};

const SEGMENT_TYPES: Readonly<Record<number, AsPathSegmentType>> = {
  [AS_SET]: 'set',
  [AS_SEQUENCE]: 'sequence',
  [AS_CONFED_SEQUENCE]: 'confed-sequence',
  [AS_CONFED_SET]: 'confed-set',
};

/** Thrown inside the decoder to stop at the first session reset; never escapes decodeUpdate. */
class SessionReset extends Error {
  constructor(readonly notification: NotificationData) {
    super('session reset');
  }
}

function u16(b: Uint8Array, off: number): number {
  return (b[off]! << 8) | b[off + 1]!;
}

function u32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

/** Parses AS_PATH/AS4_PATH segments; undefined when malformed per RFC 7606 7.2. */
function parseAsPath(v: Uint8Array, asSize: 2 | 4): AsPathSegment[] | undefined {
  const segments: AsPathSegment[] = [];
  let pos = 0;
  while (pos < v.length) {
    if (pos + 2 > v.length) return undefined; // a lone trailing octet
    const type = SEGMENT_TYPES[v[pos]!];
    const count = v[pos + 1]!;
    if (!type || count === 0) return undefined;
    pos += 2;
    if (pos + count * asSize > v.length) return undefined;
    const asns: number[] = new Array<number>(count);
    for (let i = 0; i < count; i++, pos += asSize) asns[i] = asSize === 4 ? u32(v, pos) : u16(v, pos);
    segments.push({ type, asns });
  }
  return segments;
}

/** RFC 6793 4.2.3: the AS_PATH of an OLD path with the AS4_PATH of a NEW one merged in. */
function mergeAs4Path(asPath: AsPathSegment[], as4Path: AsPathSegment[]): AsPathSegment[] {
  const count = (segs: AsPathSegment[]): number =>
    segs.reduce((n, s) => n + (s.type === 'sequence' ? s.asns.length : s.type === 'set' ? 1 : 0), 0);
  const n2 = count(asPath);
  const n4 = count(as4Path);
  if (n2 < n4) return asPath; // AS4_PATH is ignored
  let keep = n2 - n4;
  const out: AsPathSegment[] = [];
  for (const s of asPath) {
    if (s.type === 'confed-sequence' || s.type === 'confed-set') {
      out.push(s);
      continue;
    }
    if (keep === 0) break;
    if (s.type === 'set') {
      out.push(s);
      keep--;
    } else if (s.asns.length <= keep) {
      out.push(s);
      keep -= s.asns.length;
    } else {
      out.push({ type: s.type, asns: s.asns.slice(0, keep) });
      keep = 0;
    }
  }
  return out.concat(as4Path);
}

/** Next hop octets each family may carry in MP_REACH_NLRI (RFC 2545, 4364, 4659, 4760, 8950). */
const NEXT_HOP_LENGTHS: Readonly<Record<BgpFamily, readonly number[]>> = {
  'ipv4-unicast': [4, 16, 32],
  'ipv6-unicast': [16, 32],
  'l3vpn-ipv4-unicast': [12, 24, 48],
  'l3vpn-ipv6-unicast': [24, 48],
};

function formatNextHop(b: Uint8Array, off: number, len: number): string {
  return len === 4 ? formatIpv4(b, off) : formatIpv6(b, off, true);
}

/**
 * Decodes an UPDATE body (after the header) and applies RFC 7606 error handling; see the table at the
 * top of this file. Never throws for peer input.
 */
export function decodeUpdate(body: Uint8Array, options: UpdateDecodeOptions): UpdateResult {
  const problems: UpdateProblem[] = [];
  try {
    return decode(body, options, problems);
  } catch (err) {
    if (err instanceof SessionReset)
      return { action: 'session-reset', notification: err.notification, problems };
    throw err;
  }
}

function decode(body: Uint8Array, o: UpdateDecodeOptions, problems: UpdateProblem[]): UpdateResult {
  const reset = (
    subcode: number,
    reason: string,
    data: Uint8Array = new Uint8Array(0),
    attribute?: number,
  ): never => {
    problems.push(
      attribute === undefined
        ? { action: 'session-reset', subcode, reason }
        : { action: 'session-reset', subcode, attribute, reason },
    );
    throw new SessionReset({ code: ERR_UPDATE, subcode, data: Uint8Array.from(data) });
  };
  const note = (
    action: UpdateProblem['action'],
    subcode: number,
    attribute: number | undefined,
    reason: string,
  ): void => {
    problems.push(
      attribute === undefined ? { action, subcode, reason } : { action, subcode, attribute, reason },
    );
  };

  if (body.length < 4) reset(ERR_UPDATE_MALFORMED_ATTR_LIST, `UPDATE body of ${body.length} octets`);
  const withdrawnLength = u16(body, 0);
  if (2 + withdrawnLength + 2 > body.length) {
    reset(ERR_UPDATE_MALFORMED_ATTR_LIST, `Withdrawn Routes Length ${withdrawnLength} overruns the message`);
  }
  const attrsStart = 4 + withdrawnLength;
  const attrsLength = u16(body, 2 + withdrawnLength);
  const attrsEnd = attrsStart + attrsLength;
  if (attrsEnd > body.length) {
    reset(ERR_UPDATE_MALFORMED_ATTR_LIST, `Total Path Attribute Length ${attrsLength} overruns the message`);
  }

  const withdrawn: BgpRoute[] = [];
  const w = decodeNlriField('ipv4-unicast', body, 2, 2 + withdrawnLength, withdrawn);
  if (w.error) reset(ERR_UPDATE_INVALID_NETWORK, `withdrawn routes: ${w.error}`);
  const nlriRoutes: BgpRoute[] = [];
  const n = decodeNlriField('ipv4-unicast', body, attrsEnd, body.length, nlriRoutes);
  if (n.error) reset(ERR_UPDATE_INVALID_NETWORK, `NLRI: ${n.error}`);

  const attributes: PathAttributes = {};
  const announced: AnnouncedRoute[] = [];
  const seen = new Set<number>();
  let mpReachCount = 0;
  let mpUnreach: { family: BgpFamily | undefined; count: number } | undefined;
  let as4Path: AsPathSegment[] | undefined;
  let as4Aggregator: { as: number; address: string } | undefined;
  let attributeCount = 0;

  let pos = attrsStart;
  while (pos < attrsEnd) {
    const left = attrsEnd - pos;
    const flags = body[pos]!;
    const extended = (flags & ATTR_FLAG_EXTENDED_LENGTH) !== 0;
    const headerSize = extended ? 4 : 3;
    if (left < headerSize) {
      note(
        'treat-as-withdraw',
        ERR_UPDATE_MALFORMED_ATTR_LIST,
        undefined,
        `${left} octets left for an attribute header`,
      );
      break;
    }
    const type = body[pos + 1]!;
    const length = extended ? u16(body, pos + 2) : body[pos + 2]!;
    const whole = body.subarray(pos, Math.min(attrsEnd, pos + headerSize + length));
    const name = ATTR_NAMES[type] ?? `attribute ${type}`;
    if (pos + headerSize + length > attrsEnd) {
      if (type === ATTR_MP_REACH_NLRI || type === ATTR_MP_UNREACH_NLRI) {
        reset(ERR_UPDATE_MALFORMED_ATTR_LIST, `${name} overruns the path attributes`, undefined, type);
      }
      note(
        'treat-as-withdraw',
        ERR_UPDATE_MALFORMED_ATTR_LIST,
        type,
        `${name} length ${length} overruns the path attributes`,
      );
      break;
    }
    const v = body.subarray(pos + headerSize, pos + headerSize + length);
    pos += headerSize + length;
    attributeCount++;

    if (seen.has(type)) {
      if (type === ATTR_MP_REACH_NLRI || type === ATTR_MP_UNREACH_NLRI) {
        reset(ERR_UPDATE_MALFORMED_ATTR_LIST, `${name} appears twice`, undefined, type);
      }
      note(
        'attribute-discard',
        ERR_UPDATE_MALFORMED_ATTR_LIST,
        type,
        `${name} appears twice; later copy discarded`,
      );
      continue;
    }
    seen.add(type);

    const known = KNOWN[type];
    if (!known) {
      if ((flags & ATTR_FLAG_OPTIONAL) === 0) {
        reset(ERR_UPDATE_UNRECOGNIZED_WELL_KNOWN, `unrecognized well-known attribute ${type}`, whole, type);
      }
      if (flags & ATTR_FLAG_TRANSITIVE) {
        (attributes.unknown ??= []).push({
          flags: flags | ATTR_FLAG_PARTIAL,
          type,
          value: Uint8Array.from(v),
        });
      }
      continue;
    }
    const malformed = (subcode: number, reason: string): void => {
      if (known.onError === 'session-reset') reset(subcode, `${name}: ${reason}`, whole, type);
      note(known.onError, subcode, type, `${name}: ${reason}`);
    };
    if ((flags & (ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE)) !== known.flags) {
      malformed(ERR_UPDATE_ATTR_FLAGS, `flags 0x${flags.toString(16).padStart(2, '0')}`);
      continue;
    }

    switch (type) {
      case ATTR_ORIGIN:
        if (length !== 1) malformed(ERR_UPDATE_ATTR_LENGTH, `length ${length}`);
        else if (v[0]! > 2) malformed(ERR_UPDATE_INVALID_ORIGIN, `value ${v[0]}`);
        else attributes.origin = (['igp', 'egp', 'incomplete'] as const)[v[0]!];
        break;
      case ATTR_AS_PATH: {
        const segments = parseAsPath(v, o.as4 ? 4 : 2);
        if (!segments) malformed(ERR_UPDATE_MALFORMED_AS_PATH, 'malformed segment');
        else attributes.asPath = segments;
        break;
      }
      case ATTR_NEXT_HOP: {
        if (length !== 4) {
          malformed(ERR_UPDATE_ATTR_LENGTH, `length ${length}`);
          break;
        }
        const first = v[0]!;
        const text = formatIpv4(v, 0);
        if (text === '0.0.0.0' || text === '255.255.255.255' || (first >= 224 && first <= 239)) {
          malformed(ERR_UPDATE_INVALID_NEXT_HOP, `${text} is not a host address`);
        } else {
          attributes.nextHop = text;
        }
        break;
      }
      case ATTR_MED:
        if (length !== 4) malformed(ERR_UPDATE_ATTR_LENGTH, `length ${length}`);
        else attributes.med = u32(v, 0);
        break;
      case ATTR_LOCAL_PREF:
        if (length !== 4) malformed(ERR_UPDATE_ATTR_LENGTH, `length ${length}`);
        else if (!o.ibgp) note('attribute-discard', 0, type, 'LOCAL_PREF from an eBGP peer discarded');
        else attributes.localPref = u32(v, 0);
        break;
      case ATTR_ATOMIC_AGGREGATE:
        if (length !== 0) malformed(ERR_UPDATE_ATTR_LENGTH, `length ${length}`);
        else attributes.atomicAggregate = true;
        break;
      case ATTR_AGGREGATOR: {
        const want = o.as4 ? 8 : 6;
        if (length !== want) {
          malformed(ERR_UPDATE_ATTR_LENGTH, `length ${length}, expected ${want}`);
          break;
        }
        const as = o.as4 ? u32(v, 0) : u16(v, 0);
        if (as === 0) malformed(ERR_UPDATE_ATTR_LENGTH, 'AS 0');
        else attributes.aggregator = { as, address: formatIpv4(v, want - 4) };
        break;
      }
      case ATTR_COMMUNITIES:
        if (length === 0 || length % 4 !== 0) malformed(ERR_UPDATE_ATTR_LENGTH, `length ${length}`);
        else {
          const list: number[] = [];
          for (let i = 0; i < length; i += 4) list.push(u32(v, i));
          attributes.communities = list;
        }
        break;
      case ATTR_ORIGINATOR_ID:
        if (length !== 4) malformed(ERR_UPDATE_ATTR_LENGTH, `length ${length}`);
        else attributes.originatorId = formatIpv4(v, 0);
        break;
      case ATTR_CLUSTER_LIST:
        if (length === 0 || length % 4 !== 0) malformed(ERR_UPDATE_ATTR_LENGTH, `length ${length}`);
        else {
          const list: string[] = [];
          for (let i = 0; i < length; i += 4) list.push(formatIpv4(v, i));
          attributes.clusterList = list;
        }
        break;
      case ATTR_EXTENDED_COMMUNITIES:
        if (length === 0 || length % 8 !== 0) malformed(ERR_UPDATE_ATTR_LENGTH, `length ${length}`);
        else {
          const all: Uint8Array[] = [];
          const rts: RdRt[] = [];
          for (let i = 0; i < length; i += 8) {
            all.push(Uint8Array.from(v.subarray(i, i + 8)));
            const rt = readRouteTarget(v, i);
            if (rt) rts.push(rt);
          }
          attributes.extendedCommunities = all;
          if (rts.length > 0) attributes.routeTargets = rts;
        }
        break;
      case ATTR_LARGE_COMMUNITIES:
        if (length === 0 || length % 12 !== 0) malformed(ERR_UPDATE_ATTR_LENGTH, `length ${length}`);
        else {
          const list: [number, number, number][] = [];
          for (let i = 0; i < length; i += 12) list.push([u32(v, i), u32(v, i + 4), u32(v, i + 8)]);
          attributes.largeCommunities = list;
        }
        break;
      case ATTR_AS4_PATH: {
        if (o.as4) {
          note('attribute-discard', 0, type, 'AS4_PATH from a 4-octet AS speaker discarded');
          break;
        }
        const segments = parseAsPath(v, 4);
        if (!segments) malformed(ERR_UPDATE_MALFORMED_AS_PATH, 'malformed segment');
        else as4Path = segments.filter((s) => s.type === 'sequence' || s.type === 'set');
        break;
      }
      case ATTR_AS4_AGGREGATOR:
        if (o.as4) note('attribute-discard', 0, type, 'AS4_AGGREGATOR from a 4-octet AS speaker discarded');
        else if (length !== 8) malformed(ERR_UPDATE_ATTR_LENGTH, `length ${length}`);
        else as4Aggregator = { as: u32(v, 0), address: formatIpv4(v, 4) };
        break;
      case ATTR_MP_REACH_NLRI: {
        // RFC 7606 7.11 / 4760 7: when the NLRI cannot be located or parsed, the session is reset.
        const mpError = (reason: string): never =>
          reset(ERR_UPDATE_OPTIONAL_ATTR, `${name}: ${reason}`, whole, type);
        if (length < 5) mpError(`length ${length}`);
        const afi = u16(v, 0);
        const safi = v[2]!;
        const nhLength = v[3]!;
        if (4 + nhLength + 1 > length) mpError(`next hop length ${nhLength} overruns it`);
        const family = familyOfAfiSafi(afi, safi);
        if (!family) break; // a family we do not carry: ignored (RFC 4760 6)
        if (!NEXT_HOP_LENGTHS[family].includes(nhLength))
          mpError(`next hop length ${nhLength} does not fit ${family}`);
        const rdPad = family === 'l3vpn-ipv4-unicast' || family === 'l3vpn-ipv6-unicast' ? 8 : 0;
        const addrLength = nhLength === 4 || nhLength === 12 ? 4 : 16;
        const nextHop = formatNextHop(v, 4 + rdPad, addrLength);
        const linkLocalNextHop =
          nhLength === 2 * (rdPad + 16) ? formatIpv6(v, 4 + 2 * rdPad + 16) : undefined;
        const routes: BgpRoute[] = [];
        const r = decodeNlriField(family, v, 4 + nhLength + 1, length, routes);
        if (r.error) mpError(r.error);
        for (const text of r.ignored) note('route-ignored', 0, type, text);
        for (const route of routes) {
          announced.push(linkLocalNextHop ? { ...route, nextHop, linkLocalNextHop } : { ...route, nextHop });
        }
        mpReachCount = routes.length;
        break;
      }
      case ATTR_MP_UNREACH_NLRI: {
        if (length < 3) reset(ERR_UPDATE_OPTIONAL_ATTR, `${name}: length ${length}`, whole, type);
        const family = familyOfAfiSafi(u16(v, 0), v[2]!);
        if (!family) {
          mpUnreach = { family: undefined, count: length - 3 };
          break;
        }
        const before = withdrawn.length;
        const r = decodeNlriField(family, v, 3, length, withdrawn);
        if (r.error) reset(ERR_UPDATE_OPTIONAL_ATTR, `${name}: ${r.error}`, whole, type);
        for (const text of r.ignored) note('route-ignored', 0, type, text);
        mpUnreach = { family, count: length === 3 ? 0 : withdrawn.length - before + r.ignored.length };
        break;
      }
    }
  }

  // RFC 6793 4.2.3: reconstruct the 4-octet path behind a 2-octet speaker.
  if (!o.as4) {
    if (as4Path && attributes.asPath) attributes.asPath = mergeAs4Path(attributes.asPath, as4Path);
    if (as4Aggregator && attributes.aggregator?.as === AS_TRANS) attributes.aggregator = as4Aggregator;
  }

  const nextHop = attributes.nextHop;
  for (const route of nlriRoutes) announced.push({ ...route, nextHop: nextHop ?? '0.0.0.0' });

  // Well-known mandatory attributes, needed only when something is advertised (RFC 4760 3, 7606 3).
  if (nlriRoutes.length > 0 || mpReachCount > 0) {
    const required = [ATTR_ORIGIN, ATTR_AS_PATH];
    if (nlriRoutes.length > 0) required.push(ATTR_NEXT_HOP);
    for (const t of required) {
      // A present but malformed copy was already reported; only a truly absent one is "missing".
      if (!seen.has(t))
        note('treat-as-withdraw', ERR_UPDATE_MISSING_WELL_KNOWN, t, `${ATTR_NAMES[t]} missing`);
    }
  }

  if (o.enforceFirstAs && !o.ibgp && o.peerAs !== undefined && attributes.asPath && announced.length > 0) {
    const first = attributes.asPath[0];
    if (!first || first.type !== 'sequence' || first.asns[0] !== o.peerAs) {
      note(
        'treat-as-withdraw',
        ERR_UPDATE_MALFORMED_AS_PATH,
        ATTR_AS_PATH,
        `AS_PATH does not start with peer AS ${o.peerAs}`,
      );
    }
  }

  let endOfRib: BgpFamily | undefined;
  if (body.length === 4 && withdrawnLength === 0 && attrsLength === 0) endOfRib = 'ipv4-unicast';
  else if (
    attributeCount === 1 &&
    mpUnreach?.count === 0 &&
    mpUnreach.family !== undefined &&
    withdrawnLength === 0 &&
    nlriRoutes.length === 0
  ) {
    endOfRib = mpUnreach.family;
  }

  // RFC 7606 3: the strongest action wins; a session reset has already returned.
  let action: 'accept' | 'attribute-discard' | 'treat-as-withdraw' = 'accept';
  for (const p of problems) {
    if (p.action === 'treat-as-withdraw') action = 'treat-as-withdraw';
    else if (p.action === 'attribute-discard' && action === 'accept') action = 'attribute-discard';
  }
  if (action === 'treat-as-withdraw') {
    for (const a of announced) {
      withdrawn.push(
        a.rd
          ? a.labels
            ? { family: a.family, prefix: a.prefix, rd: a.rd, labels: a.labels }
            : { family: a.family, prefix: a.prefix, rd: a.rd }
          : { family: a.family, prefix: a.prefix },
      );
    }
    return { action, update: { withdrawn, announced: [], attributes }, problems };
  }
  const update: DecodedUpdate = endOfRib
    ? { withdrawn, announced, attributes, endOfRib }
    : { withdrawn, announced, attributes };
  return { action, update, problems };
}
