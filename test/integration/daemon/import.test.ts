// The core scenario end to end: the daemon with its kernel observer in a real network namespace,
// the spec's configurations on veth interfaces of those names, and the LevelDB journal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNetns } from '../../helpers/netns.js';
import { brief, briefs, has, runDaemon } from '../../helpers/daemon.js';
import { openLevelJournal } from '../../../src/journal/index.js';
import { RIB_CHECKPOINT_KEY } from '../../../src/projections/index.js';

const HYBRID = `
[netlink]
  scan-interval = 1
  [netlink.import]
    enabled = true
    interface-list = ["kubelb0"]
[[vrfs]]
  [vrfs.config]
    name = "customer-a"
    rd = "64551:100"
    import-rt-list = ["64551:100"]
    export-rt-list = ["64551:100"]
  [vrfs.netlink-import]
    enabled = true
    interface-list = ["eth1", "eth2"]
`;

const MULTI_TENANT = `
[[vrfs]]
  [vrfs.config]
    name = "tenant-a"
    rd = "64551:1000"
    import-rt-list = ["64551:1000"]
    export-rt-list = ["64551:1000"]
  [vrfs.netlink-import]
    enabled = true
    interface-list = ["tenant-a-net0", "tenant-a-net1", "shared0"]
[[vrfs]]
  [vrfs.config]
    name = "tenant-b"
    rd = "64551:2000"
    import-rt-list = ["64551:2000"]
    export-rt-list = ["64551:2000"]
  [vrfs.netlink-import]
    enabled = true
    interface-list = ["tenant-b-*", "shared0"]
`;

test('hybrid config: IPv4, IPv6, host routes and link-local on the right VRF, with add, remove, down and up', async (t) => {
  const ns = await createNetns(t);
  await ns.addVeth('kubelb0', 'kubelb0-p');
  await ns.addVeth('eth1', 'eth1-p');
  await ns.addVeth('eth2', 'eth2-p');
  await ns.addVeth('eth9', 'eth9-p');
  for (const d of ['kubelb0', 'eth1', 'eth2']) await ns.waitOperUp(d);
  await ns.addAddress('eth1', '10.1.0.1/24');
  const d = await runDaemon(t, ns, HYBRID);
  assert.equal(
    d.seen[0]?.event.type,
    'ConfigApplied',
    'the config is journaled before the routes it explains',
  );
  await d.until(has('+ customer-a 10.1.0.0/24 eth1'), 'the address present at start');

  await ns.addAddress('kubelb0', '192.0.2.10/32');
  await ns.addAddress('eth2', '2001:db8:2::1/64', { nodad: true });
  await ns.addAddress('eth9', '10.9.0.1/24');
  await ns.addAddress('eth2', '169.254.3.3/16');
  await d.until(has('+ global 192.0.2.10/32 kubelb0'), 'a /32 load-balancer address in the global table');
  await d.until(has('+ customer-a 2001:db8:2::/64 eth2'), 'an IPv6 route in customer-a');

  await ns.delAddress('eth1', '10.1.0.1/24');
  await d.until(has('- customer-a 10.1.0.0/24 eth1 address-removed'), 'withdrawal on address removal');

  await ns.addAddress('eth2', '10.2.0.1/24');
  await d.until(has('+ customer-a 10.2.0.0/24 eth2'), 'a second route on eth2');
  await ns.setUp('eth2', false);
  await d.until(has('- customer-a 10.2.0.0/24 eth2 link-down'), 'withdrawal on link down');
  // The kernel flushes IPv6 addresses of a link that goes down (keep_addr_on_down=0); IPv4 stays.
  await d.until(has('- customer-a 2001:db8:2::/64 eth2 link-down'), 'IPv6 withdrawal on link down');
  await ns.setUp('eth2', true);
  await ns.waitOperUp('eth2');
  await d.until(
    (s) => briefs(s).filter((l) => l === '+ customer-a 10.2.0.0/24 eth2').length === 2,
    'back on link up',
  );

  const lines = briefs(d.seen);
  assert.ok(!lines.some((l) => l.includes('eth9')), 'an interface not in the config is never imported');
  assert.ok(
    !lines.some((l) => l.includes('169.254') || l.includes('fe80')),
    'link-local addresses are ignored',
  );
  const seqs = d.seen.map((e) => e.seq);
  assert.deepEqual(
    seqs,
    seqs.map((_, i) => i + 1),
    'seqs are gapless from 1',
  );

  // The RIB projection follows the journal.
  assert.equal(d.daemon.rib.lookup('', '192.0.2.10/32')[0]?.interface, 'kubelb0');
  assert.equal(d.daemon.rib.lookup('customer-a', '10.1.0.0/24').length, 0);
});

