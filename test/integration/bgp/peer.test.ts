// The daemon against a scripted peer that connects to its listener: every malformed fixture of
// test/fixtures/bgp/malformed gets the NOTIFICATION (or the RFC 7606 action) its `# expect:` line names,
// while a second, healthy session with a real gobgpd and the daemon itself carry on. Also ROUTE-REFRESH,
// the full resend and End-of-RIB of each new session, connection collisions, and connections from
// strangers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  BGP_MSG_KEEPALIVE,
  BGP_MSG_UPDATE,
  encodeKeepalive,
  encodeOpen,
  encodeRouteRefresh,
  standardCapabilities,
  type DecodedUpdate,
} from '../../../src/bgp/codec/index.js';
import { createNetns, type AfterHook } from '../../helpers/netns.js';
import { runDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { fixture, fixtureMeta, fixtureNames } from '../../unit/bgp/codec/fixtures.js';
import { Gobgpd, createPeerLink, waitFor, type PeerLink } from './harness.js';
import { ScriptedPeer, freePort } from './scripted-peer.js';

// As the fixtures expect (their README): we are AS 65001 with BGP identifier 192.0.2.1.
const LOCAL_AS = 65001;
const ROUTER_ID = '192.0.2.1';
/** Scripted neighbors by source address: eBGP 65002, iBGP, and a 4-octet AS. */
const EBGP = '127.0.0.2';
const IBGP = '127.0.0.3';
const AS4 = '127.0.0.4';
const SOURCE_BY_AS: Readonly<Record<number, string>> = { 65002: EBGP, 65001: IBGP, 4200000000: AS4 };
/** A scripted neighbor both sides connect to (connection collision). */
const COLLIDER = '127.0.0.5';

function toml(port: number, gobgpd: string, colliderPort: number): string {
  const scripted = (address: string, peerAs: number): string => `
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${address}"
    peer-as = ${peerAs}
  [neighbors.transport.config]
    passive-mode = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "l3vpn-ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "l3vpn-ipv6-unicast"`;
  return `
[global.config]
  as = ${LOCAL_AS}
  router-id = "${ROUTER_ID}"
  port = ${port}
  local-address-list = ["127.0.0.1"]
[netlink]
  [netlink.import]
    enabled = true
    interface-list = ["kubelb0"]
[[vrfs]]
  [vrfs.config]
    name = "a"
    rd = "64551:100"
    both-rt-list = ["64551:100"]
    label = 100
  [vrfs.netlink-import]
    enabled = true
    interface-list = ["eth1"]
${scripted(EBGP, 65002)}
${scripted(IBGP, 65001)}
${scripted(AS4, 4200000000)}
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${COLLIDER}"
    peer-as = 65002
  [neighbors.transport.config]
    remote-port = ${colliderPort}
  [neighbors.timers.config]
    connect-retry = 0.2
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${gobgpd}"
    peer-as = 65002
  [neighbors.timers.config]
    connect-retry = 1
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
`;
}

interface Lab {
  readonly daemon: TestDaemon;
  /** Connections the daemon opened to the collider, in order. */
  readonly collider: ScriptedPeer[];
  readonly port: number;
  readonly link: PeerLink;
  readonly gobgpd: Gobgpd;
  readonly kernel: Awaited<ReturnType<typeof createNetns>>;
}

async function lab(t: AfterHook): Promise<Lab> {
  const link = await createPeerLink(t);
  const kernel = await createNetns(t);
  for (const d of ['kubelb0', 'eth1']) await kernel.addVeth(d, `${d}p`);
  for (const d of ['kubelb0', 'eth1']) await kernel.waitOperUp(d);
  await kernel.addAddress('kubelb0', '192.0.2.10/32');
  await kernel.addAddress('eth1', '10.1.0.1/24');
  await kernel.addAddress('eth1', '10.1.1.1/24');
  await kernel.addAddress('eth1', '2001:db8:1::1/64', { nodad: true });
  const gobgpd = await Gobgpd.start(link.ns, {
    as: 65002,
    routerId: link.peer4,
    neighbors: [{ address: link.local4, peerAs: LOCAL_AS, families: ['ipv4-unicast'] }],
  });
  const port = await freePort();
  const collider: ScriptedPeer[] = [];
  const server = net.createServer((socket) => collider.push(new ScriptedPeer(socket)));
  await new Promise<void>((resolve) => server.listen(0, COLLIDER, resolve));
  t.after(() => {
    for (const p of collider) p.close();
    server.close();
  });
  const colliderPort = (server.address() as net.AddressInfo).port;
  const daemon = await runDaemon(t, kernel, toml(port, link.peer4, colliderPort));
  assert.deepEqual(daemon.daemon.bgp!.listening, [{ address: '127.0.0.1', port }]);
  await waitFor(() => daemon.daemon.bgp!.neighbor(link.peer4)!.established, 'the healthy gobgpd session');
  return { daemon, port, link, gobgpd, kernel, collider };
}

/** The routes announced in a list of decoded UPDATEs, as "family rd:prefix". */
function announced(updates: DecodedUpdate[]): string[] {
  return updates.flatMap((u) =>
    u.announced.map((r) => `${r.family} ${r.rd ? `${r.rd.text}:` : ''}${r.prefix}`),
  );
}

test('malformed OPENs, headers and UPDATEs get the NOTIFICATION or RFC 7606 action their fixture names; others carry on', async (t) => {
  const { daemon, port, link, gobgpd, kernel } = await lab(t);
  const speaker = daemon.daemon.bgp!;
  const names = fixtureNames('malformed');
  assert.ok(names.length >= 30, `fixtures found: ${names.length}`);
  for (const name of names) {
    await t.test(name, async () => {
      const meta = fixtureMeta(name);
      const [action, codes] = (meta.expect ?? '').split(' ');
      const bytes = fixture(name);
      const source = SOURCE_BY_AS[meta.peerAs ?? 65002]!;
      const peer = await ScriptedPeer.connect(source, '127.0.0.1', port);
      t.after(() => peer.close());
      try {
        await runCase(peer, name, meta, action, codes, bytes, source);
      } finally {
        // The next case connects from the same address: let the daemon see this one go first.
        peer.close();
        await waitFor(() => speaker.neighbor(source)!.state === 'active', 'the neighbor waiting again');
      }
    });
  }
  async function runCase(
    peer: ScriptedPeer,
    name: string,
    meta: ReturnType<typeof fixtureMeta>,
    action: string | undefined,
    codes: string | undefined,
    bytes: Buffer,
    source: string,
  ): Promise<void> {
    const isUpdate = name.startsWith('malformed/update-');
    if (isUpdate) {
      await peer.establish({
        as: 65002,
        bgpId: '192.0.2.2',
        families: ['ipv4-unicast', 'l3vpn-ipv4-unicast'],
        as4: !(meta.session ?? '').includes('as2'),
      });
      // Established: the table and End-of-RIB follow.
      await waitFor(() => peer.updates().some((u) => u.endOfRib === 'l3vpn-ipv4-unicast'), 'End-of-RIB');
    } else {
      await peer.open();
    }
    peer.send(bytes);
    if (action === 'notification' || action === 'session-reset') {
      const n = await peer.notification(name);
      assert.equal(`${n.code}/${n.subcode}`, codes, `${name}: NOTIFICATION code/subcode`);
      if (meta.data !== undefined)
        assert.equal(Buffer.from(n.data).toString('hex'), meta.data, `${name}: data`);
      await waitFor(() => speaker.neighbor(source)!.state === 'active', 'the neighbor waiting again');
      assert.ok(speaker.neighbor(source)!.lastError?.includes(`(${codes})`), 'the error kept for the API');
      return;
    }
    // accept / attribute-discard / treat-as-withdraw: the session stays up. A ROUTE-REFRESH after the
    // bad UPDATE is answered, so the UPDATE was handled without a reset (TCP keeps the order).
    const from = peer.received.length;
    peer.send(encodeRouteRefresh('ipv4-unicast'));
    await peer.next(BGP_MSG_UPDATE, 'the answer to ROUTE-REFRESH', from);
    assert.equal(peer.received.filter((m) => m.type === 3).length, 0, `${name}: no NOTIFICATION`);
    const status = speaker.neighbor(source)!;
    assert.equal(status.state, 'established');
    // Our speaker does not enforce the first AS (RFC 4271 6.3 makes the check optional): the route of
    // update-first-as-mismatch is accepted, which the fixture names for the "check on" case.
    const keeps = action === 'accept' || action === 'attribute-discard' || name.endsWith('first-as-mismatch');
    assert.equal(status.prefixesReceived, keeps ? 1 : 0, `${name}: routes kept per ${action}`);
  }

  // The healthy session never noticed; the daemon still journals and advertises.
  const healthy = speaker.neighbor(link.peer4)!;
  assert.equal(healthy.established, true);
  assert.equal(healthy.flaps, 0);
  await kernel.addAddress('kubelb0', '192.0.2.11/32');
  await waitFor(async () => (await gobgpd.rib('ipv4-unicast')).has('192.0.2.11/32'), 'a new route at gobgpd');
});

test('each new session gets the whole table then End-of-RIB per family; ROUTE-REFRESH resends one family', async (t) => {
  const { daemon, port } = await lab(t);
  const speaker = daemon.daemon.bgp!;
  const families = ['ipv4-unicast', 'l3vpn-ipv4-unicast', 'l3vpn-ipv6-unicast'] as const;
  const table = [
    'ipv4-unicast 192.0.2.10/32',
    'l3vpn-ipv4-unicast 64551:100:10.1.0.0/24',
    'l3vpn-ipv4-unicast 64551:100:10.1.1.0/24',
    'l3vpn-ipv6-unicast 64551:100:2001:db8:1::/64',
  ];
  for (let round = 0; round < 2; round++) {
    const peer = await ScriptedPeer.connect(EBGP, '127.0.0.1', port);
    t.after(() => peer.close());
    await peer.establish({ as: 65002, bgpId: '192.0.2.2', families });
    await waitFor(() => peer.updates().filter((u) => u.endOfRib).length === 3, 'End-of-RIB for 3 families');
    const updates = peer.updates();
    const eorAt = updates.findIndex((u) => u.endOfRib);
    assert.deepEqual(
      announced(updates.slice(0, eorAt)).sort(),
      table,
      `round ${round}: the whole table first`,
    );
    assert.deepEqual(
      updates.filter((u) => u.endOfRib).map((u) => u.endOfRib),
      [...families],
      'then End-of-RIB for each family',
    );
    const vpn = updates.find((u) => u.announced[0]?.family === 'l3vpn-ipv4-unicast')!;
    assert.equal(vpn.announced.length, 2, 'both VPN routes of the VRF in one UPDATE');
    assert.equal(vpn.announced[0]?.nextHop, '127.0.0.1', 'next-hop-self on the session address');
    assert.deepEqual(vpn.announced[0]?.labels, [100]);
    assert.deepEqual(
      vpn.attributes.routeTargets?.map((r) => r.text),
      ['64551:100'],
    );
    assert.deepEqual(vpn.attributes.asPath, [{ type: 'sequence', asns: [LOCAL_AS] }]);

    if (round === 0) {
      const from = peer.received.length;
      peer.send(encodeRouteRefresh('l3vpn-ipv4-unicast'));
      await waitFor(
        () => announced(peer.updates(from)).length === 2,
        'the VPN-IPv4 routes again after ROUTE-REFRESH',
      );
      assert.deepEqual(announced(peer.updates(from)).sort(), table.slice(1, 3));
      assert.equal(speaker.neighbor(EBGP)!.received.routeRefresh, 1);
      // A refresh for a family the session does not carry is ignored (RFC 2918 4).
      peer.send(encodeRouteRefresh('ipv6-unicast'));
      peer.send(encodeRouteRefresh('ipv4-unicast'));
      await waitFor(() => announced(peer.updates(from)).length === 3, 'the IPv4 refresh answered');
      assert.ok(!announced(peer.updates(from)).some((r) => r.startsWith('ipv6-unicast')));
      assert.ok(!peer.updates(from).some((u) => u.endOfRib), 'no End-of-RIB after a refresh');
      // The peer drops the TCP connection without a word: the daemon notices and waits again.
      peer.close();
      await waitFor(() => speaker.neighbor(EBGP)!.state === 'active', 'the session gone');
      assert.equal(speaker.neighbor(EBGP)!.flaps, 1);
    }
  }
});

test('a connection from an address that is no neighbor is closed at once', async (t) => {
  const { port, daemon } = await lab(t);
  const stranger = await ScriptedPeer.connect('127.0.0.9', '127.0.0.1', port);
  t.after(() => stranger.close());
  await waitFor(() => stranger.closed, 'the stranger’s connection closed');
  assert.equal(stranger.received.length, 0, 'not even an OPEN');
  assert.equal(daemon.daemon.bgp!.neighbors().filter((n) => n.established).length, 1);
});

test('connection collision: the connection opened by the side with the higher BGP identifier survives', async (t) => {
  const { daemon, port, collider } = await lab(t);
  const speaker = daemon.daemon.bgp!;
  const open = (bgpId: string): Buffer =>
    encodeOpen({
      as: 65002,
      holdTime: 90,
      bgpId,
      capabilities: standardCapabilities({ as: 65002, families: ['ipv4-unicast'] }),
    });
  for (const [peerId, winner] of [
    ['192.0.2.2', 'theirs'],
    ['10.0.0.9', 'ours'],
  ] as const) {
    // Our connection to the peer is up and has sent its OPEN; then the peer connects to us too.
    const ours = await waitFor(() => collider.at(-1), 'the daemon connecting to the peer');
    await ours.open();
    const theirs = await ScriptedPeer.connect(COLLIDER, '127.0.0.1', port);
    t.after(() => theirs.close());
    await theirs.open();
    assert.equal(speaker.neighbor(COLLIDER)!.state, 'opensent');
    // Both OPENs cross.
    ours.send(open(peerId));
    await ours.next(BGP_MSG_KEEPALIVE, 'OpenConfirm on our connection');
    theirs.send(open(peerId));
    const [loser, kept] = winner === 'theirs' ? [ours, theirs] : [theirs, ours];
    const n = await loser.notification(`collision with peer id ${peerId}`);
    assert.equal(`${n.code}/${n.subcode}`, '6/7', 'Cease / Connection Collision Resolution');
    if (winner === 'theirs') await kept.next(BGP_MSG_KEEPALIVE, 'OpenConfirm on the surviving connection');
    kept.send(encodeKeepalive());
    await waitFor(() => kept.updates().some((u) => u.endOfRib === 'ipv4-unicast'), 'the table on the winner');
    assert.equal(speaker.neighbor(COLLIDER)!.state, 'established');
    assert.equal(kept.closed, false);
    // End this round: the peer goes away, the daemon connects again for the next one.
    const connections = collider.length;
    kept.close();
    await waitFor(() => collider.length > connections, 'the daemon connecting again');
  }
});
