// The daemon's metrics over stand-in sources: what an operator's dashboard would read from /metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { register as globalRegistry } from 'prom-client';
import type { NeighborStatus } from '../../../src/bgp/index.js';
import { MemoryJournal } from '../../../src/journal/index.js';
import { createDaemonMetrics } from '../../../src/metrics/index.js';
import { Rib, replayAndFollow } from '../../../src/projections/index.js';
import { config, discovered, vanished } from '../api/fixture.js';
import { samples, value } from './prom-text.js';

function neighbor(address: string, over: Partial<NeighborStatus> = {}): NeighborStatus {
  const zero = { open: 0, update: 0, notification: 0, keepalive: 0, routeRefresh: 0 };
  return {
    address,
    peerAs: 65001,
    localAs: 65000,
    passive: false,
    state: 'active',
    since: undefined,
    established: false,
    routerId: undefined,
    localAddress: undefined,
    remotePort: undefined,
    holdTime: undefined,
    keepaliveTime: undefined,
    families: [],
    prefixesSent: [],
    prefixesReceived: 0,
    queueDepth: 0,
    queuedBytes: 0,
    initialTableSent: false,
    updateOctetsSent: 0,
    flaps: 0,
    lastError: undefined,
    sent: zero,
    received: zero,
    ...over,
  };
}

test('events by type count the replayed journal and every later commit; head seq and RIB paths per VRF follow', async () => {
  const journal = new MemoryJournal();
  await journal.append([
    config(1, [{ name: 'cust-a', rd: '65000:1', rt: '65000:1' }]),
    discovered('', '192.0.2.10/32', 'kubelb0', 3),
    discovered('cust-a', '10.1.0.0/24', 'eth1', 4),
    discovered('cust-a', '2001:db8:1::/64', 'eth1', 4),
  ]);
  const metrics = createDaemonMetrics({ processMetrics: false });
  const rib = new Rib();
  // As the daemon does: the counting projection replays beside the Rib, then follows commits.
  const unfollow = await replayAndFollow(journal, [rib, metrics.journalEvents]);
  metrics.attach({ journal, rib });

  let text = await metrics.metrics();
  assert.equal(value(text, 'ribjournal_journal_events_total', { type: 'ConfigApplied' }), 1);
  assert.equal(value(text, 'ribjournal_journal_events_total', { type: 'RouteDiscovered' }), 3);
  assert.equal(value(text, 'ribjournal_journal_events_total', { type: 'RouteVanished' }), 0);
  assert.equal(value(text, 'ribjournal_journal_head_seq'), 4);
  assert.equal(value(text, 'ribjournal_rib_paths', { vrf: 'global', family: 'ipv4' }), 1);
  assert.equal(value(text, 'ribjournal_rib_paths', { vrf: 'cust-a', family: 'ipv4' }), 1);
  assert.equal(value(text, 'ribjournal_rib_paths', { vrf: 'cust-a', family: 'ipv6' }), 1);
  assert.equal(value(text, 'ribjournal_journal_size_bytes'), 0, 'the memory journal takes no disk');

  await journal.append([vanished('cust-a', '10.1.0.0/24', 'eth1')]);
  await journal.append([vanished('', '192.0.2.10/32', 'kubelb0', 'link-down')]);
  text = await metrics.metrics();
  assert.equal(value(text, 'ribjournal_journal_events_total', { type: 'RouteVanished' }), 2);
  assert.equal(value(text, 'ribjournal_journal_events_total', { type: 'RouteDiscovered' }), 3);
  assert.equal(value(text, 'ribjournal_journal_head_seq'), 6);
  assert.equal(value(text, 'ribjournal_rib_paths', { vrf: 'cust-a', family: 'ipv4' }), 0);
  assert.equal(value(text, 'ribjournal_rib_paths', { vrf: 'global', family: 'ipv4' }), 0);
  // Scraping twice does not count twice.
  text = await metrics.metrics();
  assert.equal(value(text, 'ribjournal_journal_events_total', { type: 'RouteVanished' }), 2);
  unfollow();
});

