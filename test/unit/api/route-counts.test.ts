// routeCounts over GraphQL: as many points as asked, each naming a seq whose RIB holds its counts,
// markers for config changes, clear errors for bad windows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatMicros } from '../../../src/shared/index.js';
import { T0, config, discovered, fixture, vanished } from './fixture.js';

const S = 1_000_000;

test('routeCounts: n points over the window, the counts of the RIB at each point seq, config markers', async () => {
  const f = await fixture();
  try {
    // One event per second from T0: seq k at T0 + (k-1) s.
    await f.append(
      config(1, [{ name: 'red', rd: '65000:1', rt: '65000:1', interfaces: ['eth1'] }]),
      discovered('red', '10.1.0.0/24', 'eth1', 3),
      discovered('red', '10.2.0.0/24', 'eth1', 3),
      discovered('red', '2001:db8::/64', 'eth1', 3),
      vanished('red', '10.1.0.0/24', 'eth1'),
      discovered('', '192.0.2.0/24', 'eth0', 2),
    );
    const r = await f.query<{
      routeCounts: {
        vrf: string;
        fromSeq: string;
        toSeq: string;
        points: { time: string; seq: string; ipv4: number; ipv6: number; total: number; exact: boolean }[];
        markers: { seq: string; kind: string; detail: string }[];
      };
    }>(
      `query($from: SeqOrTime, $to: SeqOrTime) { routeCounts(vrf: "red", from: $from, to: $to, points: 5) {
        vrf fromSeq toSeq points { time seq ipv4 ipv6 total exact } markers { seq kind detail } } }`,
      { from: formatMicros(T0 - S), to: formatMicros(T0 + 4 * S) },
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const s = r.data!.routeCounts;
    assert.equal(s.vrf, 'red');
    assert.equal(s.points.length, 5);
    assert.deepEqual(
      s.points.map((p) => [p.seq, p.ipv4, p.ipv6, p.total]),
      [
        ['0', 0, 0, 0],
        ['2', 1, 0, 1],
        ['3', 2, 0, 2],
        ['4', 2, 1, 3],
        ['5', 1, 1, 2],
      ],
    );
    assert.equal(s.points[4]!.time, formatMicros(T0 + 4 * S));
    assert.deepEqual([s.fromSeq, s.toSeq], ['0', '5']);
    assert.deepEqual(s.markers, [{ seq: '1', kind: 'ConfigApplied', detail: 'config 1' }]);
    // The seq of a point is a RIB with those counts.
    const at = await f.query<{ vrf: { routeCounts: { ipv4: number; ipv6: number } } }>(
      '{ vrf(name: "red", at: "4") { routeCounts { ipv4 ipv6 } } }',
    );
    assert.deepEqual(at.data!.vrf.routeCounts, { ipv4: 2, ipv6: 1 });

    // The same from the Vrf type, with a step.
    const v = await f.query<{ vrfs: { name: string; routeCountSeries: { points: { total: number }[] } }[] }>(
      `query($to: SeqOrTime) { vrfs { name routeCountSeries(from: "1", to: $to, step: "1s") { points { total } } } }`,
      { to: formatMicros(T0 + 5 * S) },
    );
    assert.equal(v.errors, undefined, JSON.stringify(v.errors));
    assert.deepEqual(
      v.data!.vrfs.map((x) => [x.name, x.routeCountSeries.points.map((p) => p.total)]),
      [
        ['global', [0, 0, 0, 0, 1]],
        ['red', [1, 2, 3, 2, 2]],
      ],
    );
  } finally {
    await f.close();
  }
});

test('routeCounts: NOT_FOUND for an unknown VRF, BAD_ARGUMENT for a bad step or too many points', async () => {
  const f = await fixture();
  try {
    await f.append(discovered('', '192.0.2.0/24', 'eth0', 2));
    const codes = async (q: string): Promise<unknown> =>
      (await f.query(q)).errors?.map((e) => e.extensions?.['code']);
    assert.deepEqual(await codes('{ routeCounts(vrf: "nope") { vrf } }'), ['NOT_FOUND']);
    assert.deepEqual(await codes('{ routeCounts(vrf: "global", step: "fast") { vrf } }'), ['BAD_ARGUMENT']);
    assert.deepEqual(await codes('{ routeCounts(vrf: "global", from: "-7d", step: "1s") { vrf } }'), [
      'BAD_ARGUMENT',
    ]);
    assert.deepEqual(await codes('{ routeCounts(vrf: "global", points: 3, step: "1s") { vrf } }'), [
      'BAD_ARGUMENT',
    ]);
  } finally {
    await f.close();
  }
});
