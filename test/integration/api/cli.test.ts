// The real CLI (src/cli/run.ts in a child process) against a real API server; output compared line by
// line. Times come from the test's clock; ages are printed at a fixed point (--at) to be exact.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { envelopeToLine } from '../../../src/events/index.js';
import type { Envelope } from '../../../src/events/index.js';
import { startApiServer } from '../../../src/api/index.js';
import type { ApiServer } from '../../../src/api/index.js';
import { config, discovered, fixture, serve, vanished } from '../../unit/api/fixture.js';
import type { Fixture } from '../../unit/api/fixture.js';
import { scaled } from '../../helpers/deadline.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
let f: Fixture;
let server: ApiServer;
let api: string;

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/run.ts', ...args],
      { cwd: ROOT, env: { ...process.env, RIBJOURNAL_API: api, ...env }, timeout: scaled(30_000) },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

before(async () => {
  f = await fixture();
  await f.append(
    config(1, [
      { name: 'customer-a', rd: '65000:100', rt: '65000:100', interfaces: ['eth1'] },
      { name: 'customer-b', rd: '10.0.0.1:7', rt: '65000:200', interfaces: ['eth2'], id: 7 },
    ]), // 1, T0
    discovered('', '192.168.10.0/24', 'eth9', 9, '192.168.10.9'), // 2, T0+1s
    discovered('', '192.168.10.0/24', 'eth0', 2), // 3
    discovered('', '2001:db8::/64', 'eth0', 2, '2001:db8::1'), // 4
    discovered('customer-a', '10.1.0.0/24', 'eth1', 3), // 5
    discovered('customer-a', '10.1.0.128/25', 'eth1', 3, '10.1.0.129'), // 6
    vanished('customer-a', '10.1.0.0/24', 'eth1', 'link-down'), // 7
    discovered('customer-a', '10.1.0.0/24', 'eth1', 3), // 8, T0+7s
  );
  server = await serve(f);
  api = new URL(server.url).host;
});

after(async () => {
  await server.close();
  await f.close();
});

test('global rib: gobgp columns, best marker, next hop = interface address, age at the point asked', async () => {
  const r = await cli(['global', 'rib', '--at', '8']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.split('\n'), [
    '   Network              Next Hop             AS_PATH              Age        Attrs',
    '*> 192.168.10.0/24      192.168.10.1                              00:00:05   [{Origin: i}]',
    '*  192.168.10.0/24      192.168.10.9                              00:00:06   [{Origin: i}]',
    '*> 2001:db8::/64        2001:db8::1                               00:00:04   [{Origin: i}]',
    '',
  ]);
  const v6 = await cli(['global', 'rib', '-a', 'ipv6', '--at', '8']);
  assert.deepEqual(v6.stdout.split('\n').slice(1, -1), [
    '*> 2001:db8::/64        2001:db8::1                               00:00:04   [{Origin: i}]',
  ]);
});

test('vrf: the VRF list as gobgp prints it; vrf NAME rib with RD:prefix and export RTs; prefix filters', async () => {
  const list = await cli(['vrf']);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(list.stdout.split('\n'), [
    '  Name                 RD                   Import RT            Export RT            ID',
    '  customer-a           65000:100            65000:100            65000:100            0',
    '  customer-b           10.0.0.1:7           65000:200            65000:200            7',
    '',
  ]);
  const rib = await cli(['vrf', 'customer-a', 'rib', '--at', '8']);
  assert.deepEqual(rib.stdout.split('\n'), [
    '   Network                 Next Hop             AS_PATH              Age        Attrs',
    '*> 65000:100:10.1.0.0/24   10.1.0.1                                  00:00:00   [{Origin: i} {Extcomms: [65000:100]}]',
    '*> 65000:100:10.1.0.128/25 10.1.0.129                                00:00:02   [{Origin: i} {Extcomms: [65000:100]}]',
    '',
  ]);
  const longer = await cli(['vrf', 'customer-a', 'rib', '10.1.0.128/25', '--at', '6']);
  assert.deepEqual(longer.stdout.split('\n').slice(1, -1), [
    '*> 65000:100:10.1.0.128/25 10.1.0.129                                00:00:00   [{Origin: i} {Extcomms: [65000:100]}]',
  ]);
  const past = await cli(['vrf', 'customer-a', 'rib', '10.1.0.0/16', 'longer-prefixes', '--at', '7']);
  assert.deepEqual(past.stdout.split('\n').slice(1, -1), [
    '*> 65000:100:10.1.0.128/25 10.1.0.129                                00:00:01   [{Origin: i} {Extcomms: [65000:100]}]',
  ]);
  const empty = await cli(['vrf', 'customer-b', 'rib']);
  assert.equal(empty.stdout, 'Network not in table\n');
});

