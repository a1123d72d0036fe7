// The speaker against a real gobgpd (Debian's 3.10) in a network namespace: what gobgpd holds is read
// back with `gobgp -j global rib`. The daemon runs in-process here, its kernel observer in a second
// namespace whose interfaces the test changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNetns, type AfterHook, type Netns } from '../../helpers/netns.js';
import { runDaemon, type TestDaemon } from '../../helpers/daemon.js';
import {
  ALL_FAMILIES,
  Gobgpd,
  createPeerLink,
  waitFor,
  type Family,
  type GobgpRoute,
  type PeerLink,
} from './harness.js';
import { freePort } from './scripted-peer.js';
import { samples } from '../../unit/metrics/prom-text.js';

const LOCAL_AS = 65001;
const ROUTER_ID = '192.0.2.1';

function daemonToml(o: { neighbor: string; peerAs: number; families?: readonly Family[] }): string {
  const families = (o.families ?? ALL_FAMILIES)
    .map((f) => `  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = "${f}"`)
    .join('\n');
  return `
[global.config]
  as = ${LOCAL_AS}
  router-id = "${ROUTER_ID}"
  port = -1
[netlink]
  scan-interval = 5
  [netlink.import]
    enabled = true
    interface-list = ["kubelb0"]
[[vrfs]]
  [vrfs.config]
    name = "a"
    rd = "64551:100"
    import-rt-list = ["64551:100"]
    export-rt-list = ["64551:100"]
    label = 100
  [vrfs.netlink-import]
    enabled = true
    interface-list = ["eth1"]
[[vrfs]]
  [vrfs.config]
    name = "b"
    rd = "192.0.2.1:200"
    import-rt-list = ["192.0.2.1:200"]
    export-rt-list = ["192.0.2.1:200", "65000:7"]
  [vrfs.netlink-import]
    enabled = true
    interface-list = ["eth2"]
[[vrfs]]
  [vrfs.config]
    name = "c"
    rd = "4200000000:3"
    both-rt-list = ["4200000000:3"]
  [vrfs.netlink-import]
    enabled = true
    interface-list = ["eth3"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${o.neighbor}"
    peer-as = ${o.peerAs}
  [neighbors.timers.config]
    connect-retry = 1
${families}
`;
}

/** The observed namespace with the interfaces of the config and addresses on each. */
async function kernelWithRoutes(t: AfterHook): Promise<Netns> {
  const k = await createNetns(t);
  for (const d of ['kubelb0', 'eth1', 'eth2', 'eth3']) await k.addVeth(d, `${d}p`);
  for (const d of ['kubelb0', 'eth1', 'eth2', 'eth3']) await k.waitOperUp(d);
  await k.addAddress('kubelb0', '192.0.2.10/32');
  await k.addAddress('kubelb0', '2001:db8:9::10/128', { nodad: true });
  await k.addAddress('eth1', '10.1.0.1/24');
  await k.addAddress('eth1', '2001:db8:1::1/64', { nodad: true });
  await k.addAddress('eth2', '10.2.0.1/24');
  await k.addAddress('eth3', '10.3.0.1/24');
  await k.addAddress('eth3', '2001:db8:3::1/64', { nodad: true });
  return k;
}

interface Lab {
  readonly link: PeerLink;
  readonly kernel: Netns;
  readonly gobgpd: Gobgpd;
  readonly daemon: TestDaemon;
  /** Our address as gobgpd knows it. */
  readonly us: string;
}

async function lab(t: AfterHook, o: { ibgp?: boolean; ipv6?: boolean } = {}): Promise<Lab> {
  const link = await createPeerLink(t);
  const kernel = await kernelWithRoutes(t);
  const peerAs = o.ibgp ? LOCAL_AS : 65002;
  const us = o.ipv6 ? link.local6 : link.local4;
  const gobgpd = await Gobgpd.start(link.ns, {
    as: peerAs,
    routerId: link.peer4,
    neighbors: [{ address: us, peerAs: LOCAL_AS, gracefulRestart: true }],
  });
  const daemon = await runDaemon(
    t,
    kernel,
    daemonToml({ neighbor: o.ipv6 ? link.peer6 : link.peer4, peerAs }),
  );
  return { link, kernel, gobgpd, daemon, us };
}

