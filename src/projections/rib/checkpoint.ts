// Persisted checkpoints of the RIB projection: derived data kept in the journal's meta space so that a
// start-up replays only the events after it. Deleting one changes no answer, only start-up time; a
// checkpoint that does not match the journal (newer than its head, or a different event at its seq),
// or that is damaged, truncated or of another format, is ignored (start-up replays from seq 0).
//
// Format 3: one JSON header line (seq, time, config, [VRF name, byte length] of each segment), then the
// segments: a VRF's paths as text (snapshot.ts) cut by a hash of the prefix (segmentsFor, segmentOf),
// each compressed on its own (zlib, level 1). Encoding is incremental: each Rib keeps every segment's
// prefixes and compressed text from its last checkpoint and re-encodes only the segments whose prefixes
// route events touched since, in slices between which the event loop turns, compressing on libuv's
// thread pool (see encodeRibCheckpointSliced). Formats 1 (JSON) and 2 (one text, whole stream
// compressed or not) of earlier builds are still read.
//
// Stored in chunks (writeStoredCheckpoint): each chunk its own unsynced put, then a small
// synced manifest naming them, so that no megabyte-sized write sits in LevelDB's write queue ahead of the
// commits' synced appends, and a checkpoint cut short (a crash between chunks) is never read.
import { promisify } from 'node:util';
import { deflate, deflateSync, inflateSync } from 'node:zlib';
import type { ConfigApplied } from '../../events/index.js';
import type { Journal, MetaWriteOptions } from '../../journal/index.js';
import { RibjournalError } from '../../shared/index.js';
import { pathLine, restoreVrfPaths } from './snapshot.js';
import type { ChangeTracker, PathSet } from './rib.js';
import { Rib } from './rib.js';

/** The meta key the daemon keeps its RIB checkpoint under. */
export const RIB_CHECKPOINT_KEY = 'rib-checkpoint';

const FORMAT = 3;
/** One text per VRF, uncompressed (the whole value compressed as one stream): the previous build's. */
const FORMAT_2 = 2;
/** The JSON-only format of earlier builds, still read. */
const FORMAT_1 = 1;

interface CheckpointHeader {
  readonly format: number;
  readonly seq: number;
  readonly time: number;
  readonly config: ConfigApplied | null;
  /** [vrf, byte length of its (compressed) text] in the order the texts follow the header. */
  readonly vrfs: readonly (readonly [string, number])[];
}

interface CheckpointBody1 {
  readonly format: number;
  readonly seq: number;
  readonly time: number;
  readonly config: ConfigApplied | null;
  readonly vrfs: Record<string, string>;
}

interface At {
  readonly seq: number;
  readonly time: number;
  readonly config: ConfigApplied | undefined;
}

/** The stored checkpoint: its header line, then each VRF's compressed text in the header's order. */
function assemble(at: At, segments: readonly (readonly [string, Buffer])[]): Buffer {
  const header: CheckpointHeader = {
    format: FORMAT,
    seq: at.seq,
    time: at.time,
    config: at.config ?? null,
    vrfs: segments.map(([vrf, b]) => [vrf, b.length] as const),
  };
  return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), ...segments.map(([, b]) => b)]);
}

const ZLIB = { level: 1 } as const;

/**
 * Paths per segment, at most (up to SEGMENTS_MAX segments). Each checkpoint after a change encodes its
 * segment's lines again, short-lived text of ~1 KiB per path: 2048 (~1500 paths a segment at 100k) made
 * ~1.2 MiB of garbage per change on the commit path, the most of all its allocations (issue 9.3: the
 * daemon's scavenges); 512 makes a quarter of it, and its compressed text (~30 KiB) still compresses well.
 */
const SEGMENT_PATHS = 512;
const SEGMENTS_MAX = 1024;

/**
 * How many segments a VRF of `paths` paths is cut into (a power of two; ~256–512 paths each, one for a
 * small VRF): a change re-encodes and recompresses its segment only. A VRF that grows or shrinks past a
 * power of two is encoded again whole, once.
 */
export function segmentsFor(paths: number): number {
  return paths <= SEGMENT_PATHS
    ? 1
    : Math.min(SEGMENTS_MAX, 2 ** Math.ceil(Math.log2(paths / SEGMENT_PATHS)));
}

