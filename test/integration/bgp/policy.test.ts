// Export policy in GoBGP's syntax against a real gobgpd: communities, large communities, extended
// communities beside the VRF's route targets, MED, prepends and rejects as `gobgp -j global rib` shows
// them; a neighbor that takes its AS, timers and families from a peer group; a reload that changes one
// statement resends only the route whose attributes changed. iBGP: LOCAL_PREF from the policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/index.js';
import { createNetns, type AfterHook, type Netns } from '../../helpers/netns.js';
import { runDaemon } from '../../helpers/daemon.js';
import { Gobgpd, createPeerLink, waitFor } from './harness.js';
import { apiFor, cli } from './lab-tools.js';
import { labConfig } from './lab-config.js';

interface RawAttr {
  type: number;
  communities?: number[];
  metric?: number;
  value?: unknown;
  as_paths?: { asns: number[] }[];
}
type RawRib = Record<string, { best?: boolean; attrs: RawAttr[] }[]>;

function policyToml(o: { neighbor: string; peerAs: number; med: string; ibgp?: boolean }): string {
  return labConfig({
    globalExtra: [
      '[global.apply-policy.config]',
      '  export-policy-list = ["drop-some", "tag"]',
      '  default-export-policy = "accept-route"',
    ].join('\n'),
    vrfA: { both: '64551:100' },
    extra: `[[peer-groups]]
  [peer-groups.config]
    peer-group-name = "upstream"
    peer-as = ${o.peerAs}
  [peer-groups.timers.config]
    connect-retry = 1
  [[peer-groups.afi-safis]]
    [peer-groups.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[peer-groups.afi-safis]]
    [peer-groups.afi-safis.config]
      afi-safi-name = "l3vpn-ipv4-unicast"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${o.neighbor}"
    peer-group = "upstream"
[[defined-sets.prefix-sets]]
  prefix-set-name = "lb"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "192.0.2.0/24"
    masklength-range = "32..32"
[[defined-sets.prefix-sets]]
  prefix-set-name = "blocked"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "192.0.2.11/32"
[[defined-sets.prefix-sets]]
  prefix-set-name = "first"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "192.0.2.10/32"
[[defined-sets.prefix-sets]]
  prefix-set-name = "tenants"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "10.0.0.0/8"
    masklength-range = "16..24"
[[defined-sets.neighbor-sets]]
  neighbor-set-name = "upstreams"
  neighbor-info-list = ["${o.neighbor}"]
[[policy-definitions]]
  name = "drop-some"
  [[policy-definitions.statements]]
    name = "blocked"
    [policy-definitions.statements.conditions.match-prefix-set]
      prefix-set = "blocked"
    [policy-definitions.statements.actions]
      route-disposition = "reject-route"
[[policy-definitions]]
  name = "tag"
  [[policy-definitions.statements]]
    name = "lb"
    [policy-definitions.statements.conditions.match-prefix-set]
      prefix-set = "lb"
    [policy-definitions.statements.conditions.match-neighbor-set]
      neighbor-set = "upstreams"
    [policy-definitions.statements.actions.bgp-actions]
      set-local-pref = 200
      [policy-definitions.statements.actions.bgp-actions.set-community]
        options = "add"
        [policy-definitions.statements.actions.bgp-actions.set-community.set-community-method]
          communities-list = ["65001:100", "no-export"]
      [policy-definitions.statements.actions.bgp-actions.set-large-community]
        options = "add"
        [policy-definitions.statements.actions.bgp-actions.set-large-community.set-large-community-method]
          communities-list = ["65001:1:2"]
  [[policy-definitions.statements]]
    name = "first"
    [policy-definitions.statements.conditions.match-prefix-set]
      prefix-set = "first"
    [policy-definitions.statements.actions]
      route-disposition = "accept-route"
    [policy-definitions.statements.actions.bgp-actions]
      set-med = "${o.med}"
      [policy-definitions.statements.actions.bgp-actions.set-as-path-prepend]
        as = "65001"
        repeat-n = 2
  [[policy-definitions.statements]]
    name = "tenants"
    [policy-definitions.statements.conditions.match-prefix-set]
      prefix-set = "tenants"
    [policy-definitions.statements.actions]
      route-disposition = "accept-route"
    [policy-definitions.statements.actions.bgp-actions.set-ext-community]
      options = "add"
      [policy-definitions.statements.actions.bgp-actions.set-ext-community.set-ext-community-method]
        communities-list = ["soo:65001:9"]`,
  });
}

