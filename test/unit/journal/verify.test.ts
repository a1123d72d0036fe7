// Damaged journals: every kind of damage is found by verify (with what is intact and what can still be
// read) and refused at open with the same report; recover copies the intact events into a new journal.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat, truncate, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openLevelJournal, recoverJournal, verifyJournal } from '../../../src/journal/index.js';
import { rejectsWith } from './contract.js';
import { FakeClock, keysOf, open, readAll, sampleEvents, tempDir, withRaw, writeJournal } from './helpers.js';

/** Flips one byte of the stored value under the n-th 'e' key, `at` bytes from its end. */
async function flipInBlock(dir: string, n: number, at = 3): Promise<Buffer> {
  return withRaw(dir, async (db) => {
    const key = (await keysOf(db, 'e'))[n]!;
    const value = (await db.get(key))!;
    value.writeUInt8(value.readUInt8(value.length - at) ^ 0x5a, value.length - at);
    await db.put(key, value, { sync: true });
    return key;
  });
}

async function largestFile(dir: string, ext: string): Promise<string> {
  const names = (await readdir(dir)).filter((f) => f.endsWith(ext));
  const sized = await Promise.all(names.map(async (f) => ({ f, size: (await stat(join(dir, f))).size })));
  sized.sort((a, b) => b.size - a.size);
  assert.ok(sized[0], `no ${ext} file in ${dir}`);
  return join(dir, sized[0].f);
}

