// Retention (issue 9.5) on a real LevelDB journal: a trim removes whole blocks through the horizon after a
// RIB checkpoint there, archives exactly the removed events as gzip JSONL, keeps seqs gapless from the
// horizon on, answers inside the horizon as before, refuses points before it with BEFORE_RETENTION, and
// gives the disk space back.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { ApiContext } from '../../../src/api/context.js';
import { resolveAt } from '../../../src/api/time-point.js';
import { envelopeToJson } from '../../../src/events/json.js';
import type { Envelope } from '../../../src/events/index.js';
import { openLevelJournal, recoverJournal, verifyJournal } from '../../../src/journal/index.js';
import type { LevelJournal } from '../../../src/journal/index.js';
import { dirSize } from '../../../src/journal/db.js';
import { startRetention, trimJournal } from '../../../src/journal/retention.js';
import { checkpointForHorizon, createApiIndexes, loadRibCheckpoint } from '../../../src/projections/index.js';
import type { Rib } from '../../../src/projections/index.js';
import { ProjectionRunner, RouteCountSeries } from '../../../src/projections/index.js';
import { createDaemonMetrics } from '../../../src/metrics/index.js';
import type { Logger } from 'pino';
import { readAll, tempDir, writeJournal } from './helpers.js';

const INSIDE = [1501, 1550, 1999, 2222, 2999, 3000];

function dump(rib: Rib): unknown {
  return rib.vrfNames().map((vrf) => ({
    vrf,
    config: rib.vrfConfig(vrf) ?? null,
    paths: [...rib.entries(vrf)].sort(([a], [b]) => (a < b ? -1 : 1)),
  }));
}

/** The RIB at each seq (whole and one VRF), as the API's time travel answers it, on a fresh start. */
async function answers(t: TestContext, dir: string, seqs = INSIDE): Promise<unknown[]> {
  const journal = await openLevelJournal(dir, { compaction: false });
  const indexes = createApiIndexes(journal, { timeline: { interval: 200 } });
  t.after(async () => {
    await indexes.stop();
    await journal.close();
  });
  await indexes.start();
  const out: unknown[] = [];
  for (const seq of seqs) {
    out.push(dump(await indexes.timeline.ribAt(seq)));
    out.push(dump(await indexes.timeline.ribAt(seq, ['customer-a', ''])));
  }
  await indexes.stop();
  await journal.close();
  return out;
}

function trim(journal: LevelJournal, through: number, archiveDir?: string): ReturnType<typeof trimJournal> {
  return trimJournal(journal, through, {
    archiveDir,
    checkpoint: (seq) => checkpointForHorizon(journal, seq),
  });
}

async function code(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return (
      (err as { code?: unknown; extensions?: { code?: unknown } }).extensions?.code ??
      (err as { code?: unknown }).code
    );
  }
  return 'no error';
}

test('a trim keeps seqs gapless from the horizon, archives exactly the removed events, answers as before', async (t) => {
  const dir = await tempDir(t, 'ribjournal-retention-');
  const archiveDir = join(dir, '..', `${dir.split('/').pop()}-archive`);
  t.after(() => import('node:fs/promises').then((fs) => fs.rm(archiveDir, { recursive: true, force: true })));
  const envs: Envelope[] = await writeJournal(dir, 300, 10); // 3000 events, blocks of 10
  const truth = await answers(t, dir); // also writes the derived indexes (checkpoints every 200)

  const journal = await openLevelJournal(dir, { compaction: false });
  const r = await trim(journal, 1505, archiveDir); // 1501..1510 is one block: the horizon is 1500
  assert.ok(r);
  assert.deepEqual(r.horizon, { seq: 1500, time: envs[1499]!.time });
  assert.equal(r.removed, 1500);
  assert.equal((await journal.stats()).horizon?.seq, 1500);
  assert.equal((await journal.stats()).events, 1500);
  // Gapless from the horizon on; nothing before it is served.
  const kept = (await readAll(journal)).envelopes.map((e) => e.seq);
  assert.deepEqual(
    kept,
    Array.from({ length: 1500 }, (_, i) => 1501 + i),
  );
  assert.equal(await code(readAll(journal, { after: 10 })), 'BEFORE_RETENTION');
  assert.equal(await journal.get(1500), undefined);
  assert.equal((await journal.get(1501))?.seq, 1501);
  const api = { journal } as unknown as ApiContext;
  assert.equal(await code(resolveAt(api, { seq: 1000 })), 'BEFORE_RETENTION');
  assert.equal(await code(resolveAt(api, { seq: 1500 })), 'BEFORE_RETENTION');
  assert.equal(await code(resolveAt(api, { time: envs[0]!.time })), 'BEFORE_RETENTION');
  assert.equal(await resolveAt(api, { seq: 1501 }), 1501);
  assert.equal(await resolveAt(api, { time: envs[2000]!.time }), 2010); // one append, one time
  assert.ok(
    ((await loadRibCheckpoint(journal))?.seq ?? 0) >= 1500,
    'start-up checkpoint at or after the horizon',
  );
  await journal.close();

  // The archive: one gzip JSONL file named by seqs and times, holding exactly the removed events.
  const files = await readdir(archiveDir);
  assert.deepEqual(files, [`1-1500-${envs[0]!.time}-${envs[1499]!.time}.jsonl.gz`]);
  const lines = gunzipSync(await readFile(join(archiveDir, files[0]!)))
    .toString('utf8')
    .trimEnd()
    .split('\n');
  assert.deepEqual(
    lines.map((l) => JSON.parse(l) as unknown),
    envs.slice(0, 1500).map((e) => JSON.parse(JSON.stringify(envelopeToJson(e))) as unknown),
  );

  // Verify and a fresh open accept it and report the horizon; time travel inside it answers as before.
  const report = await verifyJournal(dir);
  assert.equal(report.ok, true, JSON.stringify(report.problems));
  assert.deepEqual(report.horizon, { seq: 1500, time: envs[1499]!.time });
  assert.equal(report.events, 1500);
  // Recover and backup copy the events after the horizon, the horizon, and the RIB there.
  const recovered = await recoverJournal(dir, `${dir}-recovered`);
  t.after(() => rm(`${dir}-recovered`, { recursive: true, force: true }));
  assert.equal(recovered.report.events, 1500);
  assert.deepEqual(recovered.report.horizon, report.horizon);
  assert.deepEqual(await answers(t, `${dir}-recovered`), truth);
  assert.deepEqual(await answers(t, dir), truth);
  // Derived data deleted after the trim: the indexes rebuild from the RIB at the horizon, same answers.
  const cleared = await openLevelJournal(dir, { compaction: false });
  await cleared.derived.clear();
  await cleared.close();
  assert.deepEqual(await answers(t, dir), truth);

  // A second trim moves the horizon on from the first.
  const again = await openLevelJournal(dir, { compaction: false });
  const r2 = await trim(again, 2000);
  assert.equal(r2?.horizon.seq, 2000);
  assert.equal(r2?.removed, 500);
  await again.close();
  assert.deepEqual(await answers(t, dir, INSIDE.slice(3)), truth.slice(6));
});

