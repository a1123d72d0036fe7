// The API's indexes on disk (issue 9.2): they start from their derived data when it is sound and current;
// deleted, damaged or written by another build it is rebuilt, readiness says so meanwhile, and no answer
// changes. Real LevelDB in a temp dir.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Envelope } from '../../../src/events/index.js';
import { openLevelJournal } from '../../../src/journal/index.js';
import type { LevelJournal } from '../../../src/journal/index.js';
import { createApiIndexes } from '../../../src/projections/index.js';
import type { ApiIndexes, IndexLog, Rib } from '../../../src/projections/index.js';
import { tempDir, withRaw, writeJournal } from '../journal/helpers.js';

const SEQS = [0, 1, 499, 500, 1234, 2222, 2999];
const INTERVAL = 200;

function dump(rib: Rib): unknown {
  return rib.vrfNames().map((vrf) => ({
    vrf,
    config: rib.vrfConfig(vrf) ?? null,
    paths: [...rib.entries(vrf)].sort(([a], [b]) => (a < b ? -1 : 1)),
  }));
}

/** Everything the API asks the indexes, as one comparable value. */
async function answers(ix: ApiIndexes, envs: readonly Envelope[]): Promise<unknown> {
  const out: unknown[] = [];
  for (const seq of SEQS) {
    out.push(dump(await ix.timeline.ribAt(seq)));
    out.push(dump(await ix.timeline.ribAt(seq, ['customer-a', ''])));
  }
  const all = { after: 0, through: Number.MAX_SAFE_INTEGER };
  out.push((await ix.history.vrfEvents('customer-a', all)).map((e) => e.seq));
  out.push((await ix.history.configEvents(all)).map((e) => e.seq));
  for (const at of [10, 500, 2000]) {
    const e = envs[at - 1]!.event;
    if (e.type !== 'RouteDiscovered' && e.type !== 'RouteVanished') continue;
    out.push((await ix.history.prefixEvents(e.vrf, e.prefix, all)).map((x) => x.seq));
  }
  return out;
}

interface Run {
  readonly journal: LevelJournal;
  readonly indexes: ApiIndexes;
  readonly logs: string[];
  /** Readiness reasons seen when the indexes logged something. */
  readonly reasons: (string | undefined)[];
}

async function run(t: TestContext, dir: string): Promise<Run> {
  const journal = await openLevelJournal(dir, { compaction: false });
  const logs: string[] = [];
  const reasons: (string | undefined)[] = [];
  const holder: { indexes?: ApiIndexes } = {};
  const note = (_o: object, msg: string): void => {
    logs.push(msg);
    reasons.push(holder.indexes?.readiness().reason);
  };
  const log: IndexLog = { info: note, warn: note, error: note };
  const indexes = createApiIndexes(journal, { timeline: { interval: INTERVAL }, log });
  holder.indexes = indexes;
  t.after(async () => {
    await indexes.stop();
    await journal.close();
  });
  await indexes.start();
  assert.deepEqual(indexes.readiness(), { ready: true, reason: undefined });
  return { journal, indexes, logs, reasons };
}

async function stop(r: Run): Promise<void> {
  await r.indexes.stop();
  await r.journal.close();
}

/** A journal of 3000 events whose derived data was written by a first run; the answers it gave. */
async function prepared(t: TestContext): Promise<{ dir: string; truth: unknown; envs: Envelope[] }> {
  const dir = await tempDir(t, 'ribjournal-derived-');
  const envs = await writeJournal(dir, 300, 10);
  const first = await run(t, dir);
  assert.ok(first.logs.includes('API indexes rebuilding from the journal'), 'a journal without derived data');
  assert.match(first.reasons[0] ?? '', /API indexes rebuilding \(no derived data\)/);
  const truth = await answers(first.indexes, envs);
  await stop(first);
  return { dir, truth, envs };
}

