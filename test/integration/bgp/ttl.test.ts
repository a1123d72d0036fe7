// TTL against gobgpd two hops away (us -> router namespace -> gobgpd namespace): eBGP's default TTL 1
// dies at the router; ebgp-multihop reaches the peer. GTSM (ttl-security, RFC 5082) with ttl-min 255
// drops the peer's segments, one hop too far (TTL 254); ttl-min 254 accepts them. What the kernel
// drops is counted (IcmpOutTimeExcds at the router, TcpExtTCPMinTTLDrop here): the tests wait on that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { parseConfig } from '../../../src/config/index.js';
import { createNetns, run, type AfterHook, type Netns } from '../../helpers/netns.js';
import { runDaemon } from '../../helpers/daemon.js';
import { Gobgpd, createPeerLink, waitFor } from './harness.js';
import { kernelCounter } from './lab-tools.js';
import { labConfig } from './lab-config.js';

interface TwoHops {
  readonly router: Netns;
  readonly far: Netns;
  /** Our address (root namespace) and gobgpd's, two hops apart. */
  readonly us: string;
  readonly peer: string;
}

async function twoHops(t: AfterHook): Promise<TwoHops> {
  const link = await createPeerLink(t); // us <-> router
  const router = link.ns;
  const far = await createNetns(t, { prefix: 'rjfar' });
  const net = `198.18.${randomInt(0, 256)}.${4 * randomInt(0, 64)}`;
  const base = net.split('.').map(Number);
  const r = `${base[0]}.${base[1]}.${base[2]}.${base[3]! + 1}`;
  const peer = `${base[0]}.${base[1]}.${base[2]}.${base[3]! + 2}`;
  const suffix = randomInt(0, 1e6).toString(36);
  await router.ip(
    'link',
    'add',
    'name',
    `rf${suffix}`,
    'type',
    'veth',
    'peer',
    'name',
    'far0',
    'netns',
    far.name,
  );
  await router.ip('addr', 'add', `${r}/30`, 'dev', `rf${suffix}`);
  await router.ip('link', 'set', 'dev', `rf${suffix}`, 'up');
  await router.exec(['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  await far.ip('addr', 'add', `${peer}/30`, 'dev', 'far0');
  await far.ip('link', 'set', 'dev', 'far0', 'up');
  await far.ip('link', 'set', 'dev', 'lo', 'up');
  await far.ip('route', 'add', 'default', 'via', r);
  await far.waitOperUp('far0');
  await run(['ip', 'route', 'add', `${peer}/32`, 'via', link.peer4]);
  router.cleanup(() => run(['ip', 'route', 'del', `${peer}/32`]).catch(() => undefined));
  return { router, far, us: link.local4, peer };
}

function toml(peer: string, extra: string): string {
  return labConfig({ importKubelb: false, neighbor: peer, neighborExtra: extra });
}

test('eBGP two hops away: TTL 1 dies at the router; ebgp-multihop establishes', async (t) => {
  const h = await twoHops(t);
  const gobgpd = await Gobgpd.start(h.far, {
    as: 65002,
    routerId: h.peer,
    neighbors: [{ address: h.us, peerAs: 65001, families: ['ipv4-unicast'], multihopTtl: 2 }],
  });
  const expired = await kernelCounter(h.router, 'IcmpOutTimeExcds');
  const d = await runDaemon(t, await createNetns(t), toml(h.peer, ''));
  await waitFor(
    async () => (await kernelCounter(h.router, 'IcmpOutTimeExcds')) > expired,
    'our TTL-1 SYN expiring at the router',
  );
  assert.notEqual(d.daemon.bgp!.neighbor(h.peer)?.state, 'established');

  await d.daemon.reload(
    parseConfig(toml(h.peer, '  [neighbors.ebgp-multihop.config]\n    enabled = true\n    multihop-ttl = 2'))
      .config,
  );
  await waitFor(async () => (await gobgpd.sessionState(h.us)) === 6, 'established over two hops');
});

test('GTSM: ttl-min 255 drops a peer one hop too far; ttl-min 254 accepts it', async (t) => {
  const h = await twoHops(t);
  const gobgpd = await Gobgpd.start(h.far, {
    as: 65002,
    routerId: h.peer,
    neighbors: [{ address: h.us, peerAs: 65001, families: ['ipv4-unicast'], multihopTtl: 255 }],
  });
  const gtsm = (min: number): string =>
    `  [neighbors.ttl-security.config]\n    enabled = true\n    ttl-min = ${min}`;
  const drops = await kernelCounter(undefined, 'TcpExtTCPMinTTLDrop');
  const d = await runDaemon(t, await createNetns(t), toml(h.peer, gtsm(255)));
  await waitFor(
    async () => (await kernelCounter(undefined, 'TcpExtTCPMinTTLDrop')) > drops,
    'the SYN-ACK with TTL 254 dropped',
  );
  assert.notEqual(d.daemon.bgp!.neighbor(h.peer)?.state, 'established');

  await d.daemon.reload(parseConfig(toml(h.peer, gtsm(254))).config);
  await waitFor(async () => (await gobgpd.sessionState(h.us)) === 6, 'established with ttl-min 254');
});
