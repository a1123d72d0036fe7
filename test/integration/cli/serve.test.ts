// The real `ribjournal` command as a user runs it: serve inside a namespace, dry-run on bad configs,
// journal dump offline and refused while the daemon holds the journal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createNetns, run } from '../../helpers/netns.js';
import { tempJournalDir } from '../../helpers/daemon.js';
import { scaled } from '../../helpers/deadline.js';

const root = new URL('../../../', import.meta.url).pathname;
const CLI = [process.execPath, '--import', 'tsx', join(root, 'src/cli/run.ts')];

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(CLI[0]!, [...CLI.slice(1), ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const BAD: [string, string, RegExp][] = [
  [
    'bad RD',
    '[[vrfs]]\n  [vrfs.config]\n    name = "a"\n    rd = "64551"\n',
    /:4: vrfs\[0\]\.config\.rd: .*64551/,
  ],
  [
    'bad RT',
    '[[vrfs]]\n  [vrfs.config]\n    name = "a"\n    rd = "1:1"\n    import-rt-list = ["1.2.3.4:99999"]\n',
    /:5: vrfs\[0\]\.config\.import-rt-list/,
  ],
  [
    'duplicate VRF',
    '[[vrfs]]\n  [vrfs.config]\n    name = "a"\n    rd = "1:1"\n[[vrfs]]\n  [vrfs.config]\n    name = "a"\n    rd = "1:2"\n',
    /:7: vrfs\[1\]\.config\.name: .*duplicate|:7: vrfs\[1\]\.config\.name: .*already/i,
  ],
  [
    'unknown VRF in netlink.import',
    '[netlink.import]\n  enabled = true\n  interface-list = ["eth0"]\n  vrf = "nope"\n',
    /:4: netlink\.import\.vrf: .*nope/,
  ],
  [
    'empty interface list',
    '[netlink.import]\n  enabled = true\n  interface-list = []\n',
    /:3: netlink\.import\.interface-list/,
  ],
  [
    'wrong type',
    '[netlink.import]\n  enabled = "yes"\n  interface-list = ["eth0"]\n',
    /:2: netlink\.import\.enabled/,
  ],
  ['TOML syntax', '[netlink.import\n', /:1:\d+: TOML syntax error/],
];

for (const [kind, toml, message] of BAD) {
  test(`serve --dry-run rejects a config with ${kind}, naming key path and line`, async (t) => {
    const dir = await tempJournalDir(t);
    const file = join(dir, 'bad.toml');
    await writeFile(file, toml);
    const r = await cli(['serve', '--dry-run', '-f', file]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, message);
    assert.ok(!r.stderr.includes('    at '), 'one clear message, no stack trace');
  });
}

test('serve --dry-run accepts every example and warns about unknown keys without failing', async (t) => {
  for (const ex of [
    'quickstart',
    'hybrid',
    'multi-tenant',
    'edge-router',
    'kubernetes',
    'bgp',
    'global',
    'per-vrf',
  ]) {
    const r = await cli(['serve', '--dry-run', '-f', join(root, 'examples', `${ex}.toml`)]);
    assert.equal(r.code, 0, `${ex}: ${r.stderr}`);
    assert.match(r.stdout, /configuration is valid/);
  }
  const dir = await tempJournalDir(t);
  const file = join(dir, 'extra.toml');
  await writeFile(
    file,
    '[netlink.import]\n  enabled = true\n  interface-list = ["eth0"]\n  colour = "blue"\n',
  );
  const r = await cli(['serve', '--dry-run', '-f', file]);
  assert.equal(r.code, 0);
  assert.match(r.stderr, /warning: .*:4: netlink\.import\.colour/);
  // An interface this machine lacks is valid (it is waited for) but worth a warning.
  await writeFile(file, '[netlink.import]\n  enabled = true\n  interface-list = ["rjt-absent0"]\n');
  const absent = await cli(['serve', '--dry-run', '-f', file]);
  assert.equal(absent.code, 0);
  assert.match(
    absent.stdout,
    /^warning: table global: rjt-absent0 not on this machine; its routes come when the interface appears$/m,
  );
});

test('serve in a namespace journals what happens; journal dump prints it after the daemon stopped', async (t) => {
  const ns = await createNetns(t);
  await ns.addVeth('kubelb0', 'kubelb0-p');
  await ns.waitOperUp('kubelb0');
  const dir = await tempJournalDir(t);
  const journal = join(dir, 'j');
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns.name,
      ...CLI,
      'serve',
      '-f',
      join(root, 'examples/hybrid.toml'),
      '--journal',
      journal,
      '--log-level',
      'debug',
    ],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = once(child, 'exit');
  ns.cleanup(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const logs: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      return;
    }
    for (const w of waiters.splice(0)) w();
  });
  const waitLog = async (
    pred: (l: Record<string, unknown>) => boolean,
    what: string,
  ): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + scaled(20_000);
    for (;;) {
      const hit = logs.find(pred);
      if (hit) return hit;
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`no log line for ${what}: ${JSON.stringify(logs)}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  };
  await waitLog((l) => l.msg === 'ready', 'ready');
  // What it sees, per table (JSON lines: stdout is not a terminal): present and missing interfaces.
  const table = await waitLog((l) => l.msg === 'table global: importing from kubelb0', 'the global table');
  assert.deepEqual(table.interfaces, ['kubelb0']);
  const missing = await waitLog((l) => l.level === 40 && l.vrf === 'customer-a', 'the missing interfaces');
  assert.deepEqual(missing.missing, ['eth1', 'eth2']);
  await ns.addAddress('kubelb0', '192.0.2.10/32');
  const imported = await waitLog((l) => l.msg === 'route imported', 'the route imported');
  assert.equal(imported.topic, 'netlink');
  assert.equal(imported.vrf, 'global');
  assert.equal(imported.interface, 'kubelb0');
  assert.equal(imported.prefix, '192.0.2.10/32');

  const locked = await cli(['journal', 'dump', journal]);
  assert.notEqual(locked.code, 0);
  assert.match(locked.stderr, /held by a running ribjournal daemon/);

  child.kill('SIGTERM');
  const [code] = await exited;
  assert.equal(code, 0, 'SIGTERM stops the daemon cleanly');

  const dump = await cli(['journal', 'dump', journal, '--json']);
  assert.equal(dump.code, 0, dump.stderr);
  const events = dump.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(events[0]?.type, 'ConfigApplied');
  const route = events.find((e) => e.type === 'RouteDiscovered');
  assert.ok(route, dump.stdout);
  assert.equal(route.vrf, 'global');
  assert.equal(route.prefix, '192.0.2.10/32');
  assert.equal(route.interface, 'kubelb0');
  assert.equal(route.family, 'ipv4');
  assert.match(String(route.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

  const text = await cli(['journal', 'dump', journal]);
  assert.match(text.stdout, /^2 \S+ DaemonStarted build=\S+ config-version=1 previous-stop=unknown$/m);
  assert.match(text.stdout, /^3 \S+ RouteDiscovered vrf=global 192\.0\.2\.10\/32 dev kubelb0/m);
  assert.match(text.stdout, /DaemonStopped build=\S+ reason SIGTERM\n$/, 'a clean stop is the last event');
  await run(['true']);
});

test('journal dump of a missing directory says so in one line', async () => {
  const r = await cli(['journal', 'dump', '/nonexistent/ribjournal']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /^ribjournal: .*\/nonexistent\/ribjournal/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});