/** Waits until gobgpd's RIB of `family` satisfies `pred`; returns it. */
function ribUntil(
  g: Gobgpd,
  family: Family,
  pred: (rib: Map<string, GobgpRoute>) => boolean,
  what: string,
  ms = 15_000,
): Promise<Map<string, GobgpRoute>> {
  return waitFor(
    async () => {
      const rib = await g.rib(family);
      return pred(rib) ? rib : undefined;
    },
    what,
    ms,
  );
}

const FULL = {
  'ipv4-unicast': ['192.0.2.10/32'],
  'ipv6-unicast': ['2001:db8:9::10/128'],
  'l3vpn-ipv4-unicast': ['64551:100:10.1.0.0/24', '192.0.2.1:200:10.2.0.0/24', '4200000000:3:10.3.0.0/24'],
  'l3vpn-ipv6-unicast': ['64551:100:2001:db8:1::/64', '4200000000:3:2001:db8:3::/64'],
} as const;

/** Keys of gobgpd's RIB as "rd:prefix" from the decoded NLRI (gobgp prints type 2 RDs in asdot). */
async function keys(g: Gobgpd, family: Family): Promise<string[]> {
  const rib = await g.rib(family);
  return [...rib.values()].map((r) => (r.rd ? `${r.rd}:${r.prefix}` : r.prefix)).sort();
}

async function waitFullTable(g: Gobgpd): Promise<void> {
  for (const f of ALL_FAMILIES) {
    const want = [...FULL[f]].sort();
    await waitFor(
      async () => JSON.stringify(await keys(g, f)) === JSON.stringify(want),
      `${f} at gobgpd: ${want.join(', ')}`,
    );
  }
}

function byKey(rib: Map<string, GobgpRoute>): Map<string, GobgpRoute> {
  return new Map([...rib.values()].map((r) => [r.rd ? `${r.rd}:${r.prefix}` : r.prefix, r]));
}

