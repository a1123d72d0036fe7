// OPEN message (RFC 4271 4.2) and its error checks (RFC 4271 6.2), optional parameters with
// capabilities (RFC 5492) in the classic or the extended length form (RFC 9072), and the capabilities
// ribjournal speaks: multiprotocol (RFC 4760), route refresh (RFC 2918), extended next hop (RFC 8950),
// extended messages (RFC 8654), graceful restart (RFC 4724, N bit from RFC 8538), 4-octet AS
// (RFC 6793), enhanced route refresh (RFC 7313). Unknown capabilities are kept as they came.
// AS 0 is rejected as a Bad Peer AS (RFC 7607); a BGP identifier is any non-zero value (RFC 6286).
import { RibjournalError } from '../../shared/index.js';
import { addressBytes, formatIpv4 } from './address.js';
import {
  AFI_IPV4,
  AFI_IPV6,
  AS_TRANS,
  BGP_MSG_OPEN,
  BGP_VERSION,
  CAP_ENHANCED_ROUTE_REFRESH,
  CAP_EXTENDED_MESSAGE,
  CAP_EXTENDED_NEXT_HOP,
  CAP_FOUR_OCTET_AS,
  CAP_GRACEFUL_RESTART,
  CAP_MULTIPROTOCOL,
  CAP_ROUTE_REFRESH,
  ERR_OPEN,
  ERR_OPEN_BAD_BGP_ID,
  ERR_OPEN_BAD_PEER_AS,
  ERR_OPEN_UNACCEPTABLE_HOLD_TIME,
  ERR_OPEN_UNSPECIFIC,
  ERR_OPEN_UNSUPPORTED_CAPABILITY,
  ERR_OPEN_UNSUPPORTED_OPT_PARAM,
  ERR_OPEN_UNSUPPORTED_VERSION,
  OPT_PARAM_CAPABILITIES,
  OPT_PARAM_EXTENDED_LENGTH,
} from './constants.js';
import { BgpProtocolError, u16Data } from './errors.js';
import { familyAfiSafi, familyOfAfiSafi, type AfiSafi, type BgpFamily } from './families.js';
import { frameMessage } from './reader.js';

/** One AFI/SAFI of a graceful restart capability, with its Forwarding State bit. */
export interface GracefulRestartFamily extends AfiSafi {
  readonly forwarding: boolean;
}

/** One NLRI AFI/SAFI and the next hop AFI it may use (RFC 8950 section 4). */
export interface ExtendedNextHopEntry extends AfiSafi {
  readonly nextHopAfi: number;
}

/** A capability (RFC 5492) as decoded, or to be encoded. */
export type Capability =
  | { readonly kind: 'multiprotocol'; readonly afi: number; readonly safi: number }
  | { readonly kind: 'route-refresh' }
  | { readonly kind: 'enhanced-route-refresh' }
  | { readonly kind: 'extended-message' }
  | { readonly kind: 'four-octet-as'; readonly as: number }
  | { readonly kind: 'extended-next-hop'; readonly entries: readonly ExtendedNextHopEntry[] }
  | {
      readonly kind: 'graceful-restart';
      /** R bit: the sender has restarted. */
      readonly restarting: boolean;
      /** N bit (RFC 8538): the sender supports graceful restart for NOTIFICATIONs. */
      readonly notification: boolean;
      /** Seconds, 0..4095. */
      readonly restartTime: number;
      readonly families: readonly GracefulRestartFamily[];
    }
  | { readonly kind: 'unknown'; readonly code: number; readonly value: Uint8Array };

/** What an OPEN says. `myAs` is the 2-octet field as sent (AS_TRANS for a 4-octet AS). */
export interface OpenMessage {
  readonly version: number;
  readonly myAs: number;
  readonly holdTime: number;
  readonly bgpId: string;
  readonly capabilities: readonly Capability[];
}

/** A decoded OPEN; `peerAs` is the 4-octet AS capability's value when present, else `myAs`. */
export interface DecodedOpen extends OpenMessage {
  readonly peerAs: number;
}

