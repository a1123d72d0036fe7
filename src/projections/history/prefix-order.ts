// Address order of prefixes, as `gobgp global rib` sorts them: IPv4 before IPv6, then by address bytes,
// then by length. A sort key is a plain string ("4" + hex address + hex length) so that comparing keys
// is comparing prefixes, and every prefix within P is a contiguous run of keys starting at P's key.
import ipaddr from 'ipaddr.js';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function bytesKey(family: '4' | '6', bytes: readonly number[], length: number): string {
  let key = family;
  for (const b of bytes) key += HEX[b]!;
  return key + HEX[length]!;
}

/** The sort key of a canonical prefix ("10.1.0.0/24", "2001:db8::/64"). */
export function prefixSortKey(prefix: string): string {
  const slash = prefix.lastIndexOf('/');
  const addr = prefix.slice(0, slash);
  const length = Number(prefix.slice(slash + 1));
  if (!addr.includes(':')) {
    const parts = addr.split('.');
    let key = '4';
    for (const p of parts) key += HEX[Number(p)]!;
    return key + HEX[length]!;
  }
  return bytesKey('6', ipaddr.parse(addr).toByteArray(), length);
}

/** Key range [lo, hi] holding exactly the prefixes within `prefix` (itself included). */
export function withinKeyRange(prefix: string): { lo: string; hi: string } {
  const slash = prefix.lastIndexOf('/');
  const bytes = ipaddr.parse(prefix.slice(0, slash)).toByteArray();
  const length = Number(prefix.slice(slash + 1));
  const family = bytes.length === 4 ? '4' : '6';
  const last = bytes.slice();
  for (let i = 0; i < last.length; i++) {
    const bits = Math.max(0, Math.min(8, length - i * 8));
    last[i] = (last[i]! | (0xff >> bits)) & 0xff;
  }
  return { lo: bytesKey(family, bytes, length), hi: bytesKey(family, last, bytes.length * 8) };
}

/** Every prefix containing `prefix` (itself included), shortest first: what "shorter-prefixes" matches. */
export function coveringPrefixes(prefix: string): string[] {
  const slash = prefix.lastIndexOf('/');
  const parsed = ipaddr.parse(prefix.slice(0, slash));
  const bytes = parsed.toByteArray();
  const length = Number(prefix.slice(slash + 1));
  const out: string[] = [];
  for (let len = 0; len <= length; len++) {
    const masked = bytes.map((b, i) => b & (0xff << (8 - Math.max(0, Math.min(8, len - i * 8)))) & 0xff);
    const text = bytes.length === 4 ? masked.join('.') : ipaddr.fromByteArray(masked).toString();
    out.push(`${text}/${len}`);
  }
  return out;
}

/** First index in sorted `keys` whose key is >= `key` (binary search). */
export function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The prefixes a VRF has ever held, in address order. Insertions are batched and merged on the next
 * read, so a bulk import costs one sort instead of one array shift per prefix.
 */
export class PrefixOrder {
  private sorted: string[] = [];
  private pending: string[] = [];
  private readonly prefixes = new Map<string, string>();

  /** Records a prefix; a known one costs a map lookup. */
  add(prefix: string, key = prefixSortKey(prefix)): void {
    if (this.prefixes.has(key)) return;
    this.prefixes.set(key, prefix);
    this.pending.push(key);
  }

  get size(): number {
    return this.prefixes.size;
  }

  /** Sort keys in address order. */
  keys(): readonly string[] {
    if (this.pending.length > 0) {
      this.pending.sort();
      if (this.sorted.length === 0) {
        this.sorted = this.pending;
      } else {
        const a = this.sorted;
        const b = this.pending;
        const merged = new Array<string>(a.length + b.length);
        let i = 0;
        let j = 0;
        let k = 0;
        while (i < a.length && j < b.length) merged[k++] = a[i]! < b[j]! ? a[i++]! : b[j++]!;
        while (i < a.length) merged[k++] = a[i++]!;
        while (j < b.length) merged[k++] = b[j++]!;
        this.sorted = merged;
      }
      this.pending = [];
    }
    return this.sorted;
  }

  /** The prefix text of a sort key. */
  prefixOf(key: string): string | undefined {
    return this.prefixes.get(key);
  }
}
