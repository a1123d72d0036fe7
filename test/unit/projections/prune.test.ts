// Retention and the API's derived data (issue 9.5: "disk space is actually reclaimed"): after a trim the
// per-prefix and per-VRF event copies at or before the horizon and the timeline checkpoints before it are
// removed, every answer after the horizon stays the same — live, after a restart from the pruned derived
// data (no damage found, no rebuild), and for checkpoints written after the prune. Real LevelDB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JournalEvent } from '../../../src/events/index.js';
import { openLevelJournal } from '../../../src/journal/index.js';
import type { LevelJournal } from '../../../src/journal/index.js';
import { trimJournal } from '../../../src/journal/retention.js';
import { createApiIndexes, trimHooks } from '../../../src/projections/index.js';
import type { ApiIndexes, IndexLog, Rib } from '../../../src/projections/index.js';
import { D_CHECKPOINT, D_PREFIX, D_VRF, D_VRF_PATHS } from '../../../src/projections/derived/index.js';
import { config, discovered, vanished } from '../api/fixture.js';
import { tempDir } from '../journal/helpers.js';

const INTERVAL = 50;
const VRFS = [
  { name: 'red', rd: '65000:1', rt: '65000:1', interfaces: ['eth0'] },
  { name: 'blue', rd: '65000:2', rt: '65000:2', interfaces: ['eth1'] },
  // Never changes after its first paths: every later checkpoint refers to its first record.
  { name: 'quiet', rd: '65000:3', rt: '65000:3', interfaces: ['eth2'] },
];

function dump(rib: Rib): unknown {
  return rib
    .vrfNames()
    .map((vrf) => ({ vrf, paths: [...rib.entries(vrf)].sort(([a], [b]) => (a < b ? -1 : 1)) }));
}

async function answers(ix: ApiIndexes, seqs: readonly number[], horizon: number): Promise<unknown> {
  const out: unknown[] = [];
  for (const seq of seqs) out.push(dump(await ix.timeline.ribAt(seq)));
  for (const vrf of ['red', 'blue', 'quiet'])
    for (const p of [0, 3, 7])
      out.push(await ix.history.prefixEvents(vrf, `10.${p}.0.0/24`, { after: horizon, through: Infinity }));
  return out;
}

/** Derived records by tag, and the lowest seq of the 'p' and 'v' ones. */
async function census(journal: LevelJournal): Promise<Map<number, { n: number; minSeq: number }>> {
  const out = new Map<number, { n: number; minSeq: number }>();
  for await (const keys of journal.derived.scanKeys({ gte: Buffer.from([0]), lt: Buffer.from([0xff]) }))
    for (const k of keys) {
      const c = out.get(k[0]!) ?? { n: 0, minSeq: Infinity };
      c.n++;
      if (k[0] === D_PREFIX || k[0] === D_VRF)
        c.minSeq = Math.min(c.minSeq, k.readUInt32BE(k.length - 8) * 2 ** 32 + k.readUInt32BE(k.length - 4));
      out.set(k[0]!, c);
    }
  return out;
}

test('a trim prunes the derived data at or before the horizon; no answer after it changes, restarted or not', async (t) => {
  const dir = await tempDir(t, 'ribjournal-prune-');
  const journal = await openLevelJournal(dir, { compaction: false });
  t.after(() => journal.close());
  const problems: string[] = [];
  const log: IndexLog = {
    info: () => undefined,
    warn: (o, msg) => problems.push(`${msg} ${JSON.stringify(o)}`),
    error: (o, msg) => problems.push(`${msg} ${JSON.stringify(o)}`),
  };
  const open = (): ApiIndexes => createApiIndexes(journal, { timeline: { interval: INTERVAL }, log });
  let ix = open();
  await ix.start();
  await journal.append([config(1, VRFS)]);
  const batch = (events: JournalEvent[]): Promise<unknown> => journal.append(events);
  for (const v of VRFS)
    await batch([0, 1, 2, 3].map((p) => discovered(v.name, `10.${p}.0.0/24`, v.interfaces[0]!, 2)));
  const up = new Set<string>();
  for (let i = 0; i < 600; i++) {
    const vrf = i % 2 === 0 ? VRFS[0]! : VRFS[1]!;
    const p = (i * 7) % 9;
    const key = `${vrf.name} ${p}`;
    const prefix = `10.${p}.0.0/24`;
    await batch([
      up.has(key)
        ? vanished(vrf.name, prefix, vrf.interfaces[0]!)
        : discovered(vrf.name, prefix, vrf.interfaces[0]!, 2),
    ]);
    if (up.has(key)) up.delete(key);
    else up.add(key);
  }
  const head = journal.head();
  const horizon = 333;
  const seqs = [horizon + 1, horizon + 17, 400, 401, 449, 450, 451, 555, head];
  const before = await answers(ix, seqs, horizon);
  const had = await census(journal);
  assert.ok((had.get(D_CHECKPOINT)?.n ?? 0) >= 10, 'the timeline wrote checkpoints');

  const warnings: unknown[] = [];
  const r = await trimJournal(
    journal,
    horizon,
    trimHooks(journal, (err) => warnings.push(err)),
  );
  assert.equal(r?.horizon.seq, horizon);
  assert.deepEqual(warnings, []);

  const left = await census(journal);
  for (const tag of [D_PREFIX, D_VRF]) {
    assert.ok(
      left.get(tag)!.minSeq > horizon,
      `no ${String.fromCharCode(tag)} record at or before the horizon`,
    );
    assert.ok(left.get(tag)!.n < had.get(tag)!.n / 2);
  }
  assert.ok(
    left.get(D_CHECKPOINT)!.n < had.get(D_CHECKPOINT)!.n - 4,
    'checkpoints before the horizon are gone',
  );
  assert.ok(left.get(D_VRF_PATHS)!.n < had.get(D_VRF_PATHS)!.n);

  // Live indexes, then more events (checkpoints written on top of the pruned ones), then a restart.
  assert.deepEqual(await answers(ix, seqs, horizon), before);
  for (let i = 0; i < 120; i++) await batch([discovered('red', `10.${20 + i}.0.0/24`, 'eth0', 2)]);
  const after = [...seqs, head + 60, journal.head()];
  const live = await answers(ix, after, horizon);
  await ix.stop();
  ix = open();
  await ix.start();
  assert.equal(ix.readiness().ready, true, ix.readiness().reason);
  assert.deepEqual(await answers(ix, after, horizon), live);
  await ix.stop();
  assert.deepEqual(problems, [], 'no damage found, nothing rebuilt');
});
