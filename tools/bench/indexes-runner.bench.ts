// The API's indexes in the projection runner (issue 9.1): what a rebuild from the journal (no derived
// data: the first start after an upgrade, or after damage) and a start from the derived data cost, this
// branch against a reference tree (default: `main`, checked out with `git archive` into a temp dir) in
// the same run. Each start runs in a fresh process (indexes-runner-child.ts); medians of BENCH_RUNS.
// Run: node --import tsx tools/bench/indexes-runner.bench.ts
//      (BENCH_EVENTS=500000, BENCH_RUNS=3, BENCH_REF=main; BENCH_DIR keeps and reuses the journal)
import { execFileSync, execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLevelJournal } from '../../src/journal/index.js';
import { writeFlapJournal } from './flap-journal.js';

const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 500_000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const REF = process.env['BENCH_REF'] ?? 'main';
const here = new URL('../..', import.meta.url).pathname;

async function generate(dir: string): Promise<void> {
  let now = Date.UTC(2026, 0, 1) * 1000;
  const journal = await openLevelJournal(dir, { clock: { nowMicros: () => (now += 1000) } });
  await writeFlapJournal(journal, { vrfs: 100, prefixes: 1000, events: EVENTS, flapBatch: 1000 });
  await journal.close();
}

async function clearDerived(dir: string): Promise<void> {
  const journal = await openLevelJournal(dir, { create: false, compaction: false });
  await journal.derived.clear();
  await journal.close();
}

interface Start {
  readonly ms: number;
  readonly ready: boolean;
  readonly peakRss: number;
}

function start(root: string, dir: string): Start {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', join(here, 'tools/bench/indexes-runner-child.ts'), root, dir],
    { cwd: here, env: { ...process.env, NODE_ENV: 'production' }, encoding: 'utf8' },
  );
  const r = JSON.parse(out.trim().split('\n').pop()!) as Start;
  if (!r.ready) throw new Error(`${root}: the indexes were not ready after start()`);
  return r;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = process.env['BENCH_DIR'] ?? (await mkdtemp(join(tmpdir(), 'ribjournal-ixrun-')));
const refRoot = await mkdtemp(join(tmpdir(), 'ribjournal-ixref-'));
try {
  if (!existsSync(join(dir, 'CURRENT'))) await generate(dir);
  execSync(`git -C ${here} archive ${REF} src migrations package.json tsconfig.json | tar -x -C ${refRoot}`);
  await symlink(join(here, 'node_modules'), join(refRoot, 'node_modules'));
  const trees = { [REF]: refRoot, 'this branch': here };
  const rows: string[] = [];
  const rebuilt: Record<string, number[]> = {};
  for (const [name, root] of Object.entries(trees)) {
    const rebuild: Start[] = [];
    const load: Start[] = [];
    for (let r = 0; r < RUNS; r++) {
      await clearDerived(dir);
      rebuild.push(start(root, dir));
      load.push(start(root, dir));
    }
    rebuilt[name] = rebuild.map((s) => s.ms);
    rows.push(
      `${name.padEnd(12)} rebuild from the journal: median ${(median(rebuilt[name]) / 1000).toFixed(2)} s, ` +
        `peak RSS ${(median(rebuild.map((s) => s.peakRss)) / 1e6).toFixed(0)} MB; ` +
        `start from the derived data: median ${median(load.map((s) => s.ms)).toFixed(0)} ms`,
    );
  }
  console.log(
    `API indexes, ${EVENTS.toLocaleString('en')} events, ${RUNS} runs each, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const row of rows) console.log(row);
  const ratio = median(rebuilt['this branch']!) / median(rebuilt[REF]!);
  console.log(`rebuild time this branch / ${REF}: ${ratio.toFixed(2)}`);
} finally {
  await rm(refRoot, { recursive: true, force: true });
  if (process.env['BENCH_DIR'] === undefined) await rm(dir, { recursive: true, force: true });
}
