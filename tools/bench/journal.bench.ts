// Journal benchmark: group-commit append throughput, full replay throughput of a 1M-event journal, and
// the latency of one synced append. Run: node --import tsx --expose-gc tools/bench/journal.bench.ts
// Targets (issue): append > 250k events/s, replay > 500k events/s.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JournalEvent, RouteDiscovered } from '../../src/events/index.js';
import { openLevelJournal } from '../../src/journal/index.js';
import type { Journal } from '../../src/journal/index.js';

const RUNS = 5;
const BATCH = 1000;
const APPENDERS = 16;
const APPEND_EVENTS = 200_000;
const REPLAY_EVENTS = 1_000_000;
const LATENCY_SAMPLES = 2000;

const VRFS = ['', 'customer-a', 'customer-b', 'kube-lb', 'mgmt'];

function discovered(i: number): RouteDiscovered {
  const vrf = VRFS[i % VRFS.length]!;
  const ifn = i % 100;
  return {
    type: 'RouteDiscovered',
    vrf,
    family: 'ipv4',
    prefix: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.0/24`,
    interface: vrf === 'kube-lb' ? `kubelb-${ifn}` : `eth${ifn}`,
    ifindex: 2 + ifn,
    address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${1 + (i & 127)}`,
  };
}

// Events are made up front so that only the journal is measured.
const batches: JournalEvent[][] = Array.from({ length: 64 }, (_, b) =>
  Array.from({ length: BATCH }, (_, k) => discovered(b * BATCH + k)),
);

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Appends `total` events with `appenders` concurrent callers of `batch`-event appends; returns events/s. */
async function appendAll(journal: Journal, total: number, appenders: number, batch = BATCH): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: appenders }, async () => {
      while (next < total) {
        const n = Math.min(batch, total - next);
        next += n;
        const events = batches[((next / batch) % batches.length) | 0]!;
        await journal.append(n === events.length ? events : events.slice(0, n));
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return total / seconds;
}

async function withJournal<T>(root: string, name: string, fn: (j: Journal) => Promise<T>): Promise<T> {
  const dir = join(root, name);
  const journal = await openLevelJournal(dir);
  try {
    return await fn(journal);
  } finally {
    await journal.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'ribjournal-bench-'));
  try {
    const appendRates: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      gc();
      appendRates.push(await withJournal(root, `append-${r}`, (j) => appendAll(j, APPEND_EVENTS, APPENDERS)));
    }
    console.log(
      `append: ${APPENDERS} concurrent appenders x ${BATCH}-event batches, ${fmt(APPEND_EVENTS)} events: ` +
        `median ${fmt(median(appendRates))} events/s (runs: ${appendRates.map(fmt).join(', ')})`,
    );

    const smallRates: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      gc();
      smallRates.push(await withJournal(root, `small-${r}`, (j) => appendAll(j, 20_000, 200, 1)));
    }
    console.log(
      `append: 200 concurrent appenders x 1-event appends, 20,000 events: ` +
        `median ${fmt(median(smallRates))} events/s (runs: ${smallRates.map(fmt).join(', ')})`,
    );

    // Replay is what a restart does: build, close, reopen, then read everything.
    const replayDir = join(root, 'replay');
    const builder = await openLevelJournal(replayDir);
    gc();
    const buildRate = await appendAll(builder, REPLAY_EVENTS, APPENDERS);
    await builder.close();
    const reopened = await openLevelJournal(replayDir);
    try {
      const size = (await reopened.stats()).sizeOnDisk;
      console.log(
        `build: ${fmt(REPLAY_EVENTS)} events at ${fmt(buildRate)} events/s, ${(size / 1048576).toFixed(1)} MiB on disk`,
      );
      const readRates: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        gc();
        let n = 0;
        const start = process.hrtime.bigint();
        for await (const batch of reopened.read()) n += batch.length;
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        if (n !== REPLAY_EVENTS) throw new Error(`read ${n} events, expected ${REPLAY_EVENTS}`);
        readRates.push(n / seconds);
      }
      console.log(
        `replay: full read() of ${fmt(REPLAY_EVENTS)} events after reopen: median ${fmt(median(readRates))} events/s ` +
          `(runs: ${readRates.map(fmt).join(', ')})`,
      );
    } finally {
      await reopened.close();
      await rm(replayDir, { recursive: true, force: true });
    }

    await withJournal(root, 'latency', async (j) => {
      const one = [discovered(1)];
      for (let i = 0; i < 100; i++) await j.append(one); // warm-up
      const samples: number[] = [];
      for (let i = 0; i < LATENCY_SAMPLES; i++) {
        const start = process.hrtime.bigint();
        await j.append(one);
        samples.push(Number(process.hrtime.bigint() - start) / 1000);
      }
      samples.sort((a, b) => a - b);
      console.log(
        `latency: one synced single-event append, ${fmt(LATENCY_SAMPLES)} in a row: ` +
          `p50 ${percentile(samples, 50).toFixed(0)} µs, p99 ${percentile(samples, 99).toFixed(0)} µs`,
      );
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
