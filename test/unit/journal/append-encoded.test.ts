// appendEncoded: a replica (the fleet collector's) stores another journal's records as they are, with
// their seqs and times; damaged records are refused and nothing of them is stored.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { encodeBlock } from '../../../src/events/index.js';
import type { Envelope } from '../../../src/events/index.js';
import { MemoryJournal, openLevelJournal } from '../../../src/journal/index.js';
import type { Journal } from '../../../src/journal/index.js';
import { isRibjournalError } from '../../../src/shared/index.js';
import { FakeClock, readAll, sampleEvents, tempDir } from './helpers.js';

/** What a node committed: `n` sample events, their times a microsecond apart every 100 events. */
async function source(n: number): Promise<Envelope[]> {
  const clock = new FakeClock();
  const node = new MemoryJournal(clock);
  const out: Envelope[] = [];
  for (let i = 0; i < n; i += 100) {
    clock.now += 1;
    out.push(...(await node.append(sampleEvents(Math.min(100, n - i), i))));
  }
  await node.close();
  return out;
}

type Replica = Journal & Required<Pick<Journal, 'appendEncoded'>>;
const kinds: [string, (t: TestContext) => Promise<{ j: Replica; reopen?: () => Promise<Replica> }>][] = [
  ['MemoryJournal', async () => ({ j: new MemoryJournal() })],
  [
    'LevelJournal',
    async (t) => {
      const dir = await tempDir(t, 'ribjournal-encoded-');
      let j = await openLevelJournal(dir, { leveldb: { cacheSize: 65536, writeBufferSize: 65536 } });
      t.after(() => j.close());
      return {
        j,
        reopen: async () => {
          await j.close();
          j = await openLevelJournal(dir);
          return j;
        },
      };
    },
  ],
];

const code = (c: string) => (e: unknown) => isRibjournalError(e) && e.code === c;

for (const [name, make] of kinds) {
  test(`${name}: appendEncoded stores records with their own seqs and times, across blocks`, async (t) => {
    const { j, reopen } = await make(t);
    const envs = await source(5000); // more than one block's 4096 events
    const seen: Envelope[] = [];
    j.onCommit((b) => seen.push(...b));
    const first = await j.appendEncoded(encodeBlock(envs.slice(0, 4500)));
    const rest = await j.appendEncoded(encodeBlock(envs.slice(4500)));
    assert.deepEqual([...first, ...rest], envs);
    assert.deepEqual(seen, envs, 'listeners see the same envelopes');
    assert.equal(j.head(), 5000);
    assert.deepEqual((await readAll(j)).envelopes, envs);
    assert.equal(await j.seqAtTime(envs[250]!.time), 300, 'the node times are indexed');
    // An ordinary append goes on from the replica's head and last time.
    const [next] = await j.append(sampleEvents(1, 5000));
    assert.equal(next!.seq, 5001);
    assert.ok(next!.time >= envs[4999]!.time);
    if (reopen)
      assert.deepEqual((await readAll(await reopen())).envelopes.slice(0, 5000), envs, 'durable as stored');
  });

  test(`${name}: a damaged encoded event is refused and nothing of it is stored`, async (t) => {
    const { j, reopen } = await make(t);
    const envs = await source(300);
    await j.appendEncoded(encodeBlock(envs.slice(0, 100)));
    const bytes = Buffer.from(encodeBlock(envs.slice(100)));
    bytes[bytes.length - 3]! ^= 0x40; // a bit flipped in the last record's body
    await assert.rejects(j.appendEncoded(bytes), code('JOURNAL_CORRUPT'));
    await assert.rejects(j.appendEncoded(bytes.subarray(0, bytes.length - 5)), code('JOURNAL_CORRUPT'));
    assert.equal(j.head(), 100);
    // Not following the head (a gap, a repeat) is refused too, alone: the next good append goes in.
    await assert.rejects(j.appendEncoded(encodeBlock(envs.slice(150))), code('BAD_ARGUMENT'));
    await assert.rejects(j.appendEncoded(encodeBlock(envs.slice(50, 120))), code('BAD_ARGUMENT'));
    const swapped = [envs[100]!, envs[102]!, envs[101]!];
    await assert.rejects(j.appendEncoded(encodeBlock(swapped)), code('BAD_ARGUMENT'));
    await j.appendEncoded(encodeBlock(envs.slice(100)));
    assert.deepEqual((await readAll(reopen ? await reopen() : j)).envelopes, envs);
  });
}
