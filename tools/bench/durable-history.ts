// History of one prefix through the GraphQL API (issue 9: p99 <= 5 ms on the 10M-event journal), in a
// process started as the daemon starts (durable-start.ts: RIB checkpoint + tail, indexes from their
// derived data), so that the heap holds what a daemon's does and nothing of a 10M-event replay.
// Prints the figures and one JSON line (for durable.bench.ts). Runs: HISTORY_RUNS (default 1000).
// `--replayed` replays the RIB from seq 1 instead, as durable.bench.ts's query part did: the reference
// with the inflated heap. `--documents N` also runs N distinct documents once each (their first and
// second runs: parse/validate and compile costs).
// Run: node --import tsx --expose-gc tools/bench/durable-history.ts JOURNAL_DIR [--replayed]
//      (add --cpu-prof --cpu-prof-dir=DIR before --import, or --trace-gc, to see where the time goes)
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';
import type { ApiContext } from '../../src/api/index.js';

process.env['NODE_ENV'] ??= 'production';
// The daemon's memory policy, as `serve` sets it first (RIBJOURNAL_HEAP_GROWTH_PERCENT=0: V8's defaults).
const { exitWhenTrimIdle, limitYoungGeneration, tuneProcessMemory } =
  await import('../../src/shared/index.js');
limitYoungGeneration();
const stopTrim = tuneProcessMemory();
const { openLevelJournal } = await import('../../src/journal/index.js');
const { Rib, createApiIndexes, loadRibCheckpoint, replayAndFollow } =
  await import('../../src/projections/index.js');
const { createYoga } = await import('../../src/api/index.js');

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: durable-history.ts JOURNAL_DIR [--replayed]');
const replayed = process.argv.includes('--replayed');
const RUNS = Number(process.env['HISTORY_RUNS'] ?? 1000);
const HOT = { vrf: 'vrf-000', prefix: '10.255.255.0/24' };

function q(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}
const fmt = (xs: number[]): string =>
  xs.length === 0
    ? 'not run'
    : `median ${q(xs, 0.5).toFixed(2)} ms, p99 ${q(xs, 0.99).toFixed(2)} ms, max ${q(xs, 1).toFixed(2)} ms (n=${xs.length})`;

const t0 = performance.now();
const journal = await openLevelJournal(dir, { create: false, compaction: false });
const live = (replayed ? undefined : await loadRibCheckpoint(journal)) ?? new Rib();
const unfollow = await replayAndFollow(journal, [live]);
const indexes = createApiIndexes(journal, { timeline: { live } });
await indexes.start();
const startMs = performance.now() - t0;
const api: ApiContext = { journal, rib: live, indexes, ready: () => true };
const yoga = createYoga(api);

// The first read of the prefix after the start: one LevelDB range read, every record decoded (later
// reads come from the index's bounded prefix cache and read only the tail committed since).
const t = performance.now();
const hot = await indexes.history.prefixEvents(HOT.vrf, HOT.prefix, { after: 0, through: journal.head() });
const coldIndexMs = performance.now() - t;
const FIELDS = 'totalCount flapCount entries { seq time type interface reason whileDown }';
const doc = (fields: string): string =>
  `query($v: String!, $p: String!) { history(vrf: $v, prefix: $p) { ${fields} } }`;
async function ask(query: string): Promise<{ ms: number; body: string }> {
  const s = performance.now();
  const res = await yoga.fetch('http://bench/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables: { v: HOT.vrf, p: HOT.prefix } }),
  });
  const body = await res.text();
  const ms = performance.now() - s;
  // The client's parse is not the server's work (and would add to this process's garbage): the count
  // is checked in the text.
  if (!body.includes(`"totalCount":${hot.length},`))
    throw new Error(`history answered ${body.slice(0, 300)}`);
  return { ms, body };
}

// HISTORY_HEAP_PROFILE=FILE: a sampling heap profile of the steady-state runs, collected objects
// included (where an answer's allocations come from; open it in Chrome DevTools' Memory tab).
const heapProfile = process.env['HISTORY_HEAP_PROFILE'];
const session = heapProfile === undefined ? undefined : new Session();
const post = (method: string, params?: object): Promise<unknown> =>
  new Promise((res, rej) => session!.post(method, params, (err, r) => (err ? rej(err) : res(r))));
