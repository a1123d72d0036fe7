// /metrics scrape time (issue 4, target < 20 ms) with 100 VRFs and 10 peers: a LevelDB journal of 100 VRFs
// x 100 prefixes (IPv4 and IPv6) replayed into the Rib, a real BGP speaker with 10 (passive) neighbors,
// latency histograms filled for every peer, the API server with the daemon's metrics, scraped over HTTP
// with a keep-alive connection as Prometheus does.
// Run: node --import tsx --expose-gc tools/bench/metrics.bench.ts   (or: npm run bench -- metrics).
// Sizes: BENCH_VRFS (100), BENCH_PEERS (10), BENCH_PREFIXES (100 per VRF), BENCH_SCRAPES (500).
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import type { JournalEvent } from '../../src/events/index.js';

process.env['NODE_ENV'] ??= 'production';
const { openLevelJournal } = await import('../../src/journal/index.js');
const { ProjectionRunner, Rib, replayAndFollow } = await import('../../src/projections/index.js');
const { createApiIndexes, startApiServer } = await import('../../src/api/index.js');
const { parseConfig } = await import('../../src/config/index.js');
const { configSnapshot } = await import('../../src/import/index.js');
const { startSpeaker } = await import('../../src/bgp/index.js');
const { createDaemonMetrics } = await import('../../src/metrics/index.js');

const VRFS = Number(process.env['BENCH_VRFS'] ?? 100);
const PEERS = Number(process.env['BENCH_PEERS'] ?? 10);
const PREFIXES = Number(process.env['BENCH_PREFIXES'] ?? 100);
const SCRAPES = Number(process.env['BENCH_SCRAPES'] ?? 500);
const TARGET_MS = 20;

const vrfName = (v: number): string => `vrf-${String(v).padStart(3, '0')}`;

function configText(): string {
  const parts = ['[global.config]\n  as = 65000\n  router-id = "192.0.2.1"\n  port = -1\n'];
  for (let v = 0; v < VRFS; v++) {
    parts.push(`[[vrfs]]
  [vrfs.config]
    name = "${vrfName(v)}"
    rd = "65000:${v + 1}"
    import-rt-list = ["65000:${v + 1}"]
    export-rt-list = ["65000:${v + 1}"]
  [vrfs.netlink-import]
    enabled = true
    interface-list = ["eth${v}"]
`);
  }
  for (let p = 0; p < PEERS; p++) {
    parts.push(`[[neighbors]]
  [neighbors.config]
    neighbor-address = "198.51.100.${p + 1}"
    peer-as = ${65100 + p}
  [neighbors.transport.config]
    passive-mode = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "l3vpn-ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "l3vpn-ipv6-unicast"
`);
  }
  return parts.join('');
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${q(0.5).toFixed(2)} ms, p99 ${q(0.99).toFixed(2)} ms, max ${s[s.length - 1]!.toFixed(2)} ms (n=${s.length})`;
}

function p99(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(0.99 * s.length))]!;
}

function get(agent: Agent, url: URL): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ribjournal-bench-'));
  const journal = await openLevelJournal(join(dir, 'journal'));
  try {
    const { config } = parseConfig(configText());
    const events: JournalEvent[] = [configSnapshot(config, 1)];
    for (let v = 0; v < VRFS; v++) {
      for (let p = 0; p < PREFIXES; p++) {
        const v6 = p % 4 === 3;
        const prefix = v6 ? `2001:db8:${v.toString(16)}:${p.toString(16)}::/64` : `10.${v}.${p}.0/24`;
        events.push({
          type: 'RouteDiscovered',
          vrf: vrfName(v),
          family: v6 ? 'ipv6' : 'ipv4',
          prefix,
          interface: `eth${v}`,
          ifindex: 10 + v,
          address: v6 ? prefix.replace('::/64', '::1') : prefix.replace('.0/24', '.1'),
        });
      }
    }
    await journal.append(events);

    const metrics = createDaemonMetrics();
    const rib = new Rib();
    const unfollow = await replayAndFollow(journal, [rib, metrics.journalEvents]);
    const indexes = createApiIndexes(journal);
    const unfollowIndexes = await replayAndFollow(journal, indexes.projections);
    const log = pino({ level: 'silent' });
    const projections = new ProjectionRunner({ journal, log });
    const speaker = await startSpeaker({ config, rib, projections, log });
    metrics.attach({
      journal,
      rib,
      observer: { restarts: 3 },
      neighbors: () => speaker.neighbors(),
      subscriptions: () => 0,
      ready: () => true,
    });
    // Fill every histogram bucket of every peer.
    for (let i = 0; i < 10_000; i++) {
      metrics.observeKernelToCommit(Math.random() * 0.05);
      metrics.observeCommitToUpdate(Math.random() * 0.05, `198.51.100.${(i % PEERS) + 1}`);
    }
    const server = await startApiServer(
      { journal, rib, indexes, ready: () => true, bgp: { neighbors: () => speaker.neighbors() } },
      { listen: '127.0.0.1:0', metrics },
    );
    const url = new URL(server.url.replace(/\/graphql$/, '/metrics'));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(agent, url);
      const text = await metrics.metrics();
      const series = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
      console.log(
        `${VRFS} VRFs, ${rib.size()} paths, ${PEERS} peers: /metrics is ${(first.bytes / 1024).toFixed(0)} KiB, ${series} samples`,
      );

      for (let i = 0; i < 50; i++) await get(agent, url); // warm-up (JIT)
      const http: number[] = [];
      for (let i = 0; i < SCRAPES; i++) {
        const t0 = performance.now();
        const r = await get(agent, url);
        http.push(performance.now() - t0);
        if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
      }
      const inProcess: number[] = [];
      for (let i = 0; i < SCRAPES; i++) {
        const t0 = performance.now();
        await metrics.metrics();
        inProcess.push(performance.now() - t0);
      }
      console.log(`scrape over HTTP:          ${stats(http)}`);
      console.log(`registry.metrics() alone:  ${stats(inProcess)}`);
      const ok = p99(http) < TARGET_MS;
      console.log(`target p99 < ${TARGET_MS} ms over HTTP: ${ok ? 'met' : 'MISSED'}`);
      if (!ok) process.exitCode = 1;
    } finally {
      agent.destroy();
      await server.close();
      await speaker.stop();
      unfollow();
      unfollowIndexes();
    }
  } finally {
    await journal.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
