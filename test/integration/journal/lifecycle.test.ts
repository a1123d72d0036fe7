// Lifecycle events with the real daemon (issue 9.6): a start and a clean stop are journaled; a daemon
// SIGKILLed journals nothing, and its next start says the previous stop was unclean; a route deleted
// while it was down reads as such in `ribjournal history` and `ribjournal events`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNetns } from '../../helpers/netns.js';
import { tempJournalDir } from '../../helpers/daemon.js';
import { openLevelJournal } from '../../../src/journal/index.js';
import { root, startServe } from '../ops/harness.js';

function cli(args: string[], api: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/run.ts', ...args],
      { cwd: root, env: { ...process.env, RIBJOURNAL_API: api, RIBJOURNAL_TOKEN: '' }, timeout: 30_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

async function lifecycle(dir: string): Promise<string[]> {
  const j = await openLevelJournal(dir, { create: false });
  const out: string[] = [];
  try {
    for await (const batch of j.read()) {
      for (const env of batch) {
        const e = env.event;
        if (e.type === 'DaemonStarted') out.push(`started previous=${String(e.previousStopClean)}`);
        if (e.type === 'DaemonStopped') out.push(`stopped ${e.reason}`);
        if (e.type === 'RouteVanished') out.push(`vanished ${e.prefix} ${e.reason}`);
      }
    }
  } finally {
    await j.close();
  }
  return out;
}

test('starts and clean stops are journaled; an unclean stop is found at the next start, and history shows the gap', async (t) => {
  const ns = await createNetns(t);
  await ns.addVeth('k0', 'k0p');
  await ns.waitOperUp('k0');
  await ns.addAddress('k0', '10.9.0.1/24');
  const dir = await tempJournalDir(t);
  const journal = join(dir, 'j');
  const file = join(dir, 'ribjournal.toml');
  await writeFile(file, `[netlink]\n  [netlink.import]\n    enabled = true\n    interface-list = ["k0"]\n`);
  const args = ['-f', file, '--journal', journal, '--api', '127.0.0.1:0'];

  const first = startServe(ns, args, { inside: false });
  await first.waitLog((l) => l.msg === 'ready', 'ready');
  process.kill(first.pid, 'SIGKILL');
  await first.exited;
  assert.deepEqual(await lifecycle(journal), ['started previous=null'], 'nothing journaled by a SIGKILL');

  await ns.delAddress('k0', '10.9.0.1/24'); // while nothing watches
  const second = startServe(ns, args, { inside: false });
  await second.waitLog((l) => l.msg === 'ready', 'ready');
  const { url } = (await second.waitLog((l) => l.msg === 'API listening', 'API url')) as { url: string };
  const history = await cli(['history', 'global', '10.9.0.0/24'], url);
  assert.match(history, /DaemonStarted\s+-\s+not watching since \S+ \(unclean stop\)/);
  assert.match(history, /RouteVanished\s+k0\s+reconcile \(vanished while the daemon was down\)/);
  const events = await cli(['events'], url);
  assert.match(events, /DaemonStarted build=\S+ config-version=1 previous-stop=UNCLEAN/);
  assert.equal(await second.stop(), 0);

  const third = startServe(ns, args, { inside: false });
  await third.waitLog((l) => l.msg === 'ready', 'ready');
  assert.equal(await third.stop(), 0);
  assert.deepEqual(await lifecycle(journal), [
    'started previous=null',
    'started previous=false',
    'vanished 10.9.0.0/24 reconcile',
    'stopped SIGTERM',
    'started previous=true',
    'stopped SIGTERM',
  ]);
});
