// Storage migrations: the checked-in format-1 journal (written by the format-1 build, see
// test/fixtures/journal/README.md) migrates to the current format with every event and the RIB unchanged;
// an interrupted migration resumes; a newer journal is refused; the runner chains numbered migrations.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { decodeBlock, encodeBlock, envelopeToJson } from '../../../src/events/index.js';
import type { Envelope } from '../../../src/events/index.js';
import { JOURNAL_FORMAT_VERSION, openLevelJournal, verifyJournal } from '../../../src/journal/index.js';
import type { JournalMigration, MigrationEvent } from '../../../src/journal/index.js';
import { Rib } from '../../../src/projections/index.js';
import { MIGRATIONS } from '../../../migrations/index.js';
import { rejectsWith } from './contract.js';
import { keysOf, open, readAll, sampleEvents, tempDir, withRaw } from './helpers.js';

const FIXTURE = new URL('../../fixtures/journal/v1', import.meta.url).pathname;
const EXPECTED_EVENTS = new URL('../../fixtures/journal/v1.events.jsonl', import.meta.url).pathname;
const EXPECTED_RIB = new URL('../../fixtures/journal/v1.rib.json', import.meta.url).pathname;

/** A copy of the format-1 fixture, so that the checked-in one is never migrated. */
async function fixtureCopy(t: Parameters<typeof tempDir>[0]): Promise<string> {
  const dir = join(await tempDir(t, 'ribjournal-migrate-'), 'journal');
  await cp(FIXTURE, dir, { recursive: true });
  return dir;
}

/** Every envelope of a format-1 journal, read straight from its blocks (the format-1 layout). */
async function readFormat1(dir: string): Promise<Envelope[]> {
  return withRaw(dir, async (db) => {
    assert.equal((await db.get(Buffer.from('sformat')))?.toString(), '1');
    const out: Envelope[] = [];
    for await (const [, value] of db.iterator({ gte: Buffer.from('e'), lt: Buffer.from('f') }))
      decodeBlock(value, out);
    return out;
  });
}

/** Writes a journal in the format-1 layout (bare records, empty time-index values), one event per block. */
async function writeFormat1(dir: string, n: number): Promise<Envelope[]> {
  const envs = sampleEvents(n).map((event, i) => ({
    seq: i + 1,
    time: 1_700_000_000_000_000 + i * 1000,
    version: 1,
    event,
  }));
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  try {
    let batch = db.batch();
    batch.put(Buffer.from('sformat'), Buffer.from('1'));
    for (const env of envs) {
      const e = Buffer.alloc(9);
      e[0] = 0x65;
      e.writeUInt32BE(env.seq, 5);
      const tk = Buffer.alloc(17);
      tk[0] = 0x74;
      tk.writeUInt32BE(Math.floor(env.time / 0x1_0000_0000), 1);
      tk.writeUInt32BE(env.time >>> 0, 5);
      tk.writeUInt32BE(env.seq, 13);
      batch.put(e, encodeBlock([env]));
      batch.put(tk, Buffer.alloc(0));
      if (batch.length >= 2000) {
        await batch.write();
        batch = db.batch();
      }
    }
    await batch.write({ sync: true });
  } finally {
    await db.close();
  }
  return envs;
}

function ribSummary(envs: readonly Envelope[]): unknown {
  const rib = new Rib();
  for (const env of envs) rib.apply(env);
  const paths = [...rib.allPaths()].sort((a, b) =>
    a.vrf + a.prefix + a.interface < b.vrf + b.prefix + b.interface ? -1 : 1,
  );
  return JSON.parse(JSON.stringify({ seq: rib.seq, configVersion: rib.config?.configVersion, paths }));
}

