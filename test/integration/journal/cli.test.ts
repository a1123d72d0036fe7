// The offline `ribjournal journal ...` commands as a user runs them, over a golden journal written by the
// test: replay, diff and history print exactly what their online twins print from a daemon's API; dump
// --json and export --format jsonl print the same lines; verify, stats, export mrt, recover and backup.
import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, createApiIndexes } from '../../../src/api/index.js';
import type { ConfigApplied, JournalEvent } from '../../../src/events/index.js';
import { openLevelJournal } from '../../../src/journal/index.js';
import { decodeMrt } from '../../../src/mrt/index.js';
import { Rib } from '../../../src/projections/index.js';
import { ClassicLevel } from 'classic-level';

const root = new URL('../../../', import.meta.url).pathname;
const CLI = [process.execPath, '--import', 'tsx', join(root, 'src/cli/run.ts')];
const T0 = Date.UTC(2026, 10, 24, 2, 0, 0) * 1000;

function cli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(CLI[0]!, [...CLI.slice(1), ...args], {
      cwd: root,
      env: { ...process.env, TZ: 'UTC', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function ok(args: readonly string[]): Promise<string> {
  const r = await cli(args);
  assert.equal(r.code, 0, `ribjournal ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const config = (version: number, rtA: string): ConfigApplied => ({
  type: 'ConfigApplied',
  configVersion: version,
  vrfs: [
    { name: '', rd: '', importRts: [], exportRts: [], label: 0, interfaces: ['eth0'] },
    {
      name: 'customer-a',
      rd: '65000:100',
      importRts: [rtA],
      exportRts: [rtA],
      label: 0,
      interfaces: ['eth1', 'eth2'],
    },
  ],
  neighbors: [],
  global: { as: 65000, routerId: '192.0.2.1' },
});
const d = (vrf: string, prefix: string, iface: string, ifindex: number, address: string): JournalEvent => ({
  type: 'RouteDiscovered',
  vrf,
  family: prefix.includes(':') ? 'ipv6' : 'ipv4',
  prefix,
  interface: iface,
  ifindex,
  address,
});
const v = (
  vrf: string,
  prefix: string,
  iface: string,
  reason: 'link-down' | 'address-removed',
): JournalEvent => ({
  type: 'RouteVanished',
  vrf,
  family: prefix.includes(':') ? 'ipv6' : 'ipv4',
  prefix,
  interface: iface,
  reason,
});

/** The golden journal: one append per event, one second apart from 02:00:00Z. */
const GOLDEN: JournalEvent[] = [
  config(1, '65000:100'), // 1 02:00:00
  d('', '10.0.0.0/24', 'eth0', 2, '10.0.0.1'), // 2
  d('customer-a', '10.1.0.0/24', 'eth1', 3, '10.1.0.1'), // 3
  d('customer-a', '10.1.0.0/24', 'eth2', 4, '10.1.0.2'), // 4 backup path
  d('customer-a', '2001:db8:1::/64', 'eth1', 3, '2001:db8:1::1'), // 5
  v('customer-a', '10.1.0.0/24', 'eth1', 'link-down'), // 6 02:00:05: eth2 becomes best
  d('customer-a', '10.1.0.0/24', 'eth1', 3, '10.1.0.1'), // 7 the flap ends
  config(2, '65000:111'), // 8 RT change
  d('', '192.0.2.10/32', 'eth0', 2, '192.0.2.10'), // 9
  v('', '10.0.0.0/24', 'eth0', 'address-removed'), // 10 02:00:09
];

describe('offline journal commands', () => {
  let tmp: string;
  let dir: string;
  /** What the online commands printed, from a daemon-like API over the same journal. */
  const online = new Map<string, string>();
  const ONLINE: Record<string, string[]> = {
    'rib-global-5': ['global', 'rib', '--at', '5'],
    'rib-a-6': ['vrf', 'customer-a', 'rib', '--at', '6'],
    'rib-a-9-json': ['vrf', 'customer-a', 'rib', '--at', '9', '-o', 'json'],
    'rib-a-time': ['vrf', 'customer-a', 'rib', '--at', '2026-11-24T02:00:05.5Z'],
    'diff-a': ['diff', 'vrf', 'customer-a', '--from', '4', '--to', '8'],
    'diff-global-json': ['diff', 'global', '--from', '1', '--to', '10', '-j'],
    'history-a-json': ['history', 'vrf', 'customer-a', '10.1.0.0/24', '-j'],
    events: ['events', '-j'],
  };

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'ribjournal-cli-'));
    dir = join(tmp, 'journal');
    let now = T0 - 1_000_000;
    const j = await openLevelJournal(dir, { clock: { nowMicros: () => (now += 1_000_000) } });
    try {
      for (const e of GOLDEN) await j.append([e]);
      // The online side: the API over this journal, as the daemon serves it.
      const rib = new Rib();
      const indexes = createApiIndexes(j);
      for await (const batch of j.read())
        for (const env of batch) for (const p of [rib, ...indexes.projections]) p.apply(env);
      const server = await startApiServer(
        { journal: j, rib, indexes, ready: () => true },
        { listen: '127.0.0.1:0' },
      );
      try {
        const api = server.url.replace(/\/graphql$/, '');
        for (const [name, args] of Object.entries(ONLINE))
          online.set(name, await ok([...args, '--api', api]));
      } finally {
        await server.close();
      }
    } finally {
      await j.close();
    }
  });
  after(() => rm(tmp, { recursive: true, force: true }));

  it('replay prints what `global rib --at` / `vrf NAME rib --at` print', async () => {
    assert.equal(
      await ok(['journal', 'replay', dir, '--at', '5', '--vrf', 'global']),
      online.get('rib-global-5'),
    );
    const at6 = await ok(['journal', 'replay', dir, '--at', '6', '--vrf', 'customer-a']);
    assert.equal(at6, online.get('rib-a-6'));
    // After the link-down of eth1 only the eth2 path of 10.1.0.0/24 is left, and it is best.
    assert.match(at6, /\*> 65000:100:10\.1\.0\.0\/24 +10\.1\.0\.2 /);
    assert.doesNotMatch(at6, /10\.1\.0\.1 /);
    const at9 = await ok(['journal', 'replay', dir, '--at', '9', '--vrf', 'customer-a', '-j']);
    assert.equal(at9, online.get('rib-a-9-json'));
    const paths = (
      JSON.parse(at9) as { paths: { prefix: string; address: string; best: boolean; exportRts: string[] }[] }
    ).paths;
    assert.deepEqual(
      paths.map((p) => [p.prefix, p.address, p.best, p.exportRts.join()]),
      [
        ['10.1.0.0/24', '10.1.0.1', true, '65000:111'],
        ['10.1.0.0/24', '10.1.0.2', false, '65000:111'],
        ['2001:db8:1::/64', '2001:db8:1::1', true, '65000:111'],
      ],
    );
    // A time: the state after the last event at or before it (seq 6 at 02:00:05).
    assert.equal(
      await ok(['journal', 'replay', dir, '--at', '2026-11-24T02:00:05.5Z', '--vrf', 'customer-a']),
      online.get('rib-a-time'),
    );
    assert.equal(
      await ok(['journal', 'replay', dir, '--at', '2026-11-24 02:00:05.5', '--vrf', 'customer-a']),
      online.get('rib-a-time'),
      'local time (TZ=UTC here)',
    );
    // Without --vrf: every VRF in turn.
    const all = await ok(['journal', 'replay', dir, '--at', '5']);
    assert.equal(
      all,
      `VRF global:\n${online.get('rib-global-5')}\nVRF customer-a:\n${await ok(['journal', 'replay', dir, '--at', '5', '--vrf', 'customer-a'])}`,
    );
  });

  it('diff and history print what their online twins print', async () => {
    assert.equal(
      await ok(['journal', 'diff', dir, '--from', '4', '--to', '8', '--vrf', 'customer-a']),
      online.get('diff-a'),
    );
    const diff = await ok(['journal', 'diff', dir, '--from', '1', '--to', '10', '--vrf', 'global', '-j']);
    assert.equal(diff, online.get('diff-global-json'));
    const parsed = JSON.parse(diff) as { added: { prefix: string }[]; removed: { prefix: string }[] };
    assert.deepEqual(
      parsed.added.map((p) => p.prefix),
      ['192.0.2.10/32'],
    );
    assert.deepEqual(parsed.removed, [], '10.0.0.0/24 came and went inside the window');
    const strip = (text: string): unknown => {
      const h = JSON.parse(text) as Record<string, unknown>;
      delete h['secondsSinceLastChange'];
      return h;
    };
    const history = await ok(['journal', 'history', dir, '--vrf', 'customer-a', '10.1.0.0/24', '-j']);
    assert.deepEqual(strip(history), strip(online.get('history-a-json')!));
    const h = JSON.parse(history) as {
      events: { seq: number; type: string; interface: string }[];
      flapCount: number;
    };
    assert.deepEqual(
      h.events.map((e) => [e.seq, e.type, e.interface]),
      [
        [3, 'RouteDiscovered', 'eth1'],
        [4, 'RouteDiscovered', 'eth2'],
        [6, 'RouteVanished', 'eth1'],
        [7, 'RouteDiscovered', 'eth1'],
      ],
    );
  });

  it('dump --json, export --format jsonl and the online `events -j` print the same lines', async () => {
    const dump = await ok(['journal', 'dump', dir, '--json']);
    assert.equal(await ok(['journal', 'export', dir, '--format', 'jsonl']), dump);
    assert.equal(online.get('events'), dump);
    assert.equal(dump.trimEnd().split('\n').length, GOLDEN.length);
    const window = await ok([
      'journal',
      'export',
      dir,
      '--format',
      'jsonl',
      '--from',
      '2026-11-24T02:00:03Z',
      '--to',
      '6',
    ]);
    assert.deepEqual(
      window
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { seq: number }).seq),
      [5, 6],
    );
  });

  it('export --format mrt writes a table dump and the updates of a window', async () => {
    const file = join(tmp, 'window.mrt');
    await ok(['journal', 'export', dir, '--format', 'mrt', '--from', '5', '--to', '10', '-o', file]);
    const kinds = decodeMrt(await readFile(file)).map((e) => e.kind);
    assert.equal(
      kinds.filter((k) => k === 'bgp4mp').length,
      6,
      'eth2 best, eth1 best again, RT change (2 routes re-sent), 192.0.2.10, withdrawal',
    );
    const dump = join(tmp, 'table.mrt');
    await ok(['journal', 'export', dir, '--format', 'mrt', '--at', '9', '-o', dump]);
    const table = decodeMrt(await readFile(dump));
    assert.deepEqual(
      table.map((e) => e.kind),
      ['peer-index', 'rib', 'rib', 'rib', 'rib'],
    );
    const bad = await cli([
      'journal',
      'export',
      dir,
      '--format',
      'mrt',
      '--at',
      '9',
      '--from',
      '2',
      '-o',
      dump,
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--at .* and --from\/--to .* exclude each other/);
  });

  it('verify and stats report on a sound journal; verify exits 1 and names the first bad seq on damage', async () => {
    const verify = await ok(['journal', 'verify', dir]);
    assert.match(verify, /: OK, 10 events \(seqs 1\.\.10\)/);
    const stats = JSON.parse(await ok(['journal', 'stats', dir, '-j'])) as {
      events: number;
      firstTime: string;
      lastTime: string;
      byType: Record<string, number>;
      vrfs: { vrf: string; events: number; paths: number }[];
      sizeOnDisk: number;
    };
    assert.equal(stats.events, 10);
    assert.equal(stats.firstTime, '2026-11-24T02:00:00.000000Z');
    assert.equal(stats.lastTime, '2026-11-24T02:00:09.000000Z');
    assert.deepEqual(stats.byType, {
      RouteDiscovered: 6,
      RouteVanished: 2,
      ConfigApplied: 2,
      DaemonStarted: 0,
      DaemonStopped: 0,
    });
    assert.deepEqual(
      stats.vrfs.map((r) => [r.vrf, r.events, r.paths]),
      [
        ['global', 3, 1],
        ['customer-a', 5, 3],
      ],
    );
    assert.ok(stats.sizeOnDisk > 0);
    assert.match(await ok(['journal', 'stats', dir]), /customer-a +5 +4 +1 +4 +1 +3/);

    // A damaged copy: the last record of block e/4 flipped.
    const copy = join(tmp, 'damaged');
    await ok(['journal', 'backup', dir, '--out', copy]);
    const db = new ClassicLevel<Buffer, Buffer>(copy, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    const key = Buffer.from('650000000000000004', 'hex');
    const value = (await db.get(key))!;
    value.writeUInt8(value.readUInt8(value.length - 1) ^ 1, value.length - 1);
    await db.put(key, value);
    await db.close();
    const damaged = await cli(['journal', 'verify', copy]);
    assert.equal(damaged.code, 1);
    assert.match(damaged.stdout, /DAMAGED/);
    assert.match(damaged.stdout, /first bad seq: +4\n/);
    assert.match(damaged.stdout, /intact: +seqs 1\.\.3\n/);
    assert.match(damaged.stdout, /readable after the damage: seqs 5\.\.10/);
    const json = JSON.parse((await cli(['journal', 'verify', copy, '-j'])).stdout) as {
      ok: boolean;
      firstBadSeq: number;
      events: number;
    };
    assert.deepEqual([json.ok, json.firstBadSeq, json.events], [false, 4, 9]);
    const recovered = join(tmp, 'recovered');
    assert.match(
      await ok(['journal', 'recover', copy, '--out', recovered]),
      /recovered 3 events \(seqs 1\.\.3\)/,
    );
    assert.match(await ok(['journal', 'verify', recovered]), /OK, 3 events/);
  });

  it('refuses a journal held by a running daemon in one line naming the online command', async () => {
    const j = await openLevelJournal(dir, { create: false });
    try {
      const r = await cli(['journal', 'replay', dir, '--at', '5', '--vrf', 'customer-a']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1);
      assert.match(
        r.stderr,
        /held by a running ribjournal daemon; stop it, or ask the daemon instead: ribjournal vrf customer-a rib --at 5/,
      );
      const s = await cli(['journal', 'verify', dir]);
      assert.match(s.stderr, /held by a running ribjournal daemon.*journal backup --out DIR/);
    } finally {
      await j.close();
    }
  });
});