/** The segment of `prefix` among `count` (FNV-1a of its text, so the same in every build and run). */
export function segmentOf(prefix: string, count: number): number {
  if (count === 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < prefix.length; i++) h = Math.imul(h ^ prefix.charCodeAt(i), 0x01000193);
  return (h >>> 0) & (count - 1);
}

/** Encodes a checkpoint in one synchronous step (tools, tests, small RIBs); equals the sliced one. */
export function encodeRibCheckpoint(rib: Rib): Buffer {
  const segments: [string, Buffer][] = [];
  for (const vrf of rib.vrfNames()) {
    const count = segmentsFor(rib.size(vrf));
    const lines = Array.from({ length: count }, (): string[] => []);
    for (const [prefix, paths] of rib.entries(vrf))
      for (const p of paths) lines[segmentOf(prefix, count)]!.push(pathLine(p));
    for (const l of lines) segments.push([vrf, deflateSync(l.join(''), ZLIB)]);
  }
  return assemble(rib, segments);
}

export interface EncodeOptions {
  /** Paths encoded per slice (default 5000: ~1 ms). */
  readonly slice?: number;
  /** Lets the event loop turn between slices (default: setImmediate). */
  readonly yieldNow?: () => Promise<void>;
  /** Encode every segment again, changed or not (benchmarks: the cost of a whole checkpoint). */
  readonly full?: boolean;
  /** Compresses a segment's text off the event loop (default: zlib level 1 on libuv's thread pool). */
  readonly compress?: (text: string) => Promise<Buffer>;
}

const setImmediateYield = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const deflateAsync = promisify(deflate);
/** Prefixes of a VRF noted as changed between checkpoints; past it the VRF is encoded again whole. */
const PREFIX_LIMIT = 4096;

/** One VRF as the last checkpoint encoded it: its segments' prefixes and compressed texts. */
interface VrfSegments {
  readonly members: readonly Set<string>[];
  readonly parts: Buffer[];
}

/**
 * What a Rib's last checkpoint encoded: each VRF's segments (their prefixes and compressed texts), and a
 * tracker of the prefixes that route events touched since: their segments are encoded again from their
 * prefixes alone, the others reused as they are. One encoding at a time.
 */
class IncrementalEncoder {
  private vrfs = new Map<string, VrfSegments>();
  private tracker: ChangeTracker | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** [vrf, segments encoded again, segments] of the last encoding, for each VRF it touched. */
  lastReencoded: readonly (readonly [string, number, number])[] = [];

  constructor(private readonly rib: Rib) {}

  encode(o: EncodeOptions): Promise<{ buf: Buffer; seq: number }> {
    const run = this.queue.catch(() => undefined).then(() => this.encodeNow(o));
    this.queue = run;
    return run;
  }

