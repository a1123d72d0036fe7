// Full-RIB time travel (issue 9 benchmark: p99 <= 100 ms at a random seq on the 10M-event journal),
// measured in a process started as the daemon starts: the live RIB from its checkpoint and the tail,
// the API indexes from their derived data (as durable-start.ts), then the queries. durable.bench.ts
// runs it on each of its journals; on its own:
//   node --import tsx --expose-gc tools/bench/time-travel.bench.ts JOURNAL_DIR
// It prints the figures, then one JSON line with them. BENCH_TT_DETAIL=1 lists each full-RIB answer
// (events replayed after its checkpoint, decoded or cached). BENCH_TT_RUNS sets the number of random
// seqs (default 100). BENCH_TT_ALLOC=1 first measures the heap allocated and retained per full-RIB
// answer (run it with --max-semi-space-size=256 so that no scavenge frees anything during an answer). With --from-origin the live RIB is replayed from seq 1 instead, as the queries of
// durable.bench.ts ran before (in its own process, with a heap ~2-3 times a daemon's): the reference.
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { exitWhenTrimIdle, limitYoungGeneration, tuneProcessMemory } from '../../src/shared/index.js';
// The daemon's memory policy, as `serve` sets it first (bin/ribjournal.js, src/cli/serve.ts): small
// young generation, early collections (RIBJOURNAL_HEAP_GROWTH_PERCENT=0 measures under V8's defaults).
limitYoungGeneration();
const stopTrim = tuneProcessMemory();
const { openLevelJournal } = await import('../../src/journal/index.js');
const { Rib, createApiIndexes, loadRibCheckpoint, replayAndFollow } =
  await import('../../src/projections/index.js');
const { vrfName } = await import('./route-events.js');

process.env['NODE_ENV'] ??= 'production';
const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: time-travel.bench.ts JOURNAL_DIR [--from-origin]');
const fromOrigin = process.argv[3] === '--from-origin';
const RUNS = Number(process.env['BENCH_TT_RUNS'] ?? 100);
const VRFS = 100;

function q(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}
const fmt = (xs: number[]): string =>
  `median ${q(xs, 0.5).toFixed(2)} ms, p95 ${q(xs, 0.95).toFixed(2)} ms, p99 ${q(xs, 0.99).toFixed(2)} ms (n=${xs.length})`;

let rng = 4242;
const rnd = (n: number): number => {
  rng = (rng * 1103515245 + 12345) % 2 ** 31;
  return rng % n;
};

const journal = await openLevelJournal(dir, { create: false, compaction: false });
const live = (fromOrigin ? undefined : await loadRibCheckpoint(journal)) ?? new Rib();
const unfollow = await replayAndFollow(journal, [live]);
const indexes = createApiIndexes(journal, { timeline: { live } });
await indexes.start();
const timeline = indexes.timeline;
const startedMb = process.memoryUsage().heapUsed / 1e6;
const interval = timeline.checkpointStats().interval;
const head = journal.head();

// Garbage collections during the full-RIB answers (their count and pauses, by kind).
const gcs = { scavenge: 0, major: 0, pauseMs: 0, on: false };
const gcObserver = new PerformanceObserver((list) => {
  if (!gcs.on) return;
  for (const e of list.getEntries()) {
    const kind = (e as { detail?: { kind?: number } }).detail?.kind;
    if (kind === 1) gcs.scavenge++;
    else gcs.major++;
    gcs.pauseMs += e.duration;
  }
});
gcObserver.observe({ entryTypes: ['gc'] });

if (process.env['BENCH_TT_ALLOC'] === '1') {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('BENCH_TT_ALLOC needs --expose-gc');
  const allocated: number[] = [];
  const retained: number[] = [];
  let arng = 777;
  for (let i = 0; i < 20; i++) {
    arng = (arng * 1103515245 + 12345) % 2 ** 31;
    // A tiny answer first, so that nothing (a stack slot, a settled promise) still holds the last one.
    await timeline.ribAt(1, ['no such VRF']);
    gc();
    gc();
    const h0 = process.memoryUsage().heapUsed;
    const rib = await timeline.ribAt(1 + (arng % (head - 1)));
    const h1 = process.memoryUsage().heapUsed;
    gc();
    gc();
    const h2 = process.memoryUsage().heapUsed;
    if (rib.size() > 0) {
      allocated.push((h1 - h0) / 1e6);
      retained.push((h2 - h0) / 1e6);
    }
  }
  const mb = (xs: number[]): string => `median ${q(xs, 0.5).toFixed(1)} MB, max ${q(xs, 1).toFixed(1)} MB`;
  console.log(
    `heap per full-RIB answer (n=${allocated.length}): allocated ${mb(allocated)}; retained by the answer ${mb(retained)}`,
  );
}

