import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Envelope } from '../../../src/events/index.js';
import { verifyJournal } from '../../../src/journal/index.js';
import { FakeClock, keysOf, open, readAll, sampleEvents, tempDir, withRaw, writeJournal } from './helpers.js';

void describe('block compaction', () => {
  void it('merges a journal written one event at a time into large blocks without changing any event', async (t) => {
    const dir = join(await tempDir(t), 'journal');
    const written = await writeJournal(dir, 5000);
    assert.equal(await withRaw(dir, async (db) => (await keysOf(db, 'e')).length), 5000);

    const j = await open(t, dir, { compaction: false });
    const result = await j.compact({ final: true });
    assert.equal(result.removedBlocks, 5000 - 2, 'two blocks of at most 4096 events remain');
    assert.equal(await j.blockCount(), 2);
    assert.deepEqual((await readAll(j)).envelopes, written);
    // Point reads and time lookups land inside the merged blocks.
    for (const seq of [1, 2, 2047, 4096, 4097, 5000]) assert.deepEqual(await j.get(seq), written[seq - 1]);
    for (const seq of [1, 777, 4096, 4097, 4999])
      assert.equal(await j.seqAtTime(written[seq - 1]!.time), seq);
    assert.deepEqual((await readAll(j, { after: 4090, through: 4100 })).envelopes, written.slice(4090, 4100));
    await j.close();
    const report = await verifyJournal(dir);
    assert.equal(report.ok, true, JSON.stringify(report.problems));
    assert.equal(report.blocks, 2);
    assert.equal(report.timeIndexEntries, 2);
  });

  void it('compacts in the background while a low-rate writer appends, and readers never see a mix', async (t) => {
    const dir = join(await tempDir(t), 'journal');
    const clock = new FakeClock();
    const j = await open(t, dir, { clock });
    const written: Envelope[] = [];
    const reads: Promise<void>[] = [];
    for (let i = 0; i < 3000; i++) {
      clock.now += 10;
      written.push(...(await j.append(sampleEvents(1, i))));
      if (i % 500 === 250) {
        // A read that spans blocks being merged meanwhile returns exactly what was committed.
        const through = written.length;
        const expected = written.slice();
        reads.push(readAll(j, { through }).then((r) => assert.deepEqual(r.envelopes, expected)));
      }
    }
    await Promise.all(reads);
    await j.compact();
    // 1024-block runs were merged as they filled; only the open run at the end is left in small blocks.
    assert.ok((await j.blockCount()) < 1000, `blocks: ${await j.blockCount()}`);
    assert.deepEqual((await readAll(j)).envelopes, written);
    await j.close();
    assert.equal((await verifyJournal(dir)).ok, true);
  });

  void it('leaves large blocks alone and merges the runs of small ones between them', async (t) => {
    const dir = join(await tempDir(t), 'journal');
    const clock = new FakeClock();
    const j = await open(t, dir, { clock, compaction: false });
    const written: Envelope[] = [];
    const sizes = [1, 1, 1, 300, 2, 2, 2, 2, 1000, 1, 1];
    for (const [i, n] of sizes.entries()) {
      clock.now += 5;
      written.push(...(await j.append(sampleEvents(n, i * 1000))));
    }
    await j.compact({ final: true });
    assert.equal(await j.blockCount(), 5, 'runs [1,1,1] [300] [2,2,2,2] [1000] [1,1]');
    assert.deepEqual((await readAll(j)).envelopes, written);
  });

  void it('refuses to merge a damaged block and reports it instead', async (t) => {
    const dir = join(await tempDir(t), 'journal');
    await writeJournal(dir, 50);
    await withRaw(dir, async (db) => {
      const key = (await keysOf(db, 'e'))[20]!;
      const value = (await db.get(key))!;
      value.writeUInt8(value.readUInt8(value.length - 2) ^ 0xff, value.length - 2);
      await db.put(key, value);
    });
    const failures: unknown[] = [];
    const j = await open(t, dir, { compaction: false, onCompactionError: (e) => failures.push(e) });
    await assert.rejects(j.compact({ final: true }), /block e\/21 is damaged/);
    await j.close();
    const report = await verifyJournal(dir);
    assert.equal(report.firstBadSeq, 21);
    assert.equal(report.events, 49, 'nothing was merged over the damage');
  });
});