  private async encodeNow(o: EncodeOptions): Promise<{ buf: Buffer; seq: number }> {
    const rib = this.rib;
    const slice = o.slice ?? 5000;
    const yieldNow = o.yieldNow ?? setImmediateYield;
    const compress = o.compress ?? ((text: string): Promise<Buffer> => deflateAsync(text, ZLIB));
    if (this.tracker === undefined || this.tracker.replaced) {
      this.tracker?.stop();
      this.tracker = rib.trackChanges({ prefixLimit: PREFIX_LIMIT });
      this.vrfs = new Map();
    }
    // One synchronous moment: the checkpoint is the RIB as it is now. What commits change from here on
    // is dirty for the next checkpoint, and read as it was now (before-images) by this one.
    const dirty = this.tracker.take();
    const images = rib.trackChanges({ beforeImages: true, prefixLimit: 0 });
    const at: At = { seq: rib.seq, time: rib.time, config: rib.config };
    const sizes = new Map(rib.vrfNames().map((vrf) => [vrf, rib.size(vrf)]));
    // Still in that moment: the touched prefixes join or leave their segments (at most PREFIX_LIMIT per
    // VRF, else the VRF is read whole below).
    const again = new Map<string, Set<number>>();
    for (const [vrf, size] of sizes) {
      const state = this.vrfs.get(vrf);
      const touched = dirty.get(vrf);
      const count = segmentsFor(size);
      if (state === undefined || state.parts.length !== count || touched === null || o.full === true) {
        this.vrfs.delete(vrf);
        again.set(vrf, new Set(Array.from({ length: count }, (_, i) => i)));
      } else if (touched !== undefined) {
        const segs = new Set<number>();
        for (const prefix of touched) {
          const i = segmentOf(prefix, count);
          if (rib.lookup(vrf, prefix).length > 0) state.members[i]!.add(prefix);
          else state.members[i]!.delete(prefix);
          segs.add(i);
        }
        again.set(vrf, segs);
      }
    }
    let done = false;
    try {
      const vrfs = new Map<string, VrfSegments>();
      const reencoded: [string, number, number][] = [];
      for (const [vrf, size] of sizes) {
        const segs = again.get(vrf);
        let state = this.vrfs.get(vrf);
        if (segs !== undefined) {
          const count = segmentsFor(size);
          let texts: Map<number, string[]>;
          if (state === undefined) {
            const read = await readVrfAsOf(rib, vrf, images, count, slice, yieldNow);
            state = { members: read.members, parts: new Array<Buffer>(count) };
            texts = read.texts;
          } else texts = await encodeMembersAsOf(rib, vrf, images, state.members, segs, slice, yieldNow);
          if (images.replaced) throw new Error('the RIB was rebuilt while its checkpoint was read');
          await compressSegments(state.parts, texts, compress);
          reencoded.push([vrf, segs.size, count]);
        }
        if (state !== undefined) vrfs.set(vrf, state);
      }
      this.vrfs = vrfs;
      this.lastReencoded = reencoded;
      done = true;
      const all: [string, Buffer][] = [];
      for (const [vrf, { parts }] of vrfs) for (const b of parts) all.push([vrf, b]);
      return { buf: assemble(at, all), seq: at.seq };
    } finally {
      images.stop();
      // Failed half-way: what was found dirty is no longer in the tracker; encode everything next time.
      if (!done) this.vrfs = new Map();
    }
  }
}

const encoders = new WeakMap<Rib, IncrementalEncoder>();

function encoderOf(rib: Rib): IncrementalEncoder {
  let enc = encoders.get(rib);
  if (enc === undefined) encoders.set(rib, (enc = new IncrementalEncoder(rib)));
  return enc;
}

/**
 * What the last checkpoint of `rib` encoded again: [vrf, segments encoded again, its segments] for
 * each VRF changed since the one before (the others, and the other segments, were reused).
 */
export function lastReencoded(rib: Rib): readonly (readonly [string, number, number])[] {
  return encoders.get(rib)?.lastReencoded ?? [];
}

/** Segments compressed at once: about the cores there are (the thread pool has 4 threads). */
const COMPRESS_PARALLEL = 2;

/**
 * Compresses each segment's lines into `parts`, a few at a time, each text joined just before it goes
 * to the thread pool: joining and handing over all 64 segments of a 100k-path VRF (~1500 paths each, then) at once was one
 * synchronous step of ~50 ms CPU (issue 9.3: none may take more than 10 ms).
 */
async function compressSegments(
  parts: Buffer[],
  lines: ReadonlyMap<number, readonly string[]>,
  compress: (text: string) => Promise<Buffer>,
): Promise<void> {
  const queue = [...lines];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift())
      parts[next[0]] = await compress(next[1].join(''));
  };
  await Promise.all(Array.from({ length: Math.min(COMPRESS_PARALLEL, queue.length) }, worker));
}

/**
 * A whole VRF cut into `count` segments (their prefixes and texts), as it was when `images` opened, read
 * a slice at a time while commits change the RIB: a prefix they touched is read from its before-image,
 * once (one removed and added again comes round again in the Map's order), and those removed before
 * being reached are added at the end.
 */
