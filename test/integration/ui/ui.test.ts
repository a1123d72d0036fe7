// The operator page (/ui) in Debian's headless Chromium, driven by playwright-core (which downloads no
// browser), against the real daemon importing from a test namespace: the overview's counts, a chart
// with the number of points asked, a click on a point showing the RIB at that seq, a prefix's timeline
// with the flap the test made, the live feed showing an address added during the test within a
// second, and no request leaving 127.0.0.1. Screenshots of each page go to test-artifacts/ui/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, constants, mkdir } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { startApiServer } from '../../../src/api/index.js';
import { CHROMIUM, CHROMIUM_FLAGS } from '../../helpers/chromium.js';
import { kubelbConfig } from '../../helpers/configs.js';
import { has, runDaemon } from '../../helpers/daemon.js';
import { scaled, waitFor } from '../../helpers/deadline.js';
import { createNetns } from '../../helpers/netns.js';

const ARTIFACTS = new URL('../../../test-artifacts/ui/', import.meta.url).pathname;

/** A TCP proxy to 127.0.0.1:port that can stop moving bytes while keeping its connections open. */
async function freezableProxy(
  port: string,
): Promise<{ port: number; freeze(on: boolean): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let frozen = false;
  const server = createServer((client) => {
    const upstream = connect(Number(port), '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
      if (frozen) s.pause();
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    freeze(on) {
      frozen = on;
      for (const s of sockets)
        if (on) s.pause();
        else s.resume();
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

interface LivePage {
  ribjournal: { live: { status: string; drop(): void } };
}

interface Gql<T> {
  data?: T;
  errors?: unknown[];
}

test('/ui: overview counts, chart points, RIB at a clicked point, a flap on the timeline, live feed, nothing leaves 127.0.0.1', async (t) => {
  await access(CHROMIUM, constants.X_OK).catch(() =>
    assert.fail(`${CHROMIUM} is not installed: this test needs Debian's chromium (.ci/run installs it)`),
  );
  await mkdir(ARTIFACTS, { recursive: true });
  t.diagnostic(`screenshots in ${ARTIFACTS}`);

  const ns = await createNetns(t);
  for (const d of ['kubelb0', 'eth1']) await ns.addVeth(d, `${d}p`);
  for (const d of ['kubelb0', 'eth1']) await ns.waitOperUp(d);
  await ns.addAddress('kubelb0', '192.0.2.10/32');
  await ns.addAddress('kubelb0', '192.0.2.11/32');
  await ns.addAddress('kubelb0', '2001:db8::10/128', { nodad: true });
  await ns.addAddress('eth1', '10.1.0.1/24');
  await ns.addAddress('eth1', '10.2.0.1/24');
  const d = await runDaemon(t, ns, kubelbConfig());
  await d.until(has('+ customer-a 10.2.0.0/24 eth1'), 'the initial table', scaled(10_000));
  await d.until(has('+ global 2001:db8::10/128 kubelb0'), 'the IPv6 host route', scaled(10_000));
  // A flap of 10.1.0.0/24: gone (address removed), then back.
  await ns.delAddress('eth1', '10.1.0.1/24');
  await d.until(has('- customer-a 10.1.0.0/24 eth1 address-removed'), 'the withdrawal', scaled(10_000));
  await ns.addAddress('eth1', '10.1.0.1/24');
  await d.until(
    (seen) =>
      seen.filter((e) => e.event.type === 'RouteDiscovered' && e.event.prefix === '10.1.0.0/24').length === 2,
    'the return',
    scaled(10_000),
  );

  const daemon = d.daemon;
  const server = await startApiServer(
    {
      journal: daemon.journal,
      rib: daemon.rib,
      live: daemon.live,
      indexes: daemon.indexes,
      ready: () => daemon.ready,
    },
    { listen: '127.0.0.1:0' },
  );
  t.after(() => server.close());
  const origin = new URL(server.url).origin;
  const gql = async <T>(query: string): Promise<T> => {
    const r = (await (
      await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      })
    ).json()) as Gql<T>;
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data!;
  };
  // The page's indexes follow the journal in the background: wait until they hold the flap.
  await gql('{ journal { headSeq } }');
  const head = daemon.journal.head();
  await waitFor(
    () => daemon.indexes.timeline.seq >= head && daemon.indexes.routeCounts.seq >= head,
    'indexes caught up',
  );

  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_FLAGS,
      timeout: scaled(30_000),
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const requested: string[] = [];
    const problems: string[] = [];
    context.on('request', (r) => requested.push(r.url()));
    const page: Page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`exception: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.setDefaultTimeout(scaled(10_000));
    const shot = (name: string): Promise<Buffer> =>
      page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

    // Overview: every table with its counts.
    await page.goto(`${origin}/ui#/`);
    await page.waitForSelector('body[data-view="overview"]');
    const counts = await page.$$eval('#tables tbody tr', (rows) =>
      rows.map((r) => [
        r.getAttribute('data-vrf'),
        ...['ipv4', 'ipv6', 'total'].map((f) => r.querySelector(`[data-family="${f}"]`)?.textContent),
      ]),
    );
    assert.deepEqual(counts, [
      ['customer-a', '2', '0', '2'],
      ['global', '2', '1', '3'],
    ]);
    assert.equal(await page.locator('#tables .spark canvas').count(), 2, 'a small chart per table');
    await shot('overview');

    // A table's page: the chart has as many points as asked.
    await page.goto(`${origin}/ui#/table/customer-a?points=37&window=all`);
    await page.waitForSelector('body[data-view="table"]');
    const chart = await page.evaluate(() => {
      const c = (
        window as unknown as {
          ribjournal: { charts: Record<string, { u: { data: number[][] }; points: { seq: string }[] }> };
        }
      ).ribjournal.charts['table']!;
      return { n: c.u.data[0]!.length, seqs: c.points.map((p) => p.seq) };
    });
    assert.equal(chart.n, 37);
    await page.waitForSelector('#changes table');
    await shot('table');

    // Click a point (a real mouse click where uPlot draws it): the RIB at that point's seq shows.
    const index = chart.seqs.findIndex((s) => s !== '0');
    assert.ok(index >= 0, `a point after the first change: ${chart.seqs.join(' ')}`);
    const where = await page.evaluate((i) => {
      const c = (
        window as unknown as {
          ribjournal: {
            charts: Record<
              string,
              {
                u: {
                  data: number[][];
                  over: HTMLElement;
                  valToPos(v: number, s: string): number;
                  bbox: { height: number };
                };
              }
            >;
          };
        }
      ).ribjournal.charts['table']!;
      const r = c.u.over.getBoundingClientRect();
      return { x: r.left + c.u.valToPos(c.u.data[0]![i]!, 'x'), y: r.top + r.height / 2 };
    }, index);
    await page.mouse.move(where.x, where.y);
    await page.mouse.click(where.x, where.y);
    const seq = chart.seqs[index]!;
    await page.waitForSelector(`#point-detail[data-seq="${seq}"] table.rib-table[data-seq="${seq}"] tbody`);
    const shown = await page.$$eval(`#point-detail table.rib-table tbody tr`, (rows) =>
      rows.map((r) => `${r.children[0]?.textContent} ${r.children[1]?.textContent}`),
    );
    const then = await gql<{ rib: { nodes: { prefix: string; interface: string }[] } }>(
      `{ rib(vrf: "customer-a", at: "${seq}", first: 50) { nodes { prefix interface } } }`,
    );
    assert.deepEqual(
      shown,
      then.rib.nodes.map((p) => `${p.prefix} ${p.interface}`),
    );
    await shot('table-point');

    // The prefix's page: the flap is on the timeline, with its reason on hover.
    await page.goto(`${origin}/ui#/prefix/customer-a/${encodeURIComponent('10.1.0.0/24')}`);
    await page.waitForSelector('body[data-view="prefix"]');
    assert.equal(await page.textContent('#flap-count'), '1');
    const bands = await page.$$eval('#timeline rect[data-interface="eth1"]', (rects) =>
      rects.map((r) => `${r.getAttribute('class')}: ${r.querySelector('title')?.textContent ?? ''}`),
    );
    assert.equal(bands.filter((b) => b.startsWith('present')).length, 2, bands.join('\n'));
    assert.ok(
      bands.some((b) => b.startsWith('absent') && b.includes('vanished: address-removed')),
      bands.join('\n'),
    );
    await shot('prefix');

    // Live: an address added now shows within a second.
    await page.goto(`${origin}/ui#/live`);
    await page.waitForFunction(
      () =>
        (window as unknown as { ribjournal: { live: { status: string } } }).ribjournal.live.status === 'live',
    );
    const started = Date.now();
    await ns.addAddress('eth1', '10.3.0.1/24');
    await page.waitForSelector('#feed tbody tr:has-text("10.3.0.0/24")', { timeout: scaled(1000) });
    t.diagnostic(`live feed showed the new address after ${Date.now() - started} ms`);
    // The stream breaks and the network stays down while a route changes: after the reconnect the
    // feed resumes after the last seq it saw, so the change shows, once, with no gap.
    await context.setOffline(true);
    await page.evaluate(() => (window as unknown as LivePage).ribjournal.live.drop());
    await page.waitForFunction(() => (window as unknown as LivePage).ribjournal.live.status === 'down');
    await ns.addAddress('eth1', '10.4.0.1/24');
    await d.until(has('+ customer-a 10.4.0.0/24 eth1'), 'the change while offline', scaled(10_000));
    await context.setOffline(false);
    await page.waitForSelector('#feed tbody tr:has-text("10.4.0.0/24")', { timeout: scaled(10_000) });
    const feedSeqs = await page.$$eval('#feed tbody tr', (rows) =>
      rows.map((r) => Number(r.getAttribute('data-seq'))),
    );
    const journaled = d.seen
      .filter((e) => e.seq > Math.min(...feedSeqs) && e.event.type !== 'ConfigApplied')
      .map((e) => e.seq);
    assert.deepEqual(
      [...feedSeqs].sort((a, b) => a - b),
      [Math.min(...feedSeqs), ...journaled],
    );
    // A stream that stops moving while its connection stays open (a frozen proxy in between; heartbeats
    // every 0.2 s here) shows as stalled, and goes live again when data flows.
    const proxy = await freezableProxy(new URL(server.url).port);
    t.after(() => proxy.close());
    await page.goto(`http://127.0.0.1:${proxy.port}/ui#/live?heartbeat=0.2`);
    await page.waitForFunction(() => (window as unknown as LivePage).ribjournal.live.status === 'live');
    proxy.freeze(true);
    await page.waitForSelector('#live-status.stalled', { timeout: scaled(5000) });
    assert.match((await page.textContent('#live-status')) ?? '', /stalled: nothing for \d+ s/);
    await shot('live-stalled');
    proxy.freeze(false);
    await page.waitForFunction(() => (window as unknown as LivePage).ribjournal.live.status === 'live');
    await shot('live');

    // Journal: the head seq as the API says.
    await page.goto(`${origin}/ui#/journal`);
    await page.waitForSelector('body[data-view="journal"]');
    const headNow = await gql<{ journal: { headSeq: string } }>('{ journal { headSeq } }');
    assert.equal(await page.textContent('[data-field="headSeq"]'), headNow.journal.headSeq);
    await shot('journal');

    // With a token: reading on loopback is open, a wrong token is refused with a message saying so, the
    // right one (typed in the page's token field, kept in sessionStorage) works.
    const guarded = await startApiServer(
      {
        journal: daemon.journal,
        rib: daemon.rib,
        live: daemon.live,
        indexes: daemon.indexes,
        ready: () => daemon.ready,
      },
      { listen: '127.0.0.1:0', auth: { token: 's3cret-token' } },
    );
    t.after(() => guarded.close());
    await page.goto(`${new URL(guarded.url).origin}/ui#/`);
    await page.waitForSelector('body[data-view="overview"] #tables tr[data-vrf="customer-a"]');
    await page.fill('#token', 'wrong-token');
    await page.click('#token-form button');
    await page.waitForSelector('body[data-view="error"]');
    assert.match((await page.textContent('#banner')) ?? '', /wrong token.*enter the API token/);
    await page.fill('#token', 's3cret-token');
    await page.click('#token-form button');
    await page.waitForSelector('body[data-view="overview"] #tables tr[data-vrf="customer-a"]');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('ribjournal.token')), 's3cret-token');

    const outside = requested.filter(
      (u) => !/^(?:data|blob|about):/.test(u) && new URL(u).hostname !== '127.0.0.1',
    );
    assert.deepEqual(outside, [], 'the page made requests outside 127.0.0.1');
    assert.ok(
      requested.some((u) => u === `${origin}/ui/uplot.js`),
      'uPlot came from the daemon',
    );
    // The wrong token's 401 is logged by the browser itself; anything else is a problem.
    assert.deepEqual(
      problems.filter((p) => !p.includes('status of 401')),
      [],
      'the page logged errors',
    );
  } finally {
    await browser?.close();
  }
});
