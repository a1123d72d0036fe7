// Derived data kept beside the log: projection indexes and checkpoints (issue 9.2). It lives in the
// journal's LevelDB under a key range of its own ('d', see storage.ts), never the event range, and is
// never read as events. Writes are not synced: after a crash the derived data may lag the log (its
// records name the seq they cover, so a reader notices and rebuilds), it is never wrong. The memory
// journal keeps the same interface in a sorted map, so the same projections run on both.
import type { Db } from './storage.js';

/** One derived record: key and value bytes (keys sort as unsigned bytes). */
export type DerivedEntry = readonly [key: Buffer, value: Buffer];

/** A key range [gte, lt) of derived records. */
export interface DerivedRange {
  readonly gte: Buffer;
  readonly lt: Buffer;
  /** Newest (highest key) first. */
  readonly reverse?: boolean;
  /** At most this many records. */
  readonly limit?: number;
}

/** The derived-data space of a journal. Keys are relative to it (the journal adds its own prefix). */
export interface DerivedStore {
  get(key: Buffer): Promise<Buffer | undefined>;
  /** Applies the puts, then the deletes, atomically (one LevelDB batch), without sync. */
  write(puts: readonly DerivedEntry[], dels?: readonly Buffer[]): Promise<void>;
  /** The records of a range, in key order (reverse: descending). */
  range(range: DerivedRange): Promise<DerivedEntry[]>;
  /** The records of a range in chunks (for ranges too large for one array). */
  scan(range: DerivedRange): AsyncIterable<readonly DerivedEntry[]>;
  /** The keys of a range in chunks, without their values (pruning large records). */
  scanKeys(range: DerivedRange): AsyncIterable<readonly Buffer[]>;
  /**
   * Deletes every record in the range (default: all derived data), then gives the space back unless
   * `compact` is false (many small clears followed by one compact()).
   */
  clear(range?: { readonly gte: Buffer; readonly lt: Buffer }, options?: ClearOptions): Promise<void>;
  /** Gives the space of deleted records back now (LevelDB compacts the whole derived range). */
  compact(): Promise<void>;
}

export interface ClearOptions {
  /** Compact the range afterwards (default true). */
  readonly compact?: boolean;
}

/** Key prefix of derived data inside the journal's LevelDB ('d'; storage.ts lists the others). */
export const K_DERIVED = 0x64;
const DERIVED_LO = Buffer.from([K_DERIVED]);
const DERIVED_HI = Buffer.from([K_DERIVED + 1]);
const CHUNK = 1000;
const BUFFER_BYTES = 256 * 1024;

function outer(key: Buffer): Buffer {
  return Buffer.concat([DERIVED_LO, key]);
}

/** A derived range as LevelDB iterator options (keys under the derived prefix). */
function levelRange(range: DerivedRange): { gte: Buffer; lt: Buffer; reverse: boolean; limit?: number } {
  return {
    gte: outer(range.gte),
    lt: outer(range.lt),
    reverse: range.reverse ?? false,
    ...(range.limit !== undefined ? { limit: range.limit } : {}),
  };
}

/** A LevelDB iterator's items in chunks of CHUNK, each mapped; the iterator is closed at the end. */
async function* inChunks<T, U>(
  it: { nextv(size: number): Promise<T[]>; close(): Promise<void> },
  map: (item: T) => U,
): AsyncGenerator<readonly U[]> {
  try {
    for (;;) {
      const items = await it.nextv(CHUNK);
      if (items.length === 0) return;
      yield items.map(map);
    }
  } finally {
    await it.close();
  }
}

/** The derived store of a LevelDB journal: its 'd' key range. */
export class LevelDerivedStore implements DerivedStore {
  constructor(private readonly db: Db) {}

  get(key: Buffer): Promise<Buffer | undefined> {
    return this.db.get(outer(key));
  }

  async write(puts: readonly DerivedEntry[], dels: readonly Buffer[] = []): Promise<void> {
    if (puts.length === 0 && dels.length === 0) return;
    const batch = this.db.batch();
    for (const [k, v] of puts) batch.put(outer(k), v);
    for (const k of dels) batch.del(outer(k));
    await batch.write();
  }

  async range(range: DerivedRange): Promise<DerivedEntry[]> {
    const out: DerivedEntry[] = [];
    for await (const chunk of this.scan(range)) for (const e of chunk) out.push(e);
    return out;
  }