test('trimming a 100k-event journal to its last 10k gives the disk space back', async (t) => {
  const dir = await tempDir(t, 'ribjournal-retention-size-');
  await writeJournal(dir, 1000, 100);
  const journal = await openLevelJournal(dir, { compaction: false });
  t.after(() => journal.close());
  const before = await dirSize(dir);
  const r = await trim(journal, 90_000);
  assert.equal(r?.horizon.seq, 90_000);
  const after = await dirSize(dir);
  // What stays: the last 10% of the events and the RIB checkpoints at the horizon (live state, not history).
  let checkpoints = 0;
  for (const key of ['rib-checkpoint', 'rib-checkpoint-horizon'])
    checkpoints += (await journal.getMeta(key))?.length ?? 0;
  assert.ok(
    after - checkpoints < before * 0.25,
    `size ${before} -> ${after} (${checkpoints} of checkpoints)`,
  );
  assert.equal((await readAll(journal)).envelopes.length, 10_000);
});

test('the daemon policy: retention by age trims what is older, max-size leaves a journal under it alone', async (t) => {
  const dir = await tempDir(t, 'ribjournal-retention-policy-');
  const envs = await writeJournal(dir, 300, 10);
  const journal = await openLevelJournal(dir, { compaction: false });
  t.after(() => journal.close());
  const logs: string[] = [];
  const log = { info: (_: object, m: string) => logs.push(m), error: (_: object, m: string) => logs.push(m) };
  const checkpoint = (seq: number): Promise<void> => checkpointForHorizon(journal, seq);
  // Under max-size: nothing to do.
  const small = startRetention(journal, { policy: { maxSizeBytes: 2 ** 30 }, checkpoint, log });
  assert.equal(await small.check(), undefined);
  await small.stop();
  // Events strictly older than now - 1 s go: the cutoff is the time of seqs 1501..1510 (one append).
  const now = envs[1505]!.time + 1e6;
  const timer = startRetention(journal, {
    policy: { retentionSeconds: 1 },
    checkpoint,
    log,
    nowMicros: () => now,
  });
  t.after(() => timer.stop());
  const r = await timer.check();
  assert.equal(r?.horizon.seq, 1500);
  assert.deepEqual(logs, ['journal retention removed events']);
  assert.equal(await timer.check(), undefined, 'nothing more until time passes');
});

test('after a trim the runner starts behind-the-horizon projections from the RIB there: route counts stay right', async (t) => {
  const dir = await tempDir(t, 'ribjournal-retention-runner-');
  const envs = await writeJournal(dir, 300, 10);
  const last = envs[envs.length - 1]!.time;
  const full = new RouteCountSeries();
  for (const env of envs) full.apply(env);
  const journal = await openLevelJournal(dir, { compaction: false });
  t.after(() => journal.close());
  await trim(journal, 1500);
  const noop = (): void => undefined;
  const log = { info: noop, warn: noop, error: noop, debug: noop, child: () => log } as unknown as Logger;
  const runner = new ProjectionRunner({ journal, log });
  t.after(() => runner.stop());
  const series = new RouteCountSeries();
  const events = createDaemonMetrics({ processMetrics: false }).journalEvents;
  await runner.add({ name: 'route-counts', projection: series });
  await runner.add({ name: 'events-by-type', projection: events });
  await runner.whenLive('route-counts');
  await runner.whenLive('events-by-type');
  assert.equal(series.seq, 3000);
  assert.equal(events.seq, 3000);
  for (const vrf of full.vrfNames()) {
    const [want] = full.points(vrf, [last], 0);
    const [got] = series.points(vrf, [last], 0);
    assert.equal(got?.ipv4, want?.ipv4, `IPv4 paths of ${vrf} now`);
    assert.equal(got?.ipv6, want?.ipv6, `IPv6 paths of ${vrf} now`);
  }
});