/** What we put in our OPEN. */
export interface OpenParams {
  /** Our AS, 1..4294967295; the 2-octet field becomes AS_TRANS above 65535. */
  readonly as: number;
  readonly holdTime: number;
  readonly bgpId: string;
  readonly capabilities: readonly Capability[];
}

export function multiprotocolCapability(family: BgpFamily): Capability {
  const { afi, safi } = familyAfiSafi(family);
  return { kind: 'multiprotocol', afi, safi };
}

/** What ribjournal announces in its OPEN beyond the always-present capabilities. */
export interface StandardCapabilityOptions {
  readonly as: number;
  readonly families: readonly BgpFamily[];
  readonly gracefulRestart?: {
    readonly restarting: boolean;
    readonly restartTime: number;
    readonly forwarding?: boolean;
  };
  /** Announce that we accept IPv6 next hops for these IPv4 families (RFC 8950). */
  readonly extendedNextHop?: readonly BgpFamily[];
  readonly extendedMessage?: boolean;
  readonly enhancedRouteRefresh?: boolean;
}

/** The capabilities ribjournal announces: multiprotocol per family, route refresh, 4-octet AS, and options. */
export function standardCapabilities(o: StandardCapabilityOptions): Capability[] {
  const caps: Capability[] = o.families.map(multiprotocolCapability);
  caps.push({ kind: 'route-refresh' });
  if (o.enhancedRouteRefresh) caps.push({ kind: 'enhanced-route-refresh' });
  if (o.extendedNextHop && o.extendedNextHop.length > 0) {
    caps.push({
      kind: 'extended-next-hop',
      entries: o.extendedNextHop.map((f) => ({ ...familyAfiSafi(f), nextHopAfi: AFI_IPV6 })),
    });
  }
  if (o.extendedMessage) caps.push({ kind: 'extended-message' });
  if (o.gracefulRestart) {
    const gr = o.gracefulRestart;
    caps.push({
      kind: 'graceful-restart',
      restarting: gr.restarting,
      notification: false,
      restartTime: gr.restartTime,
      families: o.families.map((f) => ({ ...familyAfiSafi(f), forwarding: gr.forwarding ?? false })),
    });
  }
  caps.push({ kind: 'four-octet-as', as: o.as });
  return caps;
}

function encodeCapabilityValue(c: Capability): { code: number; value: Uint8Array } {
  switch (c.kind) {
    case 'multiprotocol':
      return { code: CAP_MULTIPROTOCOL, value: Uint8Array.of(c.afi >>> 8, c.afi & 0xff, 0, c.safi) };
    case 'route-refresh':
      return { code: CAP_ROUTE_REFRESH, value: new Uint8Array(0) };
    case 'enhanced-route-refresh':
      return { code: CAP_ENHANCED_ROUTE_REFRESH, value: new Uint8Array(0) };
    case 'extended-message':
      return { code: CAP_EXTENDED_MESSAGE, value: new Uint8Array(0) };
    case 'four-octet-as': {
      const v = new Uint8Array(4);
      new DataView(v.buffer).setUint32(0, c.as);
      return { code: CAP_FOUR_OCTET_AS, value: v };
    }
    case 'extended-next-hop': {
      const v = new Uint8Array(6 * c.entries.length);
      const dv = new DataView(v.buffer);
      c.entries.forEach((e, i) => {
        dv.setUint16(i * 6, e.afi);
        dv.setUint16(i * 6 + 2, e.safi);
        dv.setUint16(i * 6 + 4, e.nextHopAfi);
      });
      return { code: CAP_EXTENDED_NEXT_HOP, value: v };
    }
    case 'graceful-restart': {
      if (c.restartTime < 0 || c.restartTime > 0xfff) {
        throw new RibjournalError('BAD_ARGUMENT', `graceful restart time ${c.restartTime} is not 0..4095`);
      }
      const v = new Uint8Array(2 + 4 * c.families.length);
      const flags = (c.restarting ? 0x8 : 0) | (c.notification ? 0x4 : 0);
      v[0] = (flags << 4) | (c.restartTime >>> 8);
      v[1] = c.restartTime & 0xff;
      c.families.forEach((f, i) => {
        v[2 + i * 4] = f.afi >>> 8;
        v[3 + i * 4] = f.afi & 0xff;
        v[4 + i * 4] = f.safi;
        v[5 + i * 4] = f.forwarding ? 0x80 : 0;
      });
      return { code: CAP_GRACEFUL_RESTART, value: v };
    }
    case 'unknown':
      return { code: c.code, value: c.value };
  }
}