test('eBGP over IPv4: all four families with RD types 0, 1, 2, route targets, labels and next-hop-self', async (t) => {
  const { link, kernel, gobgpd, daemon, us } = await lab(t);
  await waitFullTable(gobgpd);

  const v4 = byKey(await gobgpd.rib('ipv4-unicast')).get('192.0.2.10/32')!;
  assert.equal(v4.nextHop, link.local4, 'next-hop-self: our address on the session');
  assert.deepEqual(v4.asPath, [LOCAL_AS], 'our AS prepended toward eBGP');
  assert.equal(v4.localPref, undefined, 'no LOCAL_PREF toward eBGP');

  const v6 = byKey(await gobgpd.rib('ipv6-unicast')).get('2001:db8:9::10/128')!;
  assert.ok(
    v6.nextHop === `::ffff:${link.local4}` || v6.nextHop === link.local4,
    `IPv6 over an IPv4 session: IPv4-mapped next hop, got ${v6.nextHop}`,
  );

  const vpn4 = byKey(await gobgpd.rib('l3vpn-ipv4-unicast'));
  const a = vpn4.get('64551:100:10.1.0.0/24')!;
  assert.deepEqual(a.labels, [100], 'the VRF label');
  assert.deepEqual(a.routeTargets, ['64551:100'], 'RT 2-octet AS form');
  assert.equal(a.nextHop, link.local4, 'VPN-IPv4 next hop (zero RD + address)');
  const b = vpn4.get('192.0.2.1:200:10.2.0.0/24')!;
  assert.deepEqual(b.labels, [0], 'label 0 by default, as GoBGP');
  assert.deepEqual(b.routeTargets, ['192.0.2.1:200', '65000:7'], 'RT IPv4 form, in config order');
  const c = vpn4.get('4200000000:3:10.3.0.0/24')!;
  assert.deepEqual(c.routeTargets, ['64086.59904:3'], 'RT 4-octet AS form (gobgp prints asdot)');

  const vpn6 = byKey(await gobgpd.rib('l3vpn-ipv6-unicast'));
  assert.deepEqual(vpn6.get('64551:100:2001:db8:1::/64')?.labels, [100]);

  await waitFor(
    async () => (await gobgpd.endOfRibReceived(us)).length === 4,
    'End-of-RIB for all four families',
  );
  const status = daemon.daemon.bgp!.neighbor(link.peer4)!;
  assert.equal(status.state, 'established');
  assert.deepEqual(
    status.prefixesSent.map((p) => `${p.family}=${p.count}`),
    ['ipv4-unicast=1', 'ipv6-unicast=1', 'l3vpn-ipv4-unicast=3', 'l3vpn-ipv6-unicast=2'],
  );
  assert.equal(status.queueDepth, 0);

  // Live changes: an address added and removed, a link going down.
  await kernel.addAddress('eth1', '10.1.5.1/24');
  await ribUntil(
    gobgpd,
    'l3vpn-ipv4-unicast',
    (r) => byKey(r).has('64551:100:10.1.5.0/24'),
    'a new VRF route',
  );
  // The live change reached gobgpd in an UPDATE: its commit-to-UPDATE latency was observed for the peer.
  const latency = samples(
    await daemon.daemon.metrics.metrics(),
    'ribjournal_commit_to_update_seconds_count',
    {
      peer: link.peer4,
    },
  );
  assert.equal(latency.length, 1, 'one histogram series for the peer');
  assert.ok(latency[0]!.value > 0, `commit-to-UPDATE observations for ${link.peer4}`);
  await kernel.delAddress('eth1', '10.1.5.1/24');
  await ribUntil(
    gobgpd,
    'l3vpn-ipv4-unicast',
    (r) => !byKey(r).has('64551:100:10.1.5.0/24'),
    'its withdrawal',
  );
  await kernel.setUp('eth3', false);
  await ribUntil(
    gobgpd,
    'l3vpn-ipv4-unicast',
    (r) => !byKey(r).has('4200000000:3:10.3.0.0/24'),
    'withdrawal when the link goes down',
  );
  await ribUntil(
    gobgpd,
    'l3vpn-ipv6-unicast',
    (r) => !byKey(r).has('4200000000:3:2001:db8:3::/64'),
    'IPv6 withdrawal on link down',
  );
  await kernel.delAddress('kubelb0', '192.0.2.10/32');
  await ribUntil(gobgpd, 'ipv4-unicast', (r) => r.size === 0, 'global withdrawal');
  assert.equal(daemon.daemon.bgp!.neighbor(link.peer4)!.prefixesSent[0]?.count, 0);
});

test('iBGP over IPv6: LOCAL_PREF, empty AS_PATH, global + link-local next hop (48-octet VPN-IPv6 accepted)', async (t) => {
  const { link, gobgpd, daemon } = await lab(t, { ibgp: true, ipv6: true });
  await waitFullTable(gobgpd);
  const v6 = byKey(await gobgpd.rib('ipv6-unicast')).get('2001:db8:9::10/128')!;
  assert.equal(v6.nextHop, link.local6);
  assert.deepEqual(v6.asPath, [], 'iBGP: empty AS_PATH');
  assert.equal(v6.localPref, 100, 'LOCAL_PREF toward iBGP');
  const vpn6 = byKey(await gobgpd.rib('l3vpn-ipv6-unicast')).get('64551:100:2001:db8:1::/64')!;
  assert.equal(vpn6.nextHop, link.local6, 'VPN-IPv6 with global + link-local next hop is accepted');
  const v4 = byKey(await gobgpd.rib('ipv4-unicast')).get('192.0.2.10/32')!;
  assert.equal(v4.nextHop, link.local4, 'IPv4 over the IPv6 session: the interface’s IPv4 address');
  const s = daemon.daemon.bgp!.neighbor(link.peer6)!;
  assert.equal(s.localAddress, link.local6);
});

