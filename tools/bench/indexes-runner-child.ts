// Child of indexes-runner.bench.ts: starts the API indexes (history index + timeline) of a journal with
// the source tree at ROOT (this branch, or a reference checkout), standalone as offline tools do, and
// prints one JSON line: milliseconds until they are live, and the process's peak RSS.
// Run: node --import tsx tools/bench/indexes-runner-child.ts ROOT JOURNAL_DIR
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [root, dir] = process.argv.slice(2);
if (root === undefined || dir === undefined)
  throw new Error('usage: indexes-runner-child.ts ROOT JOURNAL_DIR');
const from = (path: string): string => pathToFileURL(join(root, path)).href;
const { openLevelJournal } = (await import(
  from('src/journal/index.ts')
)) as typeof import('../../src/journal/index.js');
const { createApiIndexes } = (await import(
  from('src/projections/index.ts')
)) as typeof import('../../src/projections/index.js');

const journal = await openLevelJournal(dir, { create: false, compaction: false });
const t0 = performance.now();
const indexes = createApiIndexes(journal);
await indexes.start();
const ms = performance.now() - t0;
const ready = indexes.readiness().ready;
await indexes.stop();
await journal.close();
const peakRss = process.resourceUsage().maxRSS * 1024;
console.log(JSON.stringify({ ms, ready, peakRss, head: journal.head() }));