test('-o json prints ribjournal JSON with the decided names: vrf "global", RFC 3339 times with microseconds, family ipv4|ipv6', async () => {
  const r = await cli(['global', 'rib', '-o', 'json']);
  const doc = JSON.parse(r.stdout) as { vrf: string; seq: number; paths: Record<string, unknown>[] };
  assert.equal(doc.vrf, 'global');
  assert.equal(doc.seq, 8);
  assert.deepEqual(doc.paths[0], {
    vrf: 'global',
    family: 'ipv4',
    prefix: '192.168.10.0/24',
    nlri: '192.168.10.0/24',
    interface: 'eth0',
    ifindex: 2,
    address: '192.168.10.1',
    exportRts: [],
    time: '2026-11-24T12:00:02.000000Z',
    seq: 3,
    best: true,
  });
  const vrfs = JSON.parse((await cli(['vrf', '-o', 'json'])).stdout) as { name: string; rd: string }[];
  assert.deepEqual(
    vrfs.map((v) => [v.name, v.rd]),
    [
      ['customer-a', '65000:100'],
      ['customer-b', '10.0.0.1:7'],
    ],
  );
});

test('history, diff and events', async () => {
  const h = await cli(['history', 'vrf', 'customer-a', '10.1.0.0/24']);
  assert.equal(h.code, 0, h.stderr);
  const lines = h.stdout.split('\n');
  assert.match(
    lines[0]!,
    /^VRF customer-a, prefix 10\.1\.0\.0\/24, seqs \(0, 8\]: 3 events, 1 flap, last change 2026-11-24T12:00:07\.000000Z \(.* ago\)$/,
  );
  assert.deepEqual(lines.slice(1), [
    '  Seq  Time                         Event            Interface  Address/Reason',
    '  5    2026-11-24T12:00:04.000000Z  RouteDiscovered  eth1       10.1.0.1',
    '  7    2026-11-24T12:00:06.000000Z  RouteVanished    eth1       link-down',
    '  8    2026-11-24T12:00:07.000000Z  RouteDiscovered  eth1       10.1.0.1',
    '',
  ]);
  const d = await cli(['diff', 'vrf', 'customer-a', '--from', '5', '--to', '2026-11-24T12:00:06Z']);
  assert.deepEqual(d.stdout.split('\n'), [
    'VRF customer-a, seqs (5, 7] (2026-11-24T12:00:04.000000Z .. 2026-11-24T12:00:06.000000Z): 1 added, 1 removed',
    '  Network                 Next Hop             Interface',
    '- 65000:100:10.1.0.0/24   10.1.0.1             eth1',
    '+ 65000:100:10.1.0.128/25 10.1.0.129           eth1',
    '',
  ]);
  const e = await cli(['events', '--after', '6']);
  const envs: Envelope[] = [];
  for await (const batch of f.journal.read({ after: 6 })) envs.push(...batch);
  assert.equal(
    e.stdout,
    envs.map((x) => envelopeToLine(x) + '\n').join(''),
    'the same lines as journal dump',
  );
  const ej = await cli(['events', '--vrf', 'customer-a', '--type', 'RouteVanished', '-j']);
  assert.deepEqual(JSON.parse(ej.stdout), {
    seq: 7,
    time: '2026-11-24T12:00:06.000000Z',
    type: 'RouteVanished',
    vrf: 'customer-a',
    family: 'ipv4',
    prefix: '10.1.0.0/24',
    interface: 'eth1',
    reason: 'link-down',
  });
});

test('monitor vrf NAME rib --current: the table, then each change, in gobgp monitor lines', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/run.ts', 'monitor', 'vrf', 'customer-a', 'rib', '--current'],
    {
      cwd: ROOT,
      env: { ...process.env, RIBJOURNAL_API: api },
    },
  );
  let out = '';
  const lines = async (n: number): Promise<string[]> => {
    const deadline = Date.now() + scaled(20_000);
    while (out.split('\n').length <= n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return out.split('\n').slice(0, n);
  };
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  try {
    assert.deepEqual(await lines(2), [
      '2026-11-24T12:00:07Z [ROUTE] 65000:100:10.1.0.0/24 via 10.1.0.1 aspath [] attrs [{Origin: i} {Extcomms: [65000:100]}]',
      '2026-11-24T12:00:05Z [ROUTE] 65000:100:10.1.0.128/25 via 10.1.0.129 aspath [] attrs [{Origin: i} {Extcomms: [65000:100]}]',
    ]);
    // Changes made right after the table was read still arrive (after = the table's seq).
    await f.append(
      vanished('customer-a', '10.1.0.128/25', 'eth1', 'address-removed'),
      discovered('customer-b', '10.2.0.0/24', 'eth2', 4),
    );
    await f.append(discovered('customer-a', '10.1.5.0/24', 'eth1', 3));
    assert.deepEqual((await lines(4)).slice(2), [
      '2026-11-24T12:00:08Z [DELROUTE] 65000:100:10.1.0.128/25 via 10.1.0.129 aspath [] attrs [{Origin: i} {Extcomms: [65000:100]}]',
      '2026-11-24T12:00:10Z [ROUTE] 65000:100:10.1.5.0/24 via 10.1.5.1 aspath [] attrs [{Origin: i} {Extcomms: [65000:100]}]',
    ]);
  } finally {
    child.kill();
  }
});

