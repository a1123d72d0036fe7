// A journal opened with `sync: false` (derived data: the fleet collector's replicas): appends are not
// synced one by one, and the head marker names only events a synced write has made durable, so a power
// cut can never leave the marker ahead of the data (which a later open would refuse as damage).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readHeadMarker } from '../../../src/journal/head-marker.js';
import { openLevelJournal } from '../../../src/journal/index.js';
import { sampleEvents, tempDir } from './helpers.js';

test('sync: false: the head marker follows only synced writes', async (t) => {
  const dir = await tempDir(t, 'ribjournal-unsynced-');
  const j = await openLevelJournal(dir, { sync: false, headMarker: { intervalMs: 10 } });
  await j.append(sampleEvents(3, 0));
  await j.append(sampleEvents(2, 3));
  await j.close();
  assert.equal((await readHeadMarker(dir))?.head ?? 0, 0, 'no synced write: the marker names nothing');
  const k = await openLevelJournal(dir, { sync: false });
  assert.equal(k.head(), 5, 'a clean close keeps what was written');
  await k.append(sampleEvents(1, 5));
  await k.putMeta('collector.synced', Buffer.from('1'));
  await k.close();
  assert.equal((await readHeadMarker(dir))?.head, 6, 'after a synced write the marker names the head');
});
