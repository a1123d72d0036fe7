// Fleet benchmarks (issue 11) on a real nats-server (Debian's, JetStream, one server unless
// BENCH_NATS_SERVERS=3 for an R3 cluster); BENCH_NODES (100) simulated nodes in a child process
// (fleet-nodes.ts), the collector with LevelDB replicas and its HTTP server in this process, so that
// this process's RSS is the collector's (plus the bench's own few MiB, measured before it starts):
//   - ingest: every node's BENCH_ROUTES (1000) routes plus as many churn events, committed on the nodes
//     with the collector running: events/s from the first commit until the collector holds them all
//     (target >= 100k/s); the publishers' own rate is the reference. Then the collector's RSS holding
//     BENCH_NODES x BENCH_ROUTES live paths (target <= 500 MB)
//   - latency: node commit -> a fleet subscriber (`subscription { routeChanges }` over SSE on the
//     collector's /graphql, every node) receiving the change, p99 (target <= 50 ms); the collector's
//     replica commit in the same run as reference
//   - catch-up: one node's LevelDB journal of BENCH_CATCHUP (1000000) events published from scratch
//     (target <= 30 s)
// BENCH_PROFILE=DIR writes a CPU profile of the collector during ingest only (node:inspector).
// Run: npm run bench -- fleet
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fork } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { pino } from 'pino';
import type { FleetConfig } from '../../src/config/index.js';
import type { Envelope, JournalEvent } from '../../src/events/index.js';
import { FleetCollector, startCollectorServer, startFleetPublisher } from '../../src/fleet/index.js';
import { openLevelJournal } from '../../src/journal/index.js';
import { startNatsCluster } from '../../test/helpers/nats.js';
import { route } from './fleet-nodes.js';
import type { NodesCommand, NodesReply } from './fleet-nodes.js';