test('multi-tenant: overlapping prefixes in two VRFs, an interface in both, interface deleted and re-created', async (t) => {
  const ns = await createNetns(t);
  await ns.addVeth('tenant-a-net0', 'ta0-p');
  await ns.addVeth('tenant-b-net0', 'tb0-p');
  await ns.addVeth('shared0', 'shared0-p');
  for (const d of ['tenant-a-net0', 'tenant-b-net0', 'shared0']) await ns.waitOperUp(d);
  const d = await runDaemon(t, ns, MULTI_TENANT);
  await ns.addAddress('tenant-a-net0', '10.0.0.1/24');
  await ns.addAddress('tenant-b-net0', '10.0.0.1/24');
  await ns.addAddress('shared0', '198.51.100.1/24');
  await d.until(has('+ tenant-a 10.0.0.0/24 tenant-a-net0'), 'tenant-a copy');
  await d.until(has('+ tenant-b 10.0.0.0/24 tenant-b-net0'), 'tenant-b copy');
  await d.until(has('+ tenant-a 198.51.100.0/24 shared0'), 'shared interface in tenant-a');
  await d.until(has('+ tenant-b 198.51.100.0/24 shared0'), 'shared interface in tenant-b');

  await ns.ip('link', 'del', 'dev', 'tenant-b-net0');
  await d.until(has('- tenant-b 10.0.0.0/24 tenant-b-net0 interface-removed'), 'interface removal');
  assert.equal(d.daemon.rib.lookup('tenant-a', '10.0.0.0/24').length, 1, 'the other VRF keeps its copy');

  // Re-created later (a glob match): waited for and imported again.
  await ns.addVeth('tenant-b-net0', 'tb0-p');
  await ns.waitOperUp('tenant-b-net0');
  await ns.addAddress('tenant-b-net0', '10.0.0.1/24');
  await d.until(
    (s) => briefs(s).filter((l) => l === '+ tenant-b 10.0.0.0/24 tenant-b-net0').length === 2,
    're-import after re-creation',
  );
});

test('restart: routes that stayed get no new event; one removed while down vanishes with reason reconcile', async (t) => {
  const ns = await createNetns(t);
  await ns.addVeth('eth1', 'eth1-p');
  await ns.waitOperUp('eth1');
  await ns.addAddress('eth1', '10.1.0.1/24');
  await ns.addAddress('eth1', '10.1.1.1/24');
  const first = await runDaemon(t, ns, HYBRID);
  await first.until((s) => s.length === 4, 'config, the start (lifecycle) and two routes');
  const discovered = first.seen.find((e) => brief(e.event).startsWith('+ customer-a 10.1.0.0/24'))?.seq;
  await first.stop();

  await ns.delAddress('eth1', '10.1.1.1/24');
  const second = await runDaemon(t, ns, HYBRID, { dir: first.dir });
  await second.until(
    has('- customer-a 10.1.1.0/24 eth1 reconcile'),
    'reconcile of the route lost while down',
  );
  await second.daemon.flush();
  assert.deepEqual(
    briefs(second.seen),
    ['started', '- customer-a 10.1.1.0/24 eth1 reconcile'],
    'the start, then what changed while down; nothing else',
  );
  assert.equal(second.seen[0]?.seq, 6, 'seqs continue after the restart (and its DaemonStopped)');
  assert.equal(
    second.daemon.rib.lookup('customer-a', '10.1.0.0/24')[0]?.seq,
    discovered,
    'the RIB is rebuilt by replay',
  );
  const ribOf = (d: typeof second): string[] =>
    [...d.daemon.rib.allPaths()].map((p) => `${p.vrf} ${p.prefix} ${p.interface} ${p.seq} ${p.time}`).sort();
  const withCheckpoint = ribOf(second);
  await second.stop();

  // The RIB checkpoint written at stop is derived data: without it the restart gives the same RIB.
  const j = await openLevelJournal(first.dir);
  assert.ok(await j.getMeta(RIB_CHECKPOINT_KEY), 'a checkpoint was written at stop');
  await j.deleteMeta(RIB_CHECKPOINT_KEY);
  await j.close();
  const third = await runDaemon(t, ns, HYBRID, { dir: first.dir });
  await third.daemon.flush();
  assert.deepEqual(ribOf(third), withCheckpoint);
  assert.deepEqual(briefs(third.seen), ['started'], 'nothing changed, nothing journaled but the start');
});

test('the daemon survives its kernel observer being killed, and re-converges', async (t) => {
  const ns = await createNetns(t);
  await ns.addVeth('eth1', 'eth1-p');
  await ns.waitOperUp('eth1');
  const d = await runDaemon(t, ns, HYBRID);
  const observer = d.daemon.observer as typeof d.daemon.observer & { readonly pid: number | undefined };
  const pid = observer.pid;
  assert.ok(pid !== undefined);
  process.kill(pid, 'SIGKILL');
  await ns.addAddress('eth1', '10.1.7.1/24');
  await d.until(has('+ customer-a 10.1.7.0/24 eth1'), 'the address added while the observer was dead');
  assert.ok(d.daemon.observer.restarts >= 1);
  assert.notEqual(observer.pid, pid);
  assert.equal(d.daemon.ready, true);
});