// The first answer after start runs code no query has run yet (compiled as it goes): reported apart.
const s0 = performance.now();
await timeline.ribAt(1 + rnd(head - 1));
const first = performance.now() - s0;

const full: number[] = [];
/** The Rib built, before its paths are read. */
const built: number[] = [];
gcs.on = true;
// CPU time of each full-RIB answer (every thread of the process, GC helpers included): less sensitive
// than wall-clock time to the other processes of a loaded machine.
const fullCpu: number[] = [];
const one: number[] = [];
const detail: string[] = [];
for (let i = 0; i < RUNS; i++) {
  const seq = 1 + rnd(head - 1);
  const decodedBefore = timeline.checkpointStats().decoded;
  const cpu = process.cpuUsage();
  let s = performance.now();
  const rib = await timeline.ribAt(seq);
  built.push(performance.now() - s);
  // The answer read whole, as a client paging through the full RIB reads it: a decoded checkpoint's
  // paths are built on first read (rib.ts shareVrfColumns), so building the Rib alone is not the answer.
  let read = 0;
  for (const p of rib.allPaths()) read += p.seq > 0 ? 1 : 0;
  full.push(performance.now() - s);
  if (read !== rib.size()) throw new Error(`read ${read} of ${rib.size()} paths`);
  const used = process.cpuUsage(cpu);
  fullCpu.push((used.user + used.system) / 1000);
  const miss = timeline.checkpointStats().decoded !== decodedBefore;
  detail.push(
    `${full.at(-1)!.toFixed(1)} ms (#${i}): ${seq % interval} events replayed, ${miss ? 'decoded' : 'cached'}, ${rib.size()} paths, ended at ${performance.now().toFixed(0)} ms`,
  );
  s = performance.now();
  await timeline.ribAt(seq, [vrfName(rnd(VRFS))]);
  one.push(performance.now() - s);
}
gcs.on = false;
// Scrubbing a timeline: random seqs after one checkpoint, whose decoded VRFs are cached after the first.
const base = Math.floor(rnd(head - interval) / interval) * interval;
const scrub: number[] = [];
for (let i = 0; i < 41; i++) {
  const s = performance.now();
  await timeline.ribAt(base + 1 + rnd(interval - 1));
  scrub.push(performance.now() - s);
}
const shape = fromOrigin ? 'reference: live RIB replayed from seq 1' : 'process started as the daemon starts';
console.log(
  `time travel at a random seq (${shape}, heap ${startedMb.toFixed(0)} MB before the queries): full RIB (100k paths) built and every path read ${fmt(full)}  [target p99 <= 100 ms]`,
);
console.log(`time travel at a random seq: full RIB, CPU time per answer ${fmt(fullCpu)}`);
console.log(`time travel at a random seq: full RIB built, before its paths are read ${fmt(built)}`);
console.log(
  `time travel at a random seq: one VRF ${fmt(one)}; the first full RIB after start ${first.toFixed(1)} ms`,
);
console.log(
  `time travel at a random seq: garbage collections during the ${RUNS} full-RIB (and one-VRF) answers: ${gcs.scavenge} scavenges, ${gcs.major} mark-sweep/compact or incremental steps, ${gcs.pauseMs.toFixed(0)} ms of pauses`,
);
console.log(`time travel scrubbing after one checkpoint (cached): full RIB ${fmt(scrub.slice(1))}`);
if (process.env['BENCH_TT_DETAIL'] === '1')
  for (const d of detail.sort((a, b) => parseFloat(b) - parseFloat(a))) console.log(`  full RIB ${d}`);
unfollow();
await indexes.stop();
await journal.close();
stopTrim();
console.log(
  JSON.stringify({
    full: { median: q(full, 0.5), p99: q(full, 0.99) },
    fullCpu: { median: q(fullCpu, 0.5), p99: q(fullCpu, 0.99) },
    one: { median: q(one, 0.5), p99: q(one, 0.99) },
    scrub: { median: q(scrub.slice(1), 0.5), p99: q(scrub.slice(1), 0.99) },
    first,
    heapMb: startedMb,
  }),
);
// A malloc trim still running on a libuv thread at teardown would abort the process (src/shared/heap.ts).
exitWhenTrimIdle(0);
