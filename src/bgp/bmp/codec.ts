// BMP messages (RFC 7854), with Adj-RIB-Out monitoring (RFC 8671: the O flag, statistics 14/15) and
// Loc-RIB monitoring (RFC 9069: peer type 3, the VRF/Table Name TLV in Peer Up). Pure encoders.
import ipaddr from 'ipaddr.js';
import type { RdRt } from '../../shared/index.js';
import { encodeRd } from '../codec/index.js';

export const BMP_VERSION = 3;
export const BMP_ROUTE_MONITORING = 0;
export const BMP_STATISTICS_REPORT = 1;
export const BMP_PEER_DOWN = 2;
export const BMP_PEER_UP = 3;
export const BMP_INITIATION = 4;
export const BMP_TERMINATION = 5;

export const BMP_PEER_TYPE_GLOBAL = 0;
export const BMP_PEER_TYPE_RD = 1;
export const BMP_PEER_TYPE_LOC_RIB = 3;

const FLAG_V = 0x80; // IPv6 peer address
const FLAG_L = 0x40; // post-policy
const FLAG_O = 0x10; // Adj-RIB-Out (RFC 8671)

const INFO_STRING = 0;
const INFO_SYS_DESCR = 1;
const INFO_SYS_NAME = 2;
const INFO_VRF_TABLE_NAME = 3; // RFC 9069 5.1
const TERM_REASON = 1;
/** RFC 8671 8: number of routes in the Adj-RIB-Out post-policy. */
export const STAT_ADJ_RIB_OUT_POST = 15;
/** RFC 9069 6: number of routes in the Loc-RIB. */
export const STAT_LOC_RIB = 17;

const COMMON_HEADER = 6;
const PER_PEER_HEADER = 42;

/** Who a per-peer message is about. */
export interface BmpPeer {
  readonly type: typeof BMP_PEER_TYPE_GLOBAL | typeof BMP_PEER_TYPE_RD | typeof BMP_PEER_TYPE_LOC_RIB;
  /** RD of the instance (peer type 1) or of the Loc-RIB's VRF; undefined: zero. */
  readonly distinguisher?: RdRt | undefined;
  /** Peer address; undefined (Loc-RIB): zero. */
  readonly address?: string | undefined;
  readonly as: number;
  /** BGP identifier, dotted. */
  readonly bgpId: string;
  /** Adj-RIB-Out post-policy (sets O and L); false for Loc-RIB. */
  readonly adjRibOut: boolean;
}

function tlv(type: number, value: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + value.length);
  out.writeUInt16BE(type, 0);
  out.writeUInt16BE(value.length, 2);
  out.set(value, 4);
  return out;
}

function message(type: number, parts: readonly Uint8Array[]): Buffer {
  const length = COMMON_HEADER + parts.reduce((n, p) => n + p.length, 0);
  const head = Buffer.alloc(COMMON_HEADER);
  head.writeUInt8(BMP_VERSION, 0);
  head.writeUInt32BE(length, 1);
  head.writeUInt8(type, 5);
  return Buffer.concat([head, ...parts], length);
}

/** 16 octets: IPv6, or IPv4 in the last four (RFC 7854 4.2). */
function address16(text: string | undefined): Buffer {
  const out = Buffer.alloc(16);
  if (text === undefined || text === '') return out;
  const a = ipaddr.parse(text);
  const bytes = a.toByteArray();
  out.set(bytes, a.kind() === 'ipv4' ? 12 : 0);
  return out;
}

function perPeerHeader(p: BmpPeer, at: number): Buffer {
  const out = Buffer.alloc(PER_PEER_HEADER);
  out.writeUInt8(p.type, 0);
  let flags = 0;
  if (p.address !== undefined && p.address.includes(':')) flags |= FLAG_V;
  if (p.adjRibOut) flags |= FLAG_O | FLAG_L;
  out.writeUInt8(flags, 1);
  if (p.distinguisher) out.set(encodeRd(p.distinguisher), 2);
  out.set(address16(p.address), 10);
  out.writeUInt32BE(p.as >>> 0, 26);
  out.set(ipaddr.IPv4.parse(p.bgpId).toByteArray(), 30);
  out.writeUInt32BE(Math.floor(at / 1000), 34);
  out.writeUInt32BE((at % 1000) * 1000, 38);
  return out;
}

/** Initiation (RFC 7854 4.3): sysDescr and sysName. */
export function encodeInitiation(sysDescr: string, sysName: string): Buffer {
  return message(BMP_INITIATION, [
    tlv(INFO_SYS_DESCR, Buffer.from(sysDescr)),
    tlv(INFO_SYS_NAME, Buffer.from(sysName)),
  ]);
}

/** Termination (RFC 7854 4.5): reason 0, administratively closed, with a string. */
export function encodeTermination(text: string): Buffer {
  return message(BMP_TERMINATION, [
    tlv(INFO_STRING, Buffer.from(text)),
    tlv(TERM_REASON, Buffer.from([0, 0])),
  ]);
}

export interface PeerUpInfo {
  readonly localAddress: string | undefined;
  readonly localPort: number;
  readonly remotePort: number;
  /** Whole OPEN messages with their BGP headers. */
  readonly sentOpen: Uint8Array;
  readonly receivedOpen: Uint8Array;
  /** RFC 9069: the VRF/Table Name of a Loc-RIB instance. */
  readonly tableName?: string;
}

/** Peer Up Notification (RFC 7854 4.10; RFC 9069 5.1 for Loc-RIB). */
export function encodePeerUp(p: BmpPeer, info: PeerUpInfo, at = Date.now()): Buffer {
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(info.localPort, 0);
  ports.writeUInt16BE(info.remotePort, 2);
  return message(BMP_PEER_UP, [
    perPeerHeader(p, at),
    address16(info.localAddress),
    ports,
    info.sentOpen,
    info.receivedOpen,
    ...(info.tableName !== undefined ? [tlv(INFO_VRF_TABLE_NAME, Buffer.from(info.tableName))] : []),
  ]);
}

/** Peer Down Notification (RFC 7854 4.9): reason 2 (local close without NOTIFICATION, FSM event 0), or 4. */
export function encodePeerDown(p: BmpPeer, remote: boolean, at = Date.now()): Buffer {
  const body = remote ? Buffer.from([4]) : Buffer.from([2, 0, 0]);
  return message(BMP_PEER_DOWN, [perPeerHeader(p, at), body]);
}

/** Route Monitoring (RFC 7854 4.6): one BGP UPDATE PDU. */
export function encodeRouteMonitoring(p: BmpPeer, update: Uint8Array, at = Date.now()): Buffer {
  return message(BMP_ROUTE_MONITORING, [perPeerHeader(p, at), update]);
}

/** Statistics Report (RFC 7854 4.8) of 64-bit gauges. */
export function encodeStatistics(p: BmpPeer, gauges: readonly [number, number][], at = Date.now()): Buffer {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(gauges.length, 0);
  const stats = gauges.map(([type, value]) => {
    const v = Buffer.alloc(8);
    v.writeBigUInt64BE(BigInt(value), 0);
    return tlv(type, v);
  });
  return message(BMP_STATISTICS_REPORT, [perPeerHeader(p, at), count, ...stats]);
}
