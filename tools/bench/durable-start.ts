// Child of durable.bench.ts: starts what `serve` starts from the journal, in a fresh process, and prints
// one JSON line: milliseconds until the RIB and the API indexes are ready, and the RSS then. The RIB
// comes from its checkpoint and the tail (as src/main.ts does); the indexes from their derived data.
// Not started: the kernel observer, BGP and the HTTP server (they cost the same on any journal length).
// Run: node --import tsx --expose-gc tools/bench/durable-start.ts JOURNAL_DIR
import { performance } from 'node:perf_hooks';
import {
  exitWhenTrimIdle,
  limitYoungGeneration,
  trimMallocNow,
  tuneProcessMemory,
} from '../../src/shared/index.js';
// What `serve` does first (bin/ribjournal.js, src/cli/serve.ts): the daemon's memory policy.
limitYoungGeneration();
tuneProcessMemory();
const { openLevelJournal } = await import('../../src/journal/index.js');
const { Rib, createApiIndexes, loadRibCheckpoint, replayAndFollow } =
  await import('../../src/projections/index.js');

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: durable-start.ts JOURNAL_DIR [--reference]');
// The reference: what every start cost before (the RIB alone replayed from seq 1, a lower bound of the
// old start, which also rebuilt the history index and timeline in memory).
const reference = process.argv[3] === '--reference';
const t0 = performance.now();
const journal = await openLevelJournal(dir, { create: false, compaction: false });
const rib = (reference ? undefined : await loadRibCheckpoint(journal)) ?? new Rib();
const unfollow = await replayAndFollow(journal, [rib]);
const ribMs = performance.now() - t0;
// The timeline shares the daemon's live RIB, as src/main.ts wires it.
const indexes = createApiIndexes(journal, { timeline: { live: rib } });
if (!reference) await indexes.start();
const readyMs = performance.now() - t0;
const ready = indexes.readiness();
const rssAtReady = process.memoryUsage().rss;
(globalThis as { gc?: () => void }).gc?.();
const rssAfterGc = process.memoryUsage().rss;
// The daemon hands malloc's free memory back every 10 s (src/shared/heap.ts): RSS once it has.
await trimMallocNow();
const rssTrimmed = process.memoryUsage().rss;
console.log(
  JSON.stringify({
    ribMs,
    readyMs,
    ready: ready.ready,
    rssAtReady,
    rssAfterGc,
    rssTrimmed,
    paths: rib.size(),
    head: journal.head(),
  }),
);
unfollow();
await indexes.stop();
await journal.close();
// A malloc trim still running on a libuv thread at teardown would abort the process (src/shared/heap.ts).
exitWhenTrimIdle(0);
