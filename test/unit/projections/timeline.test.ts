import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Envelope, JournalEvent } from '../../../src/events/index.js';
import { MemoryJournal } from '../../../src/journal/index.js';
import { Rib, createApiIndexes, replayAndFollow } from '../../../src/projections/index.js';
import type { Timeline } from '../../../src/projections/index.js';
import type { Clock } from '../../../src/shared/index.js';

function clock(): Clock {
  let t = 1_000_000;
  return { nowMicros: () => (t += 1000) };
}

/** A deterministic pseudo-random history: paths in 4 VRFs flapping, with two config changes. */
function history(n: number): JournalEvent[] {
  let x = 42;
  const rnd = (m: number): number => ((x = (x * 1103515245 + 12345) % 2 ** 31), x % m);
  const present = new Set<string>();
  const out: JournalEvent[] = [
    {
      type: 'ConfigApplied',
      configVersion: 1,
      vrfs: [{ name: 'a', rd: '1:1', importRts: ['1:1'], exportRts: ['1:1'], label: 0, interfaces: [] }],
      neighbors: [],
    },
  ];
  for (let i = 0; i < n; i++) {
    if (i === Math.floor(n / 2)) {
      out.push({
        type: 'ConfigApplied',
        configVersion: 2,
        vrfs: [{ name: 'a', rd: '1:2', importRts: [], exportRts: ['1:2'], label: 0, interfaces: [] }],
        neighbors: [],
      });
    }
    const vrf = ['', 'a', 'b', 'c'][rnd(4)]!;
    const prefix = `10.${rnd(4)}.${rnd(50)}.0/24`;
    const iface = `eth${rnd(3)}`;
    const key = `${vrf}|${prefix}|${iface}`;
    if (present.has(key) && rnd(3) > 0) {
      present.delete(key);
      out.push({
        type: 'RouteVanished',
        vrf,
        family: 'ipv4',
        prefix,
        interface: iface,
        reason: 'address-removed',
      });
    } else {
      present.add(key);
      out.push({
        type: 'RouteDiscovered',
        vrf,
        family: 'ipv4',
        prefix,
        interface: iface,
        ifindex: 10 + Number(iface.slice(3)),
        address: prefix.replace('0/24', String(1 + rnd(9))),
      });
    }
  }
  return out;
}

function dump(rib: Rib, vrfs?: string[]): unknown {
  const names = vrfs ?? rib.vrfNames();
  return names.map((vrf) => ({
    vrf,
    config: rib.vrfConfig(vrf) ?? null,
    counts: rib.countsOf(vrf),
    paths: [...rib.entries(vrf)]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([p, ps]) => [p, ps.map((x) => ({ ...x }))]),
  }));
}

async function setup(
  events: JournalEvent[],
  interval: number,
): Promise<{ journal: MemoryJournal; timeline: Timeline; truth: (seq: number) => Rib }> {
  const journal = new MemoryJournal(clock());
  for (let i = 0; i < events.length; i += 7) await journal.append(events.slice(i, i + 7));
  const indexes = createApiIndexes(journal, { timeline: { interval } });
  await indexes.start();
  const timeline = indexes.timeline;
  const all: Awaited<ReturnType<MemoryJournal['get']>>[] = [];
  for await (const batch of journal.read()) all.push(...batch);
  const truth = (seq: number): Rib => {
    const rib = new Rib();
    for (const env of all) if (env && env.seq <= seq) rib.apply(env);
    return rib;
  };
  return { journal, timeline, truth };
}

test('the RIB at any seq equals a replay of the journal up to that seq', async () => {
  const { journal, timeline, truth } = await setup(history(3000), 250);
  assert.ok(timeline.checkpointStats().written > 5, 'checkpoints were taken');
  for (const seq of [0, 1, 2, 249, 250, 251, 777, 1500, 1502, 2999, journal.head()]) {
    const at = await timeline.ribAt(seq);
    assert.equal(at.seq, seq);
    assert.deepEqual(dump(at), dump(truth(seq)), `at seq ${seq}`);
    assert.equal(at.time, seq === 0 ? 0 : (await journal.get(seq))!.time);
  }
  await journal.close();
});

test('restoring only some VRFs gives those VRFs exactly, and the config in force', async () => {
  const { journal, timeline, truth } = await setup(history(3000), 400);
  for (const seq of [10, 1234, 1600, 2500]) {
    for (const vrfs of [['a'], [''], ['b', 'c']]) {
      const at = await timeline.ribAt(seq, vrfs);
      assert.deepEqual(dump(at, vrfs), dump(truth(seq), vrfs), `vrfs ${vrfs.join(',')} at ${seq}`);
      assert.deepEqual(at.config, truth(seq).config);
    }
  }
  await journal.close();
});