test('session reset by the peer: full resend and End-of-RIB; the peer stopped and started again', async (t) => {
  const { link, gobgpd, daemon, us } = await lab(t);
  await waitFullTable(gobgpd);
  const speaker = daemon.daemon.bgp!;
  // gobgp's softresetin re-runs gobgpd's import policy over its own Adj-RIB-In: gobgpd 3.10 sends no
  // ROUTE-REFRESH for it (its "Route Refresh: Sent" stays 0), so it must leave the session and table
  // as they are. ROUTE-REFRESH itself is tested with the scripted peer (peer.test.ts).
  await gobgpd.cli(['neighbor', us, 'softresetin', '-a', 'vpnv4']);
  await waitFullTable(gobgpd);
  assert.equal(speaker.neighbor(link.peer4)!.received.routeRefresh, 0);
  assert.equal(speaker.neighbor(link.peer4)!.flaps, 0);

  // The peer resets the session: it comes back, the whole table and End-of-RIB again. gobgpd refuses
  // connections for its idle-hold-time-after-reset (30 s; 3.10 ignores the config key), so this waits.
  await gobgpd.cli(['neighbor', us, 'reset']);
  await waitFor(() => speaker.neighbor(link.peer4)!.flaps === 1, 'the reset seen');
  await waitFor(() => speaker.neighbor(link.peer4)!.established, 'session re-established', 45_000);
  await waitFullTable(gobgpd);
  await waitFor(async () => (await gobgpd.endOfRibReceived(us)).length === 4, 'End-of-RIB again');

  // gobgpd stopped: we notice; started again (empty RIB): we reconnect and resend everything.
  await gobgpd.stop();
  await waitFor(() => !speaker.neighbor(link.peer4)!.established, 'session down with the peer');
  await gobgpd.restart();
  await waitFor(
    () => speaker.neighbor(link.peer4)!.established,
    'session back with the restarted peer',
    20_000,
  );
  await waitFullTable(gobgpd);
  assert.ok(speaker.neighbor(link.peer4)!.lastError !== undefined, 'the last error is kept for the API');
});

test('both sides active (gobgpd also connects to our listener): one stable session; stopping sends Cease with the shutdown communication', async (t) => {
  const link = await createPeerLink(t);
  const kernel = await kernelWithRoutes(t);
  const port = await freePort();
  // gobgpd actively connects to our listener while we connect to it.
  const gobgpd = await Gobgpd.start(link.ns, {
    as: 65002,
    routerId: link.peer4,
    neighbors: [{ address: link.local4, peerAs: LOCAL_AS, passive: false, remotePort: port }],
  });
  const toml = daemonToml({ neighbor: link.peer4, peerAs: 65002 }).replace(
    '  port = -1',
    `  port = ${port}\n  local-address-list = ["${link.local4}"]`,
  );
  const daemon = await runDaemon(t, kernel, toml);
  const speaker = daemon.daemon.bgp!;
  await waitFullTable(gobgpd);
  assert.equal(speaker.neighbor(link.peer4)!.state, 'established');
  // gobgpd retries every second: a second connection or a lost collision would show as a flap. (A
  // collision proper, both OPENs crossing, is forced with the scripted peer in peer.test.ts.)
  const t0 = Date.now();
  await waitFor(() => Date.now() - t0 > 3000, 'three connect-retry periods of gobgpd');
  assert.equal(speaker.neighbor(link.peer4)!.flaps, 0, 'one session, never reset');
  assert.equal(await gobgpd.sessionState(link.local4), 6);

  await daemon.stop();
  await waitFor(
    () => gobgpd.logText().includes('Communicated-Reason="ribjournal is shutting down"'),
    'gobgpd logs our Cease with the shutdown communication',
  );
  assert.match(gobgpd.logText(), /received notification.*Code=6.*Subcode=2/);
});
