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

function hexByte(key: string, at: number): number {
  return parseInt(key.slice(at, at + 2), 16);
}

/** The canonical text of an IPv4 sort key ("40a01000018" -> "10.1.0.0/24"). */
function ipv4Text(key: string): string {
  return `${hexByte(key, 1)}.${hexByte(key, 3)}.${hexByte(key, 5)}.${hexByte(key, 7)}/${hexByte(key, 9)}`;
}

/** Whether `prefix` is IPv4 text as ipv4Text writes it (decimal octets without leading zeros). */
function isIpv4Text(prefix: string): boolean {
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return false; // a leading zero
      value = value * 10 + (c - 0x30);
      if (++digits > 3 || value > 255) return false;
      continue;
    }
    if (digits === 0 || c !== (parts < 3 ? 0x2e : 0x2f) || parts === 4) return false;
    parts++;
    digits = 0;
    value = 0;
  }
  return parts === 4 && digits > 0 && value <= 32;
}

/** Keys waiting in the insertion set before they are merged into the sorted array without a read. */
export const MIN_PENDING_MERGE = 1024;

/**
 * The prefixes a VRF has ever held, in address order. Insertions are batched and merged on the next
 * read, so a bulk import costs one sort instead of one array shift per prefix; a batch is also merged
 * once it reaches an eighth of the sorted keys (at least MIN_PENDING_MERGE), so a flood nobody reads
 * does not keep every prefix in the set (~60 bytes a key against ~40 in the array; amortised one merge
 * step per key). Compact: one sort key per prefix; the text of an IPv4 prefix is derived from its key,
 * only other texts are kept.
 */
export class PrefixOrder {
  private sorted: string[] = [];
  /** Keys added since the last keys(), not yet in `sorted`. */
  private pending = new Set<string>();
  /** Texts not derived from their key: IPv6 (and any non-canonical IPv4 text). */
  private readonly texts = new Map<string, string>();
  private count = 0;

  /** Records a prefix; a known one costs a lookup. */
  add(prefix: string, key = prefixSortKey(prefix)): void {
    if (this.has(key)) return;
    this.pending.add(key);
    this.count++;
    if (!isIpv4Text(prefix)) this.texts.set(key, prefix);
    if (this.pending.size >= Math.max(MIN_PENDING_MERGE, this.sorted.length >> 3)) this.keys();
  }

  /** Keys recorded but not yet merged into the sorted array (for tests and metrics). */
  get unmerged(): number {
    return this.pending.size;
  }

  /** Whether the prefix of this sort key has been recorded. */
  has(key: string): boolean {
    if (this.pending.has(key)) return true;
    const i = lowerBound(this.sorted, key);
    return i < this.sorted.length && this.sorted[i] === key;
  }

  get size(): number {
    return this.count;
  }

  /** Sort keys in address order. */
  keys(): readonly string[] {
    if (this.pending.size > 0) {
      const b = [...this.pending].sort();
      this.pending = new Set();
      if (this.sorted.length === 0) {
        this.sorted = b;
      } else {
        const a = this.sorted;
        const merged = new Array<string>(a.length + b.length);
        let i = 0;
        let j = 0;
        let k = 0;
        while (i < a.length && j < b.length) merged[k++] = a[i]! < b[j]! ? a[i++]! : b[j++]!;
        while (i < a.length) merged[k++] = a[i++]!;
        while (j < b.length) merged[k++] = b[j++]!;
        this.sorted = merged;
      }
    }
    return this.sorted;
  }

  /** The prefix text of a sort key; undefined when it was never recorded. */
  prefixOf(key: string): string | undefined {
    if (!this.has(key)) return undefined;
    return this.texts.get(key) ?? ipv4Text(key);
  }
}
