import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JournalEvent } from '../../../src/events/index.js';
import { MemoryJournal } from '../../../src/journal/index.js';
import {
  HistoryIndex,
  replayAndFollow,
  MIN_PENDING_MERGE,
  PrefixOrder,
  coveringPrefixes,
  prefixSortKey,
  seqsBetween,
  withinKeyRange,
} from '../../../src/projections/index.js';

const d = (vrf: string, prefix: string, iface = 'eth1'): JournalEvent => ({
  type: 'RouteDiscovered',
  vrf,
  family: prefix.includes(':') ? 'ipv6' : 'ipv4',
  prefix,
  interface: iface,
  ifindex: 3,
  address: '10.0.0.1',
});
const v = (vrf: string, prefix: string, iface = 'eth1'): JournalEvent => ({
  type: 'RouteVanished',
  vrf,
  family: prefix.includes(':') ? 'ipv6' : 'ipv4',
  prefix,
  interface: iface,
  reason: 'link-down',
});
const cfg: JournalEvent = { type: 'ConfigApplied', configVersion: 1, vrfs: [], neighbors: [] };

async function index(events: JournalEvent[]): Promise<HistoryIndex> {
  const journal = new MemoryJournal();
  for (const event of events) await journal.append([event]);
  const h = new HistoryIndex(journal);
  await replayAndFollow(journal, [h]);
  return h;
}

const all = { after: 0, through: Number.MAX_SAFE_INTEGER };

test('the index names every event of a prefix, of a VRF, and every config, in seq order', async () => {
  const h = await index([
    cfg,
    d('red', '10.0.0.0/24'),
    d('', '10.0.0.0/24'),
    v('red', '10.0.0.0/24'),
    d('red', '10.0.1.0/24'),
    cfg,
  ]);
  const seqs = async (p: Promise<{ seq: number }[]>): Promise<number[]> => (await p).map((e) => e.seq);
  // Before and after the index's write to the derived store: the same answers.
  for (const round of [1, 2]) {
    assert.deepEqual(await seqs(h.prefixEvents('red', '10.0.0.0/24', all)), [2, 4], `round ${round}`);
    assert.deepEqual(await seqs(h.prefixEvents('', '10.0.0.0/24', all)), [3]);
    assert.deepEqual(await seqs(h.prefixEvents('blue', '10.0.0.0/24', all)), []);
    assert.deepEqual(await seqs(h.vrfEvents('red', all)), [2, 4, 5]);
    assert.deepEqual(await seqs(h.vrfEvents('red', { after: 2, through: 4 })), [4]);
    assert.deepEqual(await seqs(h.configEvents(all)), [1, 6]);
    assert.equal((await h.configAt(5))?.seq, 1);
    assert.deepEqual(await seqs(h.vrfEvents('red', { ...all, limit: 2, reverse: true })), [5, 4]);
    await h.flush();
    assert.equal(h.unwritten(), 0);
  }
  assert.equal(h.seq, 6);
  assert.deepEqual(seqsBetween([2, 4, 5, 9], 2, 5), [4, 5]);
  assert.deepEqual(seqsBetween([2, 4, 5, 9], 0, 100), [2, 4, 5, 9]);
});

test('prefixes of a VRF come in address order, IPv4 first, shorter first at the same address', async () => {
  const h = await index([
    d('red', '10.0.1.0/24'),
    d('red', '2001:db8::/64'),
    d('red', '9.0.0.0/8'),
    d('red', '10.0.0.0/16'),
    d('red', '10.0.0.0/24'),
    d('red', '192.168.0.0/16'),
  ]);
  const order = h.prefixOrder('red');
  assert.deepEqual(
    order.keys().map((k) => order.prefixOf(k)),
    ['9.0.0.0/8', '10.0.0.0/16', '10.0.0.0/24', '10.0.1.0/24', '192.168.0.0/16', '2001:db8::/64'],
  );
});

test('a batch of insertions is merged into what is already sorted', () => {
  const o = new PrefixOrder();
  for (const p of ['10.0.5.0/24', '10.0.1.0/24']) o.add(p);
  assert.equal(o.keys().length, 2);
  for (const p of ['10.0.3.0/24', '10.0.0.0/24', '10.0.1.0/24', '10.0.9.0/24']) o.add(p);
  assert.deepEqual(
    o.keys().map((k) => o.prefixOf(k)),
    ['10.0.0.0/24', '10.0.1.0/24', '10.0.3.0/24', '10.0.5.0/24', '10.0.9.0/24'],
  );
});

