// Fleet benchmarks (issue 11) on a real nats-server (Debian's, JetStream, one server unless
// BENCH_NATS_SERVERS=3 for an R3 cluster), everything else in this process:
//   - ingest: BENCH_NODES (100) simulated nodes x BENCH_ROUTES (1000) routes plus as many churn events
//     published first; then a collector (LevelDB replicas in a temp dir) reads them all: events/s
//     (target >= 100k/s), and its RSS holding BENCH_NODES x BENCH_ROUTES live paths (target <= 500 MB)
//   - latency: node commit -> collector replica commit (what a fleet subscriber sees), p99 (target <= 50 ms)
//   - catch-up: one node's LevelDB journal of BENCH_CATCHUP (1000000) events published from scratch (target <= 30 s)
// Run: npm run bench -- fleet
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import type { FleetConfig } from '../../src/config/index.js';
import type { Envelope, JournalEvent } from '../../src/events/index.js';
import { FleetCollector } from '../../src/fleet/collector.js';
import { startFleetPublisher } from '../../src/fleet/publisher.js';
import type { FleetPublisher } from '../../src/fleet/publisher.js';
import { MemoryJournal, openLevelJournal } from '../../src/journal/index.js';
import { startNatsCluster } from '../../test/helpers/nats.js';

const NODES = Number(process.env['BENCH_NODES'] ?? 100);
const ROUTES = Number(process.env['BENCH_ROUTES'] ?? 1000);
const CATCHUP = Number(process.env['BENCH_CATCHUP'] ?? 1_000_000);
const SERVERS = Number(process.env['BENCH_NATS_SERVERS'] ?? 1);
const log = pino({ level: process.env['BENCH_LOG'] ?? 'silent' });
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

const rss = (): number => process.memoryUsage().rss / 2 ** 20;
function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${q(0.5).toFixed(2)} ms, p99 ${q(0.99).toFixed(2)} ms, max ${s[s.length - 1]!.toFixed(2)} ms (n=${s.length})`;
}
async function until(check: () => boolean, what: string, ms = 600_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function route(node: number, i: number, vanish = false): JournalEvent {
  const prefix = `10.${node & 255}.${(i >> 8) & 255}.${i & 255}/32`;
  return vanish
    ? {
        type: 'RouteVanished',
        vrf: 'customer-a',
        family: 'ipv4',
        prefix,
        interface: 'eth1',
        reason: 'address-removed',
      }
    : {
        type: 'RouteDiscovered',
        vrf: 'customer-a',
        family: 'ipv4',
        prefix,
        interface: 'eth1',
        ifindex: 3,
        address: '10.0.0.1',
      };
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
  console.log(`nats-server x${SERVERS}; ${NODES} nodes x ${ROUTES} routes (+ as many churn events)`);

  // --- ingest ------------------------------------------------------------------------------------------
  const nodes: { journal: MemoryJournal; publisher: FleetPublisher }[] = [];
  // First one event per node, so that the stream starts with every node (the collector opens each
  // node's replica on its first message; that one-time cost is reported apart from the ingest rate).
  for (let n = 0; n < NODES; n++) {
    const journal = new MemoryJournal();
    await journal.append([route(n, 0)]);
    nodes.push({ journal, publisher: startFleetPublisher({ journal, fleet: fleet(`node-${n}`), log }) });
  }
  await until(() => nodes.every((n) => n.publisher.published === 1), 'first events published');
  let t0 = performance.now();
  for (const [n, node] of nodes.entries()) {
    const events: JournalEvent[] = [];
    for (let i = 1; i < ROUTES; i++) events.push(route(n, i));
    // Churn: half the routes go and come back.
    for (let i = 0; i < ROUTES / 2; i++) events.push(route(n, i, true), route(n, i));
    await node.journal.append(events);
  }
  const total = nodes.reduce((s, n) => s + n.journal.head(), 0);
  const bulk = total - NODES;
  await until(() => nodes.every((n) => n.publisher.published === n.journal.head()), 'nodes published');
  const publishMs = performance.now() - t0;
  console.log(
    `publish (reference): ${bulk} events from ${NODES} nodes in ${publishMs.toFixed(0)} ms = ${((bulk / publishMs) * 1000).toFixed(0)} events/s`,
  );
  gc();
  const rssBefore = rss();
  const dir = await tempDir();
  t0 = performance.now();
  const collector = await FleetCollector.start({
    fleet: fleet('bench'),
    ...(process.env['BENCH_MEMORY'] === '1' ? {} : { dir }),
    log,
  });
  await until(
    () => collector.nodes().length === NODES && collector.nodes().every((r) => r.rib.seq >= 1),
    'collector replicas opened',
  );
  const t1 = performance.now();
  await until(() => collector.nodes().every((r) => r.rib.seq === ROUTES * 2), 'collector ingest');
  const ingestMs = performance.now() - t1;
  const ingestRate = (bulk / ingestMs) * 1000;
  console.log(
    `collector: ${NODES} replicas opened (${process.env['BENCH_MEMORY'] === '1' ? 'memory' : 'LevelDB'}) in ${(t1 - t0).toFixed(0)} ms, then ` +
      `ingest: ${bulk} events in ${ingestMs.toFixed(0)} ms = ${ingestRate.toFixed(0)} events/s (target >= 100000) ` +
      `${ingestRate >= 100_000 ? 'OK' : 'MISSED'}`,
  );
  const paths = collector.nodes().reduce((s, r) => s + r.rib.size(), 0);
  gc();
  const rssAfter = rss();
  console.log(
    `collector RSS with ${paths} live paths: ${rssAfter.toFixed(0)} MiB (process before collector ${rssBefore.toFixed(0)} MiB, ` +
      `collector's share ${(rssAfter - rssBefore).toFixed(0)} MiB; target <= 500) ${rssAfter - rssBefore <= 500 ? 'OK' : 'MISSED'}`,
  );

  // --- latency: node commit -> collector replica commit ---------------------------------------------
  const lat: number[] = [];
  const unlisten = collector.onApplied((_r, batch: readonly Envelope[]) => {
    const now = performance.timeOrigin * 1000 + performance.now() * 1000;
    for (const env of batch) lat.push((now - env.time) / 1000);
  });
  const SAMPLES = 2000;
  for (let k = 0; k < SAMPLES; k++) {
    const n = nodes[k % nodes.length]!;
    await n.journal.append([route(k % nodes.length, ROUTES + (k >> 7), false)]);
    await new Promise((r) => setTimeout(r, 2)); // a few hundred events/s across the fleet
  }
  await until(() => lat.length >= SAMPLES, 'latency samples');
  unlisten();
  console.log(`node commit -> collector commit: ${stats(lat)} (target p99 <= 50 ms)`);
  for (const n of nodes) await n.publisher.stop();
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
    `catch-up: ${CATCHUP} events in ${(catchMs / 1000).toFixed(1)} s = ${((CATCHUP / catchMs) * 1000).toFixed(0)} events/s ` +
      `(target <= 30 s for 1M) ${catchMs <= 30_000 * (CATCHUP / 1_000_000) ? 'OK' : 'MISSED'}`,
  );
  await p.stop();
  await journal.close();
} finally {
  await cluster.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
}
