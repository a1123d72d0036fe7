// Issue 10.3: the journal on a small tmpfs that fills up. While it cannot write, the metric and the log
// say why and /healthz fails after the grace period; once space is freed, journaling resumes by itself,
// with every route event of the outage journaled once and in order, and /healthz is 200 again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLevelJournal } from '../../../src/journal/index.js';
import type { Envelope } from '../../../src/events/index.js';
import { kubelbScenario } from './kubelb.js';
import { waitFor } from '../../helpers/deadline.js';
import { parseExposition, value } from '../../unit/metrics/prom-text.js';
import { http, startServe } from '../ops/harness.js';

/** Writes `path` until the file system is full. */
async function fill(path: string): Promise<void> {
  const f = await open(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0xaa);
  try {
    for (;;) await f.write(chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    await f.close().catch(() => undefined);
  }
}

test('journaling stops on a full disk, says so, fails /healthz, and resumes in order when space returns', async (t) => {
  const { ns, file } = await kubelbScenario(t);
  const mnt = await mkdtemp(join(tmpdir(), 'rjt-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
  // After the daemon (stopped by the namespace cleanup or the test): unmount, then remove.
  t.after(async () => {
    execFileSync('umount', ['-l', mnt]);
    await rm(mnt, { recursive: true, force: true });
  });
  const jdir = join(mnt, 'journal');
  const filler = join(mnt, 'filler');

  const serve = startServe(
    ns,
    [
      '-f',
      file,
      '--journal',
      jdir,
      '--api',
      '127.0.0.1:0',
      '--write-failure-grace',
      '1',
      '--log-level',
      'debug',
    ],
    { inside: false },
  );
  const opened = await serve.waitLog((l) => l.msg === 'API port open; the daemon is starting', 'API port');
  const base = String(opened['url']).replace(/\/graphql$/, '');
  await serve.waitLog((l) => l.msg === 'ready', 'ready');
  await ns.addAddress('kubelb0', '192.0.2.1/32');
  await serve.waitLog(
    (l) => l.msg === 'route imported' && l['prefix'] === '192.0.2.1/32',
    'first route',
    10_000,
  );
  const metric = async (name: string): Promise<number | undefined> =>
    value(parseExposition((await http(undefined, `${base}/metrics`)).body), name);

  await fill(filler);
  // Route changes during the outage: they wait for the disk, in order.
  // Enough of them to need a new page of the log file (a few fit into the part of a page it holds).
  const during = Array.from({ length: 60 }, (_, i) => `198.51.100.${i + 1}/32`);
  for (const a of during) await ns.addAddress('kubelb0', a);
  await serve.waitLog(
    (l) => l.msg === 'journal write failed; events wait in memory and the write is retried',
    'the failure logged',
  );
  await waitFor(async () => (await metric('ribjournal_journal_write_failing')) === 1, 'write_failing = 1');
  const sick = await waitFor(async () => {
    const r = await http(undefined, `${base}/healthz`);
    return r.status === 503 ? r : undefined;
  }, '/healthz 503 after the grace period');
  assert.match(sick.body, /journal writes failing .*No space left on device/);

  const freed = Date.now();
  await rm(filler);
  await serve.waitLog((l) => l.msg === 'journal writes resumed', 'writes resumed', 30_000);
  const resumedMs = Date.now() - freed;
  t.diagnostic(`journaling resumed ${resumedMs} ms after space was freed`);
  await ns.addAddress('kubelb0', '192.0.2.6/32');
  await waitFor(async () => (await http(undefined, `${base}/healthz`)).status === 200, '/healthz 200 again');
  assert.equal(await metric('ribjournal_journal_write_failing'), 0);
  assert.equal(await serve.stop(), 0, 'a clean stop');

  const journal = await openLevelJournal(jdir, { create: false });
  const events: Envelope[] = [];
  try {
    for await (const batch of journal.read()) events.push(...batch);
  } finally {
    await journal.close();
  }
  const discovered = events.flatMap((e) => (e.event.type === 'RouteDiscovered' ? [e.event.prefix] : []));
  assert.deepEqual(
    discovered,
    ['192.0.2.1/32', ...during, '192.0.2.6/32'],
    'every route of the outage journaled once, in the order it happened',
  );
  events.forEach((e, i) => assert.equal(e.seq, i + 1, 'gapless'));
});
