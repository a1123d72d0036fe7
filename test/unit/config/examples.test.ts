// The spec's configurations, as files in examples/, load without a warning and mean what the spec says.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfigFile, type Config, type VrfConfig } from '../../../src/config/index.js';

const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));

function rd(text: string, admin: number, assigned: number) {
  return { type: 0 as const, admin, assigned, text };
}

function vrf(name: string, asn: number, n: number, interfaces: string[]): VrfConfig {
  const r = rd(`${asn}:${n}`, asn, n);
  return {
    name,
    rd: r,
    importRts: [r],
    exportRts: [r],
    label: 0,
    id: 0,
    netlinkImport: { enabled: true, interfaces },
  };
}

function config(parts: Partial<Config>): Config {
  return {
    netlink: { scanIntervalMs: 5000, linuxVrf: false, import: { enabled: false, interfaces: [], vrf: '' } },
    vrfs: [],
    global: undefined,
    neighbors: [],
    api: { listen: undefined, tokenFile: undefined, anonymousRead: false },
    policy: { prefixSets: [], neighborSets: [], communitySets: [], definitions: [] },
    bmpServers: [],
    ...parts,
  };
}

void describe('examples/', () => {
  const files = readdirSync(examples).filter((f) => f.endsWith('.toml'));

  void it('holds the spec configurations and a BGP one', () => {
    for (const name of ['global', 'per-vrf', 'hybrid', 'multi-tenant', 'edge-router', 'kubernetes', 'bgp'])
      assert.ok(files.includes(`${name}.toml`), `${name}.toml is missing`);
  });

  for (const file of files) {
    void it(`${file} loads without warnings`, async () => {
      const { warnings } = await loadConfigFile(examples + file);
      assert.deepEqual(warnings, []);
    });
  }

  void it('global.toml: eth0 and eth1 into the global table', async () => {
    const { config: c } = await loadConfigFile(examples + 'global.toml');
    assert.deepEqual(
      c,
      config({
        netlink: {
          scanIntervalMs: 5000,
          linuxVrf: false,
          import: { enabled: true, interfaces: ['eth0', 'eth1'], vrf: '' },
        },
      }),
    );
  });

  void it('per-vrf.toml: customer-a and customer-b with their RDs, RTs and interfaces', async () => {
    const { config: c } = await loadConfigFile(examples + 'per-vrf.toml');
    assert.deepEqual(
      c,
      config({
        vrfs: [vrf('customer-a', 64551, 100, ['eth1', 'eth2']), vrf('customer-b', 64551, 200, ['eth3'])],
      }),
    );
  });

  void it('hybrid.toml: kubelb0 into the global table, eth1/eth2 into customer-a', async () => {
    const { config: c } = await loadConfigFile(examples + 'hybrid.toml');
    assert.deepEqual(
      c,
      config({
        netlink: {
          scanIntervalMs: 5000,
          linuxVrf: false,
          import: { enabled: true, interfaces: ['kubelb0'], vrf: '' },
        },
        vrfs: [vrf('customer-a', 64551, 100, ['eth1', 'eth2'])],
      }),
    );
  });

  void it('multi-tenant.toml, edge-router.toml, kubernetes.toml', async () => {
    assert.deepEqual(
      (await loadConfigFile(examples + 'multi-tenant.toml')).config,
      config({
        vrfs: [
          vrf('tenant-a', 64551, 1000, ['tenant-a-net0', 'tenant-a-net1']),
          vrf('tenant-b', 64551, 2000, ['tenant-b-net0']),
        ],
      }),
    );
    assert.deepEqual(
      (await loadConfigFile(examples + 'edge-router.toml')).config,
      config({ vrfs: [vrf('cust1', 65000, 1, ['eth1.100']), vrf('cust2', 65000, 2, ['eth1.200'])] }),
    );
    assert.deepEqual(
      (await loadConfigFile(examples + 'kubernetes.toml')).config,
      config({
        vrfs: [
          vrf('k8s-prod', 64551, 10, ['kubelb-prod']),
          vrf('k8s-staging', 64551, 20, ['kubelb-staging']),
        ],
      }),
    );
  });

  void it('bgp.toml: global, all four families, RD types 0/1/2, label, defaults', async () => {
    const { config: c } = await loadConfigFile(examples + 'bgp.toml');
    assert.deepEqual(c.global, {
      as: 64551,
      routerId: '192.0.2.1',
      port: 179,
      localAddresses: ['0.0.0.0', '::'],
    });
    assert.deepEqual(
      c.vrfs.map((v) => [
        v.name,
        v.rd.type,
        v.label,
        v.importRts.map((r) => r.text),
        v.exportRts.map((r) => r.text),
      ]),
      [
        ['customer-a', 0, 100, ['64551:100'], ['64551:100']],
        ['customer-b', 1, 0, ['4200000000:200'], ['4200000000:200']],
      ],
    );
    assert.equal(c.vrfs[1]!.importRts[0]!.type, 2);
    assert.deepEqual(c.neighbors[0], {
      address: '192.0.2.2',
      peerAs: 64551,
      localAs: undefined,
      passive: false,
      localAddress: '192.0.2.1',
      remotePort: 179,
      holdTime: 90,
      keepaliveInterval: 30,
      connectRetry: 120,
      families: ['ipv4-unicast', 'ipv6-unicast', 'l3vpn-ipv4-unicast', 'l3vpn-ipv6-unicast'],
    });
    assert.equal(c.neighbors[1]!.passive, true);
    assert.deepEqual(c.neighbors[1]!.families, ['ipv6-unicast']);
    assert.equal(c.api.listen, '127.0.0.1:50080');
  });
});
