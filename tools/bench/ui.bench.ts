// Operator page benchmarks (issue 14), on a LevelDB journal built in a temp dir (100 VRFs x 1000
// prefixes = 100k paths, then flaps up to BENCH_EVENTS events, spread over BENCH_DAYS days):
//   - routeCounts: the 7-day chart of one VRF (target <= 200 ms to answer), next to a single
//     time-travel count (`vrf(at:) { routeCounts }`) as the reference in the same run
//   - the overview's query: every VRF with a 60-point chart
//   - page weight of /ui (target <= 1 MB)
//   - /ui first paint and first complete overview in headless Chromium (target first paint <= 1 s)
// Run: node --import tsx --expose-gc tools/bench/ui.bench.ts   (or: npm run bench -- ui).
// Sizes: BENCH_VRFS (100), BENCH_PREFIXES (1000 per VRF), BENCH_EVENTS (1000000), BENCH_DAYS (14).
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ApiContext } from '../../src/api/index.js';
import { CHROMIUM, CHROMIUM_FLAGS } from '../../test/helpers/chromium.js';
import { inProcessQuery, rnd, stats, vrfName, writeFlapJournal } from './flap-journal.js';

process.env['NODE_ENV'] ??= 'production';
const { openLevelJournal } = await import('../../src/journal/index.js');
const { Rib, replayAndFollow } = await import('../../src/projections/index.js');
const { createApiIndexes, createYoga, startApiServer } = await import('../../src/api/index.js');
const { serveUi } = await import('../../src/ui/serve.js');
const { formatMicros } = await import('../../src/shared/index.js');
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