async function readVrfAsOf(
  rib: Rib,
  vrf: string,
  images: ChangeTracker,
  count: number,
  slice: number,
  yieldNow: () => Promise<void>,
): Promise<{ members: Set<string>[]; texts: Map<number, string[]> }> {
  const members = Array.from({ length: count }, () => new Set<string>());
  const lines = Array.from({ length: count }, (): string[] => []);
  const add = (prefix: string, paths: PathSet): void => {
    if (paths.length === 0) return; // added after the checkpoint's moment
    const i = segmentOf(prefix, count);
    members[i]!.add(prefix);
    for (const p of paths) lines[i]!.push(pathLine(p));
  };
  const visited = new Set<string>();
  let n = 0;
  // A Map iterator survives changes to its Map.
  for (const [prefix, now] of rib.entries(vrf)) {
    if (++n % slice === 0) await yieldNow();
    if (visited.has(prefix)) continue;
    visited.add(prefix);
    add(prefix, images.before.get(vrf)?.get(prefix) ?? now);
  }
  for (const [prefix, paths] of images.before.get(vrf) ?? []) if (!visited.has(prefix)) add(prefix, paths);
  return { members, texts: new Map(lines.map((l, i) => [i, l])) };
}

/** The lines of the segments `wanted` from their prefixes, as they were when `images` opened. */
async function encodeMembersAsOf(
  rib: Rib,
  vrf: string,
  images: ChangeTracker,
  members: readonly Set<string>[],
  wanted: ReadonlySet<number>,
  slice: number,
  yieldNow: () => Promise<void>,
): Promise<Map<number, string[]>> {
  const texts = new Map<number, string[]>();
  let n = 0;
  for (const i of wanted) {
    const lines: string[] = [];
    for (const prefix of members[i]!) {
      for (const p of images.before.get(vrf)?.get(prefix) ?? rib.lookup(vrf, prefix)) lines.push(pathLine(p));
      if (++n % slice === 0) await yieldNow();
    }
    texts.set(i, lines);
  }
  return texts;
}

/**
 * Encodes a checkpoint without blocking the event loop: exactly the RIB at the seq it had when called,
 * though commits go on while it runs. Only the segments changed since the Rib's previous checkpoint are
 * read and compressed again (a slice at a time, compression on the thread pool); the others are reused.
 * Throws when the RIB is rebuilt meanwhile.
 */
export async function encodeRibCheckpointSliced(rib: Rib, o: EncodeOptions = {}): Promise<Buffer> {
  return (await encoderOf(rib).encode(o)).buf;
}

function decodeFormat1(buf: Buffer): Rib | undefined {
  const cp = JSON.parse(buf.toString('utf8')) as CheckpointBody1;
  if (cp.format !== FORMAT_1 || typeof cp.seq !== 'number' || typeof cp.vrfs !== 'object') return undefined;
  const rib = new Rib();
  if (cp.config) rib.apply({ seq: 0, time: 0, version: 1, event: cp.config });
  for (const [vrf, text] of Object.entries(cp.vrfs)) restoreVrfPaths(rib, vrf, text);
  rib.seq = cp.seq;
  rib.time = cp.time;
  return rib;
}

/** First byte of a zlib stream (deflate, 32K window); a checkpoint's own text starts with "{". */
const ZLIB_MAGIC = 0x78;

/** Decodes a checkpoint; undefined when it is damaged, truncated or of another format. */
export function decodeRibCheckpoint(stored: Buffer): Rib | undefined {
  try {
    const buf = stored[0] === ZLIB_MAGIC ? inflateSync(stored) : stored;
    const nl = buf.indexOf(0x0a);
    if (nl < 0) return buf[0] === 0x7b ? decodeFormat1(buf) : undefined;
    const header = JSON.parse(buf.subarray(0, nl).toString('utf8')) as CheckpointHeader;
    const format = header.format;
    if (
      (format !== FORMAT && format !== FORMAT_2) ||
      !Number.isSafeInteger(header.seq) ||
      !Array.isArray(header.vrfs)
    )
      return undefined;
    let at = nl + 1;
    const total = header.vrfs.reduce((n, [, len]) => n + len, 0);
    if (buf.length - at !== total) return undefined; // truncated or with trailing bytes
    const rib = new Rib();
    if (header.config) rib.apply({ seq: 0, time: 0, version: 1, event: header.config });
    for (const [vrf, len] of header.vrfs) {
      const text = format === FORMAT ? inflateSync(buf.subarray(at, at + len)) : buf.subarray(at, at + len);
      restoreVrfPaths(rib, vrf, text.toString('utf8'));
      at += len;
    }
    rib.seq = header.seq;
    rib.time = header.time;
    return rib;
  } catch {
    return undefined;
  }
}

