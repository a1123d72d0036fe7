// One VRF's paths at a timeline checkpoint as columns (derived format 2), read straight into Path
// records for time travel. The text format before it (one line per path) cost a scan for six tabs, a
// decimal parse of three numbers and a checksum over ~54 bytes per path; here the numbers are typed
// arrays read in place and the strings one UTF-8 section sliced by lengths:
//   u32 n (paths), u32 ni (interface names), u32 string section bytes, u32 0,
//   f64 seq[n], f64 time[n], u32 ifindex[n], u16 interface[n] (index into the names),
//   u16 prefix length[n], u16 address length[n], u16 name length[ni], u8 family[n] (4 or 6),
//   then the string section: the interface names, then each path's prefix and address (UTF-8).
// Lengths count UTF-16 code units of the decoded strings. Numbers are little-endian (typed arrays on a
// little-endian host, which every platform Node runs on here is; a big-endian one reads damage and
// rebuilds). The paths come in the Rib's order (prefix insertion order, best first), so restoring them
// files each prefix as the events did. Anything inconsistent is DerivedDamage.
import type { Family } from '../../events/index.js';
import type { Path, PathColumns, Rib } from '../rib/index.js';
import { DerivedDamage } from '../derived/index.js';

const HEAD = 16;
const MAX_U16 = 0xffff;
// Prefix and address strings seen in checkpoints, shared by every decode: the same prefixes come back
// in every checkpoint (and often in several VRFs). Found by a hash of their characters and compared in
// place, a string seen before is neither sliced nor copied into the old generation with its path (GC
// work is what sets a time travel's p99). Bounded: emptied when full; a hash collision replaces.
const INTERNED_MAX = 131_072;
const interned = new Map<number, string>();