const VRFS = Number(process.env['BENCH_VRFS'] ?? 100);
const PREFIXES = Number(process.env['BENCH_PREFIXES'] ?? 1000);
const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 1_000_000);
const DAYS = Number(process.env['BENCH_DAYS'] ?? 14);
const FLAP_BATCH = 20;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ribjournal-bench-ui-'));
  // The journal stamps each append (one time per batch): the initial table comes at once, then the
  // flaps in batches of FLAP_BATCH, spread evenly so the journal spans DAYS days and ends now.
  const flapBatches = Math.max(1, Math.ceil((EVENTS - VRFS * PREFIXES) / FLAP_BATCH));
  const gap = Math.floor((DAYS * 86400e6) / flapBatches);
  let now = Date.now() * 1000 - (flapBatches + 1) * gap;
  const journal = await openLevelJournal(join(dir, 'journal'), { clock: { nowMicros: () => (now += gap) } });
  try {
    console.log(
      `building a ${EVENTS}-event journal over ${DAYS} days: ${VRFS} VRFs x ${PREFIXES} prefixes, then flaps`,
    );
    let t = performance.now();
    await writeFlapJournal(journal, {
      vrfs: VRFS,
      prefixes: PREFIXES,
      events: EVENTS,
      flapBatch: FLAP_BATCH,
    });
    console.log(
      `  journal written: ${journal.head()} events in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );

    t = performance.now();
    const rib = new Rib();
    const indexes = createApiIndexes(journal);
    const unfollow = await replayAndFollow(journal, [rib, ...indexes.projections]);
    const replayS = (performance.now() - t) / 1000;
    gc();
    const before = process.memoryUsage().heapUsed;
    // What the count series alone costs: a second one, replayed on its own.
    const { RouteCountSeries } = await import('../../src/projections/index.js');
    const alone = new RouteCountSeries();
    t = performance.now();
    for await (const b of journal.read()) for (const env of b) alone.apply(env);
    const aloneS = (performance.now() - t) / 1000;
    gc();
    const seriesMiB = (process.memoryUsage().heapUsed - before) / 2 ** 20;
    console.log(
      `  replayed into rib + indexes in ${replayS.toFixed(1)} s; ${rib.size()} paths; the count series alone: ` +
        `replay ${aloneS.toFixed(1)} s, ~${seriesMiB.toFixed(0)} MiB (incl. its path set), ` +
        `${alone.bucketCount(vrfName(0))} buckets for one VRF`,
    );

    const api: ApiContext = { journal, rib, indexes, ready: () => true };
    const yoga = createYoga(api);
    const gql = inProcessQuery(yoga);
    const head = journal.head();
    const last = (await journal.get(head))!.time;
    const to = formatMicros(last);
    const from = formatMicros(last - 7 * 86400e6);
    const CHART = `query($vrf: String!, $from: SeqOrTime, $to: SeqOrTime, $points: Int, $step: String) {
      routeCounts(vrf: $vrf, from: $from, to: $to, points: $points, step: $step) {
        fromSeq toSeq points { time seq total ipv4 ipv6 min max changes exact } markers { seq time kind } } }`;
    for (let i = 0; i < 20; i++) await gql(CHART, { vrf: vrfName(rnd(VRFS)), from, to, points: 500 });
    const chart: number[] = [];
    let exact = 0;
    let n = 0;
    for (let i = 0; i < 200; i++) {
      const s = performance.now();
      const d = (await gql(CHART, { vrf: vrfName(rnd(VRFS)), from, to, points: 500 })) as {
        routeCounts: { points: { exact: boolean }[] };
      };
      chart.push(performance.now() - s);
      n += d.routeCounts.points.length;
      exact += d.routeCounts.points.filter((p) => p.exact).length;
    }
    console.log(
      `routeCounts, 7-day chart of one VRF, 500 points: ${stats(chart)}; ${((100 * exact) / n).toFixed(0)}% of points exact at 1 s resolution`,
    );
    const stepped: number[] = [];
    for (let i = 0; i < 100; i++) {
      const s = performance.now();
      await gql(CHART, { vrf: vrfName(rnd(VRFS)), from, to, step: '5m' });
      stepped.push(performance.now() - s);
    }
    console.log(`routeCounts, 7-day chart of one VRF, step 5m (2016 points): ${stats(stepped)}`);
    // Reference: one count by time travel (restore the VRF at a past seq), what a chart point would cost without the series.
    const ONE = `query($vrf: String!, $at: SeqOrTime) { vrf(name: $vrf, at: $at) { routeCounts { total } } }`;
    const one: number[] = [];
    for (let i = 0; i < 50; i++) {
      const s = performance.now();
      await gql(ONE, { vrf: vrfName(rnd(VRFS)), at: String(1 + rnd(head - 1)) });
      one.push(performance.now() - s);
    }
    console.log(
      `reference: one past count by time travel (vrf(at:) { routeCounts }): ${stats(one)}; ` +
        `a 500-point chart that way would take ~${((median(one) * 500) / 1000).toFixed(1)} s, ` +
        `${((median(one) * 500) / median(chart)).toFixed(0)}x the series`,
    );
    const OVERVIEW = `query($from: SeqOrTime) { vrfs { name rd routeCounts { ipv4 ipv6 total } lastChange
      routeCountSeries(from: $from, points: 60) { points { time seq total min max } markers { time kind } } } }`;
    const overview: number[] = [];
    for (let i = 0; i < 30; i++) {
      const s = performance.now();
      await gql(OVERVIEW, { from: '-24h' });
      overview.push(performance.now() - s);
    }
    console.log(`overview query (${VRFS + 1} tables, a 60-point chart each): ${stats(overview)}`);

    // Page weight.
    const assets = createServer((req, res) => {
      if (!serveUi(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((r) => assets.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(assets.address() as AddressInfo).port}`;
    let raw = 0;
    let gz = 0;
    for (const f of ['/ui', '/ui/app.js', '/ui/style.css', '/ui/uplot.js', '/ui/uplot.css']) {
      raw += (await (await fetch(base + f, { headers: { 'accept-encoding': 'identity' } })).arrayBuffer())
        .byteLength;
      const r = await fetch(base + f, { headers: { 'accept-encoding': 'gzip' } });
      gz += Number(r.headers.get('content-length'));
      await r.arrayBuffer();
    }
    assets.close();
    console.log(
      `page weight of /ui: ${(raw / 1024).toFixed(0)} KiB (${(gz / 1024).toFixed(0)} KiB gzipped), 5 files`,
    );

    // First paint on this 100k-path daemon, in headless Chromium.
    const server = await startApiServer(api, { listen: '127.0.0.1:0' });
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_FLAGS,
    });
    try {
      const paints: number[] = [];
      const ready: number[] = [];
      for (let i = 0; i < 6; i++) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        const page = await context.newPage();
        const s = performance.now();
        await page.goto(`${new URL(server.url).origin}/ui#/`);
        await page.waitForSelector('body[data-view="overview"]', { timeout: 60_000 });
        const overviewMs = performance.now() - s;
        const fcp = await page.evaluate(
          () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
        );
        const done = await page.evaluate(() => performance.now());
        if (i > 0) {
          paints.push(fcp);
          ready.push(Math.min(done, overviewMs));
        }
        await context.close();
      }
      console.log(`/ui first contentful paint (${rib.size()} paths): ${stats(paints)}`);
      console.log(`/ui overview complete (${VRFS + 1} tables with their charts): ${stats(ready)}`);
    } finally {
      await browser.close();
      await server.close();
    }
    unfollow();
    await yoga.dispose();
  } finally {
    await journal.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