/** Encodes a capability as its TLV (code, length, value). */
export function encodeCapability(c: Capability): Uint8Array {
  const { code, value } = encodeCapabilityValue(c);
  if (value.length > 255)
    throw new RibjournalError('BAD_ARGUMENT', `capability ${code} value of ${value.length} octets`);
  const out = new Uint8Array(2 + value.length);
  out[0] = code;
  out[1] = value.length;
  out.set(value, 2);
  return out;
}

function bgpIdBytes(bgpId: string): Uint8Array {
  const b = addressBytes(bgpId);
  if (!b || b.length !== 4)
    throw new RibjournalError('BAD_ARGUMENT', `BGP identifier "${bgpId}" is not an IPv4 address`);
  return b;
}

/**
 * Encodes our OPEN. All capabilities go into one Capabilities optional parameter; when that exceeds
 * 255 octets the RFC 9072 extended form is used.
 */
export function encodeOpen(p: OpenParams): Buffer {
  if (!Number.isInteger(p.as) || p.as < 1 || p.as > 0xffffffff)
    throw new RibjournalError('BAD_ARGUMENT', `AS ${p.as} is not 1..4294967295`);
  if (
    !Number.isInteger(p.holdTime) ||
    p.holdTime < 0 ||
    p.holdTime > 0xffff ||
    p.holdTime === 1 ||
    p.holdTime === 2
  ) {
    throw new RibjournalError('BAD_ARGUMENT', `hold time ${p.holdTime} is neither 0 nor 3..65535`);
  }
  if (p.as > 0xffff && !p.capabilities.some((c) => c.kind === 'four-octet-as')) {
    throw new RibjournalError('BAD_ARGUMENT', `AS ${p.as} needs the 4-octet AS capability in the OPEN`);
  }
  const tlvs = p.capabilities.map(encodeCapability);
  const capsLength = tlvs.reduce((n, t) => n + t.length, 0);
  const extended = capsLength > 255 - 2;
  const paramsLength = p.capabilities.length === 0 ? 0 : extended ? 3 + capsLength : 2 + capsLength;
  const body = new Uint8Array(10 + (extended ? 3 : 0) + paramsLength);
  const dv = new DataView(body.buffer);
  body[0] = BGP_VERSION;
  dv.setUint16(1, p.as > 0xffff ? AS_TRANS : p.as);
  dv.setUint16(3, p.holdTime);
  body.set(bgpIdBytes(p.bgpId), 5);
  let pos = 10;
  if (extended) {
    // RFC 9072 section 2: Non-Ext OP Len 255, Non-Ext OP Type 255, then a 2-octet length.
    body[9] = 255;
    body[pos++] = OPT_PARAM_EXTENDED_LENGTH;
    dv.setUint16(pos, paramsLength);
    pos += 2;
    body[pos++] = OPT_PARAM_CAPABILITIES;
    dv.setUint16(pos, capsLength);
    pos += 2;
  } else {
    body[9] = paramsLength;
    if (paramsLength > 0) {
      body[pos++] = OPT_PARAM_CAPABILITIES;
      body[pos++] = capsLength;
    }
  }
  for (const t of tlvs) {
    body.set(t, pos);
    pos += t.length;
  }
  return frameMessage(BGP_MSG_OPEN, body);
}

function openError(message: string, subcode: number, data?: Uint8Array): BgpProtocolError {
  return new BgpProtocolError(message, ERR_OPEN, subcode, data);
}