const NODES = Number(process.env['BENCH_NODES'] ?? 100);
const ROUTES = Number(process.env['BENCH_ROUTES'] ?? 1000);
const CATCHUP = Number(process.env['BENCH_CATCHUP'] ?? 1_000_000);
const SERVERS = Number(process.env['BENCH_NATS_SERVERS'] ?? 1);
const SAMPLES = Number(process.env['BENCH_SAMPLES'] ?? 5000);
const log = pino({ level: process.env['BENCH_LOG'] ?? 'silent' });
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
function quantile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}
function stats(xs: number[]): string {
  return `median ${quantile(xs, 0.5).toFixed(2)} ms, p99 ${quantile(xs, 0.99).toFixed(2)} ms, max ${Math.max(...xs).toFixed(2)} ms (n=${xs.length})`;
}
async function until(check: () => boolean, what: string, ms = 600_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
const nowMicros = (): number => (performance.timeOrigin + performance.now()) * 1000;
/** Epoch µs of an RFC 3339 UTC time with microseconds (the API's Timestamp). */
function micros(ts: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?Z$/.exec(ts);
  if (m === null) throw new Error(`not a Timestamp: ${ts}`);
  return Date.parse(`${m[1]}Z`) * 1000 + Number((m[2] ?? '').padEnd(6, '0'));
}

const cluster = await startNatsCluster(SERVERS);
const dirs: string[] = [];
const tempDir = async (): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), 'rj-fleet-bench-'));
  dirs.push(d);
  return d;
};
try {
  await cluster.ready();
  const fleet = (node: string): FleetConfig => ({
    servers: cluster.urls,
    node,
    stream: 'RIBJOURNAL',
    tokenFile: undefined,
    credsFile: undefined,
    caFile: undefined,
    replicas: SERVERS >= 3 ? 3 : 1,
    maxAgeSeconds: 0,
    maxBytes: -1,
  });
  console.log(
    `nats-server x${SERVERS}; ${NODES} nodes x ${ROUTES} routes (+ as many churn events); load average ${load()}`,
  );

  // --- ingest ------------------------------------------------------------------------------------------
  const { node: _unused, ...shared } = fleet('x');
  const nodesProcess = fork(new URL('./fleet-nodes.ts', import.meta.url).pathname, [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: 'inherit',
  });
  const ask = <R extends NodesReply>(cmd: NodesCommand): Promise<R> =>
    new Promise((resolve, reject) => {
      nodesProcess.once('message', (r) => resolve(r as R));
      nodesProcess.once('error', reject);
      nodesProcess.send(cmd);
    });
  const memory = (): { rss: number; heap: number; buffers: number } => {
    const m = process.memoryUsage();
    return {
      rss: m.rss / 2 ** 20,
      heap: m.heapUsed / 2 ** 20,
      buffers: (m.external + m.arrayBuffers) / 2 ** 20,
    };
  };
  const init = await ask<Extract<NodesReply, { op: 'init' }>>({
    op: 'init',
    data: { fleet: shared, nodes: NODES },
  });
  gc();
  const before = memory();
  const dir = await tempDir();
  let t0 = performance.now();
  const collector = await FleetCollector.start({
    fleet: fleet('bench'),
    ...(process.env['BENCH_MEMORY'] === '1' ? {} : { dir }),
    log,
  });
  const server = await startCollectorServer(collector, { listen: '127.0.0.1:0' });
  await until(
    () => collector.nodes().length === NODES && collector.nodes().every((r) => r.rib.seq >= 1),
    'collector replicas opened',
  );
  console.log(
    `${NODES} nodes started in ${init.ms.toFixed(0)} ms; collector opened their ${process.env['BENCH_MEMORY'] === '1' ? 'memory' : 'LevelDB'} replicas in ${(performance.now() - t0).toFixed(0)} ms (one-time)`,
  );
  const profileDir = process.env['BENCH_PROFILE'];
  const inspector = new Session();
  if (profileDir !== undefined) {
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
  }
  t0 = performance.now();
  const bulkDone = ask<Extract<NodesReply, { op: 'bulk' }>>({ op: 'bulk', routes: ROUTES });
  await until(() => collector.nodes().every((r) => r.rib.seq === ROUTES * 2), 'collector ingest');
  const ingestMs = performance.now() - t0;
  if (profileDir !== undefined) {
    const { profile } = await inspector.post('Profiler.stop');
    const file = join(profileDir, `fleet-ingest-${Date.now()}.cpuprofile`);
    await writeFile(file, JSON.stringify(profile));
    console.log(`(CPU profile of the collector during ingest: ${file})`);
    inspector.disconnect();
  }
  const bulk = await bulkDone;
  const ingestRate = (bulk.events / ingestMs) * 1000;
  const publishRate = (bulk.events / bulk.ms) * 1000;
  console.log(
    `publish (reference): ${bulk.events} events from ${NODES} nodes in ${bulk.ms.toFixed(0)} ms = ${publishRate.toFixed(0)} events/s`,
  );
  console.log(
    `ingest: ${bulk.events} events committed on the nodes -> held by the collector in ${ingestMs.toFixed(0)} ms = ${ingestRate.toFixed(0)} events/s`,
  );
  const paths = collector.nodes().reduce((s, r) => s + r.rib.size(), 0);
  gc();
  const after = memory();
  // The nodes run in their own process: this process's RSS is the collector's, less the bench's own
  // (what it held before the collector started), which is subtracted for the share.
  const share = after.rss - before.rss;
  console.log(
    `collector RSS with ${paths} live paths: process ${after.rss.toFixed(0)} MiB (V8 heap ${after.heap.toFixed(0)}, ` +
      `buffers ${after.buffers.toFixed(0)}, native rest ${(after.rss - after.heap - after.buffers).toFixed(0)}: LevelDB, code, allocator); ` +
      `before the collector ${before.rss.toFixed(0)} MiB: collector's share ${share.toFixed(0)} MiB ` +
      `(heap +${(after.heap - before.heap).toFixed(0)}, buffers +${(after.buffers - before.buffers).toFixed(0)}, ` +
      `native +${(share - (after.heap - before.heap) - (after.buffers - before.buffers)).toFixed(0)})`,
  );

  // --- latency: node commit -> fleet subscriber (SSE) ------------------------------------------------
  const atCommit: number[] = [];
  const unlisten = collector.onApplied((_r, batch: readonly Envelope[]) => {
    const now = nowMicros();
    for (const env of batch) atCommit.push((now - env.time) / 1000);
  });
  const atSubscriber: number[] = [];
  const sse = new AbortController();
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({
      query: 'subscription { routeChanges(heartbeatSeconds: 3600) { node changes { time } } }',
    }),
    signal: sse.signal,
  });
  const reading = (async () => {
    const decoder = new TextDecoder();
    let text = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const now = nowMicros();
        text += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = text.indexOf('\n\n')) >= 0) {
          const frame = text.slice(0, cut);
          text = text.slice(cut + 2);
          const line = frame.split('\n').find((l) => l.startsWith('data:'));
          if (line === undefined) continue;
          const body = JSON.parse(line.slice(5)) as {
            data?: { routeChanges: { changes: { time: string }[] } };
          };
          for (const c of body.data?.routeChanges.changes ?? [])
            atSubscriber.push((now - micros(c.time)) / 1000);
        }
      }
    } catch {
      // aborted
    }
  })();
  await new Promise((r) => setTimeout(r, 200)); // the subscription's per-node feeds in place
  atCommit.length = 0;
  // Where the time goes: the collector's event loop stalls and its GC pauses while sampling.
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  const gcPauses: number[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcPauses.push(e.duration);
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  loopDelay.enable();
  await ask({ op: 'tick', samples: SAMPLES, gapMs: 2, from: ROUTES });
  await until(() => atSubscriber.length >= SAMPLES, 'latency samples at the subscriber', 60_000);
  loopDelay.disable();
  gcObserver.disconnect();
  console.log(
    `collector event loop delay meanwhile: p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(1)} ms; ` +
      `GC pauses: ${gcPauses.length}, ${gcPauses.filter((d) => d > 20).length} over 20 ms, max ${Math.max(0, ...gcPauses).toFixed(1)} ms`,
  );
  sse.abort();
  await reading;
  unlisten();
  console.log(`node commit -> collector replica commit (reference): ${stats(atCommit)}`);
  console.log(`node commit -> fleet subscriber (routeChanges over SSE): ${stats(atSubscriber)}`);
  await ask({ op: 'stop' });
  nodesProcess.kill();
  await server.close();
  await collector.stop();

  // --- catch-up of one node ------------------------------------------------------------------------
  const journal = await openLevelJournal(await tempDir());
  t0 = performance.now();
  for (let i = 0; i < CATCHUP; i += 10_000) {
    const events: JournalEvent[] = [];
    for (let k = i; k < Math.min(CATCHUP, i + 10_000); k++)
      events.push(route(200, k % 60_000, (k / 60_000) % 2 >= 1));
    await journal.append(events);
  }
  console.log(`(built a ${CATCHUP}-event LevelDB journal in ${(performance.now() - t0).toFixed(0)} ms)`);
  t0 = performance.now();
  const p = startFleetPublisher({ journal, fleet: fleet('far-away'), log });
  await until(() => p.published === journal.head(), 'catch-up');
  const catchMs = performance.now() - t0;
  console.log(
    `catch-up: ${CATCHUP} events in ${(catchMs / 1000).toFixed(1)} s = ${((CATCHUP / catchMs) * 1000).toFixed(0)} events/s`,
  );
  const ok = (b: boolean): string => (b ? 'OK' : 'MISSED');
  const p99 = quantile(atSubscriber, 0.99);
  console.log(`\nIssue 11 figures (load average ${load()}):`);
  console.log(`  ingest ${ingestRate.toFixed(0)} events/s (target >= 100000) ${ok(ingestRate >= 100_000)}`);
  console.log(
    `  node commit -> collector subscriber p99 ${p99.toFixed(1)} ms (target <= 50) ${ok(p99 <= 50)}`,
  );
  console.log(
    `  catch-up of ${CATCHUP} events ${(catchMs / 1000).toFixed(1)} s (target <= 30 s for 1M) ${ok(catchMs <= 30_000 * (CATCHUP / 1_000_000))}`,
  );
  console.log(
    `  collector RSS with ${paths} live paths ${share.toFixed(0)} MiB over the bench's own ${before.rss.toFixed(0)} MiB; ` +
      `process ${after.rss.toFixed(0)} MiB (target <= 500) ${ok(share <= 500)}`,
  );
  await p.stop();
  await journal.close();
} finally {
  await cluster.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
}
