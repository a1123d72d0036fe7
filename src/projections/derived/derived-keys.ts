// Layout of the API's derived data inside the journal's derived space (journal/derived.ts). Integers in
// keys are big-endian u64 so byte order is seq order; strings are u16-length-prefixed so no VRF or
// prefix can run into the next field.
//   'M'                                  -> manifest: format, and the seq (and its time) the indexes cover
//   'p' vrf prefix u64 seq               -> the route event at seq (a checksummed journal record)
//   'v' vrf u64 seq                      -> the route event at seq (for per-VRF replays)
//   'c' u64 seq                          -> the ConfigApplied at seq
//   'l' u64 seq                          -> the DaemonStarted or DaemonStopped at seq
//   'o' vrf prefix                       -> (empty) the prefix has been seen in the VRF
//   'K' u64 seq                          -> RIB checkpoint head: which checkpoint holds each VRF's paths
//   'k' u64 seq vrf                      -> one VRF's paths at that checkpoint (timeline/paths-columns.ts)
// Every value but 'o' carries a CRC-32C; 'M', 'K' and 'k' also the format version of this file.
import { BlockWriter, decodeBlock } from '../../events/index.js';
import type { Envelope } from '../../events/index.js';
import { crc32c } from '../../shared/index.js';

/**
 * Format of the derived data written by this build; any other is rebuilt, never read. 2: checkpoint
 * paths as columns (1: as text).
 */
export const DERIVED_FORMAT = 2;

export const D_MANIFEST = 0x4d; // 'M'
export const D_PREFIX = 0x70; // 'p'
export const D_VRF = 0x76; // 'v'
export const D_CONFIG = 0x63; // 'c'
export const D_ORDER = 0x6f; // 'o'
export const D_CHECKPOINT = 0x4b; // 'K'
export const D_VRF_PATHS = 0x6b; // 'k'
export const D_LIFECYCLE = 0x6c; // 'l'

/** Thrown when a derived record fails its checks: the caller rebuilds, never trusts it. */
export class DerivedDamage extends Error {
  constructor(message: string) {
    super(`derived data damaged: ${message}`);
    this.name = 'DerivedDamage';
  }
}

const MAX_SEQ = Number.MAX_SAFE_INTEGER;

function u64(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32BE(Math.floor(n / 0x1_0000_0000), 0);
  b.writeUInt32BE(n >>> 0, 4);
  return b;
}

function writeU64(b: Buffer, at: number, n: number): void {
  b.writeUInt32BE(Math.floor(n / 0x1_0000_0000), at);
  b.writeUInt32BE(n >>> 0, at + 4);
}

function readU64(b: Buffer, at: number): number {
  return b.readUInt32BE(at) * 0x1_0000_0000 + b.readUInt32BE(at + 4);
}

function str(s: string): Buffer {
  const body = Buffer.from(s, 'utf8');
  const len = Buffer.allocUnsafe(2);
  len.writeUInt16BE(body.length, 0);
  return Buffer.concat([len, body]);
}

export const MANIFEST_KEY = Buffer.from([D_MANIFEST]);

export function prefixKey(vrf: string, prefix: string, seq: number): Buffer {
  // Built in place (called twice per event while indexing): tag, u16+vrf, u16+prefix, u64 seq.
  const vl = Buffer.byteLength(vrf, 'utf8');
  const pl = Buffer.byteLength(prefix, 'utf8');
  const k = Buffer.allocUnsafe(1 + 2 + vl + 2 + pl + 8);
  k[0] = D_PREFIX;
  k.writeUInt16BE(vl, 1);
  k.write(vrf, 3, 'utf8');
  k.writeUInt16BE(pl, 3 + vl);
  k.write(prefix, 5 + vl, 'utf8');
  writeU64(k, 5 + vl + pl, seq);
  return k;
}

export function vrfKey(vrf: string, seq: number): Buffer {
  const vl = Buffer.byteLength(vrf, 'utf8');
  const k = Buffer.allocUnsafe(1 + 2 + vl + 8);
  k[0] = D_VRF;
  k.writeUInt16BE(vl, 1);
  k.write(vrf, 3, 'utf8');
  writeU64(k, 3 + vl, seq);
  return k;
}

export function configKey(seq: number): Buffer {
  return Buffer.concat([Buffer.from([D_CONFIG]), u64(seq)]);
}

export function lifecycleKey(seq: number): Buffer {
  return Buffer.concat([Buffer.from([D_LIFECYCLE]), u64(seq)]);
}

export function lifecycleRange(after: number, through: number): [Buffer, Buffer] {
  return [lifecycleKey(after + 1), lifecycleKey(Math.min(through, MAX_SEQ - 1) + 1)];
}

export function orderKey(vrf: string, prefix: string): Buffer {
  return Buffer.concat([Buffer.from([D_ORDER]), str(vrf), str(prefix)]);
}

export const ORDER_LO = Buffer.from([D_ORDER]);
export const ORDER_HI = Buffer.from([D_ORDER + 1]);