  scan(range: DerivedRange): AsyncGenerator<readonly DerivedEntry[]> {
    const it = this.db.iterator({ ...levelRange(range), highWaterMarkBytes: BUFFER_BYTES });
    return inChunks(it, ([k, v]) => [k.subarray(1), v] as const);
  }

  scanKeys(range: DerivedRange): AsyncGenerator<readonly Buffer[]> {
    return inChunks(this.db.keys(levelRange(range)), (k) => k.subarray(1));
  }

  async clear(
    range?: { readonly gte: Buffer; readonly lt: Buffer },
    options: ClearOptions = {},
  ): Promise<void> {
    const gte = range ? outer(range.gte) : DERIVED_LO;
    const lt = range ? outer(range.lt) : DERIVED_HI;
    await this.db.clear({ gte, lt });
    // Give the space back now rather than at LevelDB's next natural compaction of that range.
    if (options.compact !== false) await this.db.compactRange(gte, lt);
  }

  async compact(): Promise<void> {
    await this.db.compactRange(DERIVED_LO, DERIVED_HI);
  }
}

function compare(a: Buffer, b: Buffer): number {
  return Buffer.compare(a, b);
}

/** Derived data in memory (the memory journal, and views of a journal that must not write to it). */
export class MemoryDerivedStore implements DerivedStore {
  /** Sorted by key; may hold keys since deleted (their value is gone), dropped at the next merge. */
  private keys: Buffer[] = [];
  /** Keys added since the last read, unsorted: writes stay O(1), a read sorts and merges them once. */
  private added: Buffer[] = [];
  private readonly values = new Map<string, Buffer>();

  private sorted(): Buffer[] {
    if (this.added.length === 0) return this.keys;
    const added = this.added.sort(compare);
    this.added = [];
    const out: Buffer[] = [];
    let i = 0;
    let j = 0;
    while (i < this.keys.length || j < added.length) {
      const next =
        j >= added.length || (i < this.keys.length && compare(this.keys[i]!, added[j]!) <= 0)
          ? this.keys[i++]!
          : added[j++]!;
      const last = out[out.length - 1];
      if (last !== undefined && compare(last, next) === 0) continue;
      if (this.values.has(next.toString('latin1'))) out.push(next);
    }
    this.keys = out;
    return out;
  }

  private lowerBound(keys: readonly Buffer[], key: Buffer): number {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(keys[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    const v = this.values.get(key.toString('latin1'));
    return v === undefined ? undefined : Buffer.from(v);
  }

  async write(puts: readonly DerivedEntry[], dels: readonly Buffer[] = []): Promise<void> {
    for (const [k, v] of puts) {
      const id = k.toString('latin1');
      if (!this.values.has(id)) this.added.push(Buffer.from(k));
      this.values.set(id, Buffer.from(v));
    }
    for (const k of dels) this.values.delete(k.toString('latin1'));
  }

  async range(range: DerivedRange): Promise<DerivedEntry[]> {
    const keys = this.sorted();
    const from = this.lowerBound(keys, range.gte);
    const to = this.lowerBound(keys, range.lt);
    const out: DerivedEntry[] = [];
    const limit = range.limit ?? Infinity;
    const step = range.reverse ? -1 : 1;
    for (let i = range.reverse ? to - 1 : from; i >= from && i < to && out.length < limit; i += step) {
      const v = this.values.get(keys[i]!.toString('latin1'));
      if (v !== undefined) out.push([Buffer.from(keys[i]!), Buffer.from(v)]);
    }
    return out;
  }

  async *scan(range: DerivedRange): AsyncGenerator<readonly DerivedEntry[]> {
    const all = await this.range(range);
    for (let i = 0; i < all.length; i += CHUNK) yield all.slice(i, i + CHUNK);
  }

  async *scanKeys(range: DerivedRange): AsyncGenerator<readonly Buffer[]> {
    for await (const chunk of this.scan(range)) yield chunk.map(([k]) => k);
  }

  async compact(): Promise<void> {}

  async clear(range?: { readonly gte: Buffer; readonly lt: Buffer }): Promise<void> {
    if (range === undefined) {
      this.keys = [];
      this.added = [];
      this.values.clear();
      return;
    }
    const keys = this.sorted();
    const from = this.lowerBound(keys, range.gte);
    const to = this.lowerBound(keys, range.lt);
    for (const k of keys.slice(from, to)) this.values.delete(k.toString('latin1'));
    keys.splice(from, to - from);
  }
}
