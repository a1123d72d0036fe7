// Small tools the BGP integration tests share: the real CLI in a child process, the API server of an
// in-process daemon, and the kernel's TCP counters (what it dropped, for "never establishes" tests).
import { scaled } from '../../helpers/deadline.js';
import { execFile } from 'node:child_process';
import { startApiServer } from '../../../src/api/index.js';
import type { Daemon } from '../../../src/main.js';
import { run, type AfterHook, type Netns } from '../../helpers/netns.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

/** Runs `ribjournal ARGS` against the API at host:port. */
export function cli(args: string[], api: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/run.ts', ...args],
      { cwd: ROOT, env: { ...process.env, RIBJOURNAL_API: api }, timeout: scaled(30_000) },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The daemon's API on a free loopback port, closed when the test ends; returns its host:port. */
export async function apiFor(t: AfterHook, daemon: Daemon): Promise<{ host: string; url: string }> {
  const server = await startApiServer(
    {
      journal: daemon.journal,
      rib: daemon.rib,
      live: daemon.live,
      indexes: daemon.indexes,
      ready: () => daemon.ready,
      bgp: {
        neighbors: () => daemon.bgp?.neighbors() ?? [],
        adjRibOut: (a, f) => daemon.bgp?.adjRibOut(a, f),
        adjRibIn: (a, f) => daemon.bgp?.adjRibIn(a, f),
      },
    },
    { listen: '127.0.0.1:0' },
  );
  t.after(() => server.close());
  return { host: new URL(server.url).host, url: server.url };
}

/** A kernel counter (`nstat -az NAME`) of `ns`, or of the test's own namespace. */
export async function kernelCounter(ns: Netns | undefined, name: string): Promise<number> {
  const cmd = ['nstat', '-az', name];
  const out = ns ? await ns.exec(cmd) : await run(cmd);
  return Number(new RegExp(`${name}\\s+(\\d+)`).exec(out)?.[1] ?? 0);
}
