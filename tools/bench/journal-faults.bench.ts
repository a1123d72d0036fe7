// Journal faults benchmark (issue 10.1, 10.3):
//   - full disk: time from space freed (tmpfs remounted larger) to the waiting append committed, after
//     outages of 1 s and 5 s, with the default retry backoff (100 ms doubling to 5 s); reference: a
//     synced append on the same file system in the same run;
//   - the start-up check (verifyEvents) over 1M events, against a plain read() of the same journal.
// Needs root (mount). Run: node --import tsx --expose-gc tools/bench/journal-faults.bench.ts
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { JournalEvent } from '../../src/events/index.js';
import { openLevelJournal } from '../../src/journal/index.js';

const RUNS = 5;
const log = pino({ level: 'silent' });

function event(i: number): JournalEvent {
  const prefix = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`;
  return {
    type: 'RouteDiscovered',
    vrf: '',
    family: 'ipv4',
    prefix,
    interface: 'eth0',
    ifindex: 2,
    address: prefix.slice(0, -3),
  };
}
const batch = (n: number, from: number): JournalEvent[] =>
  Array.from({ length: n }, (_, k) => event(from + k));
const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);
const median = (xs: readonly number[]): number => sorted(xs)[Math.floor(xs.length / 2)]!;
const max = (xs: readonly number[]): number => sorted(xs)[xs.length - 1]!;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function fullDiskOnce(outageMs: number): Promise<{ resumeMs: number; appendMs: number }> {
  const mnt = await mkdtemp(join(tmpdir(), 'rj-bench-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
  try {
    const j = await openLevelJournal(join(mnt, 'j'), { log, compaction: false });
    // Reference: synced appends of one event while there is room.
    const lat: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      await j.append(batch(1, i));
      lat.push(performance.now() - t0);
    }
    let stuck: Promise<unknown> | undefined;
    for (let i = 0; stuck === undefined; i++) {
      const p = j.append(batch(100, 1000 + i * 100));
      let done = false;
      void p.then(() => (done = true));
      while (!done && j.health().writeFailing === undefined) await sleep(1);
      if (!done) stuck = p;
    }
    await sleep(outageMs);
    const freed = performance.now();
    execFileSync('mount', ['-o', 'remount,size=64m', mnt]);
    await stuck;
    const resumeMs = performance.now() - freed;
    await j.close();
    return { resumeMs, appendMs: median(lat) };
  } finally {
    execFileSync('umount', [mnt]);
    await rm(mnt, { recursive: true, force: true });
  }
}

async function startupCheck(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rj-bench-verify-'));
  try {
    const j = await openLevelJournal(dir, { log, compaction: false });
    for (let i = 0; i < 1_000_000; i += 4096) await j.append(batch(Math.min(4096, 1_000_000 - i), i));
    const verify: number[] = [];
    const read: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      let t0 = performance.now();
      await j.verifyEvents({ first: 1, last: j.head() });
      verify.push(performance.now() - t0);
      t0 = performance.now();
      let n = 0;
      for await (const b of j.read()) n += b.length;
      read.push(performance.now() - t0);
      if (n !== j.head()) throw new Error('short read');
    }
    const rate = (ms: number): string =>
      `${Math.round((j.head() / ms) * 1000).toLocaleString('en-US')} events/s`;
    console.log(
      `start-up check of ${j.head().toLocaleString('en-US')} events: median ${median(verify).toFixed(0)} ms ` +
        `(${rate(median(verify))}), max ${max(verify).toFixed(0)} ms; read() of the same: median ` +
        `${median(read).toFixed(0)} ms (${rate(median(read))}); ratio ${(median(verify) / median(read)).toFixed(2)}`,
    );
    await j.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
for (const outage of [1000, 5000]) {
  const runs: { resumeMs: number; appendMs: number }[] = [];
  for (let r = 0; r < RUNS; r++) runs.push(await fullDiskOnce(outage));
  const resume = runs.map((x) => x.resumeMs);
  const append = median(runs.map((x) => x.appendMs));
  console.log(
    `full disk, outage ${outage / 1000} s: space freed -> waiting append committed: median ${median(resume).toFixed(0)} ms, ` +
      `max ${max(resume).toFixed(0)} ms (${resume.map((x) => x.toFixed(0)).join(', ')}); ` +
      `synced append on the same fs: median ${append.toFixed(2)} ms`,
  );
}
await startupCheck();
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
