// Rib serialisation for checkpoints: one VRF's paths as compact text, restored by re-applying the
// RouteDiscovered each path came from (same seq and time), so a restored Rib is the projection itself,
// not a look-alike. Kept outside rib.ts: the Rib only knows how to fold events.
import type { Envelope, RouteDiscovered } from '../../events/index.js';
import { familyOf } from '../../shared/index.js';
import type { Path, Rib } from './rib.js';

/** The RouteDiscovered envelope that created `path`. */
export function discoveryOf(path: Path): Envelope<RouteDiscovered> {
  return {
    seq: path.seq,
    time: path.time,
    version: 1,
    event: {
      type: 'RouteDiscovered',
      vrf: path.vrf,
      family: path.family,
      prefix: path.prefix,
      interface: path.interface,
      ifindex: path.ifindex,
      address: path.address,
    },
  };
}

/** One path as a checkpoint line: prefix, interface, ifindex, address, seq, time (tab-separated). */
export function pathLine(p: Path): string {
  return `${p.prefix}\t${p.interface}\t${p.ifindex}\t${p.address}\t${p.seq}\t${p.time}\n`;
}

/** One line per path (see pathLine). "" when none. */
export function encodeVrfPaths(rib: Rib, vrf: string): string {
  // Joined, not concatenated: one flat string instead of a rope of one node per path (held for long).
  const lines: string[] = [];
  for (const [, paths] of rib.entries(vrf)) for (const p of paths) lines.push(pathLine(p));
  return lines.join('');
}

/**
 * Applies the paths of `encodeVrfPaths` text to `rib` (which should not hold that VRF yet). A last line
 * without its newline counts as a line; a line that is not a path throws (the checkpoint is damaged).
 */
export function restoreVrfPaths(rib: Rib, vrf: string, text: string): void {
  let at = 0;
  let line = 0;
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const f = text.slice(at, end).split('\t');
    at = end + 1;
    line++;
    const prefix = f[0]!;
    const ifindex = Number(f[2]);
    const seq = Number(f[4]);
    const time = Number(f[5]);
    if (
      f.length !== 6 ||
      !Number.isSafeInteger(ifindex) ||
      !Number.isSafeInteger(seq) ||
      !Number.isFinite(time)
    )
      throw new RangeError(`checkpoint line ${line} of VRF "${vrf}" is not a path`);
    rib.apply({
      seq,
      time,
      version: 1,
      event: {
        type: 'RouteDiscovered',
        vrf,
        family: familyOf(prefix),
        prefix,
        interface: f[1]!,
        ifindex,
        address: f[3]!,
      },
    });
  }
}

/** Copies one VRF's paths from a Rib into another. */
export function copyVrfPaths(from: Rib, to: Rib, vrf: string): void {
  for (const [, paths] of from.entries(vrf)) for (const p of paths) to.apply(discoveryOf(p));
}