/** text[from, from + length), the same string as last time when it was seen before. */
function intern(text: string, from: number, length: number): string {
  let h = length;
  for (let i = from, end = from + length; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  const known = interned.get(h);
  if (known !== undefined && known.length === length && text.startsWith(known, from)) return known;
  if (interned.size >= INTERNED_MAX) interned.clear();
  const s = text.slice(from, from + length);
  interned.set(h, s);
  return s;
}

/** Bytes before the string section for n paths and ni interface names. */
function columnsSize(n: number, ni: number): number {
  return HEAD + 27 * n + 2 * ni;
}

/** The typed-array columns of n paths and ni names laid out in `buf` (see the file's comment). */
function columns(buf: ArrayBuffer, n: number, ni: number) {
  const names = HEAD + 26 * n;
  return {
    seq: new Float64Array(buf, HEAD, n),
    time: new Float64Array(buf, HEAD + 8 * n, n),
    ifindex: new Uint32Array(buf, HEAD + 16 * n, n),
    iface: new Uint16Array(buf, HEAD + 20 * n, n),
    prefixLen: new Uint16Array(buf, HEAD + 22 * n, n),
    addressLen: new Uint16Array(buf, HEAD + 24 * n, n),
    nameLen: new Uint16Array(buf, names, ni),
    family: new Uint8Array(buf, names + 2 * ni, n),
  };
}

/** One VRF's paths as columns (see the file's comment); an empty buffer when it has none. */
export function encodeVrfColumns(rib: Rib, vrf: string): Buffer {
  const paths: Path[] = [];
  for (const [, set] of rib.entries(vrf)) for (const p of set) paths.push(p);
  const n = paths.length;
  if (n === 0) return Buffer.alloc(0);
  const names = new Map<string, number>();
  const parts: string[] = [];
  for (const p of paths)
    if (!names.has(p.interface)) {
      names.set(p.interface, names.size);
      parts.push(p.interface);
    }
  const ni = names.size;
  if (ni > MAX_U16) throw new RangeError(`VRF "${vrf}": more than ${MAX_U16} interfaces`);
  for (const p of paths) parts.push(p.prefix, p.address);
  const strings = parts.join('');
  const size = columnsSize(n, ni);
  const bytes = Buffer.byteLength(strings, 'utf8');
  const buf = new ArrayBuffer(size + bytes);
  const u32 = new Uint32Array(buf, 0, 4);
  u32[0] = n;
  u32[1] = ni;
  u32[2] = bytes;
  const { seq, time, ifindex, iface, prefixLen, addressLen, nameLen, family } = columns(buf, n, ni);
  for (let i = 0; i < n; i++) {
    const p = paths[i]!;
    if (p.prefix.length > MAX_U16 || p.address.length > MAX_U16)
      throw new RangeError(`VRF "${vrf}": a prefix or address longer than ${MAX_U16}`);
    seq[i] = p.seq;
    time[i] = p.time;
    ifindex[i] = p.ifindex;
    iface[i] = names.get(p.interface)!;
    prefixLen[i] = p.prefix.length;
    addressLen[i] = p.address.length;
    family[i] = p.family === 'ipv4' ? 4 : 6;
  }
  let k = 0;
  for (const name of names.keys()) nameLen[k++] = name.length;
  const out = Buffer.from(buf);
  out.write(strings, size, 'utf8');
  return out;
}

/** The paths of one VRF's columns, in their order. DerivedDamage when they are not consistent. */
export function decodeVrfColumns(vrf: string, payload: Uint8Array, what: string): Path[] {
  const columns = readVrfColumns(vrf, payload, what);
  const out: Path[] = new Array<Path>(columns.length);
  for (let i = 0; i < columns.length; i++) out[i] = columns.path(i, columns.prefix(i));
  return out;
}

/**
 * One VRF's columns checked whole (DerivedDamage when they are not consistent) and kept as they are:
 * each path is read into a Path record only when asked for (Rib.shareVrfColumns), so that a time travel
 * files ~100k numbers instead of ~100k records (~10 MB that every answer left to the collector).
 */
export function readVrfColumns(vrf: string, payload: Uint8Array, what: string): PathColumns {
  if (payload.length === 0) return NO_COLUMNS;
  const bad = (why: string): DerivedDamage => new DerivedDamage(`${what}: ${why}`);
  if (payload.length < HEAD) throw bad('truncated');
  // Read through typed arrays over a copy of its own (LevelDB's buffers sit at any offset, and the
  // columns are read as long as the table filed from them lives), off the JS heap.
  const buf = new ArrayBuffer(payload.length);
  new Uint8Array(buf).set(payload);
  const u32 = new Uint32Array(buf, 0, 4);
  const n = u32[0]!;
  const ni = u32[1]!;
  const bytes = u32[2]!;
  const size = columnsSize(n, ni);
  if (u32[3] !== 0 || size + bytes !== payload.length) throw bad('truncated or not columns');
  const { seq, time, ifindex, iface, prefixLen, addressLen, nameLen, family } = columns(buf, n, ni);
  const strings = Buffer.from(buf, size, bytes).toString('utf8');
  let pos = 0;
  const names: string[] = [];
  for (let k = 0; k < ni; k++) {
    names.push(strings.slice(pos, pos + nameLen[k]!));
    pos += nameLen[k]!;
  }
  // Where each path's prefix starts in the strings (its address follows it).
  const starts = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const f = family[i];
    if (
      names[iface[i]!] === undefined ||
      (f !== 4 && f !== 6) ||
      !Number.isSafeInteger(seq[i]) ||
      !Number.isSafeInteger(time[i])
    )
      throw bad(`path ${i + 1} is not a path`);
    starts[i] = pos;
    pos += prefixLen[i]! + addressLen[i]!;
    if (pos > strings.length) throw bad('strings cut short');
  }
  if (pos !== strings.length) throw bad('strings do not match the paths');
  return {
    length: n,
    prefix: (i) => intern(strings, starts[i]!, prefixLen[i]!),
    family: (i): Family => (family[i] === 4 ? 'ipv4' : 'ipv6'),
    path: (i, prefix) => {
      const at = starts[i]! + prefixLen[i]!;
      return {
        vrf,
        family: family[i] === 4 ? 'ipv4' : 'ipv6',
        prefix,
        interface: names[iface[i]!]!,
        ifindex: ifindex[i]!,
        address: intern(strings, at, addressLen[i]!),
        seq: seq[i]!,
        time: time[i]!,
      };
    },
  };
}

const NO_COLUMNS: PathColumns = {
  length: 0,
  prefix: () => {
    throw new RangeError('no paths');
  },
  family: () => {
    throw new RangeError('no paths');
  },
  path: () => {
    throw new RangeError('no paths');
  },
};
