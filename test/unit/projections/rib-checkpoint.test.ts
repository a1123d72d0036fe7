import { test } from 'node:test';
import { deflateSync } from 'node:zlib';
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
  lastReencoded,
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
  // The same paths; a VRF restored segment by segment holds them in another order.
  const lines = (r: Rib, vrf: string): string[] => encodeVrfPaths(r, vrf).split('\n').sort();
  for (const vrf of a.vrfNames()) assert.deepEqual(lines(a, vrf), lines(b, vrf), vrf);
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
  const seqAtCall = rib.seq;
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
  assert.equal(restored.seq, seqAtCall, 'the checkpoint is at the seq the RIB had when it was called');
  assert.ok(rib.seq > seqAtCall + 40);
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

/** A checkpoint of `rib` in `format`, each VRF's text (one segment per VRF) made bytes by `segment`. */
function checkpointOf(rib: Rib, format: 2 | 3, segment: (text: string) => Buffer): Buffer {
  const segs = rib.vrfNames().map((vrf) => [vrf, segment(encodeVrfPaths(rib, vrf))] as const);
  const header = {
    format,
    seq: rib.seq,
    time: rib.time,
    config: rib.config ?? null,
    vrfs: segs.map(([vrf, b]) => [vrf, b.length]),
  };
  return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), ...segs.map(([, b]) => b)]);
}

/** As the previous build wrote it (format 2: one text, VRF after VRF). */
const format2 = (rib: Rib): Buffer => checkpointOf(rib, 2, (text) => Buffer.from(text));
/** Format 3 with each VRF's text passed through `spoil` before compression. */
const format3 = (rib: Rib, spoil: (text: string) => string): Buffer =>
  checkpointOf(rib, 3, (text) => deflateSync(spoil(text), { level: 1 }));

test('a damaged, truncated or stale checkpoint is ignored: start-up replays the journal instead', async () => {
  const { journal, rib, unfollow } = await journalWithRib();
  await saveRibCheckpoint(journal, rib);
  const stored = (await readStoredCheckpoint(journal, RIB_CHECKPOINT_KEY))!;
  sameRib((await loadRibCheckpoint(journal))!, rib);
  assert.deepEqual(
    format3(rib, (x) => x),
    stored,
    'the format is as this test builds it',
  );
  // The previous build's format, plain or compressed, is read too.
  const good = format2(rib);
  for (const old of [good, deflateSync(good)]) {
    await journal.putMeta(RIB_CHECKPOINT_KEY, old);
    sameRib((await loadRibCheckpoint(journal))!, rib);
  }

  const text = good.toString('utf8');
  const nl = stored.indexOf(0x0a);
  // The header is plain JSON, the rest binary: latin1 maps each byte to one character and back.
  const header = (b: Buffer, from: string, to: string): Buffer =>
    Buffer.from(b.toString('latin1').replace(from, to), 'latin1');
  const cases: [string, Buffer][] = [
    ['truncated', stored.subarray(0, stored.length - 9)],
    ['one byte short', stored.subarray(0, stored.length - 1)],
    ['a VRF text damaged', Buffer.from(stored).fill(0x20, stored.length - 6, stored.length - 2)],
    ['a damaged path line', format3(rib, (x) => x.replace('\teth1\t3\t', '\teth1\tx\t'))],
    ['a VRF text missing its final newline', format3(rib, (x) => x.slice(0, -1) + '\t')],
    ['a damaged header', Buffer.concat([Buffer.from('{"format":3,"seq":'), stored.subarray(nl)])],
    ['previous format, truncated in the middle of a line', good.subarray(0, good.length - 9)],
    [
      'previous format, truncated to its last newline',
      good.subarray(0, good.lastIndexOf(0x0a, good.length - 2) + 1),
    ],
    ['previous format, missing its final newline', good.subarray(0, good.length - 1)],
    ['previous format, compressed and truncated', deflateSync(good).subarray(0, -9)],
    ['garbage', Buffer.from([0xff, 0x00, 0x13, 0x37])],
    ['empty', Buffer.alloc(0)],
    ['of an unknown format', header(stored, '"format":3', '"format":99')],
    ['newer than the journal', header(stored, `"seq":${rib.seq}`, `"seq":${rib.seq + 10}`)],
    [
      'of another journal (another time at its seq)',
      header(stored, `"time":${rib.time}`, `"time":${rib.time + 1}`),
    ],
    [
      'previous format, of another journal',
      Buffer.from(text.replace(`"time":${rib.time}`, `"time":${rib.time + 1}`)),
    ],
  ];
  for (const [what, buf] of cases) {
    await journal.putMeta(RIB_CHECKPOINT_KEY, buf);
    assert.equal(await loadRibCheckpoint(journal), undefined, what);
  }
  unfollow();
});

