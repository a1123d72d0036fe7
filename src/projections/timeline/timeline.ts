// The RIB as it was at any past seq: checkpoints of the Rib projection every N events, kept in memory,
// plus a replay of the events after the nearest one. Beside each checkpoint, the route events that
// follow it are kept per VRF in compact text (the checkpoint's "log"), so a question about one VRF
// restores that VRF and replays only its events, from memory. All of it is derived data under memory
// bounds: dropping a checkpoint or a log changes no answer, only speed (the journal is read instead,
// through the history index when the question is about a few VRFs).
import type { ConfigApplied, Envelope, VanishReason } from '../../events/index.js';
import type { Journal } from '../../journal/index.js';
import { seqsBetween } from '../history/index.js';
import type { HistoryIndex } from '../history/index.js';
import { Rib } from '../rib/index.js';
import type { PathSet } from '../rib/index.js';
import { copyVrfPaths, encodeVrfPaths, restoreVrfPaths } from '../rib/index.js';

export interface TimelineOptions {
  /** Events between two checkpoints (default 25 000). */
  readonly interval?: number;
  /**
   * Bound on the logs' total text size (default 128 MiB, ~60 bytes per event). Beyond it the oldest
   * logs are dropped; questions about those windows read the journal instead.
   */
  readonly maxLogBytes?: number;
  /**
   * Bound on the checkpoints' total text size (default 64 MiB). Beyond it every other checkpoint is
   * dropped and the interval doubles, so memory stays bounded however long the journal grows.
   */
  readonly maxBytes?: number;
}

interface Checkpoint {
  readonly seq: number;
  readonly time: number;
  /** Encoded paths per VRF ("" = global); VRFs without paths are absent. */
  readonly vrfs: ReadonlyMap<string, string>;
  readonly bytes: number;
  /**
   * Route events after this checkpoint up to the next one, per VRF, one line each (see logLine), in seq
   * order; undefined once dropped.
   */
  log: Map<string, LogText> | undefined;
  logBytes: number;
}

/** A VRF's log: lines being appended (the newest checkpoint's), or joined into one flat string. */
type LogText = string | string[];

function logText(text: LogText): string {
  return typeof text === 'string' ? text : text.join('');
}

/** One route event as a log line: kind, seq, time, then the event's fields, tab-separated. */
function logLine(env: Envelope): string {
  const e = env.event;
  if (e.type === 'RouteDiscovered') {
    return `D\t${env.seq}\t${env.time}\t${e.prefix}\t${e.interface}\t${e.ifindex}\t${e.address}\n`;
  }
  if (e.type === 'RouteVanished')
    return `V\t${env.seq}\t${env.time}\t${e.prefix}\t${e.interface}\t${e.reason}\n`;
  return '';
}

/** Applies the lines of a log with seq <= through to `rib`. */
function replayLog(rib: Rib, vrf: string, text: string, through: number): void {
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\n', at);
    const f = text.slice(at, end).split('\t');
    at = end + 1;
    const seq = Number(f[1]);
    if (seq > through) return;
    const time = Number(f[2]);
    const prefix = f[3]!;
    const family = prefix.includes(':') ? 'ipv6' : 'ipv4';
    if (f[0] === 'D') {
      rib.apply({
        seq,
        time,
        version: 1,
        event: {
          type: 'RouteDiscovered',
          vrf,
          family,
          prefix,
          interface: f[4]!,
          ifindex: Number(f[5]),
          address: f[6]!,
        },
      });
    } else {
      rib.apply({
        seq,
        time,
        version: 1,
        event: { type: 'RouteVanished', vrf, family, prefix, interface: f[4]!, reason: f[5] as VanishReason },
      });
    }
  }
}

function origin(): Checkpoint {
  return { seq: 0, time: 0, vrfs: new Map(), bytes: 0, log: new Map(), logBytes: 0 };
}

/** Called after each route event with the paths of its prefix before and after it (best first). */
export type TimelineListener = (env: Envelope, before: PathSet, after: PathSet, rib: Rib) => void;

const EMPTY: PathSet = [];
const GET_CONCURRENCY = 256;

/** A Projection (seq + apply) that answers "what did the RIB hold at seq X?". */
export class Timeline {
  /** Seq of the last event applied. */
  seq = 0;
  private readonly rib = new Rib();
  private checkpoints: Checkpoint[] = [origin()];
  private readonly configs: Envelope<ConfigApplied>[] = [];
  private readonly dirty = new Set<string>();
  private interval: number;
  private readonly maxBytes: number;
  private readonly maxLogBytes: number;
  private bytes = 0;
  private logBytes = 0;
  private listeners: readonly TimelineListener[] = [];

