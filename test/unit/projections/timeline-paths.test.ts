// The timeline's checkpoint columns (timeline/paths-columns.ts) and the Rib's bulk restore: the same RIB
// as re-applying each path's RouteDiscovered; columns that do not hold paths are damage (never a hang),
// and a damaged checkpoint (even with a good checksum) changes no time-travel answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryJournal } from '../../../src/journal/index.js';
import { DerivedDamage, Rib, createApiIndexes, sharedVrfPaths } from '../../../src/projections/index.js';
import type { SharedVrf } from '../../../src/projections/index.js';
import type { Envelope, JournalEvent, RouteDiscovered } from '../../../src/events/index.js';
import {
  decodeVrfColumns,
  encodeVrfColumns,
  readVrfColumns,
} from '../../../src/projections/timeline/paths-columns.js';
import { checkpointRange, sealed, vrfPathsKey } from '../../../src/projections/derived/index.js';
import { scaled, waitFor } from '../../helpers/deadline.js';

function route(i: number, up: boolean): JournalEvent {
  const prefix = i % 3 === 0 ? `2001:db8:${i}::/64` : `10.${i % 7}.${i % 50}.0/24`;
  return up
    ? {
        type: 'RouteDiscovered',
        vrf: i % 2 === 0 ? 'a' : '',
        family: prefix.includes(':') ? 'ipv6' : 'ipv4',
        prefix,
        interface: `eth${i % 4}`,
        ifindex: 1 + (i % 4),
        address: prefix.replace(/0?\/\d+$/, '1'),
      }
    : {
        type: 'RouteVanished',
        vrf: i % 2 === 0 ? 'a' : '',
        family: prefix.includes(':') ? 'ipv6' : 'ipv4',
        prefix,
        interface: `eth${i % 4}`,
        reason: 'link-down',
      };
}

function dump(rib: Rib): unknown {
  return rib.vrfNames().map((vrf) => ({
    vrf,
    counts: rib.countsOf(vrf),
    paths: [...rib.entries(vrf)].sort(([x], [y]) => (x < y ? -1 : 1)),
  }));
}

/** A journal of 600 route events (every fifth a RouteVanished), in batches of five. */
async function routeJournal(): Promise<MemoryJournal> {
  let t = 1_000_000;
  const journal = new MemoryJournal({ nowMicros: () => (t += 1000) });
  for (let i = 0; i < 600; i += 5)
    await journal.append(Array.from({ length: 5 }, (_, j) => route(i + j, (i + j) % 5 !== 4)));
  return journal;
}

/** The RIB replayed from the journal up to `seq`: what time travel must answer. */
async function replayed(journal: MemoryJournal, seq: number): Promise<Rib> {
  const rib = new Rib();
  for await (const batch of journal.read({ through: seq })) for (const env of batch) rib.apply(env);
  return rib;
}

/** The route journal with its API indexes started (a checkpoint every 100 events), logging damage. */
async function indexedJournal(): Promise<{
  journal: MemoryJournal;
  damage: string[];
  note: (o: object, msg: string) => number;
  ix: ReturnType<typeof createApiIndexes>;
  truth: (seq: number) => Promise<Rib>;
}> {
  const journal = await routeJournal();
  const damage: string[] = [];
  const note = (o: object, msg: string): number => damage.push(`${msg} ${JSON.stringify(o)}`);
  const ix = createApiIndexes(journal, {
    timeline: { interval: 100 },
    log: { info: () => undefined, warn: note, error: note },
  });
  await ix.start();
  await ix.history.flush();
  return { journal, damage, note, ix, truth: (seq) => replayed(journal, seq) };
}

test('parsed checkpoint paths restore exactly the RIB the events built', () => {
  const rib = new Rib();
  for (let i = 0; i < 400; i++)
    rib.apply({ seq: i + 1, time: 1_700_000_000_000_000 + i, version: 1, event: route(i, i % 5 !== 4) });
  const restored = new Rib();
  for (const vrf of rib.vrfNames())
    restored.restorePaths(decodeVrfColumns(vrf, encodeVrfColumns(rib, vrf), vrf));
  assert.deepEqual(dump(restored), dump(rib));
  assert.ok(rib.size() > 100);
  // Read from a buffer at an odd offset (as LevelDB hands them out), and with non-ASCII names.
  const odd = new Rib();
  odd.apply({
    seq: 7,
    time: 1_700_000_000_000_001,
    version: 1,
    event: { ...(route(1, true) as RouteDiscovered), vrf: 'vé', interface: 'ñic0' },
  });
  const columns = encodeVrfColumns(odd, 'vé');
  const shifted = Buffer.concat([Buffer.from([0]), columns]).subarray(1);
  assert.deepEqual(decodeVrfColumns('vé', shifted, 'x'), [...odd.allPaths()]);
});

