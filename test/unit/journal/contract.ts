// The Journal contract, as one reusable suite (the abstract-level way): every implementation must pass
// it unchanged. Register it with journalContract(name, makeJournal) from a .test.ts file.
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type {
  ConfigApplied,
  Envelope,
  JournalEvent,
  RouteDiscovered,
  RouteVanished,
} from '../../../src/events/index.js';
import { EVENT_SCHEMA_VERSION } from '../../../src/events/index.js';
import type { Journal } from '../../../src/journal/index.js';
import type { Clock } from '../../../src/shared/index.js';
import { isRibjournalError } from '../../../src/shared/index.js';
import type { ErrorCode } from '../../../src/shared/index.js';

/** A clock the test sets by hand (epoch microseconds). */
export class FakeClock implements Clock {
  constructor(public now = 1_764_000_000_000_000) {}
  nowMicros(): number {
    return this.now;
  }
}

/** One write a journal made to its storage, as a database spy injected by the factory saw it. */
export interface SpiedWrite {
  /** Entries in the write (a batch's puts and dels; 1 for a single put or del). */
  readonly entries: number;
  /** The `sync` option the write was given. */
  readonly sync: boolean;
  /** Set once the storage reported the write done. */
  done: boolean;
}

export interface JournalOptions {
  readonly clock?: Clock;
  readonly onListenerError?: (error: unknown) => void;
  /** Receives every write to storage (implementations with storage only; see ContractFeatures). */
  readonly writeSpy?: (write: SpiedWrite) => void;
}

/** What an implementation offers beyond the common contract. */
export interface ContractFeatures {
  /** It writes to storage and honours `writeSpy`: the durability tests run. */
  readonly storage?: boolean;
}

/** Opens a fresh, empty journal for one test and registers its cleanup with `t.after`. */
export type MakeJournal = (t: TestContext, options?: JournalOptions) => Promise<Journal>;

const VRFS = ['', 'customer-a', 'customer-b', 'kube-lb'];

/** The i-th event of a realistic stream: mostly discoveries, some withdrawals, a config now and then. */
export function sampleEvent(i: number): JournalEvent {
  if (i % 97 === 0) return sampleConfig(i);
  const vrf = VRFS[i % VRFS.length]!;
  if (i % 5 === 4) {
    const vanished: RouteVanished = {
      type: 'RouteVanished',
      vrf,
      family: 'ipv4',
      prefix: `10.${(i >> 8) & 255}.${i & 255}.0/24`,
      interface: `eth${i % 16}`,
      reason: 'link-down',
    };
    return vanished;
  }
  if (i % 7 === 3) {
    const v6: RouteDiscovered = {
      type: 'RouteDiscovered',
      vrf,
      family: 'ipv6',
      prefix: `2001:db8:${(i & 0xffff).toString(16)}::/64`,
      interface: `kubelb-${i % 8}`,
      ifindex: 100 + (i % 8),
      address: `2001:db8:${(i & 0xffff).toString(16)}::1`,
    };
    return v6;
  }
  const v4: RouteDiscovered = {
    type: 'RouteDiscovered',
    vrf,
    family: 'ipv4',
    prefix: `10.${(i >> 8) & 255}.${i & 255}.0/24`,
    interface: `eth${i % 16}`,
    ifindex: 2 + (i % 16),
    address: `10.${(i >> 8) & 255}.${i & 255}.1`,
  };
  return v4;
}

function sampleConfig(i: number): ConfigApplied {
  return {
    type: 'ConfigApplied',
    configVersion: i,
    vrfs: [
      {
        name: 'customer-a',
        rd: '65000:100',
        importRts: ['65000:100'],
        exportRts: ['65000:100'],
        label: 0,
        interfaces: ['eth1', 'kubelb-*'],
      },
    ],
    neighbors: [
      {
        address: '192.0.2.2',
        peerAs: 65001,
        families: ['ipv4-unicast', 'l3vpn-ipv4-unicast'],
        passive: false,
      },
    ],
    global: { as: 65000, routerId: '192.0.2.1' },
  };
}

/** `n` sample events starting at index `from`. */
export function sampleEvents(n: number, from = 0): JournalEvent[] {
  return Array.from({ length: n }, (_, k) => sampleEvent(from + k));
}

