// The per-VRF route count series: counts paths like the Rib, reads any past point by search, stays
// bounded (older buckets merge) and says when a point is coarser than asked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Envelope, JournalEvent } from '../../../src/events/index.js';
import { Rib, RouteCountSeries } from '../../../src/projections/index.js';
import { config, discovered, vanished } from '../../unit/api/fixture.js';

const S = 1_000_000;
const T0 = 1_800_000_000 * S;

function envelopes(events: readonly [number, JournalEvent][]): Envelope[] {
  return events.map(([time, event], i) => ({ seq: i + 1, time, version: 1, event }));
}

test('counts paths per family as the Rib does; a re-discovered path is not counted twice', () => {
  const envs = envelopes([
    [T0, config(1, [{ name: 'red', rd: '65000:1', rt: '65000:1' }])],
    [T0 + 1 * S, discovered('red', '10.1.0.0/24', 'eth1', 3)],
    [T0 + 2 * S, discovered('red', '10.1.0.0/24', 'eth2', 4)],
    [T0 + 3 * S, discovered('red', '10.1.0.0/24', 'eth1', 3, '10.1.0.9')],
    [T0 + 4 * S, discovered('red', '2001:db8::/64', 'eth1', 3)],
    [T0 + 5 * S, vanished('red', '10.1.0.0/24', 'eth2')],
    [T0 + 6 * S, vanished('red', '10.9.0.0/24', 'eth2')],
  ]);
  const series = new RouteCountSeries();
  const rib = new Rib();
  const times = envs.map((e) => e.time);
  for (const env of envs) {
    series.apply(env);
    rib.apply(env);
  }
  const points = series.points('red', times, T0 - S);
  assert.deepEqual(
    points.map((p) => [p.ipv4, p.ipv6]),
    [
      [0, 0],
      [1, 0],
      [2, 0],
      [2, 0],
      [2, 1],
      [1, 1],
      [1, 1],
    ],
  );
  assert.deepEqual({ ipv4: points[6]!.ipv4, ipv6: points[6]!.ipv6 }, rib.countsOf('red'));
  // Each point names the seq of the last count change by then; a replaced path is no change.
  assert.deepEqual(
    points.map((p) => p.seq),
    [0, 2, 3, 3, 5, 6, 6],
  );
  assert.ok(points.every((p) => p.exact));
  assert.deepEqual(series.markers(0, T0 + 10 * S), [
    { seq: 1, time: T0, kind: 'ConfigApplied', detail: 'config 1' },
  ]);
});

test('a dip between two points shows in min, with the number of changes', () => {
  const envs = envelopes([
    [T0, discovered('', '10.1.0.0/24', 'eth1', 3)],
    [T0 + 1 * S, discovered('', '10.2.0.0/24', 'eth1', 3)],
    [T0 + 10 * S, vanished('', '10.1.0.0/24', 'eth1', 'link-down')],
    [T0 + 10 * S, vanished('', '10.2.0.0/24', 'eth1', 'link-down')],
    [T0 + 12 * S, discovered('', '10.1.0.0/24', 'eth1', 3)],
    [T0 + 12 * S, discovered('', '10.2.0.0/24', 'eth1', 3)],
  ]);
  const series = new RouteCountSeries();
  for (const env of envs) series.apply(env);
  const [a, b] = series.points('', [T0 + 5 * S, T0 + 20 * S], T0 - S);
  assert.deepEqual([a!.ipv4, a!.min, a!.max, a!.changes], [2, 0, 2, 2]);
  assert.deepEqual([b!.ipv4, b!.min, b!.max, b!.changes, b!.seq], [2, 0, 2, 4, 6]);
});

test('memory stays bounded: old buckets merge, recent ones keep 1 s resolution, answers stay exact at their seq', () => {
  const series = new RouteCountSeries({ maxBuckets: 64 });
  const rib = new Rib();
  const snapshots = new Map<number, { ipv4: number; ipv6: number }>();
  let seq = 0;
  // 2000 flaps, one every 10 s.
  for (let i = 0; i < 2000; i++) {
    const prefix = `10.${i % 7}.0.0/24`;
    const up = rib.lookup('', prefix).length === 0;
    const env: Envelope = {
      seq: ++seq,
      time: T0 + i * 10 * S,
      version: 1,
      event: up ? discovered('', prefix, 'eth1', 3) : vanished('', prefix, 'eth1'),
    };
    series.apply(env);
    rib.apply(env);
    snapshots.set(env.seq, rib.countsOf(''));
  }
  assert.ok(series.bucketCount('') <= 64, `${series.bucketCount('')} buckets`);
  const times = Array.from({ length: 200 }, (_, k) => T0 + k * 100 * S + 5 * S);
  const points = series.points('', times, T0 - S);
  for (const p of points) {
    // Whatever the resolution, the counts are those of the RIB at the seq the point names.
    assert.deepEqual({ ipv4: p.ipv4, ipv6: p.ipv6 }, snapshots.get(p.seq) ?? { ipv4: 0, ipv6: 0 });
  }
  // The newest points are exact (fine buckets), the oldest are not (merged).
  assert.ok(points.slice(-3).every((p) => p.exact));
  assert.ok(points.slice(0, 10).some((p) => !p.exact));
  const last = points[points.length - 1]!;
  assert.equal(last.seq, 1991); // the event at T0 + 19 900 s, the last one by T0 + 19 905 s
});

test('a VRF that never held a route reads as zero', () => {
  const series = new RouteCountSeries();
  assert.deepEqual(
    series.points('blue', [T0], 0).map((p) => [p.seq, p.ipv4, p.ipv6, p.exact]),
    [[0, 0, 0, true]],
  );
});
