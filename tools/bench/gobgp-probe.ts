// Kernel change → route in a gobgpd peer's RIB, timed: `gobgp monitor global rib -j` in the peer's
// namespace, `ip -batch` in the kernel's. Shared by bgp.bench.ts and commit-path.bench.ts.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';

/** One change: when it was written to `ip`, and when gobgpd's monitor showed it (performance.now()). */
export interface ProbeTiming {
  readonly start: number;
  readonly seen: number;
}

export interface GobgpProbe {
  /**
   * Runs the `ip` command `cmd` and resolves when gobgpd shows `key` ("+PREFIX" announced, "-PREFIX"
   * withdrawn); only prefixes under 198.18.0.0/16 are watched.
   */
  change(key: string, cmd: string): Promise<ProbeTiming>;
}

export function gobgpProbe(
  peerNs: string,
  kernelNs: string,
  cleanups: (() => unknown)[],
  timeoutMs: number,
): GobgpProbe {
  const monitor = spawn(
    'ip',
    ['netns', 'exec', peerNs, 'gobgp', '-u', '127.0.0.1', '-p', '50051', 'monitor', 'global', 'rib', '-j'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  cleanups.push(() => monitor.kill('SIGKILL'));
  const waiting = new Map<string, (t: number) => void>();
  createInterface({ input: monitor.stdout }).on('line', (line) => {
    const now = performance.now();
    if (!line.includes('198.18.')) return;
    for (const p of JSON.parse(line) as { nlri: { prefix: string }; withdrawal?: boolean }[])
      waiting.get(`${p.withdrawal ? '-' : '+'}${p.nlri.prefix}`)?.(now);
  });
  const ipb = spawn('ip', ['-n', kernelNs, '-force', '-batch', '-'], {
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  cleanups.push(() => ipb.stdin.end());
  return {
    async change(key, cmd) {
      const done = new Promise<number>((r) => waiting.set(key, r));
      const start = performance.now();
      ipb.stdin.write(`${cmd}\n`);
      const seen = await Promise.race([
        done,
        new Promise<number>((_, rej) => setTimeout(() => rej(new Error(`no ${key} at gobgpd`)), timeoutMs)),
      ]);
      waiting.delete(key);
      return { start, seen };
    },
  };
}