async function kernel(t: AfterHook): Promise<Netns> {
  const k = await createNetns(t);
  for (const d of ['kubelb0', 'eth1']) await k.addVeth(d, `${d}p`);
  for (const d of ['kubelb0', 'eth1']) await k.waitOperUp(d);
  for (const a of ['192.0.2.10/32', '192.0.2.11/32', '192.0.2.12/32']) await k.addAddress('kubelb0', a);
  await k.addAddress('eth1', '10.1.0.1/24');
  return k;
}

function attr(rib: RawRib, prefix: string, type: number): RawAttr | undefined {
  const paths = rib[prefix] ?? [];
  return (paths.find((p) => p.best) ?? paths[0])?.attrs.find((a) => a.type === type);
}

test('export policy: communities, large and extended communities, MED, prepends, rejects; peer group; a reload resends only what changed', async (t) => {
  const link = await createPeerLink(t);
  const k = await kernel(t);
  const gobgpd = await Gobgpd.start(link.ns, {
    as: 65002,
    routerId: link.peer4,
    neighbors: [{ address: link.local4, peerAs: 65001, families: ['ipv4-unicast', 'l3vpn-ipv4-unicast'] }],
  });
  const toml = (med: string): string => policyToml({ neighbor: link.peer4, peerAs: 65002, med });
  const d = await runDaemon(t, k, toml('50'));

  const v4 = await waitFor(async () => {
    const rib = await gobgpd.json<RawRib>(['global', 'rib', '-a', 'ipv4']);
    return rib['192.0.2.10/32'] && rib['192.0.2.12/32'] ? rib : undefined;
  }, 'the load-balancer routes at gobgpd');
  assert.equal(v4['192.0.2.11/32'], undefined, 'the blocked prefix is rejected');
  // 192.0.2.10: statement "lb" (no disposition) then "first" (accept): both sets of actions.
  assert.deepEqual(attr(v4, '192.0.2.10/32', 8)?.communities, [65001 * 65536 + 100, 0xffffff01]);
  assert.deepEqual(attr(v4, '192.0.2.10/32', 32)?.value, [{ ASN: 65001, LocalData1: 1, LocalData2: 2 }]);
  assert.equal(attr(v4, '192.0.2.10/32', 4)?.metric, 50);
  assert.deepEqual(
    attr(v4, '192.0.2.10/32', 2)?.as_paths?.flatMap((s) => s.asns),
    [65001, 65001, 65001],
    'two prepends before our AS',
  );
  assert.equal(attr(v4, '192.0.2.10/32', 5), undefined, 'no LOCAL_PREF toward eBGP');
  // 192.0.2.12: only "lb", then the default accepts it.
  assert.deepEqual(attr(v4, '192.0.2.12/32', 8)?.communities, [65001 * 65536 + 100, 0xffffff01]);
  assert.equal(attr(v4, '192.0.2.12/32', 4), undefined);
  assert.deepEqual(
    attr(v4, '192.0.2.12/32', 2)?.as_paths?.flatMap((s) => s.asns),
    [65001],
  );

  const vpn = await waitFor(async () => {
    const rib = await gobgpd.json<RawRib>(['global', 'rib', '-a', 'vpnv4']);
    return Object.keys(rib).length > 0 ? rib : undefined;
  }, 'the VRF route at gobgpd');
  const ext = (attr(vpn, Object.keys(vpn)[0]!, 16)?.value ?? []) as { subtype: number; value: string }[];
  assert.deepEqual(
    ext.map((e) => [e.subtype, e.value]),
    [
      [2, '64551:100'],
      [3, '65001:9'],
    ],
    "the VRF's route target stays, the policy's route origin is added",
  );

  // A reload that changes the MED of statement "first" resends 192.0.2.10 only.
  await waitFor(() => d.daemon.bgp!.neighbor(link.peer4)?.initialTableSent, 'the table sent');
  const updates = async (): Promise<number> =>
    (await gobgpd.neighbor(link.local4)).state?.messages?.received?.update ?? 0;
  const before = await updates();
  await d.daemon.reload(parseConfig(toml('+70')).config);
  await waitFor(async () => {
    const rib = await gobgpd.json<RawRib>(['global', 'rib', '-a', 'ipv4']);
    return attr(rib, '192.0.2.10/32', 4)?.metric === 70 ? true : undefined;
  }, 'the new MED at gobgpd');
  assert.equal(d.daemon.bgp!.neighbor(link.peer4)?.state, 'established', 'no session reset');
  assert.equal((await updates()) - before, 1, 'one UPDATE: the one route whose attributes changed');

  // What was sent, and why; what the peer sent us.
  await gobgpd.cli(['global', 'rib', 'add', '-a', 'ipv4', '203.0.113.0/24']);
  const daemon = d.daemon;
  const api = (await apiFor(t, daemon)).host;
  await waitFor(() => daemon.bgp!.adjRibIn(link.peer4)?.length === 1, "gobgpd's route in adj-in");
  const configVersion = d.seen.filter((e) => e.event.type === 'ConfigApplied').at(-1)!.event;
  const out = await cli(['neighbor', link.peer4, 'adj-out'], api);
  assert.equal(out.code, 0, out.stderr);
  const lines = out.stdout.split('\n');
  assert.match(lines[0]!, /^ +Network +Next Hop +AS_PATH +Age +Attrs +Why$/);
  const row = lines.find((l) => l.includes('192.0.2.10/32'))!;
  assert.ok(row.includes(`${link.local4} `), row);
  assert.ok(row.includes('[65001 65001 65001]'), row);
  assert.ok(row.includes('{Med: 70} {Communities: 65001:100, no-export}'), row);
  assert.match(
    row,
    new RegExp(`seq \\d+, config v${(configVersion as { configVersion: number }).configVersion}, tag/first$`),
  );
  assert.ok(!out.stdout.includes('192.0.2.11/32'), 'rejected routes are not in adj-out');
  // -j: gobgp's JSON shape; its attributes read like gobgpd's own for the same route.
  const j = await cli(['neighbor', link.peer4, 'adj-out', '-j'], api);
  const mine = JSON.parse(j.stdout) as RawRib;
  const theirs = await gobgpd.json<RawRib>(['global', 'rib', '-a', 'ipv4']);
  for (const type of [2, 4, 8, 32])
    assert.deepEqual(
      attr(mine, '192.0.2.10/32', type),
      attr(theirs, '192.0.2.10/32', type),
      `attribute ${type}`,
    );
  const vpnOut = await cli(['neighbor', link.peer4, 'adj-out', '-a', 'vpnv4'], api);
  assert.match(vpnOut.stdout, /64551:100:10\.1\.0\.0\/24 +\[0\] .*\[rt:64551:100\], \[soo:65001:9\]/);
  const inn = await cli(['neighbor', link.peer4, 'adj-in'], api);
  assert.match(
    inn.stdout,
    new RegExp(`203\\.0\\.113\\.0/24 +${link.peer4.replace(/\./g, '\\.')} +\\[65002\\]`),
  );
});