test('checkpoints are derived data: deleting them changes no answer, and the text cache is bounded', async () => {
  const events = history(2000);
  const { journal, timeline, truth } = await setup(events, 100);
  const before = await Promise.all([300, 1100, 1900].map((s) => timeline.ribAt(s)));
  await journal.derived.clear();
  const after = await Promise.all([300, 1100, 1900].map((s) => timeline.ribAt(s)));
  assert.deepEqual(
    after.map((r) => dump(r)),
    before.map((r) => dump(r)),
  );
  assert.deepEqual(dump(after[1]!), dump(truth(1100)));
  await journal.close();

  const small = new MemoryJournal(clock());
  await small.append(events);
  const bounded = createApiIndexes(small, { timeline: { interval: 50, cacheBytes: 2000 } });
  await bounded.start();
  for (const seq of [100, 777, 1234, 1900]) {
    const replayed = new Rib();
    for await (const batch of small.read({ through: seq })) for (const env of batch) replayed.apply(env);
    assert.deepEqual(dump(await bounded.timeline.ribAt(seq)), dump(replayed), `at ${seq}`);
  }
  assert.ok(bounded.timeline.checkpointStats().cachedBytes <= 2000, 'cache bound kept');
  await small.close();
});

test('listeners see each route event with the paths of its prefix before and after', async () => {
  const journal = new MemoryJournal(clock());
  const indexes = createApiIndexes(journal);
  await indexes.start();
  const timeline = indexes.timeline;
  const seen: string[] = [];
  timeline.onApply((env, before, after) =>
    seen.push(
      `${env.seq}:${before.map((p) => p.interface).join('+')}>${after.map((p) => p.interface).join('+')}`,
    ),
  );
  await journal.append([
    {
      type: 'RouteDiscovered',
      vrf: 'a',
      family: 'ipv4',
      prefix: '10.0.0.0/24',
      interface: 'eth2',
      ifindex: 2,
      address: '10.0.0.2',
    },
    {
      type: 'RouteDiscovered',
      vrf: 'a',
      family: 'ipv4',
      prefix: '10.0.0.0/24',
      interface: 'eth1',
      ifindex: 1,
      address: '10.0.0.1',
    },
    {
      type: 'RouteVanished',
      vrf: 'a',
      family: 'ipv4',
      prefix: '10.0.0.0/24',
      interface: 'eth1',
      reason: 'link-down',
    },
  ]);
  assert.deepEqual(seen, ['1:>eth2', '2:eth2>eth1+eth2', '3:eth1+eth2>eth2']);
  await journal.close();
});

test('sharing the live RIB: no copy once caught up, answers and checkpoints as with its own', async () => {
  const events = history(3000);
  const journal = new MemoryJournal(clock());
  for (let i = 0; i < 2000; i += 7) await journal.append(events.slice(i, Math.min(i + 7, 2000)));
  const live = new Rib();
  const unfollow = await replayAndFollow(journal, [live]); // the runner's RIB: applied first
  const shared = createApiIndexes(journal, { timeline: { interval: 250, live } });
  await shared.start();
  // A rebuild from the journal owes checkpoints, so it replays with its own RIB, then drops it.
  assert.equal(shared.timeline.holdsOwnRib(), false, 'no copy of the RIB once caught up');
  for (let i = 2000; i < events.length; i += 7) await journal.append(events.slice(i, i + 7));
  assert.equal(shared.timeline.seq, journal.head());
  const all: Envelope[] = [];
  for await (const batch of journal.read()) all.push(...batch);
  const truth = (seq: number): Rib => {
    const rib = new Rib();
    for (const env of all) if (env.seq <= seq) rib.apply(env);
    return rib;
  };
  assert.ok(shared.timeline.checkpointStats().written >= 11, 'checkpoints taken while sharing');
  // Every seq written while sharing (a checkpoint is never the live RIB a few events on).
  await shared.history.flush();
  const running = truth(1999);
  for (const env of all.filter((x) => x.seq >= 2000)) {
    running.apply(env);
    assert.deepEqual(dump(await shared.timeline.ribAt(env.seq)), dump(running), `shared at ${env.seq}`);
  }
  // Its own RIB (no live one) in the same store answers the same.
  const own = createApiIndexes(journal, { timeline: { interval: 250 } });
  await own.start();
  for (const seq of [0, 1, 251, 1999, 2000, 2260, 2777, journal.head()]) {
    assert.deepEqual(dump(await shared.timeline.ribAt(seq)), dump(truth(seq)), `shared at ${seq}`);
    assert.deepEqual(
      dump(await own.timeline.ribAt(seq, ['a']), ['a']),
      dump(truth(seq), ['a']),
      `own at ${seq}`,
    );
  }
  await shared.stop();
  await own.stop();

  // A restart from the derived data with the live RIB at the head restores no copy at all.
  const again = createApiIndexes(journal, { timeline: { interval: 250, live } });
  await again.start();
  assert.ok(again.readiness().ready);
  assert.equal(again.timeline.holdsOwnRib(), false);
  await journal.append(events.slice(0, 300)); // more checkpoints owed while sharing
  for await (const batch of journal.read({ after: all.length })) all.push(...batch);
  assert.ok(again.timeline.checkpointStats().written >= 1, 'a checkpoint taken after the restart');
  for (const seq of [2999, 3100, journal.head()])
    assert.deepEqual(dump(await again.timeline.ribAt(seq)), dump(truth(seq)), `after restart at ${seq}`);
  await again.stop();
  unfollow();
  await journal.close();
});
