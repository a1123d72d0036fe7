// A small least-recently-used cache bounded by the total size of its values (bytes, or any weight).
// Map keeps insertion order, so re-inserting on a hit makes the oldest entry the first one.

/** An LRU map bounded by the sum of its entries' weights. */
export class WeightedLru<K, V> {
  private readonly entries = new Map<K, { value: V; weight: number }>();
  private total = 0;

  constructor(
    private readonly maxWeight: number,
    private readonly weigh: (value: V) => number,
  ) {}

  get(key: K): V | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  set(key: K, value: V): void {
    const weight = this.weigh(value);
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.total -= old.weight;
      this.entries.delete(key);
    }
    // A value larger than the whole cache is not kept (it would evict everything for one use).
    if (weight > this.maxWeight) return;
    this.entries.set(key, { value, weight });
    this.total += weight;
    for (const [k, e] of this.entries) {
      if (this.total <= this.maxWeight) break;
      this.entries.delete(k);
      this.total -= e.weight;
    }
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }

  /** Entries and their total weight (for metrics and tests). */
  stats(): { entries: number; weight: number } {
    return { entries: this.entries.size, weight: this.total };
  }
}