void describe('journal verify and recovery', () => {
  void it('passes a sound journal and counts its events, blocks and index entries', async (t) => {
    const dir = join(await tempDir(t), 'journal');
    const written = await writeJournal(dir, 30, 10);
    const r = await verifyJournal(dir);
    assert.equal(r.ok, true);
    assert.equal(r.events, 300);
    assert.equal(r.lastSeq, 300);
    assert.equal(r.blocks, 30);
    assert.equal(r.timeIndexEntries, 30);
    assert.equal(r.firstBadSeq, undefined);
    assert.equal(r.intactThrough, 300);
    assert.equal(r.firstTime, written[0]!.time);
    assert.equal(r.lastTime, written[299]!.time);
  });

  void it('finds a flipped byte in a middle block: first bad seq, intact prefix, readable rest', async (t) => {
    const dir = join(await tempDir(t), 'journal');
    const written = await writeJournal(dir, 10, 10);
    // The last record of block e/41 (seqs 41..50).
    await flipInBlock(dir, 4);
    const r = await verifyJournal(dir);
    assert.equal(r.ok, false);
    assert.equal(r.firstBadSeq, 50);
    assert.equal(r.intactThrough, 49);
    assert.equal(r.events, 99, 'only the damaged record is lost');
    assert.deepEqual(r.readableAfterDamage, [{ first: 51, last: 100 }]);
    assert.match(r.problems[0]!.message, /block e\/41 is damaged: checksum mismatch/);

    // Open checks structure and the last block only; reading through the damage names its range.
    const j = await open(t, dir);
    const err = await rejectsWith(() => readAll(j), 'JOURNAL_DAMAGED');
    assert.match(
      err.message,
      /event 50 failed their checksum \(block e\/41: checksum mismatch.*journal verify.*journal recover/,
    );
    assert.deepEqual((await readAll(j, { after: 50 })).envelopes, written.slice(50));
    await j.close();

    const out = join(await tempDir(t), 'recovered');
    const rec = await recoverJournal(dir, out);
    assert.equal(rec.events, 49);
    const again = await open(t, out);
    assert.deepEqual((await readAll(again)).envelopes, written.slice(0, 49));
    assert.equal(
      (await again.append(sampleEvents(1)))[0]!.seq,
      50,
      'the recovered journal goes on from there',
    );
  });

  void it('refuses to open a journal whose last block lost records at a record boundary (the block header counts them)', async (t) => {
    const dir = join(await tempDir(t), 'journal');
    await writeJournal(dir, 3, 10);
    await withRaw(dir, async (db) => {
      const key = (await keysOf(db, 'e'))[2]!;
      const value = (await db.get(key))!;
      // Cut the block after its 7th record: every remaining record is intact.
      let pos = 24;
      for (let i = 0; i < 7; i++) pos += 8 + value.readUInt32LE(pos);
      await db.put(key, value.subarray(0, pos), { sync: true });
    });
    const err = await rejectsWith(() => openLevelJournal(dir), 'JOURNAL_CORRUPT');
    assert.match(
      err.message,
      /events 1\.\.20 are intact; block e\/21 is damaged: block holds \d+ bytes of records where its header says \d+/,
    );
    assert.match(err.message, /Refusing to open it.*journal recover/);
    const r = await verifyJournal(dir);
    assert.equal(r.firstBadSeq, 21);
  });

  void it('finds a missing block (a gap) at open and in verify', async (t) => {
    const dir = join(await tempDir(t), 'journal');
    await writeJournal(dir, 5, 10);
    await withRaw(dir, async (db) => {
      const e = (await keysOf(db, 'e'))[2]!;
      const tk = (await keysOf(db, 't'))[2]!;
      await db.batch().del(e).del(tk).write({ sync: true });
    });
    const err = await rejectsWith(() => openLevelJournal(dir), 'JOURNAL_CORRUPT');
    assert.match(err.message, /events 1\.\.20 are intact; seqs 21\.\.30 are missing/);
    assert.match(err.message, /20 events after the damage are readable \(seqs 31\.\.50\)/);
    const r = await verifyJournal(dir);
    assert.equal(r.firstBadSeq, 21);
    assert.equal(r.events, 40);
  });

  void it('finds a damaged time index while every event is intact, and recover rebuilds it', async (t) => {
    const dir = join(await tempDir(t), 'journal');
    const written = await writeJournal(dir, 5, 10);
    await withRaw(dir, async (db) => db.del((await keysOf(db, 't'))[1]!, { sync: true }));
    const err = await rejectsWith(() => openLevelJournal(dir), 'JOURNAL_CORRUPT');
    assert.match(err.message, /all 50 events are intact; time index has no entry for block e\/11/);
    const r = await verifyJournal(dir);
    assert.equal(r.ok, false);
    assert.equal(r.firstBadSeq, undefined);
    assert.equal(r.intactThrough, 50);
    const out = join(await tempDir(t), 'recovered');
    const rec = await recoverJournal(dir, out);
    assert.equal(rec.events, 50);
    assert.equal(rec.report.ok, true);
    assert.deepEqual((await readAll(await open(t, out))).envelopes, written);
  });

  void it('detects a truncated LevelDB log that silently lost committed events (head marker)', async (t) => {
    const dir = join(await tempDir(t), 'journal');
    // Events in a table file, then more in the log only.
    await writeJournal(dir, 20, 50);
    const clock = new FakeClock(2_000_000_000_000_000);
    const j = await openLevelJournal(dir, { clock, compaction: false });
    for (let i = 0; i < 40; i++) await j.append(sampleEvents(50, i * 50));
    await j.close();
    const log = await largestFile(dir, '.log');
    await truncate(log, Math.floor((await stat(log)).size / 2));

    const r = await verifyJournal(dir);
    assert.equal(r.ok, false);
    assert.ok(r.lastSeq < 3000 && r.lastSeq >= 1000, `lastSeq ${r.lastSeq}`);
    assert.equal(r.firstBadSeq, r.lastSeq + 1);
    assert.match(
      r.problems[0]!.message,
      new RegExp(`events ${r.lastSeq + 1}\\.\\.3000 were committed .* but no block holds them`),
    );
    const err = await rejectsWith(() => openLevelJournal(dir), 'JOURNAL_CORRUPT');
    assert.match(
      err.message,
      new RegExp(`events 1\\.\\.${r.lastSeq} are intact; events ${r.lastSeq + 1}\\.\\.3000 were committed`),
    );
  });

  void it('detects a truncated table file at open and in verify, and recover salvages through a repaired copy', async (t) => {
    const dir = join(await tempDir(t), 'journal');
    await writeJournal(dir, 60, 50);
    // Reopen once so that the log is written into a table file, then add a second table's worth.
    const clock = new FakeClock(2_000_000_000_000_000);
    let j = await openLevelJournal(dir, { clock, compaction: false });
    await j.close();
    j = await openLevelJournal(dir, { clock, compaction: false });
    for (let i = 0; i < 20; i++) await j.append(sampleEvents(50, i * 50));
    await j.close();
    const table = await largestFile(dir, '.ldb');
    const before = await readFile(table);
    await writeFile(table, before.subarray(0, Math.floor(before.length / 2)));

    const r = await verifyJournal(dir);
    assert.equal(r.ok, false);
    assert.equal(r.problems[0]!.kind, 'storage');
    assert.match(r.problems[0]!.message, /LevelDB cannot read .*truncated or damaged file/);
    const err = await rejectsWith(() => openLevelJournal(dir), 'JOURNAL_CORRUPT');
    assert.match(err.message, /Refusing to open it.*journal recover .* salvages what LevelDB can still read/);

    // The table held the first 3000 events; LevelDB's repairer cannot read a table without its footer,
    // so nothing before the events of the log survives, and recover says so instead of inventing a gap.
    const out = join(await tempDir(t), 'recovered');
    const rec = await recoverJournal(dir, out);
    assert.equal(rec.repaired, true);
    assert.equal(rec.events, rec.source.intactThrough);
    assert.equal((await verifyJournal(out)).ok, true);
    assert.deepEqual(
      await readFile(table).then((b) => b.length),
      Math.floor(before.length / 2),
      'the damaged journal is left as it was',
    );
  });

  void it('reports a journal held by another open as JOURNAL_LOCKED instead of reading under it', async (t) => {
    const dir = join(await tempDir(t), 'journal');
    await open(t, dir);
    await rejectsWith(() => verifyJournal(dir), 'JOURNAL_LOCKED');
  });

  void it('finds damage with verifyEvents, records its range, and fails every read and get that reaches it', async (t) => {
    const dir = join(await tempDir(t), 'journal');
    const written = await writeJournal(dir, 10, 10);
    await flipInBlock(dir, 4); // the last record of block e/41: seq 50
    await flipInBlock(dir, 6, 200); // a record in the middle of block e/61 (seq 67)
    const j = await open(t, dir);
    const found: string[] = [];
    j.damage().onDamage((s, source) => found.push(`${s.first}..${s.last} ${source}`));
    assert.deepEqual(await j.verifyEvents({ first: 1, last: 100 }, { background: true }), [
      { first: 50, last: 50 },
      { first: 67, last: 70 },
    ]);
    assert.deepEqual(found, ['50..50 background verify', '67..70 background verify']);
    assert.deepEqual(j.health().damaged, [
      { first: 50, last: 50 },
      { first: 67, last: 70 },
    ]);
    assert.equal(j.health().damagedEvents, 5);
    await rejectsWith(() => j.get(50), 'JOURNAL_DAMAGED');
    await rejectsWith(() => j.get(68), 'JOURNAL_DAMAGED');
    await rejectsWith(() => readAll(j, { after: 60, through: 67 }), 'JOURNAL_DAMAGED');
    // Outside the ranges everything is served.
    assert.deepEqual((await readAll(j, { through: 49 })).envelopes, written.slice(0, 49));
    assert.deepEqual((await readAll(j, { after: 50, through: 66 })).envelopes, written.slice(50, 66));
    assert.deepEqual((await j.get(66))?.seq, 66);
    assert.equal(found.length, 2, 'a known range is reported once');
  });

  void it('with allowDamaged, reads skip exactly the damaged range and record it', async (t) => {
    const dir = join(await tempDir(t), 'journal');
    const written = await writeJournal(dir, 10, 10);
    await flipInBlock(dir, 6, 200);
    const j = await open(t, dir, { allowDamaged: true });
    const got = (await readAll(j)).envelopes;
    assert.deepEqual(
      got.map((e) => e.seq),
      written.filter((e) => e.seq < 67 || e.seq > 70).map((e) => e.seq),
    );
    assert.deepEqual(got, [...written.slice(0, 66), ...written.slice(70)]);
    assert.deepEqual(j.health().damaged, [{ first: 67, last: 70 }]);
    await rejectsWith(() => j.get(67), 'JOURNAL_DAMAGED');
  });
});
