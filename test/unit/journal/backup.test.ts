// LevelJournal.backup: a consistent copy of a live journal from one LevelDB snapshot, while appends and
// compaction go on; the copy is a journal of its own that verify accepts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Envelope } from '../../../src/events/index.js';
import { verifyJournal } from '../../../src/journal/index.js';
import { rejectsWith } from './contract.js';
import { FakeClock, open, readAll, sampleEvents, tempDir } from './helpers.js';

void describe('journal backup', () => {
  void it('copies a live journal consistently while appends and compaction go on', async (t) => {
    const root = await tempDir(t);
    const clock = new FakeClock();
    const j = await open(t, join(root, 'journal'), { clock });
    const written: Envelope[] = [];
    for (let i = 0; i < 1500; i++) {
      clock.now += 7;
      written.push(...(await j.append(sampleEvents(1 + (i % 3), i * 3))));
    }
    await j.putMeta('rib-checkpoint', Buffer.from('derived data'));
    const committedBefore = j.head();

    // Appends keep arriving while the backup reads its snapshot.
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        clock.now += 7;
        written.push(...(await j.append(sampleEvents(2, 10_000 + i * 2))));
      }
    })();
    const out = join(root, 'backup');
    const result = await j.backup(out);
    stop = true;
    await writer;

    assert.ok(
      result.events >= committedBefore,
      `backup holds ${result.events} >= ${committedBefore} committed before`,
    );
    assert.equal(result.report.ok, true);
    assert.equal((await verifyJournal(out)).ok, true);
    const copy = await open(t, out, { create: false });
    assert.equal(copy.head(), result.events);
    // A snapshot: exactly the first `events` events, no torn batch at the end.
    assert.deepEqual((await readAll(copy)).envelopes, written.slice(0, result.events));
    assert.deepEqual(await copy.getMeta('rib-checkpoint'), Buffer.from('derived data'));
    assert.equal((await copy.append(sampleEvents(1)))[0]!.seq, result.events + 1);
  });

  void it('writes only into a new or empty directory, and leaves nothing behind when it cannot', async (t) => {
    const root = await tempDir(t);
    const j = await open(t, join(root, 'journal'));
    await j.append(sampleEvents(10));
    const busy = join(root, 'busy');
    await mkdir(busy);
    await writeFile(join(busy, 'precious'), 'x');
    const err = await rejectsWith(() => j.backup(busy), 'BAD_ARGUMENT');
    assert.match(err.message, /is not empty/);
    assert.deepEqual(await readdir(busy), ['precious']);
    await rejectsWith(() => j.backup(join(root, 'journal')), 'BAD_ARGUMENT');
    const empty = join(root, 'empty');
    await mkdir(empty);
    assert.equal((await j.backup(empty)).events, 10);
  });
});
