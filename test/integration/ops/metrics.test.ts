// /metrics scraped over HTTP while a namespace scenario runs: every value checked against what happened
// (the journal's own events, the interfaces' addresses, the observer child killed by pid, a change the
// observer missed and the resync that corrected it, an open subscription).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNetns } from '../../helpers/netns.js';
import { tempJournalDir } from '../../helpers/daemon.js';
import { kubelbConfig } from '../../helpers/configs.js';
import { parseExposition, value } from '../../unit/metrics/prom-text.js';
import type { Sample } from '../../unit/metrics/prom-text.js';
import { brief, childPids, gql, http, journalEvents, startServe, until } from './harness.js';
import type { EventRow } from './harness.js';

const TOKEN = 'metrics-test-token-5b1f';
const CONFIG = kubelbConfig();

function byType(events: readonly EventRow[]): Record<string, number> {
  const n: Record<string, number> = { ConfigApplied: 0, RouteDiscovered: 0, RouteVanished: 0 };
  for (const e of events) n[e.type] = (n[e.type] ?? 0) + 1;
  return n;
}

test('metrics follow a namespace scenario: events, paths, latency, observer restarts, drift corrected, subscriptions', async (t) => {
  const ns = await createNetns(t);
  await ns.addVeth('kubelb0', 'kubelb0-p');
  await ns.addVeth('eth1', 'eth1-p');
  await ns.waitOperUp('kubelb0');
  await ns.waitOperUp('eth1');
  await ns.addAddress('kubelb0', '192.0.2.10/32');
  await ns.addAddress('eth1', '10.1.0.1/24');
  await ns.addAddress('eth1', '2001:db8:1::1/64', { nodad: true });
  const dir = await tempJournalDir(t);
  const file = join(dir, 'ribjournal.toml');
  await writeFile(file, CONFIG);

  const serve = startServe(ns, ['-f', file, '--journal', join(dir, 'j'), '--api', '127.0.0.1:0'], {
    inside: false,
    env: { RIBJOURNAL_TOKEN: TOKEN },
  });
  const open = await serve.waitLog((l) => l.msg === 'API port open; the daemon is starting', 'API port');
  const url = String(open['url']);
  const metricsUrl = url.replace(/\/graphql$/, '/metrics');
  await until('ready', async () =>
    (await http(undefined, url.replace(/graphql$/, 'readyz'))).status === 200 ? true : undefined,
  );
  const scrape = async (): Promise<Sample[]> => {
    const started = performance.now();
    const r = await http(undefined, metricsUrl);
    assert.equal(r.status, 200, r.body);
    assert.match(r.headers['content-type'] ?? '', /^text\/plain/);
    assert.ok(performance.now() - started < 1000);
    return parseExposition(r.body);
  };
  const eventsMatch = async (): Promise<{ m: Sample[]; events: EventRow[] }> => {
    // The journal and the counters agree once nothing is in flight: scrape, read, scrape again.
    for (;;) {
      const before = await scrape();
      const events = await journalEvents(undefined, url);
      const m = await scrape();
      if (value(before, 'ribjournal_journal_head_seq') === value(m, 'ribjournal_journal_head_seq'))
        return { m, events };
    }
  };

  // --- start-up: the reconcile journaled the three addresses -----------------------------------------
  let { m, events } = await eventsMatch();
  let counts = byType(events);
  assert.deepEqual(
    counts,
    { ConfigApplied: 1, DaemonStarted: 1, RouteDiscovered: 3, RouteVanished: 0 },
    events.map(brief).join('\n'),
  );
  for (const [type, n] of Object.entries(counts)) {
    assert.equal(value(m, 'ribjournal_journal_events_total', { type }), n, type);
  }
  assert.equal(value(m, 'ribjournal_journal_head_seq'), events.length);
  assert.ok(value(m, 'ribjournal_journal_size_bytes')! > 0);
  assert.equal(value(m, 'ribjournal_rib_paths', { vrf: 'global', family: 'ipv4' }), 1);
  assert.equal(value(m, 'ribjournal_rib_paths', { vrf: 'customer-a', family: 'ipv4' }), 1);
  assert.equal(value(m, 'ribjournal_rib_paths', { vrf: 'customer-a', family: 'ipv6' }), 1);
  assert.equal(value(m, 'ribjournal_kernel_observer_restarts_total'), 0);
  assert.equal(value(m, 'ribjournal_reconcile_corrections_total'), 0);
  assert.equal(
    value(m, 'ribjournal_kernel_to_commit_seconds_count'),
    0,
    'the start-up dump is no notification',
  );
  assert.equal(value(m, 'ribjournal_ready'), 1);
  assert.equal(value(m, 'ribjournal_api_subscriptions_open'), 0);

  // --- live notifications: two more paths, each with its kernel -> commit latency ---------------------
  await ns.addAddress('eth1', '10.2.0.1/24');
  await ns.addAddress('kubelb0', '192.0.2.11/32');
  await until('two more paths', async () =>
    value(await scrape(), 'ribjournal_journal_events_total', { type: 'RouteDiscovered' }) === 5
      ? true
      : undefined,
  );
  ({ m, events } = await eventsMatch());
  assert.equal(value(m, 'ribjournal_rib_paths', { vrf: 'global', family: 'ipv4' }), 2);
  assert.equal(value(m, 'ribjournal_rib_paths', { vrf: 'customer-a', family: 'ipv4' }), 2);
  assert.equal(value(m, 'ribjournal_kernel_to_commit_seconds_count'), 2);
  const latency = value(m, 'ribjournal_kernel_to_commit_seconds_sum')!;
  assert.ok(latency > 0 && latency < 2, `kernel -> commit took ${latency} s for two events`);
  assert.equal(value(m, 'ribjournal_kernel_to_commit_seconds_bucket', { le: '+Inf' }), 2);

  // --- a subscription is counted while it is open ----------------------------------------------------
  const abort = new AbortController();
  const sub = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query: 'subscription { routeChanges { throughSeq } }' }),
    signal: abort.signal,
  });
  assert.equal(sub.status, 200);
  await until('the subscription counted', async () =>
    value(await scrape(), 'ribjournal_api_subscriptions_open') === 1 ? true : undefined,
  );
  abort.abort();
  await sub.body?.cancel().catch(() => undefined);
  await until('the subscription gone', async () =>
    value(await scrape(), 'ribjournal_api_subscriptions_open') === 0 ? true : undefined,
  );

  // --- the observer misses changes, dies, and its resync corrects the journal ------------------------
  // A reconcile forced meanwhile is answered by that resync: the first full scan begun after it asked.
  const [pid] = await childPids(serve.pid);
  assert.ok(pid !== undefined, 'the observer child runs');
  const before = events.length;
  process.kill(pid, 'SIGSTOP'); // its notifications pile up unread and die with it
  await ns.addAddress('eth1', '10.3.0.1/24');
  await ns.delAddress('kubelb0', '192.0.2.11/32');
  const forced = gql<{ reconcile: { corrections: number; headSeq: string } }>(
    undefined,
    url,
    'mutation { reconcile { corrections headSeq } }',
    TOKEN,
  );
  await serve.waitLog((l) => l.msg === 'reconcile requested through the API', 'the reconcile request');
  process.kill(pid, 'SIGKILL');
  const answer = await forced;
  assert.equal(answer.data?.reconcile.corrections, 2, JSON.stringify(answer));
  await until('the resync', async () => {
    const s = await scrape();
    return value(s, 'ribjournal_kernel_observer_restarts_total') === 1 &&
      value(s, 'ribjournal_reconcile_corrections_total')! >= 2
      ? true
      : undefined;
  });
  ({ m, events } = await eventsMatch());
  const corrected = events.slice(before).map(brief);
  assert.deepEqual(corrected.sort(), [
    '+ customer-a 10.3.0.0/24 eth1',
    '- global 192.0.2.11/32 kubelb0 reconcile',
  ]);
  assert.equal(value(m, 'ribjournal_reconcile_corrections_total'), corrected.length);
  assert.equal(answer.data?.reconcile.headSeq, events[events.length - 1]!.seq, 'answered once committed');
  assert.equal(value(m, 'ribjournal_kernel_observer_restarts_total'), 1);
  assert.equal(value(m, 'ribjournal_kernel_to_commit_seconds_count'), 2, 'a resync is not a notification');
  counts = byType(events);
  for (const [type, n] of Object.entries(counts)) {
    assert.equal(value(m, 'ribjournal_journal_events_total', { type }), n, type);
  }
  assert.notDeepEqual(await childPids(serve.pid), [pid]);

  // --- a forced reconcile when nothing drifted corrects nothing --------------------------------------
  const head = value(m, 'ribjournal_journal_head_seq');
  const r = await gql<{ reconcile: { corrections: number; headSeq: string } }>(
    undefined,
    url,
    'mutation { reconcile { corrections headSeq } }',
    TOKEN,
  );
  assert.deepEqual(
    r.data,
    { reconcile: { corrections: 0, headSeq: String(head) } },
    JSON.stringify(r.errors),
  );
  m = await scrape();
  assert.equal(value(m, 'ribjournal_reconcile_corrections_total'), corrected.length);
  assert.equal(value(m, 'ribjournal_journal_head_seq'), head);

  assert.equal(await serve.stop(), 0);
});