/** A free port from 20000–29999 (under Linux's default ephemeral range, 32768–60999). */
async function unusedPortBelowEphemeral(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

test('a daemon that is not running gets one clear line and exit 1; unknown VRF and bad input too', async () => {
  // A port no one listens on, below the kernel's ephemeral range: a port picked with listen(0) and closed
  // can be handed to another test's daemon (integration files run two at a time) before the CLI connects.
  const port = await unusedPortBelowEphemeral();
  const r = await cli(['global', 'rib', '--api', `127.0.0.1:${port}`]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    `ribjournal: cannot reach the daemon at http://127.0.0.1:${port} (connection refused); is "ribjournal serve" running?\n`,
  );
  const env = await cli(['vrf'], { RIBJOURNAL_API: `127.0.0.1:${port}` });
  assert.equal(env.code, 1);
  assert.equal(env.stderr.split('\n').length, 2, 'one line');
  const nf = await cli(['vrf', 'nope', 'rib']);
  assert.equal(nf.code, 1);
  assert.equal(nf.stderr, 'ribjournal: VRF "nope" not found at seq 11\n');
  const bad = await cli(['global', 'rib', '--at', 'yesterday']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^ribjournal: --at "yesterday": expected a seq/);
});

test('gobgp habits: longest match for an address, summary, -a vpnv4 with labels', async () => {
  const lookup = await cli(['global', 'rib', '192.168.10.77', '--at', '8']);
  assert.equal(lookup.code, 0, lookup.stderr);
  assert.deepEqual(lookup.stdout.split('\n').slice(1, -1), [
    '*> 192.168.10.0/24      192.168.10.1                              00:00:05   [{Origin: i}]',
    '*  192.168.10.0/24      192.168.10.9                              00:00:06   [{Origin: i}]',
  ]);
  // The /25 is the longest match for .200, the /24 (also covering it) is not shown.
  const inVrf = await cli(['vrf', 'customer-a', 'rib', '10.1.0.200', '--at', '8']);
  assert.deepEqual(inVrf.stdout.split('\n').slice(1, -1), [
    '*> 65000:100:10.1.0.128/25 10.1.0.129                                00:00:02   [{Origin: i} {Extcomms: [65000:100]}]',
  ]);
  const none = await cli(['global', 'rib', '10.9.9.9', '--at', '8']);
  assert.equal(none.stdout, 'Network not in table\n');
  const summary = await cli(['global', 'rib', 'summary', '--at', '8']);
  assert.equal(summary.stdout, 'Table afi:AFI_IP safi:SAFI_UNICAST\nDestination: 1, Path: 2\n');
  assert.deepEqual(JSON.parse((await cli(['global', 'rib', 'summary', '-j', '--at', '8'])).stdout), {
    num_destination: 1,
    num_path: 2,
  });
  const vpn = await cli(['global', 'rib', '-a', 'vpnv4', '--at', '8']);
  assert.equal(vpn.code, 0, vpn.stderr);
  assert.deepEqual(vpn.stdout.split('\n'), [
    '   Network                 Labels     Next Hop             AS_PATH              Age        Attrs',
    '*> 65000:100:10.1.0.0/24   [0]        10.1.0.1                                  00:00:00   [{Origin: i} {Extcomms: [65000:100]}]',
    '*> 65000:100:10.1.0.128/25 [0]        10.1.0.129                                00:00:02   [{Origin: i} {Extcomms: [65000:100]}]',
    '',
  ]);
});

test('-j prints the JSON shapes gobgp -j prints (rib, vpnv4 rib, vrf)', async () => {
  const rib = JSON.parse((await cli(['global', 'rib', '-a', 'ipv6', '-j', '--at', '8'])).stdout) as unknown;
  assert.deepEqual(rib, {
    '2001:db8::/64': [
      {
        nlri: { prefix: '2001:db8::/64' },
        age: Date.parse('2026-11-24T12:00:03Z') / 1000,
        best: true,
        attrs: [
          { type: 1, value: 0 },
          { type: 14, nexthop: '2001:db8::1', afi: 2, safi: 1, value: [{ prefix: '2001:db8::/64' }] },
        ],
        stale: false,
      },
    ],
  });
  const v4 = JSON.parse((await cli(['global', 'rib', '-j', '--at', '8'])).stdout) as Record<
    string,
    { attrs: unknown[] }[]
  >;
  assert.deepEqual(Object.keys(v4), ['192.168.10.0/24', '2001:db8::/64']);
  assert.deepEqual(v4['192.168.10.0/24']![0]!.attrs[1], { type: 3, nexthop: '192.168.10.1' });
  const vpn = JSON.parse((await cli(['global', 'rib', '-a', 'vpnv4', '-j', '--at', '8'])).stdout) as Record<
    string,
    { nlri: unknown; attrs: unknown[] }[]
  >;
  assert.deepEqual(vpn['65000:100:10.1.0.128/25']![0]!.nlri, {
    prefix: '10.1.0.128/25',
    labels: [0],
    rd: { type: 0, admin: 65000, assigned: 100 },
  });
  assert.deepEqual(vpn['65000:100:10.1.0.128/25']![0]!.attrs[2], {
    type: 16,
    value: [{ type: 0, subtype: 2, value: '65000:100' }],
  });
  // gobgp -j vrf: RD and RTs as protobuf Any values (checked byte for byte against gobgp 3.10's output).
  const vrfs = JSON.parse((await cli(['vrf', '-j'])).stdout) as Record<string, unknown>[];
  assert.deepEqual(vrfs[1], {
    name: 'customer-b',
    rd: { type_url: 'type.googleapis.com/apipb.RouteDistinguisherIPAddress', value: 'CggxMC4wLjAuMRAH' },
    import_rt: [
      { type_url: 'type.googleapis.com/apipb.TwoOctetAsSpecificExtended', value: 'CAEQAhjo+wMgyAE=' },
    ],
    export_rt: [
      { type_url: 'type.googleapis.com/apipb.TwoOctetAsSpecificExtended', value: 'CAEQAhjo+wMgyAE=' },
    ],
    id: 7,
  });
});

test('global: AS, router ID, listening port and addresses, as gobgp global prints them', async () => {
  const withBgp = await startApiServer(
    {
      ...f.api,
      bgp: {
        neighbors: () => [],
        global: () => ({ as: 64512, routerId: '192.0.2.1', port: 179, localAddresses: ['0.0.0.0', '::'] }),
      },
    },
    { listen: '127.0.0.1:0', api: {} },
  );
  try {
    const env = { RIBJOURNAL_API: new URL(withBgp.url).host };
    const text = await cli(['global'], env);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(
      text.stdout,
      'AS:        64512\nRouter-ID: 192.0.2.1\nListening Port: 179, Addresses: 0.0.0.0, ::\n',
    );
    assert.deepEqual(JSON.parse((await cli(['global', '-j'], env)).stdout), {
      asn: 64512,
      router_id: '192.0.2.1',
      listen_port: 179,
      listen_addresses: ['0.0.0.0', '::'],
    });
  } finally {
    await withBgp.close();
  }
  const off = await cli(['global']);
  assert.equal(off.stdout, 'BGP is off (no [global.config] in the configuration)\n');
});

test('time travel means one thing: before the journal, after the newest, a VRF that did not exist', async () => {
  for (const args of [
    ['global', 'rib', '--at', '2026-11-24T11:00:00Z'],
    ['vrf', 'customer-a', 'rib', '--at', '2026-11-24T11:00:00Z'],
    ['vrf', '--at', '2026-11-24T11:00:00Z'],
    ['diff', 'global', '--from', '1', '--to', '2026-11-24T11:00:00Z'],
  ]) {
    const r = await cli(args);
    assert.equal(r.code, 1, args.join(' '));
    assert.equal(
      r.stderr,
      "ribjournal: 2026-11-24T11:00:00.000000Z is before the journal's first event (seq 1 at 2026-11-24T12:00:00.000000Z)\n",
      args.join(' '),
    );
  }
  const future = await cli(['global', 'rib', '--at', '9999']);
  assert.equal(future.code, 0);
  assert.match(
    future.stderr,
    /^ribjournal: --at 9999 is after the newest event \(seq \d+\): showing the present\n$/,
  );
  assert.match(future.stdout, /192\.168\.10\.0\/24/);
  // Age at a time point is measured from that time (not from the last event before it, at 12:00:10):
  // 10.1.0.0/24 was discovered again at 12:00:07.
  const at = await cli(['vrf', 'customer-a', 'rib', '10.1.0.0/24', '--at', '2026-11-24T12:00:37Z']);
  assert.match(at.stdout, / 00:00:30 /);
  for (const args of [
    ['vrf', 'nope', 'rib'],
    ['history', 'vrf', 'nope', '10.0.0.0/8'],
    ['diff', 'vrf', 'nope', '--from', '1'],
  ]) {
    const r = await cli(args);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, /^ribjournal: VRF "nope" not found at seq \d+\n$/, args.join(' '));
  }
});
