// API benchmarks (issue 3): on a RIB of 100k paths in 100 VRFs and a 1M-event LevelDB journal built in a
// temp dir:
//   - a 1000-path RIB page (p99 target < 20 ms)
//   - a time-travel RIB page at a random past point (target < 100 ms)
//   - commit-to-subscriber latency over SSE (p99 target < 10 ms)
//   - 500 concurrent SSE subscribers each receiving every one of 100k events
// Run: node --import tsx --expose-gc tools/bench/api.bench.ts   (or: npm run bench -- api). It sets
// NODE_ENV=production (as a deployed daemon should run: graphql-js skips its development checks).
// Sizes: BENCH_VRFS (100), BENCH_PREFIXES (1000 per VRF), BENCH_EVENTS (1000000), BENCH_SUBSCRIBERS (500),
// BENCH_FANOUT_EVENTS (100000).
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { JournalEvent } from '../../src/events/index.js';
import type { ApiContext } from '../../src/api/index.js';
import { path, inProcessQuery, rnd, stats, vrfName, writeFlapJournal } from './flap-journal.js';

process.env['NODE_ENV'] ??= 'production';
const { openLevelJournal } = await import('../../src/journal/index.js');
const { Rib, replayAndFollow } = await import('../../src/projections/index.js');
const { createApiIndexes, createYoga, liveChangesOf, startApiServer } =
  await import('../../src/api/index.js');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

const VRFS = Number(process.env['BENCH_VRFS'] ?? 100);
const PREFIXES = Number(process.env['BENCH_PREFIXES'] ?? 1000);
const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 1_000_000);
const SUBSCRIBERS = Number(process.env['BENCH_SUBSCRIBERS'] ?? 500);
const FANOUT_EVENTS = Number(process.env['BENCH_FANOUT_EVENTS'] ?? 100_000);

