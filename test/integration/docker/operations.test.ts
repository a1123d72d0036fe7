// What docs/operations.md and docker/ claim about running ribjournal, on a real kernel without Docker:
// the lab's interface script makes what the lab config imports, and `serve` needs no privilege at all
// to read the kernel's links and addresses and journal them (uid 10179, the image's user, with every
// capability dropped and no_new_privs, as in the DaemonSet and the compose lab).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { has, runDaemon } from '../../helpers/daemon.js';
import { createNetns } from '../../helpers/netns.js';
import { openLevelJournal } from '../../../src/journal/index.js';

const root = new URL('../../../', import.meta.url).pathname;
const IMAGE_UID = 10179;

test('the lab: docker/lab/interfaces.sh makes the interfaces docker/lab/ribjournal.toml imports', async (t) => {
  const ns = await createNetns(t);
  const script = join(root, 'docker/lab/interfaces.sh');
  await ns.exec(['sh', script]);
  await ns.exec(['sh', script]); // again: a restarted lab must not fail
  for (const dev of ['kubelb0', 'cust-a0', 'cust-b0']) await ns.waitOperUp(dev);
  const d = await runDaemon(t, ns, readFileSync(join(root, 'docker/lab/ribjournal.toml'), 'utf8'));
  for (const line of [
    '+ global 192.0.2.10/32 kubelb0',
    '+ global 192.0.2.11/32 kubelb0',
    '+ global 2001:db8:100::10/128 kubelb0',
    '+ customer-a 10.1.0.0/24 cust-a0',
    '+ customer-a 2001:db8:1::/64 cust-a0',
    '+ customer-b 10.2.0.0/24 cust-b0',
  ])
    await d.until(has(line), line);
});

test("the lab's second node: interfaces.sh with LAB_NODE=b makes what ribjournal-b.toml imports", async (t) => {
  const ns = await createNetns(t);
  await ns.exec(['env', 'LAB_NODE=b', 'sh', join(root, 'docker/lab/interfaces.sh')]);
  const d = await runDaemon(t, ns, readFileSync(join(root, 'docker/lab/ribjournal-b.toml'), 'utf8'));
  for (const line of ['+ global 192.0.2.10/32 kubelb0', '+ customer-a 10.1.1.0/24 cust-a0'])
    await d.until(has(line), line);
});

test('serve runs as an unprivileged user with no capability: reads the kernel, journals, stops cleanly', async (t) => {
  if (spawnSync('setpriv', ['--version']).error !== undefined) {
    t.skip('setpriv (util-linux) is not installed');
    return;
  }
  const ns = await createNetns(t);
  await ns.addVeth('kubelb0', 'kubelb0-p');
  await ns.waitOperUp('kubelb0');
  await ns.addAddress('kubelb0', '192.0.2.10/32');

  // As the image lays it out: a config anyone may read, a journal directory only its user may enter.
  const dir = mkdtempSync(join(tmpdir(), 'rjt-unpriv-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const config = join(dir, 'ribjournal.toml');
  writeFileSync(config, '[netlink.import]\n  enabled = true\n  interface-list = ["kubelb0"]\n', {
    mode: 0o644,
  });
  const journal = join(dir, 'journal');
  mkdirSync(journal, { mode: 0o700 });
  chownSync(journal, IMAGE_UID, IMAGE_UID);
  const scratch = join(dir, 'tmp');
  mkdirSync(scratch, { mode: 0o700 });
  chownSync(scratch, IMAGE_UID, IMAGE_UID);

  const argv = [
    'netns',
    'exec',
    ns.name,
    'setpriv',
    `--reuid=${IMAGE_UID}`,
    `--regid=${IMAGE_UID}`,
    '--clear-groups',
    '--inh-caps=-all',
    '--ambient-caps=-all',
    '--bounding-set=-all',
    '--no-new-privs',
    // `ip netns exec`, setpriv and env exec in place: the pid is the daemon's.
    'env',
    `HOME=${dir}`,
    `TMPDIR=${scratch}`, // tsx's cache, removed with the rest
    process.execPath,
    '--import',
    'tsx',
    join(root, 'src/cli/run.ts'),
    'serve',
    '-f',
    config,
    '--journal',
    journal,
    '-l',
    'debug',
  ];
  const child = spawn('ip', argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  ns.cleanup(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const imported = new Set<string>();
  const waiters: { prefix: string; resolve: () => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    let entry: { msg?: string; prefix?: string; vrf?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return;
    }
    if (entry.msg !== 'route imported' || entry.prefix === undefined) return;
    imported.add(entry.prefix);
    for (const w of waiters.filter((x) => x.prefix === entry.prefix)) w.resolve();
  });
  const importedOf = (prefix: string): Promise<void> =>
    imported.has(prefix)
      ? Promise.resolve()
      : Promise.race([
          new Promise<void>((resolve) => waiters.push({ prefix, resolve })),
          new Promise<void>((_, reject) =>
            setTimeout(
              () => reject(new Error(`${prefix} not imported in 15 s; stderr:\n${stderr}`)),
              15_000,
            ).unref(),
          ),
          once(child, 'exit').then(([code]) => {
            throw new Error(`serve exited (${String(code)}) before importing ${prefix}:\n${stderr}`);
          }),
        ]);

  await importedOf('192.0.2.10/32'); // from the start-up dump
  await ns.addAddress('kubelb0', '198.51.100.7/32');
  await importedOf('198.51.100.7/32'); // from a multicast notification

  child.kill('SIGTERM');
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  assert.equal(signal, null, stderr);
  assert.equal(code, 0, `SIGTERM: a clean exit 0\n${stderr}`);

  const j = await openLevelJournal(journal);
  try {
    const prefixes: string[] = [];
    for await (const batch of j.read())
      for (const e of batch) if (e.event.type === 'RouteDiscovered') prefixes.push(e.event.prefix);
    assert.deepEqual(prefixes.sort(), ['192.0.2.10/32', '198.51.100.7/32']);
  } finally {
    await j.close();
  }
});