function decodeCapability(code: number, value: Uint8Array): Capability {
  const malformed = (): BgpProtocolError =>
    openError(`capability ${code} has a malformed value of ${value.length} octets`, ERR_OPEN_UNSPECIFIC);
  const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
  switch (code) {
    case CAP_MULTIPROTOCOL:
      if (value.length !== 4) throw malformed();
      return { kind: 'multiprotocol', afi: dv.getUint16(0), safi: value[3]! };
    case CAP_ROUTE_REFRESH:
      return { kind: 'route-refresh' };
    case CAP_ENHANCED_ROUTE_REFRESH:
      return { kind: 'enhanced-route-refresh' };
    case CAP_EXTENDED_MESSAGE:
      return { kind: 'extended-message' };
    case CAP_FOUR_OCTET_AS:
      if (value.length !== 4) throw malformed();
      return { kind: 'four-octet-as', as: dv.getUint32(0) };
    case CAP_EXTENDED_NEXT_HOP: {
      if (value.length % 6 !== 0) throw malformed();
      const entries: ExtendedNextHopEntry[] = [];
      for (let i = 0; i < value.length; i += 6) {
        entries.push({ afi: dv.getUint16(i), safi: dv.getUint16(i + 2), nextHopAfi: dv.getUint16(i + 4) });
      }
      return { kind: 'extended-next-hop', entries };
    }
    case CAP_GRACEFUL_RESTART: {
      if (value.length < 2 || (value.length - 2) % 4 !== 0) throw malformed();
      const families: GracefulRestartFamily[] = [];
      for (let i = 2; i < value.length; i += 4) {
        families.push({
          afi: dv.getUint16(i),
          safi: value[i + 2]!,
          forwarding: (value[i + 3]! & 0x80) !== 0,
        });
      }
      return {
        kind: 'graceful-restart',
        restarting: (value[0]! & 0x80) !== 0,
        notification: (value[0]! & 0x40) !== 0,
        restartTime: ((value[0]! & 0x0f) << 8) | value[1]!,
        families,
      };
    }
    default:
      return { kind: 'unknown', code, value: Uint8Array.from(value) };
  }
}

function decodeCapabilities(value: Uint8Array, out: Capability[]): void {
  let pos = 0;
  while (pos < value.length) {
    if (pos + 2 > value.length) throw openError('truncated capability header', ERR_OPEN_UNSPECIFIC);
    const code = value[pos]!;
    const len = value[pos + 1]!;
    if (pos + 2 + len > value.length)
      throw openError(`capability ${code} overruns its parameter`, ERR_OPEN_UNSPECIFIC);
    out.push(decodeCapability(code, value.subarray(pos + 2, pos + 2 + len)));
    pos += 2 + len;
  }
}

/**
 * Decodes an OPEN body (after the header). Throws a BgpProtocolError for an unsupported version
 * (2/1, data = our version as 2 octets), an optional parameter other than Capabilities (2/4), or a
 * malformed parameter or capability (2/0).
 */
