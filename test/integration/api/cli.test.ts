// The real CLI (src/cli/run.ts in a child process) against a real API server; output compared line by
// line. Times come from the test's clock; ages are printed at a fixed point (--at) to be exact.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { envelopeToLine } from '../../../src/events/index.js';
import type { Envelope } from '../../../src/events/index.js';
import type { ApiServer } from '../../../src/api/index.js';
import { config, discovered, fixture, serve, vanished } from '../../unit/api/fixture.js';
import type { Fixture } from '../../unit/api/fixture.js';

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
      { cwd: ROOT, env: { ...process.env, RIBJOURNAL_API: api, ...env }, timeout: 30_000 },
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
      { name: 'customer-b', rd: '10.0.0.1:7', rt: '65000:200', interfaces: ['eth2'] },
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
    '  Name                 RD                   Import RT            Export RT',
    '  customer-a           65000:100            65000:100            65000:100',
    '  customer-b           10.0.0.1:7           65000:200            65000:200',
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

test('-j prints JSON with the decided names: vrf "global", RFC 3339 times with microseconds, family ipv4|ipv6', async () => {
  const r = await cli(['global', 'rib', '-j']);
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
  const vrfs = JSON.parse((await cli(['vrf', '-j'])).stdout) as { name: string; rd: string }[];
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
    const deadline = Date.now() + 20_000;
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

test('a daemon that is not running gets one clear line and exit 1; unknown VRF and bad input too', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
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