test('columns that do not hold paths are damage: truncated, cut short, or inconsistent', () => {
  const rib = new Rib();
  for (let i = 0; i < 40; i++)
    rib.apply({ seq: i + 1, time: 1_700_000_000_000_000 + i, version: 1, event: route(i, true) });
  const good = encodeVrfColumns(rib, 'a');
  assert.equal(decodeVrfColumns('a', good, 'x').length, rib.size('a'));
  const n = rib.size('a');
  const edit = (f: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(good);
    f(b);
    return b;
  };
  for (const [why, bad] of [
    ['shorter than its head', good.subarray(0, 10)],
    ['the last byte missing', good.subarray(0, good.length - 1)],
    ['a byte too many', Buffer.concat([good, Buffer.from('x')])],
    ['half of it', good.subarray(0, good.length >> 1)],
    ['a count too large', edit((b) => b.writeUInt32LE(n + 1, 0))],
    ['a count too small', edit((b) => b.writeUInt32LE(n - 1, 0))],
    ['a huge count', edit((b) => b.writeUInt32LE(0xffffffff, 0))],
    ['a fraction of a seq', edit((b) => b.writeDoubleLE(1.5, 16))],
    ['an interface that is not named', edit((b) => b.writeUInt16LE(9, 16 + 20 * n))],
    ['a family neither 4 nor 6', edit((b) => (b[b.length - 1 - b.readUInt32LE(8)] = 5))],
    ['a prefix longer than the strings', edit((b) => b.writeUInt16LE(60000, 16 + 22 * n))],
    ['a prefix shorter than it was', edit((b) => b.writeUInt16LE(1, 16 + 22 * n))],
    ['text where columns belong', Buffer.from('not\ta path\n'.repeat(4))],
  ] as const)
    assert.throws(() => decodeVrfColumns('a', bad, 'x'), DerivedDamage, why);
});

test('a checkpoint text with a good checksum but damaged lines changes no answer and is reported', async () => {
  const { journal, damage, note, ix, truth } = await indexedJournal();
  // Every checkpoint's VRF "a" text replaced by a sealed line that is not a path.
  const [gte, lt] = checkpointRange(0, 1e9);
  const heads = await journal.derived.range({ gte, lt });
  assert.ok(heads.length >= 5);
  for (const seq of [100, 200, 300, 400, 500])
    await journal.derived.write([[vrfPathsKey(seq, 'a'), sealed(Buffer.from('not\ta path\n'.repeat(4)))]]);
  for (const seq of [150, 333, 599])
    assert.deepEqual(dump(await ix.timeline.ribAt(seq)), dump(await truth(seq)));
  assert.ok(
    damage.some((m) => m.includes('truncated or not columns')),
    damage.join('; '),
  );
  await ix.stop();

  // A restart beside the live RIB reads no checkpoint text; a time travel that meets the damage
  // answers from the journal and reports it.
  const live = await truth(journal.head());
  damage.length = 0;
  // (The damage found above was rebuilt: damage the rebuilt checkpoints again.)
  for (const seq of [100, 200, 300, 400, 500])
    await journal.derived.write([[vrfPathsKey(seq, 'a'), sealed(Buffer.from('not\ta path\n'.repeat(4)))]]);
  const again = createApiIndexes(journal, {
    timeline: { interval: 100, live },
    log: { info: () => undefined, warn: note, error: note },
  });
  await again.start();
  assert.ok(again.readiness().ready, 'ready without reading the damaged texts');
  assert.deepEqual(dump(await again.timeline.ribAt(550)), dump(await truth(550)));
  assert.ok(
    damage.some((m) => m.includes('truncated or not columns')),
    damage.join('; '),
  );
  await again.stop();
  await journal.close();
});

test(
  'a truncated checkpoint, or one of the text format before, changes no answer: reported, then rebuilt',
  { timeout: scaled(20_000) },
  async () => {
    const { journal, damage, ix, truth } = await indexedJournal();
    const stale = (): Buffer => {
      // What the previous build wrote: format 1, one text line per path (with its final newline).
      const v = sealed(Buffer.from('10.0.0.0/24\teth0\t2\t10.0.0.1\t5\t1700000000000000\n'));
      v[0] = 1;
      return v;
    };
    for (const [kind, edit] of [
      ['truncated', (v: Buffer): Buffer => v.subarray(0, v.length >> 1)],
      ['stale', (): Buffer => stale()],
    ] as const) {
      damage.length = 0;
      for (const seq of [200, 300]) {
        const key = vrfPathsKey(seq, 'a');
        const value = await journal.derived.get(key);
        assert.ok(value, `checkpoint ${seq} holds VRF "a"`);
        await journal.derived.write([[key, edit(value)]]);
      }
      for (const seq of [250, 333])
        assert.deepEqual(dump(await ix.timeline.ribAt(seq)), dump(await truth(seq)), `${kind} at ${seq}`);
      assert.ok(
        damage.some((m) =>
          m.includes(kind === 'truncated' ? 'fails its checksum' : 'has format 1, this build writes 2'),
        ),
        `${kind}: ${damage.join('; ')}`,
      );
      // Reported damage means a rebuild: afterwards the checkpoints read fine again.
      await waitFor(async () => {
        const value = await journal.derived.get(vrfPathsKey(300, 'a'));
        return value !== undefined && value.length > 8 && value[0] === 2 && ix.readiness().ready;
      }, 'checkpoints rebuilt');
      damage.length = 0;
      assert.deepEqual(dump(await ix.timeline.ribAt(333)), dump(await truth(333)));
      assert.deepEqual(damage, []);
    }
    await ix.stop();
    await journal.close();
  },
);