if (session !== undefined) {
  session.connect();
  await post('HeapProfiler.startSampling', {
    samplingInterval: 512,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
}
// Every GC pause (start, duration): which answers a pause fell into, and how many.
const pauses: [number, number][] = [];
let gcs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcs++;
    pauses.push([e.startTime, e.duration]);
  }
}).observe({ entryTypes: ['gc'] });
const idx: number[] = [];
const spans: [number, number][] = [];
const gql: number[] = [];
// CPU time of each answer (all of the process's threads, GC helpers included): unlike wall time, it
// does not grow while other processes hold the cores, so it is the figure to compare on a loaded machine.
const cpuMs: number[] = [];
const heap0 = process.memoryUsage().heapUsed;
const cpu0 = process.cpuUsage();
let bytes = 0;
for (let i = 0; i < RUNS; i++) {
  const s = performance.now();
  await indexes.history.prefixEvents(HOT.vrf, HOT.prefix, { after: 0, through: journal.head() });
  idx.push(performance.now() - s);
  const from = performance.now();
  const c0 = process.cpuUsage();
  const r = await ask(doc(FIELDS));
  const c = process.cpuUsage(c0);
  spans.push([from, performance.now()]);
  cpuMs.push((c.user + c.system) / 1000);
  gql.push(r.ms);
  bytes = r.body.length;
}
const cpu = process.cpuUsage(cpu0);
const cpuPerAnswer = (cpu.user + cpu.system) / 1000 / RUNS;
await new Promise((r) => setTimeout(r, 50)); // the GC observer's last entries
// Answers (after the first two runs) during which a GC paused the thread, and the rest.
const withGc: number[] = [];
const withoutGc: number[] = [];
let gcMs = 0;
for (let i = 2; i < spans.length; i++) {
  const [a, b] = spans[i]!;
  const inside = pauses.filter(([t, d]) => t < b && t + d > a);
  (inside.length > 0 ? withGc : withoutGc).push(gql[i]!);
  for (const [, d] of inside) gcMs += d;
}
if (session !== undefined) {
  const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
  await writeFile(heapProfile!, JSON.stringify(profile));
  session.disconnect();
}
// Heap allocated per answer: ALLOC_RUNS answers between two forced GCs, none in between (a gc
// observer says so; otherwise not reported).
const gc = (globalThis as { gc?: () => void }).gc;
let allocPerAnswer: number | undefined;
if (gc !== undefined) {
  const ALLOC_RUNS = 5;
  gc();
  await new Promise((r) => setTimeout(r, 50));
  const before = gcs;
  const h0 = process.memoryUsage().heapUsed;
  for (let i = 0; i < ALLOC_RUNS; i++) await ask(doc(FIELDS));
  const h1 = process.memoryUsage().heapUsed;
  await new Promise((r) => setTimeout(r, 50));
  if (gcs === before) allocPerAnswer = (h1 - h0) / ALLOC_RUNS;
}
// Distinct documents (an alias makes each text new): a document's first and second runs.
const firsts: number[] = [];
const seconds: number[] = [];
const DOCS = Number(process.env['HISTORY_DOCUMENTS'] ?? 20);
for (let i = 0; i < DOCS; i++) {
  const d = doc(`n${i}: totalCount ${FIELDS}`);
  firsts.push((await ask(d)).ms);
  seconds.push((await ask(d)).ms);
}
const mem = process.memoryUsage();
const figures = {
  mode: replayed ? 'bench process (RIB replayed from seq 1)' : 'daemon-shaped (checkpoint + tail)',
  startMs,
  events: hot.length,
  answerBytes: bytes,
  heapMB: mem.heapUsed / 1e6,
  rssMB: mem.rss / 1e6,
  coldIndexMs,
  index: { median: q(idx, 0.5), p99: q(idx, 0.99) },
  steady: { median: q(gql.slice(2), 0.5), p99: q(gql.slice(2), 0.99), max: q(gql.slice(2), 1) },
  // The process's first two requests (cold code: yoga, graphql-js, the resolvers), then new documents'.
  processFirst: gql[0],
  processSecond: gql[1],
  first: { median: q(firsts, 0.5), max: q(firsts, 1) },
  second: { median: q(seconds, 0.5), max: q(seconds, 1) },
  cpuPerAnswerMs: cpuPerAnswer,
  cpu: { median: q(cpuMs.slice(2), 0.5), p99: q(cpuMs.slice(2), 0.99) },
  withGc: {
    n: withGc.length,
    median: q(withGc, 0.5),
    p99: q(withGc, 0.99),
    gcMsPerAnswer: gcMs / Math.max(1, withGc.length),
  },
  withoutGc: { n: withoutGc.length, median: q(withoutGc, 0.5), p99: q(withoutGc, 0.99) },
  heapGrowthMB: (mem.heapUsed - heap0) / 1e6,
  allocPerAnswerKB: allocPerAnswer === undefined ? null : allocPerAnswer / 1e3,
  load: loadavg()[0],
};
console.error(
  `[${figures.mode}] started in ${startMs.toFixed(0)} ms, heap ${figures.heapMB.toFixed(0)} MB, RSS ${figures.rssMB.toFixed(0)} MB; ` +
    `history of one prefix (${hot.length} events, ${bytes} bytes): first index read ${coldIndexMs.toFixed(2)} ms, then ${fmt(idx)}; ` +
    `heap allocated per answer ${allocPerAnswer === undefined ? '(a GC ran: not measured)' : `${(allocPerAnswer / 1e3).toFixed(0)} kB`}; ` +
    `GraphQL after a document's first two runs ${fmt(gql.slice(2))}  [target p99 <= 5 ms], ` +
    `CPU time per answer ${fmt(cpuMs.slice(2))}; of the answers, with a GC pause inside ${fmt(withGc)} ` +
    `(GC ${(gcMs / Math.max(1, withGc.length)).toFixed(2)} ms each), without ${fmt(withoutGc)}; ` +
    `the process's first request ${gql[0]?.toFixed(2)} ms, second ${gql[1]?.toFixed(2)} ms (cold code); ` +
    `a new document's first run ${fmt(firsts)}, second run ${fmt(seconds)}`,
);
console.log(JSON.stringify(figures));
await yoga.dispose();
unfollow();
await indexes.stop();
await journal.close();
stopTrim();
// A malloc trim still running on a libuv thread at teardown would abort the process (src/shared/heap.ts).
exitWhenTrimIdle(0);