/** Everything a read returns, flattened, and how many batches it came in. */
export async function readAll(
  journal: Journal,
  options?: { after?: number; through?: number },
): Promise<{ envelopes: Envelope[]; batches: number }> {
  const envelopes: Envelope[] = [];
  let batches = 0;
  for await (const batch of journal.read(options)) {
    assert.ok(batch.length > 0, 'read yields no empty batches');
    batches++;
    for (const env of batch) envelopes.push(env);
  }
  return { envelopes, batches };
}

/** Asserts that `fn` rejects with a RibjournalError of `code`; returns the error. */
export async function rejectsWith(fn: () => Promise<unknown>, code: ErrorCode): Promise<Error> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(isRibjournalError(caught, code), `expected ${code}, got ${String(caught)}`);
  return caught;
}

function seqs(envs: readonly Envelope[]): number[] {
  return envs.map((e) => e.seq);
}

function range(first: number, last: number): number[] {
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, k) => first + k);
}

/** Registers the Journal contract tests for one implementation. */
export function journalContract(
  name: string,
  makeJournal: MakeJournal,
  features: ContractFeatures = {},
): void {
  void describe(`Journal contract: ${name}`, () => {
    void it(
      'writes every commit with sync: true and resolves an append only after its synced write is done',
      { skip: features.storage ? false : 'no storage to sync' },
      async (t) => {
        const writes: SpiedWrite[] = [];
        const j = await makeJournal(t, { writeSpy: (w) => writes.push(w) });
        for (let i = 0; i < 5; i++) {
          const before = writes.length;
          await j.append(sampleEvents(1 + i, i * 10));
          const made = writes.slice(before);
          assert.ok(made.length > 0, `append ${i} wrote to storage`);
          for (const w of made) {
            assert.equal(w.sync, true, `append ${i}: every write is synced`);
            assert.equal(w.done, true, `append ${i} resolved only after its write was done`);
          }
        }
        // Group commit: many concurrent appends share synced writes, never an unsynced one.
        const before = writes.length;
        await Promise.all(Array.from({ length: 100 }, (_, c) => j.append(sampleEvents(1 + (c % 5), c))));
        const made = writes.slice(before);
        assert.ok(made.length > 0 && made.length < 100, `group-committed in ${made.length} writes`);
        for (const w of made) assert.equal(w.sync, true, 'every group commit is synced');
        assert.ok(
          writes.every((w) => w.sync),
          'no write of the journal (format record, metadata) is unsynced',
        );
      },
    );

    void it('starts empty and an empty append writes nothing', async (t) => {
      const j = await makeJournal(t);
      let commits = 0;
      j.onCommit(() => commits++);
      assert.equal(j.head(), 0);
      assert.deepEqual(await j.append([]), []);
      assert.equal(j.head(), 0);
      assert.equal(commits, 0);
      assert.deepEqual((await readAll(j)).envelopes, []);
      assert.equal(await j.get(1), undefined);
      assert.equal(await j.seqAtTime(Number.MAX_SAFE_INTEGER), 0);
      const s = await j.stats();
      assert.equal(s.headSeq, 0);
      assert.equal(s.events, 0);
      assert.equal(s.firstTime, undefined);
      assert.equal(s.lastTime, undefined);
    });

    void it('gives 200 concurrent appenders contiguous, gapless seqs from 1 and reads back what they wrote', async (t) => {
      const j = await makeJournal(t);
      const inputs = Array.from({ length: 200 }, (_, c) => sampleEvents(1 + (c % 10), c * 10));
      const results = await Promise.all(inputs.map((events) => j.append(events)));
      const total = inputs.reduce((n, e) => n + e.length, 0);
      const all: Envelope[] = [];
      results.forEach((envs, c) => {
        assert.equal(envs.length, inputs[c]!.length);
        assert.deepEqual(
          seqs(envs),
          range(envs[0]!.seq, envs[0]!.seq + envs.length - 1),
          `caller ${c} contiguous`,
        );
        assert.deepEqual(
          envs.map((e) => e.event),
          inputs[c],
        );
        for (const e of envs) assert.equal(e.version, EVENT_SCHEMA_VERSION);
        all.push(...envs);
      });
      all.sort((a, b) => a.seq - b.seq);
      assert.deepEqual(seqs(all), range(1, total), 'no gap, no duplicate');
      assert.equal(j.head(), total);
      assert.deepEqual((await readAll(j)).envelopes, all);
    });

    void it('keeps a large append contiguous and in order', async (t) => {
      const j = await makeJournal(t);
      await j.append(sampleEvents(3));
      const events = sampleEvents(10_000, 3);
      const envs = await j.append(events);
      assert.deepEqual(seqs(envs), range(4, 10_003));
      const back = (await readAll(j, { after: 3 })).envelopes;
      assert.deepEqual(
        back.map((e) => e.event),
        events,
      );
    });

    void it('rejects an append holding an unencodable event as a whole, without disturbing the others', async (t) => {
      const j = await makeJournal(t);
      const bad: JournalEvent[] = [
        sampleEvent(1),
        { ...(sampleEvent(2) as RouteDiscovered), vrf: 'x'.repeat(70_000) },
      ];
      const [a, b, c] = await Promise.allSettled([
        j.append(sampleEvents(3, 10)),
        j.append(bad),
        j.append(sampleEvents(4, 20)),
      ]);
      assert.equal(a.status, 'fulfilled');
      assert.equal(c.status, 'fulfilled');
      assert.equal(b.status, 'rejected');
      assert.ok(isRibjournalError(b.reason, 'BAD_ARGUMENT'), String(b.reason));
      assert.deepEqual(seqs(a.value), [1, 2, 3]);
      assert.deepEqual(seqs(c.value), [4, 5, 6, 7], 'the rejected append consumed no seq');
      assert.equal(j.head(), 7);
      assert.deepEqual(
        (await readAll(j)).envelopes.map((e) => e.event),
        [...sampleEvents(3, 10), ...sampleEvents(4, 20)],
      );
      // The journal keeps accepting appends.
      assert.deepEqual(seqs(await j.append(sampleEvents(1, 30))), [8]);
    });

    void it('calls onCommit listeners with each batch in seq order, before the append resolves', async (t) => {
      const j = await makeJournal(t);
      const seen: Envelope[] = [];
      j.onCommit((batch) => seen.push(...batch));
      const appends = Array.from({ length: 50 }, (_, c) =>
        j.append(sampleEvents(1 + (c % 4), c * 4)).then((envs) => {
          const last = envs[envs.length - 1]!.seq;
          assert.ok(seen.length >= last, `listener saw seq ${last} before its append resolved`);
          assert.ok(j.head() >= last, 'head covers a resolved append');
          return envs;
        }),
      );
      const results = await Promise.all(appends);
      assert.deepEqual(seqs(seen), range(1, j.head()));
      assert.deepEqual(
        seen,
        results.flat().sort((x, y) => x.seq - y.seq),
      );

      const unsubscribe = j.onCommit(() => assert.fail('unsubscribed listener was called'));
      unsubscribe();
      unsubscribe();
      await j.append(sampleEvents(2));
      assert.equal(seen.length, j.head());
    });

    void it('survives a listener that throws, and still calls the others', async (t) => {
      const reported: unknown[] = [];
      const j = await makeJournal(t, { onListenerError: (err) => reported.push(err) });
      const before: number[] = [];
      const after: number[] = [];
      j.onCommit((batch) => before.push(...seqs(batch)));
      j.onCommit(() => {
        throw new Error('listener bug');
      });
      j.onCommit((batch) => after.push(...seqs(batch)));
      assert.deepEqual(seqs(await j.append(sampleEvents(2))), [1, 2]);
      assert.deepEqual(seqs(await j.append(sampleEvents(1))), [3]);
      assert.deepEqual(before, [1, 2, 3]);
      assert.deepEqual(after, [1, 2, 3]);
      assert.equal(reported.length, 2);
      assert.match(String(reported[0]), /listener bug/);
    });

    void it('reads ranges that start and end inside blocks', async (t) => {
      const j = await makeJournal(t);
      for (const n of [7, 13, 1, 30, 5, 1200, 2]) await j.append(sampleEvents(n, j.head()));
      const head = j.head();
      const all = (await readAll(j)).envelopes;
      assert.deepEqual(seqs(all), range(1, head));
      const points = [0, 1, 6, 7, 8, 19, 20, 21, 50, 51, 52, 56, 57, 600, 1255, 1256, 1257, head - 1, head];
      for (const after of points) {
        for (const through of points) {
          const got = (await readAll(j, { after, through })).envelopes;
          assert.deepEqual(seqs(got), range(after + 1, through), `read after ${after} through ${through}`);
          if (got.length > 0) assert.deepEqual(got, all.slice(after, through));
        }
      }
      assert.deepEqual(
        seqs((await readAll(j, { after: 10, through: head + 100 })).envelopes),
        range(11, head),
      );
      assert.deepEqual((await readAll(j, { after: head + 5 })).envelopes, []);
    });

    void it('reads through the head as it was when the read started', async (t) => {
      const j = await makeJournal(t);
      for (let i = 0; i < 5; i++) await j.append(sampleEvents(1000, i * 1000));
      const head = j.head();
      const it = j.read()[Symbol.asyncIterator]();
      const first = await it.next();
      assert.equal(first.done, false);
      await j.append(sampleEvents(10));
      let n = first.value?.length ?? 0;
      for (let r = await it.next(); !r.done; r = await it.next()) n += r.value.length;
      assert.equal(n, head);
    });

    void it('refuses bad read ranges', async (t) => {
      const j = await makeJournal(t);
      await j.append(sampleEvents(3));
      await rejectsWith(() => readAll(j, { after: -1 }), 'BAD_ARGUMENT');
      await rejectsWith(() => readAll(j, { through: 1.5 }), 'BAD_ARGUMENT');
    });

    void it('stays usable after a read is abandoned', async (t) => {
      const j = await makeJournal(t);
      await j.append(sampleEvents(3000));
      for await (const batch of j.read({ after: 5 })) {
        assert.equal(batch[0]!.seq, 6);
        break;
      }
      assert.deepEqual(seqs(await j.append(sampleEvents(1))), [3001]);
      assert.equal((await readAll(j)).envelopes.length, 3001);
    });

    void it('finds the last seq at or before a time', async (t) => {
      const clock = new FakeClock(1_000_000);
      const j = await makeJournal(t, { clock });
      await j.append(sampleEvents(3)); // 1..3 at 1_000_000
      clock.now = 2_000_000;
      await j.append(sampleEvents(2)); // 4..5
      await j.append(sampleEvents(1)); // 6, same time
      clock.now = 3_000_000;
      await j.append(sampleEvents(5000)); // 7..5006
      clock.now = 4_000_000;
      await j.append(sampleEvents(1)); // 5007
      assert.equal(await j.seqAtTime(0), 0);
      assert.equal(await j.seqAtTime(999_999), 0);
      assert.equal(await j.seqAtTime(1_000_000), 3);
      assert.equal(await j.seqAtTime(1_500_000.5), 3);
      assert.equal(await j.seqAtTime(2_000_000), 6);
      assert.equal(await j.seqAtTime(2_999_999), 6);
      assert.equal(await j.seqAtTime(3_000_000), 5006);
      assert.equal(await j.seqAtTime(3_999_999), 5006);
      assert.equal(await j.seqAtTime(4_000_000), 5007);
      assert.equal(await j.seqAtTime(Number.MAX_SAFE_INTEGER), 5007);
      assert.equal((await j.get(5006))?.time, 3_000_000);
    });

    void it('gets one envelope by seq', async (t) => {
      const j = await makeJournal(t);
      const envs = [...(await j.append(sampleEvents(10))), ...(await j.append(sampleEvents(5000, 10)))];
      for (const seq of [1, 2, 10, 11, 12, 4106, 4107, 5009, 5010])
        assert.deepEqual(await j.get(seq), envs[seq - 1]);
      for (const seq of [0, -1, 1.5, 5011, Number.NaN]) assert.equal(await j.get(seq), undefined);
    });

    void it('reports stats', async (t) => {
      const clock = new FakeClock(5_000_000);
      const j = await makeJournal(t, { clock });
      await j.append(sampleEvents(4));
      clock.now = 6_000_000;
      await j.append(sampleEvents(6));
      const s = await j.stats();
      assert.equal(s.headSeq, 10);
      assert.equal(s.events, 10);
      assert.equal(s.firstTime, 5_000_000);
      assert.equal(s.lastTime, 6_000_000);
      assert.ok(s.sizeOnDisk >= 0);
    });

    void it('stores, replaces and deletes meta values beside the log', async (t) => {
      const j = await makeJournal(t);
      assert.equal(await j.getMeta('rib.checkpoint'), undefined);
      await j.putMeta('rib.checkpoint', Buffer.from('seq=10'));
      await j.putMeta('other', Buffer.alloc(0));
      assert.deepEqual(await j.getMeta('rib.checkpoint'), Buffer.from('seq=10'));
      await j.putMeta('rib.checkpoint', Buffer.from('seq=20'));
      assert.deepEqual(await j.getMeta('rib.checkpoint'), Buffer.from('seq=20'));
      assert.deepEqual(await j.getMeta('other'), Buffer.alloc(0));
      await j.deleteMeta('rib.checkpoint');
      await j.deleteMeta('never-written');
      assert.equal(await j.getMeta('rib.checkpoint'), undefined);
      assert.equal(j.head(), 0, 'meta is not part of the history');
      assert.deepEqual((await readAll(j)).envelopes, []);
    });

    void it('keeps times non-decreasing when the clock goes backwards', async (t) => {
      const clock = new FakeClock(10_000);
      const j = await makeJournal(t, { clock });
      const a = await j.append(sampleEvents(2));
      clock.now = 5_000;
      const b = await j.append(sampleEvents(2));
      clock.now = 20_000;
      const c = await j.append(sampleEvents(1));
      assert.deepEqual(
        [...a, ...b, ...c].map((e) => e.time),
        [10_000, 10_000, 10_000, 10_000, 20_000],
      );
      assert.deepEqual(
        (await readAll(j)).envelopes.map((e) => e.time),
        [10_000, 10_000, 10_000, 10_000, 20_000],
      );
    });

    void it('finishes accepted appends on close, then refuses everything with JOURNAL_CLOSED', async (t) => {
      const j = await makeJournal(t);
      const pending = [j.append(sampleEvents(2)), j.append(sampleEvents(3))];
      const closed = j.close();
      await rejectsWith(() => j.append(sampleEvents(1)), 'JOURNAL_CLOSED');
      const done = await Promise.all(pending);
      assert.deepEqual(seqs(done.flat()), [1, 2, 3, 4, 5]);
      await closed;
      await j.close();
      await rejectsWith(() => j.append(sampleEvents(1)), 'JOURNAL_CLOSED');
      await rejectsWith(() => j.append([]), 'JOURNAL_CLOSED');
      await rejectsWith(() => readAll(j), 'JOURNAL_CLOSED');
      await rejectsWith(() => j.get(1), 'JOURNAL_CLOSED');
      await rejectsWith(() => j.putMeta('k', Buffer.from('v')), 'JOURNAL_CLOSED');
    });

    void it('keeps derived data in a space of its own: ordered ranges, atomic writes, clear; never events', async (t) => {
      const j = await makeJournal(t);
      await j.append(sampleEvents(5));
      const k = (...bytes: number[]): Buffer => Buffer.from(bytes);
      await j.derived.write([
        [k(0x70, 2), Buffer.from('b')],
        [k(0x70, 1), Buffer.from('a')],
        [k(0x70, 3), Buffer.from('c')],
        [k(0x71), Buffer.from('q')],
      ]);
      assert.equal((await j.derived.get(k(0x70, 2)))?.toString(), 'b');
      assert.equal(await j.derived.get(k(0x70, 9)), undefined);
      const range = await j.derived.range({ gte: k(0x70), lt: k(0x71) });
      assert.deepEqual(
        range.map(([, v]) => v.toString()),
        ['a', 'b', 'c'],
      );
      const newest = await j.derived.range({ gte: k(0x70), lt: k(0x71), reverse: true, limit: 2 });
      assert.deepEqual(
        newest.map(([key]) => [...key]),
        [
          [0x70, 3],
          [0x70, 2],
        ],
      );
      await j.derived.write([[k(0x72), Buffer.from('r')]], [k(0x70, 1)]);
      assert.equal(await j.derived.get(k(0x70, 1)), undefined);
      await j.derived.clear({ gte: k(0x70), lt: k(0x71) });
      assert.deepEqual(
        (await j.derived.range({ gte: k(0), lt: k(0xff) })).map(([, v]) => v.toString()),
        ['q', 'r'],
      );
      // Derived records are never events, and events are not derived records.
      assert.deepEqual(seqs((await readAll(j)).envelopes), [1, 2, 3, 4, 5]);
      await j.derived.clear();
      assert.deepEqual(await j.derived.range({ gte: k(0), lt: k(0xff) }), []);
      assert.equal(j.head(), 5);
      assert.deepEqual(seqs((await readAll(j)).envelopes), [1, 2, 3, 4, 5]);
    });
  });
}
