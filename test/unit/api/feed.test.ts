// Subscriptions fed from the projection runner's live path: a resumed subscription reads the journal,
// then switches to live in the same synchronous step that finds it caught up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Envelope, JournalEvent } from '../../../src/events/index.js';
import { MemoryJournal } from '../../../src/journal/index.js';
import type { Journal, ReadOptions } from '../../../src/journal/index.js';
import { LiveChanges, LiveRib, ProjectionRunner, Rib } from '../../../src/projections/index.js';
import { createApiIndexes } from '../../../src/api/index.js';
import type { ApiContext } from '../../../src/api/index.js';
import { ChangeFeed } from '../../../src/api/feed.js';
import type { FeedItem } from '../../../src/api/feed.js';
import { discovered, vanished } from './fixture.js';
import { scaled } from '../../helpers/deadline.js';

/** A journal whose reads call `onReadEnd` once a read has handed out its last batch. */
class ReadHookJournal extends MemoryJournal {
  onReadEnd: ((o: ReadOptions | undefined) => Promise<void> | void) | undefined;
  override async *read(options?: ReadOptions): AsyncGenerator<readonly Envelope[]> {
    yield* super.read(options);
    await this.onReadEnd?.(options);
  }
}

/** The daemon's wiring of the RIB, the feed's live path and the API indexes, over `journal`. */
async function daemonLike(journal: Journal): Promise<{ api: ApiContext; runner: ProjectionRunner }> {
  const runner = new ProjectionRunner({ journal, log: pino({ level: 'silent' }) });
  const rib = new Rib();
  const live = new LiveRib(rib);
  const changes = new LiveChanges(live);
  await runner.add({ name: 'rib', projection: live, beforeBatch: () => live.startBatch() });
  await runner.add({ name: 'feed', projection: changes });
  const indexes = createApiIndexes(journal);
  await runner.add({ name: 'history', projection: indexes.history });
  await runner.add({ name: 'timeline', projection: indexes.timeline });
  return { api: { journal, rib, indexes, live: changes, ready: () => true }, runner };
}

const event = (i: number): JournalEvent =>
  i % 3 === 2 ? vanished('', `10.0.${i - 1}.0/24`, 'eth1') : discovered('', `10.0.${i}.0/24`, 'eth1', 3);

/** Takes batches until `through` is reached; returns every seq delivered, in order. */
async function seqsThrough(items: AsyncIterator<FeedItem>, through: number): Promise<number[]> {
  const seqs: number[] = [];
  for (;;) {
    const r = await Promise.race([
      items.next(),
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`no batch through seq ${through} (got ${seqs.join()})`)),
          scaled(5000),
        ).unref(),
      ),
    ]);
    assert.equal(r.done, false);
    const item = r.value;
    assert.ok(!('error' in item), `the subscription failed: ${'error' in item ? item.error.message : ''}`);
    for (const c of item.changes) seqs.push(c.seq);
    if (item.throughSeq >= through) return seqs;
  }
}

for (const when of ['as its last journal read ends', 'one tick after its last journal read'] as const) {
  test(`a commit ${when}, before the switch to live, reaches a resumed subscription exactly once`, async () => {
    const journal = new ReadHookJournal();
    for (let i = 1; i <= 30; i++) await journal.append([event(i)]);
    const { api, runner } = await daemonLike(journal);
    const feed = new ChangeFeed(api, { heartbeatMs: 60_000 });

    // The subscription's replay reads through the feed's seq (30); at that read's end, commit seq 31.
    let committed: Promise<unknown> | undefined;
    journal.onReadEnd = async (o) => {
      if (committed !== undefined || o?.through !== 30) return;
      if (when === 'as its last journal read ends') await (committed = journal.append([event(31)]));
      else committed = new Promise((r) => setImmediate(r)).then(() => journal.append([event(31)]));
    };
    const sub = feed.subscribe({ moreSpecific: false }, 10);
    const seqs = seqsThrough(sub, 31);
    await waitCommitted(() => committed);
    await journal.append([event(32)]);
    const got = await seqs;
    const all = [...got, ...(await seqsThrough(sub, 32))];
    const expected = Array.from({ length: 22 }, (_, i) => i + 11);
    assert.deepEqual(all, expected, 'each seq after `after` once, in order');
    feed.close();
    await runner.stop();
  });
}

async function waitCommitted(get: () => Promise<unknown> | undefined): Promise<void> {
  for (let i = 0; i < 1000 && get() === undefined; i++) await new Promise((r) => setImmediate(r));
  assert.ok(get() !== undefined, 'the replay read through seq 30');
  await get();
}

test('a live subscription sees changes from the RIB the runner applies, with the path a vanish removed', async () => {
  const journal = new MemoryJournal();
  const { api, runner } = await daemonLike(journal);
  const feed = new ChangeFeed(api, { heartbeatMs: 60_000 });
  const sub = feed.subscribe({ moreSpecific: false }, undefined);
  await journal.append([discovered('', '10.0.0.0/24', 'eth1', 3), vanished('', '10.0.0.0/24', 'eth1')]);
  const r = await sub.next();
  const item = r.value as { changes: { seq: number; type: string; path: { nextHop?: string } }[] };
  assert.deepEqual(
    item.changes.map((c) => [c.seq, c.type]),
    [
      [1, 'DISCOVERED'],
      [2, 'VANISHED'],
    ],
  );
  feed.close();
  await runner.stop();
});