/** Bytes per chunk of a stored checkpoint (a 100k-path checkpoint is ~1 MiB: 16 chunks). */
const CHUNK_BYTES = 64 * 1024;
/** Starts a manifest: its first byte ('R') is neither zlib's (0x78) nor a checkpoint text's ('{'). */
const MANIFEST_MAGIC = 'RJCHUNKS\n';

interface Manifest {
  /** Which of two key sets holds the chunks: a new checkpoint is written into the one not in use. */
  readonly slot: 0 | 1;
  readonly chunks: number;
  readonly bytes: number;
}

const chunkKey = (key: string, slot: number, i: number): string => `${key}/${slot}/${i}`;

/** The manifest stored under a key; undefined when the key holds a single value (or nothing). */
function parseManifest(value: Buffer | undefined): Manifest | 'damaged' | undefined {
  if (value === undefined || !value.subarray(0, MANIFEST_MAGIC.length).equals(Buffer.from(MANIFEST_MAGIC)))
    return undefined;
  try {
    const m = JSON.parse(value.toString('utf8', MANIFEST_MAGIC.length)) as Manifest;
    const sound =
      (m.slot === 0 || m.slot === 1) && Number.isSafeInteger(m.chunks) && Number.isSafeInteger(m.bytes);
    return sound ? m : 'damaged';
  } catch {
    return 'damaged';
  }
}

/** Writes of stored checkpoints, one at a time per journal and key (two would share a slot). */
const writing = new WeakMap<Journal, Map<string, Promise<unknown>>>();

export interface StoreOptions {
  /** Bytes per chunk (default 64 KiB); Infinity: one put of the whole value (the previous build's way). */
  readonly chunkBytes?: number;
}

/**
 * Stores `value` under `key` in chunks: each chunk an unsynced put of its own (the event loop and the
 * commits' synced appends run between them), then the manifest, synced, which makes them durable (LevelDB's
 * log is written in order) and the new checkpoint the one read. Until then the previous one stays whole.
 */
export function writeStoredCheckpoint(
  journal: Journal,
  key: string,
  value: Buffer,
  o: StoreOptions = {},
): Promise<void> {
  const chunkBytes = o.chunkBytes ?? CHUNK_BYTES;
  let queue = writing.get(journal);
  if (queue === undefined) writing.set(journal, (queue = new Map()));
  const write = async (): Promise<void> => {
    if (!Number.isFinite(chunkBytes)) return journal.putMeta(key, value);
    const current = parseManifest(await journal.getMeta(key));
    const slot = typeof current === 'object' && current.slot === 0 ? 1 : 0;
    const unsynced: MetaWriteOptions = { sync: false };
    let chunks = 0;
    for (let at = 0; at < value.length; at += chunkBytes)
      await journal.putMeta(chunkKey(key, slot, chunks++), value.subarray(at, at + chunkBytes), unsynced);
    const manifest: Manifest = { slot, chunks, bytes: value.length };
    await journal.putMeta(key, Buffer.from(MANIFEST_MAGIC + JSON.stringify(manifest)));
    // Chunks of this slot left from a longer checkpoint before.
    for (let i = chunks; (await journal.getMeta(chunkKey(key, slot, i))) !== undefined; i++)
      await journal.deleteMeta(chunkKey(key, slot, i), unsynced);
  };
  // After the previous write, whether it failed or not (its caller hears of its failure).
  const done = (queue.get(key) ?? Promise.resolve()).catch(() => undefined).then(write);
  queue.set(key, done);
  return done;
}

/**
 * The value stored under `key` by writeStoredCheckpoint (or by an earlier build, in one put); undefined
 * when there is none, or a chunk is missing or of another length (the checkpoint is then rebuilt).
 */
export async function readStoredCheckpoint(journal: Journal, key: string): Promise<Buffer | undefined> {
  const value = await journal.getMeta(key);
  const manifest = parseManifest(value);
  if (manifest === undefined) return value;
  if (manifest === 'damaged') return undefined;
  const parts: Buffer[] = [];
  for (let i = 0; i < manifest.chunks; i++) {
    const chunk = await journal.getMeta(chunkKey(key, manifest.slot, i));
    if (chunk === undefined) return undefined;
    parts.push(chunk);
  }
  const whole = Buffer.concat(parts);
  return whole.length === manifest.bytes ? whole : undefined;
}