test('an incremental checkpoint encodes again only the VRFs changed since the last one, and equals a full one', async () => {
  const { journal, rib, unfollow } = await journalWithRib();
  await journal.append([d('b', '10.1.0.0/24'), d('c', '10.2.0.0/24')]);
  const stored = async (): Promise<Buffer> => (await readStoredCheckpoint(journal, RIB_CHECKPOINT_KEY))!;
  await saveRibCheckpoint(journal, rib);
  const vrfs = (): string[] => lastReencoded(rib).map(([vrf]) => vrf);
  assert.deepEqual(vrfs(), ['', 'a', 'b', 'c'], 'the first checkpoint encodes every VRF');

  await journal.append([d('b', '10.1.1.0/24'), v('b', '10.1.0.0/24')]);
  await saveRibCheckpoint(journal, rib);
  assert.deepEqual(vrfs(), ['b'], 'a change in one VRF encodes that VRF only');
  sameRib(decodeRibCheckpoint(await stored())!, decodeRibCheckpoint(encodeRibCheckpoint(rib))!); // = a full one
  sameRib((await loadRibCheckpoint(journal))!, rib);

  await saveRibCheckpoint(journal, rib);
  assert.deepEqual(vrfs(), [], 'nothing changed: nothing encoded again');
  sameRib(decodeRibCheckpoint(await stored())!, decodeRibCheckpoint(encodeRibCheckpoint(rib))!);

  // Commits while it runs, into VRFs it reuses and one it encodes: the checkpoint is the RIB when called,
  // and the VRFs those commits touched are encoded again by the next one.
  await journal.append([d('c', '10.2.1.0/24')]);
  const atCall = decodeRibCheckpoint(encodeRibCheckpoint(rib))!;
  let turns = 0;
  await saveRibCheckpoint(journal, rib, {
    slice: 1,
    yieldNow: async () => {
      if (turns++ === 0)
        await journal.append([d('a', '10.0.99.0/24'), v('c', '10.2.1.0/24'), d('c', '10.2.9.0/24')]);
      await new Promise((r) => setImmediate(r));
    },
  });
  assert.ok(turns > 0);
  assert.deepEqual(vrfs(), ['c']);
  sameRib(decodeRibCheckpoint(await stored())!, atCall); // the RIB as it was when called
  await saveRibCheckpoint(journal, rib);
  assert.deepEqual(vrfs(), ['a', 'c']);
  sameRib(decodeRibCheckpoint(await stored())!, decodeRibCheckpoint(encodeRibCheckpoint(rib))!);
  sameRib((await loadRibCheckpoint(journal))!, rib);
  unfollow();
});

test('a large VRF is cut into segments: a change encodes again the segment of its prefix only', async () => {
  const journal = new MemoryJournal();
  const rib = new Rib();
  const unfollow = await replayAndFollow(journal, [rib]);
  const big = (i: number): JournalEvent => d('big', `10.${i >> 8}.${i & 255}.0/24`);
  for (let i = 0; i < 5000; i += 500) await journal.append(Array.from({ length: 500 }, (_, k) => big(i + k)));
  await journal.append([d('small', '192.0.2.0/24')]);
  await saveRibCheckpoint(journal, rib);
  assert.deepEqual(lastReencoded(rib), [
    ['big', 16, 16],
    ['small', 1, 1],
  ]);
  await journal.append([v('big', '10.0.7.0/24'), d('big', '10.0.7.0/24', 'eth9', 9)]);
  await saveRibCheckpoint(journal, rib);
  assert.deepEqual(lastReencoded(rib), [['big', 1, 16]], 'one segment of sixteen');
  const stored = (await readStoredCheckpoint(journal, RIB_CHECKPOINT_KEY))!;
  sameRib(decodeRibCheckpoint(stored)!, decodeRibCheckpoint(encodeRibCheckpoint(rib))!); // = a full one
  sameRib((await loadRibCheckpoint(journal))!, rib);
  unfollow();
});

test('segments go to compression a couple at a time, each joined just before (no step hands over all)', async () => {
  const journal = new MemoryJournal();
  const rib = new Rib();
  const unfollow = await replayAndFollow(journal, [rib]);
  const big = (i: number): JournalEvent => d('big', `10.${i >> 8}.${i & 255}.0/24`);
  for (let i = 0; i < 10_000; i += 1000)
    await journal.append(Array.from({ length: 1000 }, (_, k) => big(i + k)));
  let inFlight = 0;
  let most = 0;
  let calls = 0;
  const buf = await encodeRibCheckpointSliced(rib, {
    full: true,
    compress: async (text) => {
      calls++;
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return deflateSync(text, { level: 1 });
    },
  });
  assert.equal(calls, 32, 'a 10k-path VRF is 32 segments');
  assert.ok(most <= 2, `at most 2 segments in compression at once (saw ${most})`);
  sameRib(decodeRibCheckpoint(buf)!, rib);
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
