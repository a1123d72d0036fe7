// What users see of the BGP sessions: the GraphQL `neighbors` query and `ribjournal neighbor` (the real
// CLI in a child process) against the daemon peering with a real gobgpd; and a reload that changes a
// VRF's route targets and removes, then re-adds, the neighbor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer } from '../../../src/api/index.js';
import { parseConfig } from '../../../src/config/index.js';
import { createNetns } from '../../helpers/netns.js';
import { runDaemon } from '../../helpers/daemon.js';
import { Gobgpd, createPeerLink, waitFor } from './harness.js';
import { cli } from './lab-tools.js';
import { labConfig } from './lab-config.js';

function toml(peer: string, rt: string, withNeighbor = true): string {
  return labConfig({
    vrfA: { import: '64551:100', export: rt },
    ...(withNeighbor ? { neighbor: peer } : {}),
    connectRetry: 0.5,
    families: ['ipv4-unicast', 'l3vpn-ipv4-unicast'],
  });
}

test('neighbors in GraphQL and `ribjournal neighbor`; a reload re-advertises changed RTs and drops/adds the neighbor', async (t) => {
  const link = await createPeerLink(t);
  const kernel = await createNetns(t);
  for (const d of ['kubelb0', 'eth1']) await kernel.addVeth(d, `${d}p`);
  for (const d of ['kubelb0', 'eth1']) await kernel.waitOperUp(d);
  await kernel.addAddress('kubelb0', '192.0.2.10/32');
  await kernel.addAddress('eth1', '10.1.0.1/24');
  const gobgpd = await Gobgpd.start(link.ns, {
    as: 65002,
    routerId: link.peer4,
    neighbors: [{ address: link.local4, peerAs: 65001, families: ['ipv4-unicast', 'l3vpn-ipv4-unicast'] }],
  });
  const d = await runDaemon(t, kernel, toml(link.peer4, '64551:100'));
  const daemon = d.daemon;
  const server = await startApiServer(
    {
      journal: daemon.journal,
      rib: daemon.rib,
      live: daemon.live,
      indexes: daemon.indexes,
      ready: () => daemon.ready,
      bgp: { neighbors: () => daemon.bgp?.neighbors() ?? [] },
    },
    { listen: '127.0.0.1:0' },
  );
  t.after(() => server.close());
  const api = new URL(server.url).host;
  await waitFor(() => daemon.bgp!.neighbor(link.peer4)?.initialTableSent, 'the table sent');

  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: `{ neighbors { address peerAs state established uptime routerId localAddress families
        prefixesSent { family count } queueDepth lastError messages { sent { update } } } }`,
    }),
  });
  const body = (await res.json()) as { data: { neighbors: Record<string, unknown>[] }; errors?: unknown };
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  const [n] = body.data.neighbors;
  assert.equal(n?.address, link.peer4);
  assert.equal(n?.peerAs, 65002);
  assert.equal(n?.state, 'ESTABLISHED');
  assert.equal(n?.routerId, link.peer4);
  assert.equal(n?.localAddress, link.local4);
  assert.equal(typeof n?.uptime, 'number');
  assert.deepEqual(n?.prefixesSent, [
    { family: 'ipv4-unicast', count: 1 },
    { family: 'l3vpn-ipv4-unicast', count: 1 },
  ]);
  assert.equal(n?.queueDepth, 0);

  // The CLI prints gobgp's neighbor table; gobgpd's own for its side has the same header.
  const r = await cli(['neighbor'], api);
  assert.equal(r.code, 0, r.stderr);
  const [header, row] = r.stdout.split('\n');
  assert.match(header!, /^Peer +AS +Up\/Down State +\|#Received +Accepted$/);
  assert.match(
    row!,
    new RegExp(`^${link.peer4.replace(/\./g, '\\.')} 65002 +\\d\\d:\\d\\d:\\d\\d Establ +\\| +0 +0$`),
  );
  const theirs = (await gobgpd.cli(['neighbor'])).split('\n')[0]!;
  assert.equal(header!.replace(/ +/g, ' '), theirs.replace(/ +/g, ' '));
  const detail = await cli(['neighbor', link.peer4], api);
  assert.match(detail.stdout, /BGP state = ESTABLISHED, up for/);
  assert.match(detail.stdout, /l3vpn-ipv4-unicast: +1/);
  const missing = await cli(['neighbor', '192.0.2.99'], api);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /no BGP neighbor 192\.0\.2\.99/);
  const json = await cli(['neighbor', '-j'], api);
  assert.equal((JSON.parse(json.stdout) as { address: string }[])[0]?.address, link.peer4);

  // Reload: new export RT for VRF a. The route goes out again with it.
  await daemon.reload(parseConfig(toml(link.peer4, '64551:200')).config);
  await waitFor(async () => {
    const route = (await gobgpd.rib('l3vpn-ipv4-unicast')).get('64551:100:10.1.0.0/24');
    return route?.routeTargets.join() === '64551:200';
  }, 'the new route target at gobgpd');
  assert.equal(daemon.bgp!.neighbor(link.peer4)!.flaps, 0, 'a VRF change needs no session reset');

  // Reload without the neighbor: Cease / Peer De-configured; with it again: back, table resent.
  await daemon.reload(parseConfig(toml(link.peer4, '64551:200', false)).config);
  await waitFor(() => gobgpd.logText().includes('subcode 3(peer deconfigured)'), 'Cease 6/3 at gobgpd');
  assert.deepEqual(daemon.bgp!.neighbors(), []);
  await daemon.reload(parseConfig(toml(link.peer4, '64551:200')).config);
  await waitFor(() => daemon.bgp!.neighbor(link.peer4)?.initialTableSent, 'the neighbor back', 20_000);
  await waitFor(async () => (await gobgpd.rib('ipv4-unicast')).has('192.0.2.10/32'), 'the table at gobgpd');
});
