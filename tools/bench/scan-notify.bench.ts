// Issue 9.3: a kernel change made while the observer scans 100k addresses, until the rtnetlink session
// (the observer child's core) hands it on. Periodic scans now forward notifications as they come and
// send a delta; the reference, interleaved change by change, is a whole scan (what every periodic scan
// was: notifications held until the dump, its decoding and its snapshot were done). Needs root: builds a
// namespace with 100 veths x 1000 addresses, then runs itself inside it.
// Run: node --import tsx tools/bench/scan-notify.bench.ts (SCAN_NOTIFY_SAMPLES=40 per mode)
import { execFileSync, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { RtnlSession } from '../../src/netlink/rtnl-session.js';
import type { ObserverBatch } from '../../src/netlink/index.js';
import { createNetns } from '../../test/helpers/netns.js';
import { addHundredThousandAddresses } from './kernel-lab.js';

const SAMPLES = Number(process.env.SCAN_NOTIFY_SAMPLES ?? 40);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

/** Inside the namespace: the session, a long-lived `ip -batch -`, and the samples. */
async function inner(): Promise<void> {
  const waiting = new Map<string, () => void>();
  let snapshotWaiter: (() => void) | undefined;
  const onBatch = (b: ObserverBatch): void => {
    for (const c of b.changes) {
      if (c.kind === 'snapshot') snapshotWaiter?.();
      else if (c.kind === 'address') waiting.get(`${c.op} ${c.address.address}`)?.();
    }
  };
  const session = new RtnlSession({
    scanIntervalMs: 0,
    clock: { nowMicros: () => Math.round(performance.now() * 1000) },
    hooks: {
      batch: onBatch,
      log: () => undefined,
      fatal: (msg, err) => {
        console.error(msg, err);
        process.exit(1);
      },
    },
  });
  const snapshot = (): Promise<void> => new Promise((r) => (snapshotWaiter = r));
  const started = snapshot();
  session.start();
  await started;
  const ip = spawn('ip', ['-force', '-batch', '-'], { stdio: ['pipe', 'ignore', 'inherit'] });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const xs = { delta: [] as number[], whole: [] as number[] };
  const scanMs = { delta: [] as number[], whole: [] as number[] };
  for (let i = 0; i < SAMPLES; i++) {
    for (const mode of ['delta', 'whole'] as const) {
      // A scan, then a change at a random moment inside it (its length measured as it goes).
      const t0 = performance.now();
      const done = snapshot();
      session.scan(mode);
      const expected = scanMs[mode].length > 0 ? pct(scanMs[mode], 50) : 150;
      await new Promise((r) => setTimeout(r, Math.random() * expected * 0.8));
      const op = i % 2 === 0 ? 'add' : 'del';
      const address = `198.18.${mode === 'delta' ? 1 : 2}.${i >> 1}`;
      const seen = new Promise<void>((r) => waiting.set(`${op === 'add' ? 'new' : 'del'} ${address}`, r));
      const start = performance.now();
      ip.stdin.write(`addr ${op} ${address}/32 dev lat0\n`);
      if (i === 0 && mode === 'delta') loop.enable();
      await seen;
      xs[mode].push(performance.now() - start);
      await done;
      scanMs[mode].push(performance.now() - t0);
    }
  }
  loop.disable();
  ip.stdin.end();
  session.close();
  const line = (m: 'delta' | 'whole'): string =>
    `p50 ${pct(xs[m], 50).toFixed(2)} ms, p99 ${pct(xs[m], 99).toFixed(2)} ms, max ${Math.max(...xs[m]).toFixed(2)} ms ` +
    `(scan median ${pct(scanMs[m], 50).toFixed(0)} ms)`;
  console.log(
    `kernel change during a scan of 100k addresses -> out of the rtnetlink session (n=${SAMPLES} each, ` +
      `load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}):\n` +
      `  periodic scan (this build: forwarded as it comes, delta): ${line('delta')}\n` +
      `  whole scan (what every periodic scan was: held until the snapshot): ${line('whole')}\n` +
      `  the session's event loop over both: p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms`,
  );
}

async function outer(): Promise<void> {
  const cleanups: (() => unknown)[] = [];
  const hook = { after: (fn: () => unknown) => cleanups.push(fn) };
  try {
    const ns = await createNetns(hook, { prefix: 'rjscan' });
    await addHundredThousandAddresses(ns);
    execFileSync(
      'ip',
      [
        'netns',
        'exec',
        ns.name,
        process.execPath,
        ...process.execArgv,
        fileURLToPath(import.meta.url),
        '--inner',
      ],
      { stdio: 'inherit' },
    );
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
}

if (process.argv.includes('--inner')) await inner();
else await outer();
