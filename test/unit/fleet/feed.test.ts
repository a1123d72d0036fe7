// fleetFeed: every node's events per node in seq order, from per-node cursors, with no gap and no
// duplicate while events keep arriving and while a node first appears mid-subscription.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Envelope, JournalEvent } from '../../../src/events/index.js';
import type { NodeReplica, ReplicaListener } from '../../../src/fleet/collector.js';
import { fleetFeed } from '../../../src/fleet/queries.js';
import type { FleetSource } from '../../../src/fleet/queries.js';
import { MemoryJournal } from '../../../src/journal/index.js';

function route(i: number): JournalEvent {
  return {
    type: 'RouteDiscovered',
    vrf: '',
    family: 'ipv4',
    prefix: `10.0.${i >> 8}.${i & 255}/32`,
    interface: 'eth0',
    ifindex: 2,
    address: '10.0.0.1',
  };
}

/** Replicas as the collector holds them, reduced to what the feed reads: a name and a journal. */
function source(): FleetSource & { add(name: string): MemoryJournal } {
  const nodes = new Map<string, NodeReplica>();
  const listeners = new Set<ReplicaListener>();
  return {
    nodes: () => [...nodes.values()],
    node: (name) => nodes.get(name),
    streamHeadSeqs: async () => new Map(),
    onApplied(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    add(name) {
      const journal = new MemoryJournal();
      const replica = { name, journal } as unknown as NodeReplica;
      nodes.set(name, replica);
      journal.onCommit((batch) => {
        for (const l of listeners) l(replica, batch);
      });
      return journal;
    },
  };
}

void describe('fleetFeed', () => {
  void it('resumes each node from its cursor, follows live commits and new nodes, without gap or duplicate', async () => {
    const src = source();
    const a = src.add('a');
    const b = src.add('b');
    for (let i = 0; i < 50; i++) await a.append([route(i)]);
    for (let i = 0; i < 30; i++) await b.append([route(i)]);
    const abort = new AbortController();
    // a from seq 20; b without a cursor: from its head (30) on.
    const feed = fleetFeed(src, new Map([['a', 20]]), undefined, abort.signal);
    const got = new Map<string, number[]>();
    const reading = (async () => {
      for await (const batch of feed) {
        const seqs = got.get(batch.node) ?? [];
        seqs.push(...batch.events.map((e: Envelope) => e.seq));
        got.set(batch.node, seqs);
        assert.equal(batch.throughSeq, seqs[seqs.length - 1]);
        if (
          (got.get('a')?.length ?? 0) >= 130 &&
          (got.get('b')?.length ?? 0) >= 40 &&
          (got.get('c')?.length ?? 0) >= 25
        )
          break;
      }
    })();
    const c = src.add('c');
    for (let i = 0; i < 100; i++) {
      await a.append([route(100 + i)]);
      if (i < 40) await b.append([route(100 + i)]);
      if (i < 25) await c.append([route(i)]);
    }
    await reading;
    abort.abort();
    const range = (from: number, to: number): number[] =>
      Array.from({ length: to - from + 1 }, (_, i) => from + i);
    assert.deepEqual(got.get('a'), range(21, 150));
    assert.deepEqual(got.get('b'), range(31, 70));
    assert.deepEqual(got.get('c'), range(1, 25), 'a node first seen later starts at seq 1');
  });
});