/** VRF and prefix of an 'o' key. */
export function parseOrderKey(key: Buffer): { vrf: string; prefix: string } {
  const vlen = key.readUInt16BE(1);
  const vrf = key.toString('utf8', 3, 3 + vlen);
  const plen = key.readUInt16BE(3 + vlen);
  return { vrf, prefix: key.toString('utf8', 5 + vlen, 5 + vlen + plen) };
}

export function checkpointKey(seq: number): Buffer {
  return Buffer.concat([Buffer.from([D_CHECKPOINT]), u64(seq)]);
}

export function vrfPathsKey(seq: number, vrf: string): Buffer {
  return Buffer.concat([Buffer.from([D_VRF_PATHS]), u64(seq), Buffer.from(vrf, 'utf8')]);
}

/** Seq in the last 8 bytes of a 'p', 'v' or 'c' key, or after the tag of a 'K' key. */
export function seqOfKey(key: Buffer): number {
  return key[0] === D_CHECKPOINT ? readU64(key, 1) : readU64(key, key.length - 8);
}

/** [gte, lt) of the records of one prefix with seq in (after, through]. */
export function prefixRange(vrf: string, prefix: string, after: number, through: number): [Buffer, Buffer] {
  return [prefixKey(vrf, prefix, after + 1), prefixKey(vrf, prefix, Math.min(through, MAX_SEQ - 1) + 1)];
}

export function vrfRange(vrf: string, after: number, through: number): [Buffer, Buffer] {
  return [vrfKey(vrf, after + 1), vrfKey(vrf, Math.min(through, MAX_SEQ - 1) + 1)];
}

export function configRange(after: number, through: number): [Buffer, Buffer] {
  return [configKey(after + 1), configKey(Math.min(through, MAX_SEQ - 1) + 1)];
}

export function checkpointRange(after: number, through: number): [Buffer, Buffer] {
  return [checkpointKey(after + 1), checkpointKey(Math.min(through, MAX_SEQ - 1) + 1)];
}

const writer = new BlockWriter(4096);

/** An event as a derived value: the journal's own checksummed record. */
export function encodeEventValue(env: Envelope): Buffer {
  writer.reset();
  writer.write(env);
  return writer.take();
}

/** Decodes an event value, checking its checksum and that it is the event its key names. */
export function decodeEventValue(key: Buffer, value: Buffer): Envelope {
  let envs: Envelope[];
  try {
    envs = decodeBlock(value);
  } catch (err) {
    throw new DerivedDamage(
      `record ${key.toString('hex')}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const env = envs[0];
  if (envs.length !== 1 || env === undefined || env.seq !== seqOfKey(key))
    throw new DerivedDamage(`record ${key.toString('hex')} does not hold the event its key names`);
  return env;
}

/** A value with a header: u8 format, u32 CRC-32C of the payload, then the payload. */
export function sealed(payload: Buffer): Buffer {
  const head = Buffer.allocUnsafe(5);
  head[0] = DERIVED_FORMAT;
  head.writeUInt32LE(crc32c(payload, 0, payload.length), 1);
  return Buffer.concat([head, payload]);
}

/**
 * `sealed(Buffer.from(text, 'utf8'))` in one buffer: a checkpoint's text (~8 MB at 100k paths) is
 * encoded once, in place, instead of once and then copied behind the header (issue 10.6: the copy was
 * part of the flood's peak).
 */
export function sealedText(text: string): Buffer {
  const value = Buffer.allocUnsafe(5 + Buffer.byteLength(text, 'utf8'));
  const length = value.write(text, 5, 'utf8');
  value[0] = DERIVED_FORMAT;
  value.writeUInt32LE(crc32c(value, 5, 5 + length), 1);
  return value;
}

/** The payload of a sealed value; DerivedDamage when its format or checksum is wrong. */
export function unseal(what: string, value: Buffer): Buffer {
  if (value.length < 5) throw new DerivedDamage(`${what} is truncated`);
  if (value[0] !== DERIVED_FORMAT)
    throw new DerivedDamage(`${what} has format ${value[0]}, this build writes ${DERIVED_FORMAT}`);
  const payload = value.subarray(5);
  if (crc32c(payload, 0, payload.length) !== value.readUInt32LE(1))
    throw new DerivedDamage(`${what} fails its checksum`);
  return payload;
}

/** What the manifest says: the indexes hold every event up to `seq` (whose time is `time`). */
export interface Manifest {
  readonly seq: number;
  readonly time: number;
}

export function encodeManifest(m: Manifest): Buffer {
  const p = Buffer.allocUnsafe(16);
  p.writeDoubleLE(m.seq, 0);
  p.writeDoubleLE(m.time, 8);
  return sealed(p);
}

export function decodeManifest(value: Buffer): Manifest {
  const p = unseal('manifest', value);
  if (p.length !== 16) throw new DerivedDamage('manifest has the wrong size');
  return { seq: p.readDoubleLE(0), time: p.readDoubleLE(8) };
}
