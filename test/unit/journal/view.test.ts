import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryJournal, journalThrough } from '../../../src/journal/index.js';
import { FakeClock, readAll, rejectsWith, sampleEvents } from './contract.js';

test('journalThrough: the journal as it was at a seq, read-only', async (t) => {
  const clock = new FakeClock(1_000_000);
  const j = new MemoryJournal(clock);
  t.after(() => j.close());
  for (let i = 0; i < 10; i++) {
    clock.now += 1000;
    await j.append(sampleEvents(1, i));
  }
  const all = (await readAll(j)).envelopes;
  const view = await journalThrough(j, 6);
  assert.equal(view.head(), 6);
  assert.deepEqual((await readAll(view)).envelopes, all.slice(0, 6));
  assert.deepEqual((await readAll(view, { after: 4, through: 9 })).envelopes, all.slice(4, 6));
  assert.deepEqual(await view.get(6), all[5]);
  assert.equal(await view.get(7), undefined);
  assert.equal(await view.seqAtTime(clock.now), 6);
  assert.equal(await view.seqAtTime(all[2]!.time), 3);
  const s = await view.stats();
  assert.deepEqual([s.headSeq, s.lastTime], [6, all[5]!.time]);
  await rejectsWith(() => view.append(sampleEvents(1)), 'BAD_ARGUMENT');
  assert.equal(j.head(), 10, 'the journal itself is untouched');
  assert.equal((await journalThrough(j, 99)).head(), 10);
});
