// CLI cold start (issue 13, item 3): wall time and peak RSS of `ribjournal --version` and `ribjournal
// global rib` (the compiled CLI, bin/ribjournal.js, as users run it), next to `node -e 0` and `gobgp
// --version` in the same run, and `global rib` against an API holding 100k paths in the global table.
// Targets: --version and global rib (small table) <= 150 ms wall and <= 60 MB RSS.
// Run: npm run build && node --import tsx tools/bench/cli.bench.ts   (or: npm run bench -- cli).
// Sizes: BENCH_RUNS (9), BENCH_PATHS (100000).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { JournalEvent } from '../../src/events/index.js';

process.env['NODE_ENV'] ??= 'production';
const { MemoryJournal } = await import('../../src/journal/index.js');
const { Rib, replayAndFollow } = await import('../../src/projections/index.js');
const { createApiIndexes, startApiServer } = await import('../../src/api/index.js');

const RUNS = Number(process.env['BENCH_RUNS'] ?? 9);
const PATHS = Number(process.env['BENCH_PATHS'] ?? 100_000);
const root = new URL('../..', import.meta.url).pathname;
const BIN = `${root}bin/ribjournal.js`;

if (!existsSync(`${root}dist/src/cli/main.js`)) {
  console.error('cli.bench: dist/ is missing: run npm run build first');
  process.exit(1);
}

/**
 * Wall ms and peak RSS (MB) of one run, from GNU time. Asynchronous: the API the CLI asks runs in this
 * process and must keep answering.
 */
function measure(cmd: readonly string[]): Promise<{ wall: number; rss: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      '/usr/bin/time',
      ['-f', '%e %M', ...cmd],
      { cwd: root, maxBuffer: 1 << 28 },
      (err, _out, stderr) => {
        if (err) return reject(new Error(`${cmd.join(' ')} failed: ${stderr}`));
        const last = stderr.trim().split('\n').at(-1)!.split(' ');
        resolve({ wall: Number(last[0]) * 1000, rss: Number(last[1]) / 1024 });
      },
    );
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function bench(label: string, cmd: readonly string[]): Promise<{ wall: number; rss: number }> {
  const walls: number[] = [];
  const rsss: number[] = [];
  await measure(cmd); // warm the page cache
  for (let i = 0; i < RUNS; i++) {
    const m = await measure(cmd);
    walls.push(m.wall);
    rsss.push(m.rss);
  }
  const res = { wall: median(walls), rss: median(rsss) };
  console.log(
    `${label.padEnd(44)} wall median ${res.wall.toFixed(0).padStart(5)} ms   rss median ${res.rss.toFixed(1)} MB`,
  );
  return res;
}

/** An API over a journal of `n` discovered paths in the global table. */
async function apiWith(n: number): Promise<{ url: string; close: () => Promise<void> }> {
  const journal = new MemoryJournal();
  const batch: JournalEvent[] = [];
  for (let i = 0; i < n; i++) {
    batch.push({
      type: 'RouteDiscovered',
      vrf: '',
      family: 'ipv4',
      prefix: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`,
      interface: `eth${i % 100}`,
      ifindex: 2 + (i % 100),
      address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    });
    if (batch.length === 10_000) await journal.append(batch.splice(0));
  }
  if (batch.length) await journal.append(batch.splice(0));
  const rib = new Rib();
  const indexes = createApiIndexes(journal);
  await replayAndFollow(journal, [rib, ...indexes.projections]);
  const server = await startApiServer(
    { journal, rib, indexes, ready: () => true },
    { listen: '127.0.0.1:0' },
  );
  return { url: new URL(server.url).host, close: () => server.close() };
}

console.log(
  `runs ${RUNS}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const node = await bench('node -e 0', [process.execPath, '-e', '0']);
const gobgp = existsSync('/usr/bin/gobgp')
  ? await bench('gobgp --version', ['/usr/bin/gobgp', '--version'])
  : undefined;
const version = await bench('ribjournal --version', [process.execPath, BIN, '--version']);
const help = await bench('ribjournal --help', [process.execPath, BIN, '--help']);
const small = await apiWith(10);
const rib10 = await bench('ribjournal global rib (10 paths)', [
  process.execPath,
  BIN,
  'global',
  'rib',
  '--api',
  small.url,
]);
await small.close();
const big = await apiWith(PATHS);
const ribBig = await bench(`ribjournal global rib (${PATHS / 1000}k paths)`, [
  process.execPath,
  BIN,
  'global',
  'rib',
  '--api',
  big.url,
]);
await big.close();
const ratio = (x: { wall: number; rss: number }, ref: { wall: number; rss: number }): string =>
  `${(x.wall / ref.wall).toFixed(1)}x wall, ${(x.rss / ref.rss).toFixed(2)}x rss`;
console.log(
  `\nagainst node -e 0: --version ${ratio(version, node)}; --help ${ratio(help, node)}; global rib ${ratio(rib10, node)}`,
);
if (gobgp) console.log(`against gobgp --version: --version ${ratio(version, gobgp)}`);
console.log(`global rib ${PATHS / 1000}k paths: ${ratio(ribBig, node)} of node -e 0`);
const ok = (x: { wall: number; rss: number }): string => (x.wall <= 150 && x.rss <= 60 ? '✓' : '✗');
console.log(
  `targets (<= 150 ms, <= 60 MB): --version ${ok(version)}, global rib ${ok(rib10)}; load ${loadavg()[0]!.toFixed(2)}`,
);
