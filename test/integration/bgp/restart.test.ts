// Graceful restart (RFC 4724) from the peer's side: ribjournal (the real `ribjournal serve` process) is
// killed; gobgpd, a graceful restart helper, keeps its routes as stale instead of dropping them; the
// restarted daemon sends its table and End-of-RIB, and gobgpd then drops only what went away meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNetns } from '../../helpers/netns.js';
import { tempJournalDir } from '../../helpers/daemon.js';
import { Gobgpd, createPeerLink, waitFor } from './harness.js';
import { freePort } from './scripted-peer.js';

const root = new URL('../../../', import.meta.url).pathname;

test('ribjournal killed and restarted: a graceful-restart peer keeps its routes, then drops only stale ones', async (t) => {
  const link = await createPeerLink(t);
  const kernel = await createNetns(t);
  await kernel.addVeth('kubelb0', 'kubelb0p');
  await kernel.waitOperUp('kubelb0');
  await kernel.addAddress('kubelb0', '192.0.2.10/32');
  await kernel.addAddress('kubelb0', '192.0.2.11/32');
  const gobgpd = await Gobgpd.start(link.ns, {
    as: 65002,
    routerId: link.peer4,
    neighbors: [{ address: link.local4, peerAs: 65001, families: ['ipv4-unicast'], gracefulRestart: true }],
  });
  const dir = await tempJournalDir(t);
  const configFile = join(await tempJournalDir(t), 'ribjournal.toml'); // a temp dir removed afterwards
  await writeFile(
    configFile,
    `
[global.config]
  as = 65001
  router-id = "192.0.2.1"
  port = -1
[netlink.import]
  enabled = true
  interface-list = ["kubelb0"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${link.peer4}"
    peer-as = 65002
  [neighbors.timers.config]
    connect-retry = 1
[api]
  listen = "127.0.0.1:${await freePort()}"
`,
  );
  const children = new Set<ChildProcess>();
  t.after(() => {
    for (const c of children) c.kill('SIGKILL');
  });
  const serve = (): ChildProcess => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'src/cli/run.ts'),
        'serve',
        '-f',
        configFile,
        '--journal',
        dir,
        '--netns',
        kernel.name,
        '-l',
        'warn',
      ],
      { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
  const rib = async (): Promise<Map<string, boolean>> =>
    new Map([...(await gobgpd.rib('ipv4-unicast')).values()].map((r) => [r.prefix, r.stale]));

  const first = serve();
  await waitFor(
    async () => {
      const r = await rib();
      return r.get('192.0.2.10/32') === false && r.get('192.0.2.11/32') === false;
    },
    'both routes at gobgpd',
    30_000,
  );
  await waitFor(async () => (await gobgpd.endOfRibReceived(link.local4)).length === 1, 'End-of-RIB');

  // A crash: no NOTIFICATION, the kernel closes the connection.
  const exited = new Promise((resolve) => first.once('exit', resolve));
  first.kill('SIGKILL');
  await exited;
  await waitFor(async () => (await gobgpd.sessionState(link.local4)) !== 6, 'gobgpd sees the session go');
  const kept = await rib();
  assert.deepEqual(
    [...kept.entries()].sort(),
    [
      ['192.0.2.10/32', true],
      ['192.0.2.11/32', true],
    ],
    'the helper keeps our routes, marked stale',
  );

  // While we are down, one address goes away.
  await kernel.delAddress('kubelb0', '192.0.2.11/32');
  serve();
  await waitFor(
    async () => {
      const r = await rib();
      return r.size === 1 && r.get('192.0.2.10/32') === false;
    },
    'after our End-of-RIB: the route refreshed, the stale one gone',
    30_000,
  );
});