/**
 * The RIB at the journal's checkpoint, if there is a valid one: its seq is within the journal and the
 * event there has the checkpoint's time (so it is this journal's history, not another's).
 */
export async function loadRibCheckpoint(journal: Journal): Promise<Rib | undefined> {
  const buf = await readStoredCheckpoint(journal, RIB_CHECKPOINT_KEY);
  const rib = buf !== undefined ? decodeRibCheckpoint(buf) : undefined;
  // After a retention trim past it, the RIB at the horizon will do (stored once: it is as large as the RIB).
  if (rib === undefined || rib.seq > journal.head() || !(await isThisJournals(journal, rib)))
    return loadHorizonCheckpoint(journal);
  return rib;
}

/** The checkpoint's seq holds an event of its time, or is the retention horizon at its time. */
async function isThisJournals(journal: Journal, rib: Rib): Promise<boolean> {
  if (rib.seq === 0) return true;
  const horizon = journal.horizon?.() ?? { seq: 0, time: 0 };
  if (rib.seq < horizon.seq) return false;
  if (rib.seq === horizon.seq) return rib.time === horizon.time;
  const env = await journal.get(rib.seq);
  return env !== undefined && env.time === rib.time;
}

/** Meta key of the RIB at exactly the retention horizon (issue 9.5), kept until the next trim. */
export const RIB_HORIZON_CHECKPOINT_KEY = 'rib-checkpoint-horizon';

/** The RIB at the journal's retention horizon, when one was persisted and matches it. */
export async function loadHorizonCheckpoint(journal: Journal): Promise<Rib | undefined> {
  const horizon = journal.horizon?.();
  if (horizon === undefined || horizon.seq === 0) return undefined;
  const buf = await journal.getMeta(RIB_HORIZON_CHECKPOINT_KEY);
  const rib = buf !== undefined ? decodeRibCheckpoint(buf) : undefined;
  return rib?.seq === horizon.seq && rib.time === horizon.time ? rib : undefined;
}

/**
 * Before a retention trim through `seq` (journal/retention.ts): persists the RIB at exactly `seq` under
 * RIB_HORIZON_CHECKPOINT_KEY: time travel after the horizon starts there, and so does start-up when its
 * own checkpoint is older than `seq` (loadRibCheckpoint falls back to it). Replays from the newest checkpoint at
 * or before `seq`: the start-up one, the previous horizon's, or the origin when nothing was ever removed.
 */
export async function checkpointForHorizon(journal: Journal, seq: number): Promise<void> {
  const current = await loadRibCheckpoint(journal);
  let rib = current !== undefined && current.seq <= seq ? current : await loadHorizonCheckpoint(journal);
  if (rib === undefined || rib.seq > seq) {
    if ((journal.horizon?.().seq ?? 0) > 0)
      throw new RibjournalError(
        'JOURNAL_CORRUPT',
        `journal ${journal.location}: no RIB checkpoint at or before seq ${seq} after the retention horizon`,
      );
    rib = new Rib();
  }
  if (rib.seq < seq) {
    for await (const batch of journal.read({ after: rib.seq, through: seq })) {
      for (const env of batch) rib.apply(env);
      await setImmediateYield(); // the daemon serves meanwhile
    }
  }
  // In slices, compressed on the thread pool: the daemon trims while it serves.
  await journal.putMeta(RIB_HORIZON_CHECKPOINT_KEY, await encodeRibCheckpointSliced(rib));
}

/**
 * Writes a checkpoint of the Rib; the encoding is incremental and runs in slices, the compression on
 * libuv's thread pool (a 100k-path checkpoint: ~6 MiB of text, ~1 MiB stored, so LevelDB is not
 * flooded), the write in chunks (writeStoredCheckpoint). Resolves with its seq (the RIB's when called).
 */
export async function saveRibCheckpoint(
  journal: Journal,
  rib: Rib,
  o: EncodeOptions & StoreOptions = {},
): Promise<number> {
  const { buf, seq } = await encoderOf(rib).encode(o);
  await writeStoredCheckpoint(journal, RIB_CHECKPOINT_KEY, buf, o);
  return seq;
}