for (const lazily of [false, true])
  test(`Ribs adopting a shared VRF table${lazily ? ' filed from columns (paths read when asked for)' : ''} copy it before changing it: neither sees the other change`, () => {
    const rib = new Rib();
    for (let i = 0; i < 200; i++)
      rib.apply({ seq: i + 1, time: 1_700_000_000_000_000 + i, version: 1, event: route(i, true) });
    const columns = encodeVrfColumns(rib, 'a');
    const share = (): SharedVrf =>
      lazily
        ? Rib.shareVrfColumns('a', readVrfColumns('a', columns, 'a'))
        : Rib.shareVrf('a', decodeVrfColumns('a', columns, 'a'));
    const shared = share();
    const x = new Rib();
    const y = new Rib();
    x.adopt(shared);
    y.adopt(shared);
    // Read from another table filed alike: x changes `shared`'s paths before anything reads them.
    const before = JSON.stringify([...sharedVrfPaths(share())]);
    // Replace a path, add one beside it, remove one of several, remove a prefix's last, add a prefix.
    const events: Envelope[] = [];
    let seq = 1000;
    for (const i of [0, 2, 4, 6, 8]) {
      const up = route(i, true) as RouteDiscovered;
      events.push({ seq: ++seq, time: seq, version: 1, event: up });
      const beside: RouteDiscovered = { ...up, interface: 'eth9', ifindex: 9, address: up.address };
      events.push({ seq: ++seq, time: seq, version: 1, event: beside });
      events.push({ seq: ++seq, time: seq, version: 1, event: route(i, false) });
    }
    for (const i of [12, 14]) events.push({ seq: ++seq, time: seq, version: 1, event: route(i, false) });
    events.push({ seq: ++seq, time: seq, version: 1, event: route(10_000, true) });
    for (const env of events) x.apply(env);
    assert.notDeepEqual(dump(x), dump(y));
    assert.equal(JSON.stringify([...sharedVrfPaths(shared)]), before, 'the shared table is unchanged');
    const fresh = new Rib();
    fresh.restorePaths(sharedVrfPaths(shared));
    assert.deepEqual(dump(y), dump(fresh));
    // The changed copy holds what re-applying the paths' events and then the changes gives.
    const truth = new Rib();
    truth.restorePaths([...rib.allPaths()].filter((p) => p.vrf === 'a'));
    for (const env of events) truth.apply(env);
    assert.deepEqual(dump(x), dump(truth));
    // A path read twice reads the same (each read builds it afresh from the columns: a path a client
    // reads once dies young instead of being kept, and promoted, with the table).
    const lazy = new Rib();
    lazy.adopt(share());
    const [prefix] = [...rib.entries('a')][20]!;
    assert.deepEqual(lazy.lookup('a', prefix), lazy.lookup('a', prefix));
    assert.deepEqual(lazy.lookup('a', prefix), rib.lookup('a', prefix));
  });

test('changing a time-travel answer, or replaying past a checkpoint, changes no later answer', async () => {
  const journal = await routeJournal();
  const ix = createApiIndexes(journal, { timeline: { interval: 100 } });
  await ix.start();
  await ix.history.flush();
  const truth = (seq: number): Promise<Rib> => replayed(journal, seq);
  const answer = await ix.timeline.ribAt(300);
  assert.deepEqual(dump(answer), dump(await truth(300)));
  for (let i = 0; i < 50; i++)
    answer.apply({ seq: 1000 + i, time: 1000 + i, version: 1, event: route(i * 7, i % 3 === 0) });
  assert.deepEqual(dump(await ix.timeline.ribAt(300)), dump(await truth(300)));
  assert.deepEqual(dump(await ix.timeline.ribAt(377)), dump(await truth(377)));
  assert.deepEqual(dump(await ix.timeline.ribAt(300)), dump(await truth(300)));
  await ix.stop();
  await journal.close();
});