export function decodeOpen(body: Uint8Array): DecodedOpen {
  if (body.length < 10) throw openError(`OPEN body of ${body.length} octets`, ERR_OPEN_UNSPECIFIC);
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const version = body[0]!;
  if (version !== BGP_VERSION) {
    throw openError(`unsupported BGP version ${version}`, ERR_OPEN_UNSUPPORTED_VERSION, u16Data(BGP_VERSION));
  }
  const myAs = dv.getUint16(1);
  const holdTime = dv.getUint16(3);
  const bgpId = formatIpv4(body, 5);
  let optLength = body[9]!;
  let pos = 10;
  let extended = false;
  if (optLength === 255 && body[10] === OPT_PARAM_EXTENDED_LENGTH) {
    // RFC 9072 section 2.
    if (body.length < 13)
      throw openError('truncated extended optional parameters length', ERR_OPEN_UNSPECIFIC);
    optLength = dv.getUint16(11);
    pos = 13;
    extended = true;
  }
  if (pos + optLength !== body.length) {
    throw openError(`optional parameters length ${optLength} does not match the OPEN`, ERR_OPEN_UNSPECIFIC);
  }
  const capabilities: Capability[] = [];
  const end = pos + optLength;
  const headerSize = extended ? 3 : 2;
  while (pos < end) {
    if (pos + headerSize > end) throw openError('truncated optional parameter', ERR_OPEN_UNSPECIFIC);
    const type = body[pos]!;
    const len = extended ? dv.getUint16(pos + 1) : body[pos + 1]!;
    pos += headerSize;
    if (pos + len > end) throw openError(`optional parameter ${type} overruns the OPEN`, ERR_OPEN_UNSPECIFIC);
    if (type !== OPT_PARAM_CAPABILITIES) {
      throw openError(`unsupported optional parameter ${type}`, ERR_OPEN_UNSUPPORTED_OPT_PARAM);
    }
    decodeCapabilities(body.subarray(pos, pos + len), capabilities);
    pos += len;
  }
  const as4 = capabilities.find((c) => c.kind === 'four-octet-as');
  return { version, myAs, holdTime, bgpId, capabilities, peerAs: as4 ? as4.as : myAs };
}

/** What we expect of a peer's OPEN. */
export interface OpenExpectations {
  readonly localAs: number;
  readonly localBgpId: string;
  /** The configured peer AS; undefined accepts any. */
  readonly peerAs?: number;
  /** Capabilities we cannot do without; a missing one is 2/7 with the capability as data. */
  readonly requiredCapabilities?: readonly Capability[];
}

function hasCapability(caps: readonly Capability[], want: Capability): boolean {
  return caps.some((c) => {
    if (c.kind !== want.kind) return false;
    if (c.kind === 'multiprotocol' && want.kind === 'multiprotocol')
      return c.afi === want.afi && c.safi === want.safi;
    if (c.kind === 'unknown' && want.kind === 'unknown') return c.code === want.code;
    return true;
  });
}

/**
 * Checks a decoded OPEN against RFC 4271 6.2 and what we expect; throws a BgpProtocolError with the
 * NOTIFICATION to send: 2/2 bad peer AS (AS 0, not the configured AS, or a 2-octet field that
 * contradicts the 4-octet AS capability), 2/6 hold time 1 or 2, 2/3 BGP identifier 0.0.0.0 or ours
 * on an iBGP session, 2/7 a required capability missing.
 */
export function validateOpen(open: DecodedOpen, expect: OpenExpectations): void {
  const as4 = open.capabilities.find((c) => c.kind === 'four-octet-as');
  if (open.myAs === 0) throw openError('peer AS 0', ERR_OPEN_BAD_PEER_AS);
  if (as4) {
    if (as4.as === 0 || as4.as === AS_TRANS)
      throw openError(`4-octet AS capability carries AS ${as4.as}`, ERR_OPEN_BAD_PEER_AS);
    const expected2 = as4.as > 0xffff ? AS_TRANS : as4.as;
    if (open.myAs !== expected2) {
      throw openError(
        `My AS ${open.myAs} contradicts the 4-octet AS capability ${as4.as}`,
        ERR_OPEN_BAD_PEER_AS,
      );
    }
  }
  if (expect.peerAs !== undefined && open.peerAs !== expect.peerAs) {
    throw openError(`peer AS ${open.peerAs}, expected ${expect.peerAs}`, ERR_OPEN_BAD_PEER_AS);
  }
  if (open.holdTime === 1 || open.holdTime === 2) {
    throw openError(`unacceptable hold time ${open.holdTime}`, ERR_OPEN_UNACCEPTABLE_HOLD_TIME);
  }
  if (open.bgpId === '0.0.0.0') throw openError('BGP identifier 0.0.0.0', ERR_OPEN_BAD_BGP_ID);
  if (open.peerAs === expect.localAs && open.bgpId === expect.localBgpId) {
    throw openError(`iBGP peer uses our BGP identifier ${open.bgpId}`, ERR_OPEN_BAD_BGP_ID);
  }
  const missing = (expect.requiredCapabilities ?? []).filter((c) => !hasCapability(open.capabilities, c));
  if (missing.length > 0) {
    const tlvs = missing.map(encodeCapability);
    const data = new Uint8Array(tlvs.reduce((n, t) => n + t.length, 0));
    let pos = 0;
    for (const t of tlvs) {
      data.set(t, pos);
      pos += t.length;
    }
    throw openError(
      `peer lacks required capabilities ${missing.map((c) => c.kind).join(', ')}`,
      ERR_OPEN_UNSUPPORTED_CAPABILITY,
      data,
    );
  }
}

