// Graceful restart (RFC 4724) from the peer's side: ribjournal (the real `ribjournal serve` process) is
// killed; gobgpd, a graceful restart helper, keeps its routes as stale instead of dropping them; the
// restarted daemon sends its table and End-of-RIB, and gobgpd then drops only what went away meanwhile.
// Issue 10.4: End-of-RIB only after the complete initial table, even while an unrelated link toggles
// during the start-up dump; an early one makes the helper purge routes that are still in the kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createNetns, type AfterHook, type Netns } from '../../helpers/netns.js';
import { tempJournalDir } from '../../helpers/daemon.js';
import { flapLink } from '../../helpers/flap.js';
import { Gobgpd, createPeerLink, waitFor, type PeerLink } from './harness.js';
import { freePort } from './scripted-peer.js';
import { labConfig } from './lab-config.js';

/** A path as `gobgp monitor global rib -j` prints it. */
interface MonitoredPath {
  readonly nlri?: { readonly prefix: string };
  readonly withdrawal?: boolean;
}

const root = new URL('../../../', import.meta.url).pathname;

interface Lab {
  readonly link: PeerLink;
  readonly kernel: Netns;
  readonly gobgpd: Gobgpd;
  /** Starts `ribjournal serve` on journal `dir`, observing `kernel`; killed when the test ends. */
  readonly serve: (dir: string) => ChildProcess;
  /** gobgpd's IPv4 unicast RIB: prefix -> stale. */
  readonly rib: () => Promise<Map<string, boolean>>;
  /** Kills a serve process the way a crash does (no NOTIFICATION) and waits until gobgpd sees it go. */
  readonly crash: (child: ChildProcess) => Promise<void>;
}

/** gobgpd (graceful restart helper) peering with ribjournal serve, which imports kubelb0 of `kernel`. */
async function graceLab(t: AfterHook): Promise<Lab> {
  const link = await createPeerLink(t);
  const kernel = await createNetns(t);
  await kernel.addVeth('kubelb0', 'kubelb0p');
  await kernel.waitOperUp('kubelb0');
  const gobgpd = await Gobgpd.start(link.ns, {
    as: 65002,
    routerId: link.peer4,
    neighbors: [{ address: link.local4, peerAs: 65001, families: ['ipv4-unicast'], gracefulRestart: true }],
  });
  const configFile = join(await tempJournalDir(t), 'ribjournal.toml'); // a temp dir removed afterwards
  await writeFile(
    configFile,
    labConfig({ neighbor: link.peer4, extra: `[api]\n  listen = "127.0.0.1:${await freePort()}"` }),
  );
  const children = new Set<ChildProcess>();
  t.after(() => {
    for (const c of children) c.kill('SIGKILL');
  });
  return {
    link,
    kernel,
    gobgpd,
    serve: (dir) => {
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
    },
    rib: async () => {
      return new Map([...(await gobgpd.rib('ipv4-unicast')).values()].map((r) => [r.prefix, r.stale]));
    },
    crash: async (child) => {
      // No NOTIFICATION: the kernel closes the connection.
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      await waitFor(async () => (await gobgpd.sessionState(link.local4)) !== 6, 'gobgpd sees the session go');
    },
  };
}

test('ribjournal killed and restarted: a graceful-restart peer keeps its routes, then drops only stale ones', async (t) => {
  const { link, kernel, gobgpd, serve, rib, crash } = await graceLab(t);
  await kernel.addAddress('kubelb0', '192.0.2.10/32');
  await kernel.addAddress('kubelb0', '192.0.2.11/32');
  const dir = await tempJournalDir(t);
  const first = serve(dir);
  await waitFor(
    async () => {
      const r = await rib();
      return r.get('192.0.2.10/32') === false && r.get('192.0.2.11/32') === false;
    },
    'both routes at gobgpd',
    30_000,
  );
  await waitFor(async () => (await gobgpd.endOfRibReceived(link.local4)).length === 1, 'End-of-RIB');

  await crash(first);
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
  serve(dir);
  await waitFor(
    async () => {
      const r = await rib();
      return r.size === 1 && r.get('192.0.2.10/32') === false;
    },
    'after our End-of-RIB: the route refreshed, the stale one gone',
    30_000,
  );
});

test('restart with an unrelated link toggling during the start-up dump: the helper sees no withdrawal, End-of-RIB after the full table', async (t) => {
  const { link, kernel, gobgpd, serve, rib, crash } = await graceLab(t);
  const COUNT = 2000;
  const prefixes = Array.from({ length: COUNT }, (_, i) => `10.77.${i >> 8}.${i & 255}/32`);
  await kernel.batch(prefixes.map((p) => `addr add ${p} dev kubelb0`));
  await kernel.addVeth('flap0', 'flap0p');
  const first = serve(await tempJournalDir(t));
  const complete = async (): Promise<boolean> => {
    const r = await rib();
    return r.size === prefixes.length && prefixes.every((p) => r.get(p) === false);
  };
  await waitFor(complete, `${COUNT} routes at gobgpd`, 30_000);
  await waitFor(async () => (await gobgpd.endOfRibReceived(link.local4)).length === 1, 'End-of-RIB');

  // Every route change gobgpd makes from here on, withdrawals included (stale routes it purges).
  const withdrawn = new Set<string>();
  const announced = new Set<string>();
  const monitor = spawn(
    'ip',
    ['netns', 'exec', link.ns.name, 'gobgp', '-u', '127.0.0.1', '-p', '50051'].concat([
      'monitor',
      'global',
      'rib',
      '--current',
      '-j',
    ]),
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  t.after(() => monitor.kill('SIGKILL'));
  createInterface({ input: monitor.stdout }).on('line', (line) => {
    // One JSON value per line: a list of paths (a best-path change) or a single path; anything else
    // (an error once gobgpd is gone) is not a route change.
    const value = JSON.parse(line) as MonitoredPath[] | MonitoredPath;
    for (const p of Array.isArray(value) ? value : [value])
      if (p.nlri !== undefined) (p.withdrawal === true ? withdrawn : announced).add(p.nlri.prefix);
  });
  // With --current it prints the table first: once it has, it is subscribed to what follows.
  await waitFor(() => prefixes.every((p) => announced.has(p)), 'the monitor to show the table');

  await crash(first);
  const stopFlapping = await flapLink(kernel, 'flap0');
  t.after(stopFlapping);
  // The restarted daemon has an empty journal (its state directory was lost): the whole table comes
  // from the start-up dump, which races with the flapping link.
  serve(await tempJournalDir(t));
  await waitFor(complete, 'every route refreshed (none stale)', 30_000);
  await waitFor(async () => (await gobgpd.endOfRibReceived(link.local4)).length === 1, 'End-of-RIB');
  await stopFlapping();
  // Whatever gobgpd did before this marker route is in the monitor's output once it shows the marker.
  await kernel.addAddress('kubelb0', '198.51.100.2/32');
  await waitFor(() => announced.has('198.51.100.2/32'), 'the monitor to show a marker route');
  monitor.kill('SIGKILL');
  assert.deepEqual([...withdrawn].sort(), [], 'withdrawals at the helper of routes still in the kernel');
});