function mib(): string {
  const m = process.memoryUsage();
  return `rss ${(m.rss / 2 ** 20).toFixed(0)} MiB, heap ${(m.heapUsed / 2 ** 20).toFixed(0)} MiB`;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ribjournal-bench-'));
  // Event times one millisecond apart, so that "a random past time" means something.
  let now = Date.UTC(2026, 0, 1) * 1000;
  const journal = await openLevelJournal(join(dir, 'journal'), { clock: { nowMicros: () => (now += 1000) } });
  try {
    console.log(`building a ${EVENTS}-event journal: ${VRFS} VRFs x ${PREFIXES} prefixes, then flaps`);
    let t = performance.now();
    const up = await writeFlapJournal(journal, {
      vrfs: VRFS,
      prefixes: PREFIXES,
      events: EVENTS,
      flapBatch: 2000,
    });
    console.log(
      `  journal written: ${journal.head()} events in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );

    t = performance.now();
    const rib = new Rib();
    const indexes = createApiIndexes(journal);
    const { live, changes } = liveChangesOf(rib);
    const unfollow = await replayAndFollow(journal, [live, ...indexes.projections, changes]);
    const cp = indexes.timeline.checkpointStats();
    const replayS = (performance.now() - t) / 1000;
    gc();
    console.log(
      `  replayed into rib + history + timeline in ${replayS.toFixed(1)} s; ${rib.size()} paths; ` +
        `${cp.written} checkpoints on disk, ` +
        `interval ${cp.interval}; after GC ${mib()}`,
    );
    const api: ApiContext = { journal, rib, indexes, live: changes, ready: () => true };
    const yoga = createYoga(api);
    const gql = inProcessQuery(yoga);
    // The reference in the same run: the same server with graphql-js executing every query.
    const referenceYoga = createYoga(api, { compiledQueries: false });
    const gqlReference = inProcessQuery(referenceYoga);
    const PAGE = `query($vrf: String!, $at: SeqOrTime) { rib(vrf: $vrf, first: 1000, at: $at) { seq totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { vrf family prefix interface ifindex address nlri rd exportRts discovered seq best } } } }`;

    // 1. A 1000-path page of the live RIB (all path fields), in-process through yoga; graphql-jit (the
    // server's default) and graphql-js alternating, so both see the same machine.
    for (let i = 0; i < 20; i++) {
      await gql(PAGE, { vrf: vrfName(rnd(VRFS)) });
      await gqlReference(PAGE, { vrf: vrfName(rnd(VRFS)) });
    }
    const page: number[] = [];
    const pageReference: number[] = [];
    let paths = 0;
    for (let i = 0; i < 300; i++) {
      let s = performance.now();
      const d = (await gql(PAGE, { vrf: vrfName(rnd(VRFS)) })) as { rib: { edges: unknown[] } };
      page.push(performance.now() - s);
      paths += d.rib.edges.length;
      s = performance.now();
      await gqlReference(PAGE, { vrf: vrfName(rnd(VRFS)) });
      pageReference.push(performance.now() - s);
    }
    console.log(
      `1000-path RIB page (live, edges with every path field), graphql-jit: ${stats(page)}; ` +
        `${(paths / 300).toFixed(0)} paths per page (target p99 <= 15 ms)`,
    );
    console.log(
      `  reference, graphql-js: ${stats(pageReference)}; p50 ratio jit/js ` +
        `${(median(page) / median(pageReference)).toFixed(2)}`,
    );
    const CLI_PAGE = `query($vrf: String!) { rib(vrf: $vrf, first: 1000) { seq time pageInfo { hasNextPage endCursor }
      nodes { vrf family prefix interface ifindex address nlri rd exportRts discovered seq best } } }`;
    const cliPage: number[] = [];
    for (let i = 0; i < 300; i++) {
      const s = performance.now();
      await gql(CLI_PAGE, { vrf: vrfName(rnd(VRFS)) });
      cliPage.push(performance.now() - s);
    }
    console.log(`1000-path RIB page (live, the CLI's query: nodes): ${stats(cliPage)}`);

    // 2. The same at a random past seq (and at a random past time).
    const head = journal.head();
    const past: number[] = [];
    for (let i = 0; i < 100; i++) {
      const s = performance.now();
      await gql(PAGE, { vrf: vrfName(rnd(VRFS)), at: String(1 + rnd(head - 1)) });
      past.push(performance.now() - s);
    }
    console.log(`time-travel RIB page at a random seq: ${stats(past)}`);
    const first = (await journal.get(1))!.time;
    const last = (await journal.get(head))!.time;
    const pastTime: number[] = [];
    for (let i = 0; i < 50; i++) {
      const at = new Date((first + rnd(Math.floor((last - first) / 1000)) * 1000) / 1000).toISOString();
      const s = performance.now();
      await gql(PAGE, { vrf: vrfName(rnd(VRFS)), at });
      pastTime.push(performance.now() - s);
    }
    console.log(`time-travel RIB page at a random time: ${stats(pastTime)}`);

    // 3. Commit-to-subscriber latency over real HTTP (SSE), one event per commit.
    const server = await startApiServer(api, { listen: '127.0.0.1:0' });
    const committedAt = new Map<number, number>();
    const stopTiming = journal.onCommit((b) => {
      const at = performance.now();
      for (const e of b) committedAt.set(e.seq, at);
    });
    const latencies: number[] = [];
    const sub = sse(
      server.url,
      'subscription { routeChanges(vrf: "vrf-000") { changes { seq } } }',
      (seqs) => {
        const at = performance.now();
        for (const s of seqs) {
          const c = committedAt.get(s);
          if (c !== undefined) latencies.push(at - c);
        }
      },
    );
    await sub.ready;
    for (let i = 0; i < 1000; i++) {
      const p = rnd(PREFIXES);
      const isUp = up[0]![p] === 1;
      up[0]![p] = isUp ? 0 : 1;
      await journal.append([path(0, p, !isUp)]);
      await new Promise((r) => setTimeout(r, 1));
    }
    const deadline = Date.now() + 5000;
    while (latencies.length < 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    sub.close();
    stopTiming();
    console.log(`commit-to-subscriber latency (SSE, 1 event per commit): ${stats(latencies)}`);

    if (SUBSCRIBERS === 0) {
      await server.close();
      unfollow();
      await yoga.dispose();
      await referenceYoga.dispose();
      return;
    }
    // 4. N concurrent SSE subscribers, each must receive every one of M events. The subscribers run in a
    // worker thread so that the server keeps its own core.
    const worker = new Worker(CLIENTS, {
      eval: true,
      workerData: { url: server.url, n: SUBSCRIBERS, total: FANOUT_EVENTS },
    });
    const report = new Promise<{ complete: number; closed: number; ms: number }>((resolve) =>
      worker.on('message', (m: { type: string; complete: number; closed: number; ms: number }) => {
        if (m.type === 'done') resolve(m);
      }),
    );
    while (server.yoga.feed.size < SUBSCRIBERS) await new Promise((r) => setTimeout(r, 10));
    t = performance.now();
    worker.postMessage('start');
    let sent = 0;
    while (sent < FANOUT_EVENTS) {
      const events: JournalEvent[] = [];
      for (let k = 0; k < 100 && sent < FANOUT_EVENTS; k++, sent++) {
        const v = rnd(VRFS);
        const p = rnd(PREFIXES);
        const isUp = up[v]![p] === 1;
        up[v]![p] = isUp ? 0 : 1;
        events.push(path(v, p, !isUp));
      }
      await journal.append(events);
      await new Promise((r) => setImmediate(r));
    }
    const appendedIn = performance.now() - t;
    const r = await report;
    const total = performance.now() - t;
    await worker.terminate();
    console.log(
      `${SUBSCRIBERS} SSE subscribers x ${FANOUT_EVENTS} events: appended in ${(appendedIn / 1000).toFixed(1)} s, ` +
        `all delivered in ${(total / 1000).toFixed(1)} s; ${r.complete}/${SUBSCRIBERS} got every event, in order` +
        (r.closed ? `; ${r.closed} closed by the server` : '') +
        `; ${((SUBSCRIBERS * FANOUT_EVENTS) / (total / 1000) / 1e6).toFixed(2)} M deliveries/s; server ${mib()}`,
    );
    await server.close();
    unfollow();
    await yoga.dispose();
    await referenceYoga.dispose();
  } finally {
    await journal.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The SSE subscribers of the fan-out benchmark (plain JavaScript, run in a worker thread). */
const CLIENTS = `
const { request } = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const { url, n, total } = workerData;
const subs = [];
for (let i = 0; i < n; i++) {
  const s = { n: 0, last: 0, ordered: true, closed: false, buf: '' };
  const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, agent: false }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      s.buf += chunk;
      let end;
      while ((end = s.buf.indexOf('\\n\\n')) >= 0) {
        const msg = s.buf.slice(0, end);
        s.buf = s.buf.slice(end + 2);
        const at = msg.indexOf('data: {');
        if (at < 0) continue;
        const body = JSON.parse(msg.slice(at + 6));
        if (!body.data) { s.closed = true; continue; }
        for (const c of body.data.routeChanges.changes) {
          const q = Number(c.seq);
          if (s.last !== 0 && q !== s.last + 1) s.ordered = false;
          s.last = q;
          s.n++;
        }
      }
    });
    res.on('end', () => (s.closed = true));
  });
  req.on('error', () => (s.closed = true));
  req.end(JSON.stringify({ query: 'subscription { routeChanges { changes { seq } } }' }));
  subs.push(s);
}
parentPort.on('message', () => {
  const t = Date.now();
  const timer = setInterval(() => {
    if (subs.every((s) => s.n >= total || s.closed) || Date.now() - t > 900000) {
      clearInterval(timer);
      parentPort.postMessage({
        type: 'done',
        complete: subs.filter((s) => s.n === total && s.ordered).length,
        closed: subs.filter((s) => s.closed).length,
        ms: Date.now() - t,
      });
    }
  }, 50);
});
`;

/** A minimal SSE reader: calls onSeqs with the seqs of each message's changes. */
function sse(
  url: string,
  query: string,
  onSeqs: (seqs: number[]) => void,
): { ready: Promise<void>; close(): void; closed(): boolean } {
  let buf = '';
  let ended = false;
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  const req = request(
    url,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      agent: false,
    },
    (res) => {
      res.setEncoding('utf8');
      resolveReady();
      res.on('data', (chunk: string) => {
        buf += chunk;
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const msg = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const at = msg.indexOf('data: {');
          if (at < 0) continue;
          const body = JSON.parse(msg.slice(at + 6)) as {
            data?: { routeChanges: { changes: { seq: string }[] } } | null;
          };
          if (body.data) onSeqs(body.data.routeChanges.changes.map((c) => Number(c.seq)));
          else ended = true;
        }
      });
      res.on('end', () => (ended = true));
    },
  );
  req.on('error', () => (ended = true));
  req.end(JSON.stringify({ query }));
  return { ready, close: () => req.destroy(), closed: () => ended };
}

await main();