test('a flood of new prefixes nobody reads is merged into the order in bounded batches, in address order', () => {
  const o = new PrefixOrder();
  let most = 0;
  for (let i = 0; i < 50_000; i++) {
    // Round robin over 100 /16s, as the flood bench adds them: every batch lands all over the order.
    const k = Math.floor(i / 100);
    o.add(`10.${i % 100}.${k >> 8}.${k & 255}/32`);
    most = Math.max(most, o.unmerged);
  }
  assert.ok(most <= Math.max(MIN_PENDING_MERGE, 50_000 / 8), `at most ${most} keys waited unmerged`);
  assert.equal(o.size, 50_000);
  const keys = o.keys();
  assert.equal(keys.length, 50_000);
  for (let i = 1; i < keys.length; i++) assert.ok(keys[i - 1]! < keys[i]!, `keys ${i - 1} and ${i} in order`);
  assert.equal(o.prefixOf(keys[0]!), '10.0.0.0/32');
  assert.equal(o.prefixOf(keys[keys.length - 1]!), '10.99.1.243/32');
});

test('the prefixes within a prefix are exactly one contiguous key range', () => {
  const all = [
    '10.0.0.0/8',
    '10.1.0.0/16',
    '10.1.0.0/24',
    '10.1.255.0/24',
    '10.1.255.255/32',
    '10.2.0.0/16',
    '10.0.255.0/24',
    '11.0.0.0/8',
  ];
  const { lo, hi } = withinKeyRange('10.1.0.0/16');
  const inside = all.filter((p) => prefixSortKey(p) >= lo && prefixSortKey(p) <= hi).sort();
  assert.deepEqual(inside, ['10.1.0.0/16', '10.1.0.0/24', '10.1.255.0/24', '10.1.255.255/32']);
  const v6 = withinKeyRange('2001:db8::/32');
  assert.ok(prefixSortKey('2001:db8:1::/48') >= v6.lo && prefixSortKey('2001:db8:1::/48') <= v6.hi);
  assert.ok(!(prefixSortKey('2001:db9::/48') <= v6.hi));
});

test('the prefixes containing a prefix are its masks, shortest first', () => {
  const c = coveringPrefixes('10.1.2.0/24');
  assert.equal(c.length, 25);
  assert.equal(c[0], '0.0.0.0/0');
  assert.equal(c[8], '10.0.0.0/8');
  assert.equal(c[24], '10.1.2.0/24');
  assert.deepEqual(coveringPrefixes('2001:db8::/33').slice(-2), ['2001:db8::/32', '2001:db8::/33']);
});

test('a prefix read again answers from its cached list plus what was committed since, exactly', async () => {
  const journal = new MemoryJournal();
  const events: JournalEvent[] = [cfg];
  for (let i = 0; i < 300; i++) {
    const prefix = `10.0.${i % 3}.0/24`;
    events.push(i % 2 === 0 ? d('red', prefix, `eth${i % 4}`) : v('red', prefix, `eth${(i - 1) % 4}`));
  }
  for (const event of events.slice(0, 200)) await journal.append([event]);
  const cachedIx = new HistoryIndex(journal);
  const plain = new HistoryIndex(journal, { prefixCacheEvents: 0 });
  await replayAndFollow(journal, [cachedIx, plain]);
  const windows = (head: number) => [
    { after: 0, through: head },
    { after: 0, through: Number.MAX_SAFE_INTEGER },
    { after: 17, through: head - 5 },
    { after: 0, through: head, limit: 3 },
    { after: 0, through: head, limit: 2, reverse: true },
    { after: 50, through: 120, reverse: true },
  ];
  const ask = async (ix: HistoryIndex, head: number): Promise<number[][]> => {
    const out: number[][] = [];
    for (const w of windows(head))
      for (const p of ['10.0.0.0/24', '10.0.1.0/24', '10.0.9.0/24'])
        out.push((await ix.prefixEvents('red', p, w)).map((e) => e.seq));
    return out;
  };
  assert.deepEqual(await ask(cachedIx, journal.head()), await ask(plain, journal.head()));
  for (const event of events.slice(200)) await journal.append([event]);
  await cachedIx.flush();
  assert.deepEqual(await ask(cachedIx, journal.head()), await ask(plain, journal.head()));
  assert.equal((await cachedIx.prefixEvents('red', '10.0.1.0/24', all)).length, 100);
  await journal.close();
});

test('the prefix order keeps the text of every prefix, IPv4 derived from its key, and knows what it never saw', () => {
  const o = new PrefixOrder();
  const texts = [
    '10.1.0.0/24',
    '2001:db8::/32',
    '192.168.7.1/32',
    '0.0.0.0/0',
    '2001:db8:0:1::/64',
    '010.9.0.0/24',
  ];
  for (const p of texts.slice(0, 3)) o.add(p);
  assert.deepEqual(
    o.keys().map((k) => o.prefixOf(k)),
    ['10.1.0.0/24', '192.168.7.1/32', '2001:db8::/32'],
  );
  for (const p of texts) o.add(p);
  assert.equal(o.size, 6);
  for (const p of texts) assert.equal(o.prefixOf(prefixSortKey(p)), p);
  assert.equal(o.prefixOf(prefixSortKey('10.2.0.0/24')), undefined);
  assert.equal(o.has(prefixSortKey('10.2.0.0/24')), false);
});