test('iBGP: set-local-pref from the neighbor apply-policy; default-export-policy reject-route', async (t) => {
  const link = await createPeerLink(t);
  const k = await kernel(t);
  const gobgpd = await Gobgpd.start(link.ns, {
    as: 65001,
    routerId: link.peer4,
    neighbors: [{ address: link.local4, peerAs: 65001, families: ['ipv4-unicast'] }],
  });
  const toml = labConfig({
    neighbor: link.peer4,
    peerAs: 65001,
    neighborExtra: [
      '  [neighbors.apply-policy.config]',
      '    export-policy-list = ["pref"]',
      '    default-export-policy = "reject-route"',
    ].join('\n'),
    extra: `[[defined-sets.prefix-sets]]
  prefix-set-name = "p"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "192.0.2.10/32"
[[policy-definitions]]
  name = "pref"
  [[policy-definitions.statements]]
    [policy-definitions.statements.conditions.match-prefix-set]
      prefix-set = "p"
    [policy-definitions.statements.actions]
      route-disposition = "accept-route"
    [policy-definitions.statements.actions.bgp-actions]
      set-local-pref = 250`,
  });
  const d = await runDaemon(t, k, toml);
  await waitFor(() => d.daemon.bgp!.neighbor(link.peer4)?.initialTableSent, 'the table sent');
  const rib = await waitFor(async () => {
    const r = await gobgpd.json<RawRib>(['global', 'rib', '-a', 'ipv4']);
    return r['192.0.2.10/32'] ? r : undefined;
  }, 'the accepted route at gobgpd');
  assert.equal(attr(rib, '192.0.2.10/32', 5)?.value, 250);
  assert.deepEqual(
    Object.keys(rib),
    ['192.0.2.10/32'],
    'the others fall to default-export-policy reject-route',
  );
});
