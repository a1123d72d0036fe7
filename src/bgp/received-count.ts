// How many prefixes a peer has advertised to us and not withdrawn, for the neighbor status. ribjournal
// only originates routes and keeps none of a peer's, so this count is all that is kept of them: exact up
// to a bound, after which it stops growing (issue 10.7: memory per peer is bounded, whatever it sends).

/** Prefixes counted exactly per peer; a peer sending more is reported as at least this many. */
export const MAX_COUNTED_PREFIXES = 100_000;

/** The count of a peer's advertised prefixes (keys such as "family|rd|prefix"), bounded in memory. */
export class ReceivedPrefixes {
  private readonly keys = new Set<string>();
  private full = false;

  constructor(private readonly max = MAX_COUNTED_PREFIXES) {}

  /** Prefixes advertised and not withdrawn (at least this many once `saturated`). */
  get count(): number {
    return this.keys.size;
  }

  /** Whether more prefixes arrived than are counted. */
  get saturated(): boolean {
    return this.full;
  }

  /** Counts an advertisement; returns true when it is the first one the bound turned away. */
  add(key: string): boolean {
    if (this.keys.has(key)) return false;
    if (this.keys.size >= this.max) {
      const first = !this.full;
      this.full = true;
      return first;
    }
    this.keys.add(key);
    return false;
  }

  withdraw(key: string): void {
    this.keys.delete(key);
  }

  clear(): void {
    this.keys.clear();
    this.full = false;
  }
}