/** What two OPENs agree on. */
export interface NegotiatedSession {
  readonly peerAs: number;
  readonly peerBgpId: string;
  /** min of both hold times (RFC 4271 4.2); 0 means no keepalives and no hold timer. */
  readonly holdTime: number;
  /** holdTime / 3, rounded down (RFC 4271 10 suggests one third). */
  readonly keepaliveTime: number;
  /** Both sides announced the 4-octet AS capability: AS_PATH carries 4-octet AS numbers. */
  readonly as4: boolean;
  /** Families both sides announced (IPv4 unicast implied for a side announcing none, RFC 4760 8). */
  readonly families: readonly BgpFamily[];
  readonly routeRefresh: boolean;
  readonly enhancedRouteRefresh: boolean;
  readonly extendedMessage: boolean;
  /** IPv4 families for which the peer accepts an IPv6 next hop (RFC 8950). */
  readonly extendedNextHop: readonly BgpFamily[];
  /** The peer's graceful restart capability, if it sent one. */
  readonly peerGracefulRestart?: Extract<Capability, { kind: 'graceful-restart' }>;
}

function announcedFamilies(caps: readonly Capability[]): Set<string> {
  const mp = caps.filter((c) => c.kind === 'multiprotocol');
  if (mp.length === 0) return new Set([`${AFI_IPV4}/1`]);
  return new Set(mp.map((c) => `${c.afi}/${c.safi}`));
}

/** The session parameters that follow from our OPEN and the peer's. */
export function negotiateSession(local: OpenParams, remote: DecodedOpen): NegotiatedSession {
  const has = (caps: readonly Capability[], kind: Capability['kind']): boolean =>
    caps.some((c) => c.kind === kind);
  const ours = announcedFamilies(local.capabilities);
  const theirs = announcedFamilies(remote.capabilities);
  const families: BgpFamily[] = [];
  for (const key of ours) {
    if (!theirs.has(key)) continue;
    const [afi, safi] = key.split('/').map(Number);
    const f = familyOfAfiSafi(afi!, safi!);
    if (f) families.push(f);
  }
  const extendedNextHop: BgpFamily[] = [];
  for (const c of remote.capabilities) {
    if (c.kind !== 'extended-next-hop') continue;
    for (const e of c.entries) {
      const f = familyOfAfiSafi(e.afi, e.safi);
      if (f && e.afi === AFI_IPV4 && e.nextHopAfi === AFI_IPV6 && !extendedNextHop.includes(f))
        extendedNextHop.push(f);
    }
  }
  const holdTime = Math.min(local.holdTime, remote.holdTime);
  const gr = remote.capabilities.find((c) => c.kind === 'graceful-restart');
  return {
    peerAs: remote.peerAs,
    peerBgpId: remote.bgpId,
    holdTime,
    keepaliveTime: Math.floor(holdTime / 3),
    as4: has(local.capabilities, 'four-octet-as') && has(remote.capabilities, 'four-octet-as'),
    families,
    routeRefresh: has(local.capabilities, 'route-refresh') && has(remote.capabilities, 'route-refresh'),
    enhancedRouteRefresh:
      has(local.capabilities, 'enhanced-route-refresh') && has(remote.capabilities, 'enhanced-route-refresh'),
    extendedMessage:
      has(local.capabilities, 'extended-message') && has(remote.capabilities, 'extended-message'),
    extendedNextHop,
    ...(gr ? { peerGracefulRestart: gr } : {}),
  };
}
