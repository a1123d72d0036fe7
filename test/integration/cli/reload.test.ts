// A user's session: `serve` on a real namespace, the CLI asking the running daemon, then a SIGHUP
// reload that moves an interface between VRFs, and an invalid reload that changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createNetns } from '../../helpers/netns.js';
import type { Netns } from '../../helpers/netns.js';
import { tempJournalDir } from '../../helpers/daemon.js';
import { kubelbConfig } from '../../helpers/configs.js';
import { scaled } from '../../helpers/deadline.js';

const root = new URL('../../../', import.meta.url).pathname;
const CLI = [process.execPath, '--import', 'tsx', join(root, 'src/cli/run.ts')];

/** Runs the CLI inside the namespace, where the daemon's API listens on the namespace's loopback. */
function cliIn(ns: Netns, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', ns.name, ...CLI, ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + scaled(ms);
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the CLI reads a daemon on a real namespace; SIGHUP moves an interface between VRFs; a bad reload changes nothing', async (t) => {
  const ns = await createNetns(t);
  await ns.ip('link', 'set', 'lo', 'up');
  await ns.addVeth('kubelb0', 'kubelb0-p');
  await ns.addVeth('eth1', 'eth1-p');
  await ns.waitOperUp('kubelb0');
  await ns.waitOperUp('eth1');
  await ns.addAddress('kubelb0', '192.0.2.10/32');
  await ns.addAddress('eth1', '10.1.0.1/24');
  const dir = await tempJournalDir(t);
  const file = join(dir, 'ribjournal.toml');
  await writeFile(file, kubelbConfig({ kubelbVrf: 'global' }));
  const child = spawn(
    'ip',
    ['netns', 'exec', ns.name, ...CLI, 'serve', '-f', file, '--journal', join(dir, 'j')],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = once(child, 'exit');
  ns.cleanup(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const logs: string[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => logs.push(l));
  await until('the API', async () => (logs.some((l) => l.includes('API listening')) ? true : undefined));

  const rib = await until('both routes', async () => {
    const r = await cliIn(ns, ['global', 'rib']);
    return r.stdout.includes('192.0.2.10/32') ? r : undefined;
  });
  const lines = rib.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^\s+Network\s+Next Hop\s+AS_PATH\s+Age\s+Attrs$/);
  assert.match(lines[1]!, /^\*>\s+192\.0\.2\.10\/32\s+192\.0\.2\.10\s+\d\d:\d\d:\d\d\s+\[\{Origin: i\}\]$/);
  assert.equal(lines.length, 2, 'customer-a routes are not in the global table');

  const vrfs = await cliIn(ns, ['vrf', '-j']);
  assert.equal(vrfs.code, 0, vrfs.stderr);
  const names = (JSON.parse(vrfs.stdout) as { name: string }[]).map((v) => v.name).sort();
  assert.deepEqual(names, ['customer-a'], 'like gobgp vrf: configured VRFs, not the global table');

  // Move kubelb0 into customer-a and reload.
  await writeFile(file, kubelbConfig({ kubelbVrf: 'customer-a' }));
  child.kill('SIGHUP');
  const moved = await until('kubelb0 in customer-a', async () => {
    const r = await cliIn(ns, ['vrf', 'customer-a', 'rib', '-j']);
    return r.stdout.includes('192.0.2.10/32') ? r : undefined;
  });
  assert.equal(moved.code, 0);
  const global = await cliIn(ns, ['global', 'rib', '-j']);
  assert.ok(!global.stdout.includes('192.0.2.10/32'), 'withdrawn from the global table');
  const history = await cliIn(ns, ['history', 'global', '192.0.2.10/32', '-j']);
  assert.match(history.stdout, /config-changed/, history.stdout);

  // An invalid config is rejected; the daemon keeps running on the old one.
  await writeFile(file, kubelbConfig({ kubelbVrf: 'no-such-vrf' }));
  child.kill('SIGHUP');
  await until('the rejection', async () =>
    logs.some((l) => l.includes('reload rejected')) ? true : undefined,
  );
  const still = await cliIn(ns, ['vrf', 'customer-a', 'rib', '-j']);
  assert.ok(still.stdout.includes('192.0.2.10/32'));
  assert.ok(
    logs.some((l) => l.includes('no-such-vrf')),
    'the rejection names the problem',
  );

  child.kill('SIGTERM');
  const [code] = await exited;
  assert.equal(code, 0);

  // Offline, the journal tells the story: the ConfigApplied precedes the moves it caused.
  const dump = await cliIn(ns, ['journal', 'dump', join(dir, 'j'), '--json']);
  const events = dump.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, string | undefined>);
  const configs = events.filter((e) => e.type === 'ConfigApplied');
  assert.equal(configs.length, 2, 'the invalid config was never journaled');
  const second = events.indexOf(configs[1]!);
  assert.deepEqual(
    events
      .slice(second + 1)
      .filter((e) => e.type === 'RouteVanished' || e.type === 'RouteDiscovered')
      .map((e) => `${e.type} ${e.vrf} ${e.prefix} ${e.reason ?? ''}`.trim()),
    ['RouteVanished global 192.0.2.10/32 config-changed', 'RouteDiscovered customer-a 192.0.2.10/32'],
  );
});
