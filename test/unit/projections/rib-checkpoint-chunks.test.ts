// The RIB checkpoint is stored in chunks (issue 9.3): no megabyte-sized put ahead of the commits' synced
// appends, and a checkpoint cut short, or one with a chunk missing, is never read. On a real LevelDB.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JournalEvent } from '../../../src/events/index.js';
import { openLevelJournal } from '../../../src/journal/index.js';
import type { Journal, MetaWriteOptions } from '../../../src/journal/index.js';
import {
  RIB_CHECKPOINT_KEY,
  Rib,
  encodeVrfPaths,
  loadRibCheckpoint,
  readStoredCheckpoint,
  replayAndFollow,
  saveRibCheckpoint,
  writeStoredCheckpoint,
} from '../../../src/projections/index.js';
import { discovered } from '../api/fixture.js';

async function levelJournal(t: TestContext): Promise<Journal> {
  const dir = await mkdtemp(join(tmpdir(), 'rjt-cp-chunks-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const journal = await openLevelJournal(dir);
  t.after(() => journal.close());
  return journal;
}

const d = (i: number): JournalEvent =>
  discovered('', `10.${i >> 8}.${i & 255}.0/24`, 'eth1', 3, `10.${i >> 8}.${i & 255}.1`);

function paths(rib: Rib): string {
  return rib
    .vrfNames()
    .map((vrf) => encodeVrfPaths(rib, vrf))
    .join('');
}

interface MetaWrite {
  readonly key: string;
  readonly bytes: number;
  readonly sync: boolean;
}

/** Records the journal's meta writes; `failAfter` puts, the next ones throw (a crash mid-write). */
function spyMeta(journal: Journal): { writes: MetaWrite[]; failAfter: (n: number) => void } {
  const writes: MetaWrite[] = [];
  let left = Infinity;
  const put = journal.putMeta.bind(journal);
  journal.putMeta = (key: string, value: Buffer, o?: MetaWriteOptions): Promise<void> => {
    if (left-- <= 0) return Promise.reject(new Error('the process died here'));
    writes.push({ key, bytes: value.length, sync: o?.sync ?? true });
    return put(key, value, o);
  };
  return { writes, failAfter: (n) => (left = n) };
}

test('a large checkpoint is written as unsynced chunks of at most 64 KiB, then one small synced manifest', async (t) => {
  const journal = await levelJournal(t);
  const { writes } = spyMeta(journal);
  const value = randomBytes(300 * 1024); // as large as a ~30k-path checkpoint, compressed
  await writeStoredCheckpoint(journal, RIB_CHECKPOINT_KEY, value);
  assert.ok(writes.length >= 5, `${writes.length} puts`);
  assert.ok(
    writes.every((w) => w.bytes <= 64 * 1024),
    `largest put ${Math.max(...writes.map((w) => w.bytes))} bytes`,
  );
  assert.deepEqual(
    writes.filter((w) => w.sync).map((w) => w.key),
    [RIB_CHECKPOINT_KEY],
    'only the manifest, written last, waits for the disk',
  );
  assert.equal(writes[writes.length - 1]!.key, RIB_CHECKPOINT_KEY);
  assert.deepEqual(await readStoredCheckpoint(journal, RIB_CHECKPOINT_KEY), value);

  // A shorter one next, and a longer one after it: each reads back whole, nothing of the others mixed in.
  for (const size of [70 * 1024, 200 * 1024, 1]) {
    const next = randomBytes(size);
    await writeStoredCheckpoint(journal, RIB_CHECKPOINT_KEY, next);
    assert.deepEqual(await readStoredCheckpoint(journal, RIB_CHECKPOINT_KEY), next, `${size} bytes`);
  }
});

test('a checkpoint cut short between its chunks is never read: the previous one stays whole', async (t) => {
  const journal = await levelJournal(t);
  const rib = new Rib();
  const unfollow = await replayAndFollow(journal, [rib]);
  t.after(unfollow);
  for (let i = 0; i < 50; i++) await journal.append([d(i)]);
  await saveRibCheckpoint(journal, rib, { chunkBytes: 64 });
  const first = paths(rib);
  const firstSeq = rib.seq;

  for (let i = 50; i < 120; i++) await journal.append([d(i)]);
  const spy = spyMeta(journal);
  spy.failAfter(3); // dies after three chunks of the new checkpoint, before its manifest
  await assert.rejects(saveRibCheckpoint(journal, rib, { chunkBytes: 64 }), /the process died here/);
  spy.failAfter(Infinity);
  const loaded = await loadRibCheckpoint(journal);
  assert.ok(loaded, 'the previous checkpoint is still read');
  assert.equal(loaded.seq, firstSeq);
  assert.equal(paths(loaded), first);

  // The next save completes (over the half-written slot) and is the one read.
  await saveRibCheckpoint(journal, rib, { chunkBytes: 64 });
  const second = await loadRibCheckpoint(journal);
  assert.equal(second?.seq, rib.seq);
  assert.equal(paths(second), paths(rib));

  // A chunk lost, a chunk of another length, a damaged manifest: ignored (start-up replays instead).
  const manifest = (await journal.getMeta(RIB_CHECKPOINT_KEY))!;
  const slot = (JSON.parse(manifest.toString('utf8').split('\n')[1]!) as { slot: number }).slot;
  const chunk = `${RIB_CHECKPOINT_KEY}/${slot}/2`;
  const good = (await journal.getMeta(chunk))!;
  await journal.deleteMeta(chunk);
  assert.equal(await loadRibCheckpoint(journal), undefined, 'a chunk missing');
  await journal.putMeta(chunk, good.subarray(1));
  assert.equal(await loadRibCheckpoint(journal), undefined, 'a chunk shorter');
  await journal.putMeta(chunk, Buffer.from(good).fill(0x20, 0, 8));
  assert.equal(await loadRibCheckpoint(journal), undefined, 'a chunk damaged');
  await journal.putMeta(chunk, good);
  assert.equal((await loadRibCheckpoint(journal))?.seq, rib.seq, 'whole again');
  await journal.putMeta(RIB_CHECKPOINT_KEY, manifest.subarray(0, manifest.length - 3));
  assert.equal(await loadRibCheckpoint(journal), undefined, 'a damaged manifest');
});