/** Rewrites the first derived record whose key starts with `start` (after the 'd' of the space). */
async function damage(dir: string, start: Buffer, edit: (value: Buffer) => Buffer): Promise<void> {
  await withRaw(dir, async (db) => {
    const gte = Buffer.concat([Buffer.from([0x64]), start]);
    const lt = Buffer.concat([gte, Buffer.from([0xff])]);
    const [entry] = await db.iterator({ gte, lt, limit: 1 }).all();
    assert.ok(entry, `a derived record under ${start.toString('hex')}`);
    await db.put(entry[0], edit(Buffer.from(entry[1])));
  });
}

const MANIFEST = Buffer.from('M');
/** The per-VRF records of customer-a (see derived-keys.ts). */
const CUSTOMER_A = Buffer.concat([Buffer.from([0x76, 0, 10]), Buffer.from('customer-a')]);

function flip(at: number): (v: Buffer) => Buffer {
  return (v) => {
    const i = Math.min(at, v.length - 1);
    v[i] = v[i]! ^ 0x40;
    return v;
  };
}

test('a restart starts from the derived data on disk, replays only the tail, and answers the same', async (t) => {
  const { dir, truth, envs } = await prepared(t);
  const again = await run(t, dir);
  assert.ok(again.logs.includes('API indexes loaded from disk'), again.logs.join('; '));
  assert.ok(!again.logs.includes('API indexes rebuilding from the journal'));
  assert.deepEqual(await answers(again.indexes, envs), truth);
});

test('deleted derived data is rebuilt while readiness says so; no answer changes', async (t) => {
  const { dir, truth, envs } = await prepared(t);
  await withRaw(dir, (db) => db.clear({ gte: Buffer.from([0x64]), lt: Buffer.from([0x65]) }));
  const again = await run(t, dir);
  assert.match(again.reasons[0] ?? '', /rebuilding \(no derived data\)/);
  assert.deepEqual(await answers(again.indexes, envs), truth);
});

test('a flipped byte in the manifest or a checkpoint means rebuild, never trust', async (t) => {
  const { dir, truth, envs } = await prepared(t);
  await damage(dir, MANIFEST, flip(9)); // the manifest's seq
  const a = await run(t, dir);
  assert.match(a.reasons[0] ?? '', /rebuilding \(derived data damaged: manifest fails its checksum\)/);
  assert.deepEqual(await answers(a.indexes, envs), truth);
  await stop(a);
  // The newest checkpoint's head; then the text of a VRF it holds.
  await withRaw(dir, async (db) => {
    const [entry] = await db
      .iterator({ gte: Buffer.from([0x64, 0x4b]), lt: Buffer.from([0x64, 0x4c]), reverse: true, limit: 1 })
      .all();
    await db.put(entry![0], flip(20)(Buffer.from(entry![1])));
  });
  const b = await run(t, dir);
  assert.match(b.reasons[0] ?? '', /rebuilding \(derived data damaged: checkpoint \d+ fails its checksum\)/);
  assert.deepEqual(await answers(b.indexes, envs), truth);
});

test('derived data written by another build (format) is rebuilt', async (t) => {
  const { dir, truth, envs } = await prepared(t);
  await damage(dir, MANIFEST, (v) => {
    v[0] = 0; // an older format
    return v;
  });
  const again = await run(t, dir);
  assert.match(again.reasons[0] ?? '', /rebuilding \(derived data written by another build/);
  assert.deepEqual(await answers(again.indexes, envs), truth);
});

test('a damaged index record found by a query: the answer comes from the journal, then a rebuild', async (t) => {
  const { dir, truth, envs } = await prepared(t);
  await damage(dir, CUSTOMER_A, flip(12)); // the first per-VRF record of customer-a
  const again = await run(t, dir);
  assert.ok(again.logs.includes('API indexes loaded from disk'));
  assert.deepEqual(await answers(again.indexes, envs), truth);
  const at = again.logs.indexOf('API index damage found; rebuilding from the journal');
  assert.ok(at >= 0, again.logs.join('; '));
  assert.match(again.reasons[at] ?? '', /rebuilding \(derived data damaged: record/);
  // Readiness comes back once rebuilt, and the answers are still the same.
  await again.indexes.start(); // the rebuild in progress
  assert.equal(again.indexes.readiness().ready, true);
  assert.deepEqual(await answers(again.indexes, envs), truth);
});
