// Readiness: the API port opens before the journal is replayed, /healthz answers at once, and /readyz
// turns true only once the replay and the first kernel reconcile are journaled (and the API's indexes
// caught up), as a Kubernetes probe sees it. The journal directory is private to its owner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JournalEvent } from '../../../src/events/index.js';
import { openLevelJournal } from '../../../src/journal/index.js';
import { createNetns } from '../../helpers/netns.js';
import { tempJournalDir } from '../../helpers/daemon.js';
import { parseExposition, value } from '../../unit/metrics/prom-text.js';
import { gql, http, startServe, until } from './harness.js';
import { scaled } from '../../helpers/deadline.js';

const CONFIG = `
[netlink]
  [netlink.import]
    enabled = true
    interface-list = ["kubelb0"]
`;

/** Route events that net out to an empty RIB: the daemon replays them all, the kernel has none. */
const FLAPS = Number(process.env['RIBJOURNAL_TEST_FLAPS'] ?? 150_000);

test('readyz is false while the journal replays and before the first reconcile, then true', async (t) => {
  const ns = await createNetns(t);
  await ns.addVeth('kubelb0', 'kubelb0-p');
  await ns.waitOperUp('kubelb0');
  await ns.addAddress('kubelb0', '192.0.2.10/32');
  const dir = await tempJournalDir(t);
  const file = join(dir, 'ribjournal.toml');
  await writeFile(file, CONFIG);

  // A journal with a long past, written before the daemon starts.
  const jdir = join(dir, 'var', 'lib', 'ribjournal');
  const journal = await openLevelJournal(jdir);
  const mode = (await stat(jdir)).mode & 0o777;
  assert.equal(
    mode,
    0o700,
    `the journal directory is created readable by its owner only (${mode.toString(8)})`,
  );
  for (let i = 0; i < FLAPS; i += 10_000) {
    const batch: JournalEvent[] = [];
    for (let k = i; k < Math.min(FLAPS, i + 10_000); k++) {
      const prefix = `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}/32`;
      const common = { vrf: '', family: 'ipv4' as const, prefix, interface: 'old0' };
      batch.push({ type: 'RouteDiscovered', ...common, ifindex: 9, address: prefix.slice(0, -3) });
      batch.push({ type: 'RouteVanished', ...common, reason: 'address-removed' });
    }
    await journal.append(batch);
  }
  const past = journal.head();
  await journal.close();

  const serve = startServe(ns, ['-f', file, '--journal', jdir, '--api', '127.0.0.1:0'], { inside: false });
  const open = await serve.waitLog((l) => l.msg === 'API port open; the daemon is starting', 'API port');
  const base = String(open['url']).replace(/\/graphql$/, '');
  const seen: number[] = [];
  let notReadyChecked = false;
  for (const deadline = Date.now() + scaled(60_000); ;) {
    const r = await http(undefined, `${base}/readyz`);
    if (seen[seen.length - 1] !== r.status) seen.push(r.status);
    if (r.status === 200) break;
    assert.equal(r.status, 503);
    if (!notReadyChecked) {
      notReadyChecked = true;
      // Alive all along, and the API says why it cannot answer yet.
      assert.equal((await http(undefined, `${base}/healthz`)).status, 200);
      const q = await gql(undefined, `${base}/graphql`, '{ journal { headSeq } }');
      if (q.status === 503) assert.equal(q.errors?.[0]?.extensions?.['code'], 'NOT_READY');
      const m = await http(undefined, `${base}/metrics`);
      assert.equal(m.status, 200);
      assert.equal(value(parseExposition(m.body), 'ribjournal_ready'), 0);
    }
    assert.ok(Date.now() < deadline, 'readyz never turned true');
    await new Promise((r) => setTimeout(r, 2));
  }
  assert.deepEqual(seen, [503, 200], 'not ready first, then ready, never back');

  // When ready: the replay is done and the reconcile's route is journaled and served.
  const q = await gql<{ journal: { headSeq: string }; rib: { nodes: { prefix: string }[] } }>(
    undefined,
    `${base}/graphql`,
    '{ journal { headSeq } rib { nodes { prefix } } }',
  );
  assert.equal(q.status, 200, JSON.stringify(q.errors));
  assert.deepEqual(
    q.data?.rib.nodes.map((n) => n.prefix),
    ['192.0.2.10/32'],
  );
  assert.ok(
    Number(q.data?.journal.headSeq) >= past + 2,
    'ConfigApplied and the reconciled route after the past',
  );
  const m = parseExposition((await http(undefined, `${base}/metrics`)).body);
  assert.equal(value(m, 'ribjournal_ready'), 1);
  assert.equal(value(m, 'ribjournal_journal_events_total', { type: 'RouteVanished' }), FLAPS);
  assert.equal(value(m, 'ribjournal_journal_events_total', { type: 'RouteDiscovered' }), FLAPS + 1);
  await until(
    'the ready log',
    async () => (serve.logs.some((l) => l.msg === 'ready') ? true : undefined),
    5000,
  );
  const order = serve.logs.map((l) => l.msg);
  assert.ok(order.indexOf('journal replayed') < order.indexOf('ready'));
  assert.equal(await serve.stop(), 0);
});
