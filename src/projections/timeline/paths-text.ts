// Reading a checkpoint's VRF text (rib/snapshot.ts's lines: prefix, interface, ifindex, address, seq,
// time, tab-separated) straight into Path records, for time travel: no split arrays, no number strings,
// no RouteDiscovered envelopes, and the interface name shared by consecutive lines. Rib.restorePaths
// then files them as the events they came from would. A line that is not a path is damage.
import type { Path } from '../rib/index.js';
import { familyOf } from '../../shared/index.js';
import { DerivedDamage } from '../derived/index.js';

const ZERO = 48;

/** The decimal integer in text[from, to); -1 when it is not one (or not a safe integer). */
function integerAt(text: string, from: number, to: number): number {
  if (to <= from || to - from > 16) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return Number.isSafeInteger(n) ? n : -1;
}

/** The paths of one VRF's checkpoint text, in its order. DerivedDamage when a line is not a path. */
export function parseVrfPaths(vrf: string, text: string, what: string): Path[] {
  const out: Path[] = [];
  let at = 0;
  let iface = '';
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const t1 = text.indexOf('\t', at);
    const t2 = t1 < 0 ? -1 : text.indexOf('\t', t1 + 1);
    const t3 = t2 < 0 ? -1 : text.indexOf('\t', t2 + 1);
    const t4 = t3 < 0 ? -1 : text.indexOf('\t', t3 + 1);
    const t5 = t4 < 0 ? -1 : text.indexOf('\t', t4 + 1);
    const extra = t5 < 0 ? -1 : text.indexOf('\t', t5 + 1);
    const ifindex = t3 < 0 ? -1 : integerAt(text, t2 + 1, t3);
    const seq = t5 < 0 ? -1 : integerAt(text, t4 + 1, t5);
    const time = t5 < 0 ? -1 : integerAt(text, t5 + 1, end);
    if (t5 < 0 || t5 > end || (extra >= 0 && extra < end) || ifindex < 0 || seq < 0 || time < 0)
      throw new DerivedDamage(`${what}: line ${out.length + 1} is not a path`);
    if (iface.length !== t2 - t1 - 1 || !text.startsWith(iface, t1 + 1)) iface = text.slice(t1 + 1, t2);
    const prefix = text.slice(at, t1);
    out.push({
      vrf,
      family: familyOf(prefix),
      prefix,
      interface: iface,
      ifindex,
      address: text.slice(t3 + 1, t4),
      seq,
      time,
    });
    at = end + 1;
  }
  return out;
}
