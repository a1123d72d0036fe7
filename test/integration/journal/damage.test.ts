// Issue 10.1: one byte changed inside a stored block of a real LevelDB journal. `serve` refuses to start
// (pointing to journal verify and recover); with --allow-damaged it serves what lies outside the damaged
// range, and every answer that depends on it fails with JOURNAL_DAMAGED naming it, /readyz says why and
// the metrics count it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { openLevelJournal, verifyJournal } from '../../../src/journal/index.js';
import { kubelbScenario } from './kubelb.js';
import { sampleEvents } from '../../unit/journal/contract.js';
import { parseExposition, value } from '../../unit/metrics/prom-text.js';
import { gql, http, startServe } from '../ops/harness.js';

/** Flips one byte inside the records of the block that holds `seq` (the journal must be closed). */
async function flipByteNear(dir: string, seq: number): Promise<void> {
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  try {
    const key = Buffer.alloc(9);
    key[0] = 0x65; // 'e'
    key.writeBigUInt64BE(BigInt(seq), 1);
    const [entry] = await db.iterator({ lte: key, gte: Buffer.from('e'), reverse: true, limit: 1 }).all();
    assert.ok(entry, `a block at or before seq ${seq}`);
    const [k, v] = entry;
    const at = Math.floor(v.length / 2);
    v.writeUInt8(v.readUInt8(at) ^ 0x10, at);
    await db.put(k, v, { sync: true });
  } finally {
    await db.close();
  }
}

test('a journal with a flipped byte is refused by serve, and served honestly with --allow-damaged', async (t) => {
  const { ns, dir, file } = await kubelbScenario(t);
  const jdir = join(dir, 'journal');
  // 3000 events in blocks of 300 (large enough that compaction leaves them alone).
  const writer = await openLevelJournal(jdir, { compaction: false });
  for (let i = 0; i < 10; i++) await writer.append(sampleEvents(300, i * 300));
  await writer.close();
  await flipByteNear(jdir, 1900);
  const report = await verifyJournal(jdir);
  assert.equal(report.ok, false);
  const bad = report.firstBadSeq!;
  assert.ok(bad > 1800 && bad <= 2100, `damage inside block e/1801 (first bad seq ${bad})`);
  const range = { first: bad, last: 2100 };

  // Without --allow-damaged: refused, non-zero, pointing to verify and recover.
  const refused = startServe(ns, ['-f', file, '--journal', jdir, '--api', '127.0.0.1:0'], {
    inside: false,
  });
  const code = await refused.exited;
  assert.notEqual(code, 0, 'serve refuses a damaged journal');
  const out = refused.output();
  assert.match(out, new RegExp(`events ${bad}\\.\\.2100 failed their checksum`));
  assert.match(out, /Refusing to serve a damaged journal/);
  assert.match(out, /ribjournal journal verify/);
  assert.match(out, /ribjournal journal recover/);
  assert.match(out, /--allow-damaged/);
  assert.ok(!refused.logs.some((l) => l.msg === 'ready'), 'never says ready');

  // With --allow-damaged: up, but never quiet about it.
  const serve = startServe(ns, ['-f', file, '--journal', jdir, '--api', '127.0.0.1:0', '--allow-damaged'], {
    inside: false,
  });
  const open = await serve.waitLog((l) => l.msg === 'API port open; the daemon is starting', 'API port');
  const base = String(open['url']).replace(/\/graphql$/, '');
  const logged = await serve.waitLog(
    (l) => typeof l.msg === 'string' && l.msg.startsWith('journal damaged'),
    'the damage logged',
  );
  assert.equal(logged['damagedFirstSeq'], range.first);
  assert.equal(logged['damagedLastSeq'], range.last);
  await serve.waitLog((l) => l.msg === 'ready', 'ready');

  const readyz = await http(undefined, `${base}/readyz`);
  assert.equal(readyz.status, 503, '/readyz fails while the journal is damaged');
  assert.match(readyz.body, new RegExp(`journal damaged: events ${bad}\\.\\.2100`));
  const metrics = parseExposition((await http(undefined, `${base}/metrics`)).body);
  assert.equal(value(metrics, 'ribjournal_journal_damaged_ranges'), 1);
  assert.equal(value(metrics, 'ribjournal_journal_damaged_events'), 2100 - bad + 1);

  const url = `${base}/graphql`;
  const damaged = (r: { errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }) => {
    const e = r.errors?.[0];
    assert.equal(e?.extensions?.['code'], 'JOURNAL_DAMAGED', JSON.stringify(r));
    assert.equal(e?.extensions?.['damagedFirstSeq'], String(range.first));
    assert.equal(e?.extensions?.['damagedLastSeq'], String(range.last));
  };
  // The RIB at or after the damage, now, and a diff or history through it: JOURNAL_DAMAGED.
  damaged(await gql(undefined, url, `{ rib(vrf: "customer-a", at: "${bad + 50}") { totalCount } }`));
  damaged(await gql(undefined, url, '{ rib(vrf: "customer-a") { totalCount } }'));
  damaged(await gql(undefined, url, `{ diff(vrf: "customer-a", from: "1", to: "${bad}") { addedCount } }`));
  damaged(await gql(undefined, url, '{ history(vrf: "customer-a", prefix: "10.0.3.0/24") { totalCount } }'));
  damaged(await gql(undefined, url, `{ events(after: "${bad - 5}", first: 10) { nodes { seq } } }`));
  // Outside the range: served.
  const before = await gql<{ rib: { totalCount: number } }>(
    undefined,
    url,
    `{ rib(vrf: "customer-a", at: "${bad - 1}") { totalCount } }`,
  );
  assert.equal(before.errors, undefined, JSON.stringify(before.errors));
  assert.ok((before.data?.rib.totalCount ?? 0) > 0, 'the RIB before the damage is served');
  const afterRange = await gql<{ events: { nodes: { seq: string }[] } }>(
    undefined,
    url,
    '{ events(after: "2100", first: 5) { nodes { seq } } }',
  );
  assert.equal(afterRange.errors, undefined, JSON.stringify(afterRange.errors));
  assert.deepEqual(
    afterRange.data?.events.nodes.map((n) => n.seq),
    ['2101', '2102', '2103', '2104', '2105'],
  );
  assert.equal(await serve.stop(), 0);
});