void describe('journal migrations', () => {
  void it('migration 0002 turns the format-1 fixture into format 2 keeping every event and the RIB', async (t) => {
    const dir = await fixtureCopy(t);
    const before = await readFormat1(dir);
    const blocksBefore = await withRaw(dir, async (db) => (await keysOf(db, 'e')).length);
    assert.equal(before.length, 297);
    assert.ok(blocksBefore > 100, 'the fixture was written one event at a time, mostly');

    const seen: MigrationEvent[] = [];
    const j = await open(t, dir, { create: false, onMigration: (e) => seen.push(e) });
    assert.deepEqual(
      seen.filter((e) => e.phase !== 'progress').map((e) => e.phase),
      ['start', 'done'],
    );
    assert.equal(j.head(), 297);
    const after = (await readAll(j)).envelopes;
    // Every event: seq, time, version and decoded content.
    assert.deepEqual(after, before);
    const expectedLines = (await readFile(EXPECTED_EVENTS, 'utf8')).trimEnd().split('\n');
    assert.deepEqual(
      after.map((e) => JSON.stringify(envelopeToJson(e))),
      expectedLines,
      'the events print exactly as the format-1 build printed them',
    );
    assert.deepEqual(
      ribSummary(after),
      JSON.parse(await readFile(EXPECTED_RIB, 'utf8')),
      'the RIB is the one the old build replayed',
    );
    for (const env of [after[0]!, after[150]!, after[296]!]) {
      assert.deepEqual(await j.get(env.seq), env);
      assert.equal(await j.seqAtTime(env.time), after.findLast((e) => e.time === env.time)!.seq);
    }
    // Small blocks were merged, and the journal goes on at head + 1.
    assert.equal(await j.blockCount(), 1);
    assert.equal(
      (
        await j.append([
          {
            type: 'RouteVanished',
            vrf: '',
            family: 'ipv4',
            prefix: '10.0.0.5/32',
            interface: 'eth0',
            reason: 'reconcile',
          },
        ])
      )[0]!.seq,
      298,
    );
    await j.close();
    const report = await verifyJournal(dir);
    assert.equal(report.ok, true, JSON.stringify(report.problems));
    assert.equal(report.format, JOURNAL_FORMAT_VERSION);
  });

  void it('resumes a migration interrupted between two of its batches, and loses nothing', async (t) => {
    // A format-1 journal big enough for several migration batches: 20,000 one-event blocks.
    const dir = join(await tempDir(t, 'ribjournal-migrate-'), 'journal');
    const before = await writeFormat1(dir, 20_000);
    const real = MIGRATIONS.find((m) => m.version === 2)!;
    let batches = 0;
    const crashing: JournalMigration = {
      ...real,
      run: (ctx) =>
        real.run({
          ...ctx,
          commit: async (batch, progress) => {
            await ctx.commit(batch, progress);
            // A crash right after the first batch is durable.
            if (++batches === 1) throw new Error('simulated crash');
          },
        }),
    };
    await assert.rejects(openLevelJournal(dir, { create: false, migrations: [crashing] }), /simulated crash/);
    const progress = await withRaw(dir, async (db) => {
      assert.equal((await db.get(Buffer.from('sformat')))?.toString(), '2', 'an older build now refuses it');
      return JSON.parse((await db.get(Buffer.from('smigration')))!.toString()) as { progress: string };
    });
    const resumeAt = Number(progress.progress);
    assert.ok(resumeAt > 1 && resumeAt < 20_000, `recorded progress ${resumeAt}`);
    const interrupted = await verifyJournal(dir);
    assert.match(interrupted.problems[0]!.message, /migration to format 2 was interrupted/);

    const seen: MigrationEvent[] = [];
    const j = await open(t, dir, { create: false, onMigration: (e) => seen.push(e) });
    assert.ok(seen.some((e) => e.phase === 'start' && e.resumed));
    assert.deepEqual((await readAll(j)).envelopes, before);
    assert.equal(await j.blockCount(), 5, '20,000 events in blocks of up to 4096');
    await j.close();
    assert.equal((await verifyJournal(dir)).ok, true);
    await withRaw(dir, async (db) => assert.equal(await db.get(Buffer.from('smigration')), undefined));
  });

  void it('refuses a journal in a newer format, and one with a migration this build does not have', async (t) => {
    const dir = await fixtureCopy(t);
    await withRaw(dir, (db) =>
      db.put(Buffer.from('sformat'), Buffer.from(String(JOURNAL_FORMAT_VERSION + 1))),
    );
    const err = await rejectsWith(() => openLevelJournal(dir, { create: false }), 'JOURNAL_VERSION_NEWER');
    assert.match(err.message, /newer than this build understands .*upgrade ribjournal/);
    await withRaw(dir, (db) => db.put(Buffer.from('sformat'), Buffer.from('1')));
    await rejectsWith(() => openLevelJournal(dir, { create: false, migrations: [] }), 'JOURNAL_CORRUPT');
    // Neither refusal changed the journal: the real migration still works.
    const j = await open(t, dir, { create: false });
    assert.equal(j.head(), 297);
  });

  void it('runs numbered migrations in order, each once, and a finished one never again', async (t) => {
    const dir = await fixtureCopy(t);
    const ran: string[] = [];
    const real = MIGRATIONS.find((m) => m.version === 2)!;
    const traced: JournalMigration = { ...real, run: async (ctx) => (ran.push('0002'), real.run(ctx)) };
    const j = await openLevelJournal(dir, { create: false, migrations: [traced] });
    await j.close();
    const again = await openLevelJournal(dir, { create: false, migrations: [traced] });
    await again.close();
    assert.deepEqual(ran, ['0002']);
  });
});