  constructor(
    private readonly journal: Journal,
    private readonly history: HistoryIndex,
    options: TimelineOptions = {},
  ) {
    this.interval = Math.max(1, options.interval ?? 25_000);
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.maxLogBytes = options.maxLogBytes ?? 128 * 1024 * 1024;
  }

  apply(env: Envelope): void {
    const e = env.event;
    const route = e.type !== 'ConfigApplied';
    const before = route && this.listeners.length > 0 ? this.rib.lookup(e.vrf, e.prefix).slice() : EMPTY;
    this.rib.apply(env);
    this.seq = env.seq;
    if (route) {
      this.dirty.add(e.vrf);
      const log = this.checkpoints[this.checkpoints.length - 1]!.log;
      if (log !== undefined) this.appendLog(log, e.vrf, logLine(env));
    } else {
      this.configs.push(env as Envelope<ConfigApplied>);
    }
    if (env.seq - this.checkpoints[this.checkpoints.length - 1]!.seq >= this.interval) this.checkpoint(env);
    if (route) {
      const after = this.rib.lookup(e.vrf, e.prefix);
      for (const l of this.listeners) l(env, before, after, this.rib);
    }
  }

  /** Follows every route event applied from now on; returns the unsubscribe function. */
  onApply(listener: TimelineListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Number of checkpoints held and their size, for metrics and tests. */
  checkpointStats(): { count: number; bytes: number; interval: number; logBytes: number; logs: number } {
    return {
      count: this.checkpoints.length,
      bytes: this.bytes,
      interval: this.interval,
      logBytes: this.logBytes,
      logs: this.checkpoints.filter((c) => c.log !== undefined).length,
    };
  }

  /** Drops every checkpoint and log (derived data): answers stay the same, only slower. */
  dropCheckpoints(): void {
    this.checkpoints = [{ ...origin(), log: undefined }];
    this.bytes = 0;
    this.logBytes = 0;
    this.dirty.clear();
    for (const vrf of this.rib.vrfNames()) this.dirty.add(vrf);
  }

  /** The ConfigApplied in force at `seq`, if any. */
  configAt(seq: number): Envelope<ConfigApplied> | undefined {
    let lo = 0;
    let hi = this.configs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.configs[mid]!.seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? this.configs[lo - 1] : undefined;
  }

  /**
   * A fresh Rib holding the state after every event with seq <= `seq` (clamped to what was applied).
   * With `vrfs`, only those VRFs ("" = global) are restored, which is much cheaper; the config in force
   * is always there. The caller owns the result and may apply further events to it.
   */
  async ribAt(seq: number, vrfs?: readonly string[]): Promise<Rib> {
    const target = Math.max(0, Math.min(Math.floor(seq), this.seq));
    const out = new Rib();
    if (target === this.seq) {
      // The current state: copy it (the caller may mutate the result).
      const config = this.configAt(target);
      if (config) out.apply(config);
      for (const vrf of vrfs ?? this.rib.vrfNames()) copyVrfPaths(this.rib, out, vrf);
      out.seq = this.rib.seq;
      out.time = this.rib.time;
      return out;
    }
    const cp = this.checkpointAtOrBefore(target);
    const config = this.configAt(cp.seq);
    if (config) out.apply(config);
    for (const vrf of vrfs ?? [...cp.vrfs.keys()]) {
      const text = cp.vrfs.get(vrf);
      if (text) restoreVrfPaths(out, vrf, text);
    }
    if (target > cp.seq && cp.log !== undefined) {
      // From memory: the checkpoint's log holds every route event up to the next checkpoint.
      for (const vrf of vrfs ?? [...cp.log.keys()]) {
        const text = cp.log.get(vrf);
        if (text !== undefined) replayLog(out, vrf, logText(text), target);
      }
      const config = this.configAt(target);
      if (config) out.apply(config);
    } else if (target > cp.seq) {
      if (vrfs === undefined) {
        for await (const batch of this.journal.read({ after: cp.seq, through: target })) {
          for (const env of batch) out.apply(env);
        }
      } else {
        await this.replayVrfs(out, vrfs, cp.seq, target);
      }
    }
    out.seq = target;
    out.time = target === 0 ? 0 : target === cp.seq ? cp.time : ((await this.journal.get(target))?.time ?? 0);
    return out;
  }

  private async replayVrfs(out: Rib, vrfs: readonly string[], after: number, through: number): Promise<void> {
    const lists = [seqsBetween(this.history.configSeqs(), after, through)];
    for (const vrf of new Set(vrfs)) lists.push(seqsBetween(this.history.vrfSeqs(vrf), after, through));
    const seqs = lists.flat().sort((a, b) => a - b);
    if (seqs.length === 0) return;
    // Sparse: fetch just those events. Dense: one range read is cheaper than many point reads.
    if (seqs.length * 16 < through - after) {
      for (let i = 0; i < seqs.length; i += GET_CONCURRENCY) {
        const chunk = await Promise.all(seqs.slice(i, i + GET_CONCURRENCY).map((s) => this.journal.get(s)));
        for (const env of chunk) if (env) out.apply(env);
      }
      return;
    }
    const wanted = new Set(vrfs);
    for await (const batch of this.journal.read({ after, through })) {
      for (const env of batch) {
        const e = env.event;
        if (e.type === 'ConfigApplied' || wanted.has(e.vrf)) out.apply(env);
      }
    }
  }

  private checkpointAtOrBefore(seq: number): Checkpoint {
    let lo = 0;
    let hi = this.checkpoints.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.checkpoints[mid]!.seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return this.checkpoints[Math.max(0, lo - 1)]!;
  }

  private checkpoint(env: Envelope): void {
    const previous = this.checkpoints[this.checkpoints.length - 1]!;
    const vrfs = new Map<string, string>();
    let bytes = 0;
    for (const vrf of this.rib.vrfNames()) {
      // A VRF untouched since the previous checkpoint shares its (immutable) text.
      const text = this.dirty.has(vrf) ? encodeVrfPaths(this.rib, vrf) : (previous.vrfs.get(vrf) ?? '');
      if (text.length === 0) continue;
      vrfs.set(vrf, text);
      bytes += text.length;
    }
    this.dirty.clear();
    // The previous checkpoint's log is complete: join each VRF's lines into one flat string.
    if (previous.log !== undefined)
      for (const [vrf, text] of previous.log) previous.log.set(vrf, logText(text));
    this.checkpoints.push({ seq: env.seq, time: env.time, vrfs, bytes, log: new Map(), logBytes: 0 });
    this.bytes += bytes;
    while (this.bytes > this.maxBytes && this.checkpoints.length > 2) this.thin();
  }

  private appendLog(log: Map<string, LogText>, vrf: string, line: string): void {
    const lines = log.get(vrf);
    if (lines === undefined) log.set(vrf, [line]);
    else if (typeof lines === 'string') log.set(vrf, [lines, line]);
    else lines.push(line);
    const last = this.checkpoints[this.checkpoints.length - 1]!;
    last.logBytes += line.length;
    this.logBytes += line.length;
    // Oldest logs go first; the newest (being written) always stays.
    for (let i = 0; this.logBytes > this.maxLogBytes && i < this.checkpoints.length - 1; i++) {
      const c = this.checkpoints[i]!;
      if (c.log === undefined) continue;
      this.logBytes -= c.logBytes;
      c.log = undefined;
      c.logBytes = 0;
    }
  }

  /**
   * Keeps the empty origin, the newest checkpoint and every other one in between. A dropped checkpoint's
   * log is appended to the log of the one kept before it, which then covers both windows.
   */
  private thin(): void {
    const kept: Checkpoint[] = [this.checkpoints[0]!];
    const last = this.checkpoints.length - 1;
    for (let i = 1; i < last; i++) {
      const c = this.checkpoints[i]!;
      if (i % 2 === 0) {
        kept.push(c);
        continue;
      }
      const prev = kept[kept.length - 1]!;
      if (prev.log !== undefined && c.log !== undefined) {
        for (const [vrf, text] of c.log) prev.log.set(vrf, logText(prev.log.get(vrf) ?? '') + logText(text));
        prev.logBytes += c.logBytes;
      } else {
        if (prev.log !== undefined) this.logBytes -= prev.logBytes;
        if (c.log !== undefined) this.logBytes -= c.logBytes;
        prev.log = undefined;
        prev.logBytes = 0;
      }
    }
    kept.push(this.checkpoints[last]!);
    this.checkpoints = kept;
    this.bytes = kept.reduce((n, c) => n + c.bytes, 0);
    this.interval *= 2;
  }
}
