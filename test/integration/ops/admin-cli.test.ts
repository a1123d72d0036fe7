// The admin commands on a real daemon in a namespace (loopback API with a token file): `reload` without
// the token is refused in one line and changes nothing; with RIBJOURNAL_TOKEN_FILE it moves an interface
// between VRFs; an invalid file prints its problems and exits 2; `reconcile` finds nothing to correct on a
// quiet system; `journal backup --out` without a DIR asks the daemon, and the copy verifies offline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createNetns } from '../../helpers/netns.js';
import type { Netns } from '../../helpers/netns.js';
import { tempJournalDir } from '../../helpers/daemon.js';
import { kubelbConfig } from '../../helpers/configs.js';
import { gql, http, root, startServe, until } from './harness.js';

const CONFIG = (kubelbVrf: string): string =>
  kubelbConfig({ kubelbVrf, extra: '[api]\n  token-file = "api-token"' });
const TOKEN = 'YWRtaW4tY2xpLXRva2VuLWZvci1yaWJqb3VybmFs';
const BASE = 'http://127.0.0.1:8179';
// tsx by path: one CLI run has another working directory (for a relative --out).
const CLI = [
  process.execPath,
  '--import',
  pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href,
  join(root, 'src/cli/run.ts'),
];

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The CLI inside the namespace, with exactly the token variables given. */
function cli(ns: Netns, args: string[], env: NodeJS.ProcessEnv = {}, cwd = root): Promise<CliResult> {
  return new Promise((resolve) => {
    const base = { ...process.env };
    delete base['RIBJOURNAL_TOKEN'];
    delete base['RIBJOURNAL_TOKEN_FILE'];
    delete base['RIBJOURNAL_API'];
    const child = spawn('ip', ['netns', 'exec', ns.name, ...CLI, ...args], { cwd, env: { ...base, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function head(ns: Netns): Promise<string> {
  const r = await gql<{ journal: { headSeq: string } }>(ns, `${BASE}/graphql`, '{ journal { headSeq } }');
  assert.ok(r.data, JSON.stringify(r.errors));
  return r.data.journal.headSeq;
}

test('reload, reconcile and online backup through the CLI need the token and do what they say', async (t) => {
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
  const tokenFile = join(dir, 'api-token');
  await writeFile(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  await writeFile(file, CONFIG('global'));
  const serve = startServe(ns, ['-f', file, '--journal', join(dir, 'j')], { inside: true });
  await serve.waitLog((l) => l.msg === 'API listening', 'API listening');
  await until('ready', async () => ((await http(ns, `${BASE}/readyz`)).status === 200 ? true : undefined));
  await until('both routes', async () => {
    const r = await cli(ns, ['global', 'rib', '-j']);
    return r.stdout.includes('192.0.2.10/32') ? true : undefined;
  });
  const withToken = { RIBJOURNAL_TOKEN_FILE: tokenFile };

  // The file now moves kubelb0 into customer-a. Without the token: one line, nothing changes.
  await writeFile(file, CONFIG('customer-a'));
  const before = await head(ns);
  for (const env of [{}, { RIBJOURNAL_TOKEN: 'wrong' }]) {
    const refused = await cli(ns, ['reload'], env);
    assert.equal(refused.code, 1, refused.stderr);
    assert.equal(refused.stdout, '');
    assert.equal(refused.stderr.trimEnd().split('\n').length, 1, refused.stderr);
    assert.match(refused.stderr, /^ribjournal: reload: .*RIBJOURNAL_TOKEN or RIBJOURNAL_TOKEN_FILE/);
  }
  const missing = await cli(ns, ['reload'], { RIBJOURNAL_TOKEN_FILE: join(dir, 'no-such-file') });
  assert.equal(missing.code, 1);
  assert.equal(
    missing.stderr,
    `ribjournal: RIBJOURNAL_TOKEN_FILE: cannot read token file ${join(dir, 'no-such-file')} (ENOENT)\n`,
  );
  assert.equal(await head(ns), before, 'the journal did not move');
  assert.ok(!serve.logs.some((l) => l.msg === 'config reloaded'));
  const stillGlobal = await cli(ns, ['global', 'rib', '-j']);
  assert.ok(stillGlobal.stdout.includes('192.0.2.10/32'));

  // With the token from RIBJOURNAL_TOKEN_FILE: the reload moves the interface.
  const ok = await cli(ns, ['reload'], withToken);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, 'config reloaded (changed, config version 2)\n');
  const moved = await cli(ns, ['vrf', 'customer-a', 'rib', '-j']);
  assert.ok(moved.stdout.includes('192.0.2.10/32'), moved.stdout);
  const global = await cli(ns, ['global', 'rib', '-j']);
  assert.ok(!global.stdout.includes('192.0.2.10/32'), 'withdrawn from the global table');
  const history = await cli(ns, ['history', 'global', '192.0.2.10/32', '-j']);
  assert.match(history.stdout, /config-changed/);

  const again = await cli(ns, ['reload', '-j'], withToken);
  assert.equal(again.code, 0, again.stderr);
  const j = JSON.parse(again.stdout) as { changed: boolean; configVersion: number; headSeq: number };
  assert.equal(j.changed, false);
  assert.equal(j.configVersion, 2);
  assert.equal(String(j.headSeq), await head(ns));
  assert.equal((await cli(ns, ['reload'], withToken)).stdout, 'config unchanged\n');

  // An invalid file: its problems one per line, exit 2, the running config kept.
  await writeFile(file, CONFIG('no-such-vrf'));
  const afterReload = await head(ns);
  const bad = await cli(ns, ['reload'], withToken);
  assert.equal(bad.code, 2, bad.stderr);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /keeps the running config/);
  assert.match(bad.stderr, /\n {2}\S*ribjournal\.toml:7: netlink\.import\.vrf: .*no-such-vrf/);
  assert.equal(await head(ns), afterReload);
  await writeFile(file, CONFIG('customer-a'));

  // Reconcile on a quiet system corrects nothing.
  const refusedReconcile = await cli(ns, ['reconcile']);
  assert.equal(refusedReconcile.code, 1);
  assert.match(refusedReconcile.stderr, /^ribjournal: reconcile: .*RIBJOURNAL_TOKEN/);
  const rec = await cli(ns, ['reconcile'], withToken);
  assert.equal(rec.code, 0, rec.stderr);
  assert.equal(rec.stdout, '0 corrections\n');
  const recJ = await cli(ns, ['reconcile', '-j'], withToken);
  assert.equal((JSON.parse(recJ.stdout) as { corrections: number }).corrections, 0);
  assert.equal(await head(ns), afterReload);

  // Online backup: without the token refused; with it, a relative --out is resolved here and verifies.
  const noBackup = await cli(ns, ['journal', 'backup', '--out', join(dir, 'refused')]);
  assert.equal(noBackup.code, 1);
  assert.match(noBackup.stderr, /^ribjournal: journal backup: .*RIBJOURNAL_TOKEN/);
  const backup = await cli(ns, ['journal', 'backup', '--out', 'copy', '-j'], withToken, dir);
  assert.equal(backup.code, 0, backup.stderr);
  const b = JSON.parse(backup.stdout) as { location: string; events: number; ok: boolean };
  assert.equal(b.location, join(dir, 'copy'));
  assert.equal(String(b.events), afterReload);
  assert.equal(b.ok, true);
  const text = await cli(ns, ['journal', 'backup', '--out', join(dir, 'copy2')], withToken);
  assert.match(
    text.stdout,
    new RegExp(`^backed up \\d+ events into ${join(dir, 'copy2')} \\(.*\\); it verifies\\.\\n$`),
  );

  assert.equal(await serve.stop(), 0);
  const verify = await cli(ns, ['journal', 'verify', join(dir, 'copy')]);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  assert.ok(!serve.output().includes(TOKEN), 'the token is never logged');
});
