import { test } from 'node:test';
import { inflateSync } from 'node:zlib';
import assert from 'node:assert/strict';
import type { JournalEvent } from '../../../src/events/index.js';
import { MemoryJournal } from '../../../src/journal/index.js';
import {
  RIB_CHECKPOINT_KEY,
  Rib,
  decodeRibCheckpoint,
  encodeRibCheckpoint,
  encodeRibCheckpointSliced,
  encodeVrfPaths,
  loadRibCheckpoint,
  readStoredCheckpoint,
  replayAndFollow,
  restoreVrfPaths,
  saveRibCheckpoint,
} from '../../../src/projections/index.js';
import { discovered, vanished } from '../api/fixture.js';

const d = (vrf: string, prefix: string, iface = 'eth1', ifindex = 3): JournalEvent =>
  discovered(vrf, prefix, iface, ifindex, prefix.split('/')[0]);
const v = (vrf: string, prefix: string, iface = 'eth1'): JournalEvent => vanished(vrf, prefix, iface);

/** A journal with some history and the RIB that follows it. */
async function journalWithRib(): Promise<{ journal: MemoryJournal; rib: Rib; unfollow: () => void }> {
  const journal = new MemoryJournal();
  await journal.append([
    {
      type: 'ConfigApplied',
      configVersion: 1,
      vrfs: [
        {
          name: 'a',
          rd: '65000:1',
          importRts: ['65000:1'],
          exportRts: ['65000:1'],
          label: 0,
          interfaces: ['eth1'],
        },
      ],
      neighbors: [],
    },
  ]);
  for (let i = 0; i < 40; i++)
    await journal.append([d('a', `10.0.${i}.0/24`), d('', `2001:db8:${i}::/64`, 'eth2', 4)]);
  await journal.append([v('a', '10.0.7.0/24')]);
  const rib = new Rib();
  const unfollow = await replayAndFollow(journal, [rib]);
  return { journal, rib, unfollow };
}

function sameRib(a: Rib, b: Rib): void {
  assert.equal(a.seq, b.seq);
  assert.equal(a.time, b.time);
  assert.deepEqual(a.config, b.config);
  assert.deepEqual(a.vrfNames(), b.vrfNames());
  for (const vrf of a.vrfNames()) assert.equal(encodeVrfPaths(a, vrf), encodeVrfPaths(b, vrf));
}

test('a checkpoint restores the RIB exactly; the sliced encoding equals the one-step encoding', async () => {
  const { rib, unfollow } = await journalWithRib();
  const sliced = await encodeRibCheckpointSliced(rib, { slice: 7 });
  assert.deepEqual(sliced, encodeRibCheckpoint(rib));
  sameRib(decodeRibCheckpoint(sliced)!, rib);
  unfollow();
});

test('the sliced encoding is exactly the RIB at its seq, though commits change the RIB while it reads', async () => {
  const { journal, rib, unfollow } = await journalWithRib();
  let turns = 0;
  const buf = await encodeRibCheckpointSliced(rib, {
    slice: 5,
    yieldNow: async () => {
      turns++;
      // Withdraw what was read already and what is still to come, re-add, add a new VRF.
      if (turns < 12)
        await journal.append([
          v('a', `10.0.${turns}.0/24`),
          v('', `2001:db8:${39 - turns}::/64`, 'eth2'),
          d('a', `10.9.${turns}.0/24`),
          d(`new-${turns % 2}`, `10.8.${turns}.0/24`),
        ]);
    },
  });
  assert.ok(turns >= 12, 'commits happened while it encoded');
  const restored = decodeRibCheckpoint(buf)!;
  const replayed = new Rib();
  for await (const batch of journal.read({ through: restored.seq }))
    for (const env of batch) replayed.apply(env);
  assert.ok(restored.seq > 81, 'the checkpoint is at the seq its reading ended');
  const lines = (r: Rib, vrf: string): string[] => encodeVrfPaths(r, vrf).split('\n').sort();
  assert.deepEqual(restored.vrfNames(), replayed.vrfNames());
  for (const vrf of replayed.vrfNames()) assert.deepEqual(lines(restored, vrf), lines(replayed, vrf), vrf);
  assert.equal(restored.time, replayed.time);
  unfollow();
});

test('a checkpoint text without its final newline is read to its end (it used to hang start-up)', () => {
  const rib = new Rib();
  restoreVrfPaths(
    rib,
    'a',
    '10.0.0.0/24\teth1\t3\t10.0.0.1\t5\t1000\n10.0.1.0/24\teth1\t3\t10.0.1.1\t6\t1001',
  );
  assert.equal(rib.size('a'), 2);
  assert.equal(rib.lookup('a', '10.0.1.0/24')[0]!.seq, 6);
});

test('a damaged, truncated or stale checkpoint is ignored: start-up replays the journal instead', async () => {
  const { journal, rib, unfollow } = await journalWithRib();
  await saveRibCheckpoint(journal, rib);
  const stored = (await readStoredCheckpoint(journal, RIB_CHECKPOINT_KEY))!;
  sameRib((await loadRibCheckpoint(journal))!, rib);
  const good = inflateSync(stored); // stored compressed; the plain text is read too
  await journal.putMeta(RIB_CHECKPOINT_KEY, good);
  sameRib((await loadRibCheckpoint(journal))!, rib);

  const text = good.toString('utf8');
  const nl = text.indexOf('\n');
  const cases: [string, Buffer][] = [
    ['compressed and truncated', stored.subarray(0, stored.length - 9)],
    ['truncated in the middle of a line', good.subarray(0, good.length - 9)],
    ['truncated to its last newline', good.subarray(0, good.lastIndexOf(0x0a, good.length - 2) + 1)],
    ['missing its final newline', good.subarray(0, good.length - 1)],
    ['a damaged header', Buffer.concat([Buffer.from('{"format":2,"seq":'), good.subarray(nl)])],
    ['a damaged path line', Buffer.from(text.replace('\teth1\t3\t', '\teth1\tx\t'))],
    ['garbage', Buffer.from([0xff, 0x00, 0x13, 0x37])],
    ['empty', Buffer.alloc(0)],
    ['of an unknown format', Buffer.from(text.replace('"format":2', '"format":99'))],
    ['newer than the journal', Buffer.from(text.replace(`"seq":${rib.seq}`, `"seq":${rib.seq + 10}`))],
    [
      'of another journal (another time at its seq)',
      Buffer.from(text.replace(`"time":${rib.time}`, `"time":${rib.time + 1}`)),
    ],
  ];
  for (const [what, buf] of cases) {
    await journal.putMeta(RIB_CHECKPOINT_KEY, buf);
    assert.equal(await loadRibCheckpoint(journal), undefined, what);
  }
  unfollow();
});

test('a checkpoint written by the previous build (format 1, JSON) is still read', async () => {
  const { journal, rib, unfollow } = await journalWithRib();
  const vrfs: Record<string, string> = {};
  for (const vrf of rib.vrfNames()) vrfs[vrf] = encodeVrfPaths(rib, vrf);
  const old = { format: 1, seq: rib.seq, time: rib.time, config: rib.config ?? null, vrfs };
  await journal.putMeta(RIB_CHECKPOINT_KEY, Buffer.from(JSON.stringify(old)));
  sameRib((await loadRibCheckpoint(journal))!, rib);
  unfollow();
});