test('BGP sessions, UPDATEs, prefixes and queues per peer; a removed neighbor leaves no series behind', async () => {
  const metrics = createDaemonMetrics({ processMetrics: false });
  let peers: NeighborStatus[] = [
    neighbor('192.0.2.1', {
      state: 'established',
      established: true,
      queueDepth: 7,
      flaps: 2,
      sent: { open: 1, update: 42, notification: 0, keepalive: 3, routeRefresh: 0 },
      prefixesSent: [
        { family: 'ipv4-unicast', count: 10 },
        { family: 'l3vpn-ipv4-unicast', count: 5 },
      ],
    }),
    neighbor('2001:db8::2'),
  ];
  metrics.attach({ neighbors: () => peers });
  metrics.observeCommitToUpdate(0.004, '192.0.2.1');
  metrics.observeCommitToUpdate(0.2, '2001:db8::2');

  let text = await metrics.metrics();
  assert.equal(value(text, 'ribjournal_bgp_session_established', { peer: '192.0.2.1' }), 1);
  assert.equal(value(text, 'ribjournal_bgp_session_established', { peer: '2001:db8::2' }), 0);
  assert.equal(value(text, 'ribjournal_bgp_session_state', { peer: '192.0.2.1', state: 'established' }), 1);
  assert.equal(value(text, 'ribjournal_bgp_session_state', { peer: '192.0.2.1', state: 'idle' }), 0);
  assert.equal(value(text, 'ribjournal_bgp_session_state', { peer: '2001:db8::2', state: 'active' }), 1);
  assert.equal(value(text, 'ribjournal_bgp_updates_sent_total', { peer: '192.0.2.1' }), 42);
  assert.equal(value(text, 'ribjournal_bgp_session_flaps_total', { peer: '192.0.2.1' }), 2);
  assert.equal(value(text, 'ribjournal_bgp_outbound_queue_depth', { peer: '192.0.2.1' }), 7);
  assert.equal(
    value(text, 'ribjournal_bgp_prefixes_sent', { peer: '192.0.2.1', family: 'l3vpn-ipv4-unicast' }),
    5,
  );
  assert.equal(value(text, 'ribjournal_commit_to_update_seconds_count', { peer: '192.0.2.1' }), 1);
  assert.equal(
    value(text, 'ribjournal_commit_to_update_seconds_bucket', { peer: '192.0.2.1', le: '0.005' }),
    1,
  );
  assert.equal(
    value(text, 'ribjournal_commit_to_update_seconds_bucket', { peer: '2001:db8::2', le: '0.1' }),
    0,
  );

  // The session moves on: values are read at each scrape, never one scrape late.
  peers = [neighbor('192.0.2.1', { state: 'idle', flaps: 3, sent: { ...peers[0]!.sent, update: 50 } })];
  text = await metrics.metrics();
  assert.equal(value(text, 'ribjournal_bgp_session_established', { peer: '192.0.2.1' }), 0);
  assert.equal(value(text, 'ribjournal_bgp_session_state', { peer: '192.0.2.1', state: 'idle' }), 1);
  assert.equal(value(text, 'ribjournal_bgp_updates_sent_total', { peer: '192.0.2.1' }), 50);
  assert.equal(value(text, 'ribjournal_bgp_session_flaps_total', { peer: '192.0.2.1' }), 3);
  assert.equal(samples(text, 'ribjournal_bgp_prefixes_sent', { peer: '192.0.2.1' }).length, 0);
  for (const name of [
    'ribjournal_bgp_session_established',
    'ribjournal_bgp_outbound_queue_depth',
    'ribjournal_commit_to_update_seconds_count',
  ]) {
    assert.equal(samples(text, name, { peer: '2001:db8::2' }).length, 0, `${name} of the removed peer`);
  }
});

test('observer restarts, reconcile corrections, kernel latency, subscriptions, readiness and reloads', async () => {
  const metrics = createDaemonMetrics({ processMetrics: false });
  const observer = { restarts: 0 };
  let open = 0;
  let ready = false;
  metrics.attach({ observer, subscriptions: () => open, ready: () => ready });
  let text = await metrics.metrics();
  assert.equal(value(text, 'ribjournal_kernel_observer_restarts_total'), 0);
  assert.equal(value(text, 'ribjournal_reconcile_corrections_total'), 0);
  assert.equal(value(text, 'ribjournal_api_subscriptions_open'), 0);
  assert.equal(value(text, 'ribjournal_ready'), 0);
  assert.equal(value(text, 'ribjournal_config_reloads_total', { result: 'rejected' }), 0);
  assert.equal(value(text, 'ribjournal_kernel_to_commit_seconds_count'), 0);

  observer.restarts = 2;
  open = 3;
  ready = true;
  metrics.addReconcileCorrections(4);
  metrics.addReconcileCorrections(0);
  metrics.observeKernelToCommit(0.0007);
  metrics.observeKernelToCommit(0.03);
  metrics.countReload('applied');
  metrics.countReload('rejected');
  metrics.countReload('rejected');
  text = await metrics.metrics();
  assert.equal(value(text, 'ribjournal_kernel_observer_restarts_total'), 2);
  assert.equal(value(text, 'ribjournal_reconcile_corrections_total'), 4);
  assert.equal(value(text, 'ribjournal_api_subscriptions_open'), 3);
  assert.equal(value(text, 'ribjournal_ready'), 1);
  assert.equal(value(text, 'ribjournal_kernel_to_commit_seconds_count'), 2);
  assert.equal(value(text, 'ribjournal_kernel_to_commit_seconds_bucket', { le: '0.001' }), 1);
  assert.equal(value(text, 'ribjournal_kernel_to_commit_seconds_bucket', { le: '0.05' }), 2);
  assert.equal(value(text, 'ribjournal_config_reloads_total', { result: 'applied' }), 1);
  assert.equal(value(text, 'ribjournal_config_reloads_total', { result: 'rejected' }), 2);
});

test('each daemon has its own registry: two do not mix, and the global default registry stays empty of ours', async () => {
  const a = createDaemonMetrics({ processMetrics: false });
  const b = createDaemonMetrics({ processMetrics: false });
  a.addReconcileCorrections(5);
  assert.equal(value(await a.metrics(), 'ribjournal_reconcile_corrections_total'), 5);
  assert.equal(value(await b.metrics(), 'ribjournal_reconcile_corrections_total'), 0);
  assert.doesNotMatch(await globalRegistry.metrics(), /ribjournal_/);
  // Process metrics (on by default) live in the daemon's registry too.
  const c = createDaemonMetrics();
  assert.ok(value(await c.metrics(), 'process_resident_memory_bytes')! > 0);
  assert.doesNotMatch(await globalRegistry.metrics(), /process_resident_memory_bytes/);
});
