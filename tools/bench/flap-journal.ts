// What the API and UI benchmarks share: a journal of VRFS x PREFIXES paths, then random flaps up to a
// number of events; a seeded random source (same sequence every run); queries through yoga in-process;
// and the figures' format.
import type { ApiYoga } from '../../src/api/index.js';
import type { JournalEvent } from '../../src/events/index.js';
import type { Journal } from '../../src/journal/index.js';
import { benchConfig, routeEvent, vrfName } from './route-events.js';

export { vrfName };

/** Median, p99 and max of timings in ms. */
export function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${q(0.5).toFixed(2)} ms, p99 ${q(0.99).toFixed(2)} ms, max ${s[s.length - 1]!.toFixed(2)} ms (n=${s.length})`;
}

let rng = 12345;
/** A seeded pseudo-random integer in [0, n). */
export const rnd = (n: number): number => {
  rng = (rng * 1103515245 + 12345) % 2 ** 31;
  return rng % n;
};

const prefixOf = (p: number): string => `10.${p >> 8}.${p & 255}.0/24`;

/** RouteDiscovered (up) or RouteVanished of prefix `p` of VRF `v` on interface eth<v>. */
export const path = (v: number, p: number, up: boolean): JournalEvent => routeEvent(v, prefixOf(p), up);

/**
 * Writes a ConfigApplied naming `vrfs` VRFs, every path up (in batches of 2000), then random flaps in
 * batches of `flapBatch` until the journal holds `events` events. The journal stamps each batch.
 * Returns which paths are up (`up[v][p] === 1`), for flaps written afterwards.
 */
export async function writeFlapJournal(
  journal: Journal,
  opts: { vrfs: number; prefixes: number; events: number; flapBatch: number },
): Promise<Uint8Array[]> {
  await journal.append([benchConfig(opts.vrfs)]);
  const up = Array.from({ length: opts.vrfs }, () => new Uint8Array(opts.prefixes).fill(1));
  let batch: JournalEvent[] = [];
  let written = 1;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    await journal.append(batch);
    written += batch.length;
    batch = [];
  };
  for (let v = 0; v < opts.vrfs; v++) {
    for (let p = 0; p < opts.prefixes; p++) {
      batch.push(path(v, p, true));
      if (batch.length === 2000) await flush();
    }
  }
  await flush();
  while (written + batch.length < opts.events) {
    const v = rnd(opts.vrfs);
    const p = rnd(opts.prefixes);
    const isUp = up[v]![p] === 1;
    batch.push(path(v, p, !isUp));
    up[v]![p] = isUp ? 0 : 1;
    if (batch.length === opts.flapBatch) await flush();
  }
  await flush();
  return up;
}

/** A function running a GraphQL query in-process through `yoga`; throws on errors. */
export function inProcessQuery(
  yoga: ApiYoga,
): (query: string, variables: Record<string, unknown>) => Promise<Record<string, unknown>> {
  return async (query, variables) => {
    const res = await yoga.fetch('http://bench/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data!;
  };
}
