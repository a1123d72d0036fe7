// The collector's fleet schema answers a node client's `diff` and `routeChanges` per node: each node's
// part equals what that node's own API answers, tagged with the node; absent `node` means every node.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { graphql, parse, subscribe } from 'graphql';
import type { ExecutionResult } from 'graphql';
import { ChangeFeed } from '../../../src/api/feed.js';
import { createApiIndexes, createYoga, liveChangesOf } from '../../../src/api/index.js';
import type { ApiContext } from '../../../src/api/index.js';
import type { JournalEvent } from '../../../src/events/index.js';
import type { NodeReplica, ReplicaListener } from '../../../src/fleet/collector.js';
import type { FleetSource } from '../../../src/fleet/queries.js';
import { fleetSchema } from '../../../src/fleet/schema.js';
import type { FleetContext } from '../../../src/fleet/schema.js';
import { MemoryJournal } from '../../../src/journal/index.js';
import { Rib, replayAndFollow } from '../../../src/projections/index.js';
import { TestClock } from '../api/fixture.js';

function found(i: number, vrf = 'customer-a'): JournalEvent {
  return {
    type: 'RouteDiscovered',
    vrf,
    family: 'ipv4',
    prefix: `10.0.0.${i}/32`,
    interface: 'eth1',
    ifindex: 3,
    address: `10.0.0.${i}`,
  };
}
function gone(i: number, vrf = 'customer-a'): JournalEvent {
  return {
    type: 'RouteVanished',
    vrf,
    family: 'ipv4',
    prefix: `10.0.0.${i}/32`,
    interface: 'eth1',
    reason: 'address-removed',
  };
}

/** Replicas as the collector builds them (journal, RIB, indexes, live path), fed by the test. */
async function fleet(): Promise<{
  ctx: FleetContext;
  add(name: string): Promise<{ journal: MemoryJournal; api: ApiContext }>;
  close(): void;
}> {
  const nodes = new Map<string, NodeReplica>();
  const listeners = new Set<ReplicaListener>();
  const feeds = new Map<string, ChangeFeed>();
  const src: FleetSource = {
    nodes: () => [...nodes.values()].sort((a, b) => a.name.localeCompare(b.name)),
    node: (name) => nodes.get(name),
    streamHeadSeqs: async () => new Map(),
    onApplied(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  const feedOf = (n: NodeReplica): ChangeFeed => {
    let f = feeds.get(n.name);
    if (f === undefined) feeds.set(n.name, (f = new ChangeFeed(n.api)));
    return f;
  };
  return {
    ctx: {
      fleet: src,
      feedOf,
      contextOf: (n) => {
        const feed = feedOf(n);
        return { api: n.api, feed, access: 'read', nowMicros: feed.nowMicros, refuseChange: () => undefined };
      },
    },
    async add(name) {
      const journal = new MemoryJournal(new TestClock());
      const rib = new Rib();
      const indexes = createApiIndexes(journal, { timeline: {} });
      const { live, changes } = liveChangesOf(rib);
      await replayAndFollow(journal, [live, ...indexes.projections, changes]);
      const api: ApiContext = { journal, rib, indexes, live: changes, ready: () => true };
      const replica = { name, journal, rib, indexes, api } as unknown as NodeReplica;
      nodes.set(name, replica);
      journal.onCommit((batch) => {
        for (const l of listeners) l(replica, batch);
      });
      return { journal, api };
    },
    close() {
      for (const f of feeds.values()) f.close();
    },
  };
}

async function ask(ctx: FleetContext, source: string): Promise<ExecutionResult> {
  return graphql({ schema: fleetSchema(), source, contextValue: ctx });
}

void describe('fleet schema: diff and routeChanges as on a node, per node', () => {
  void it('diff and vrf per node equal the node’s own answers, skip nodes without the VRF, narrow with node', async () => {
    const f = await fleet();
    const a = await f.add('a');
    const b = await f.add('b');
    const c = await f.add('c');
    for (const i of [1, 2, 3]) await a.journal.append([found(i)]);
    for (const i of [4, 5, 6]) await b.journal.append([found(i)]);
    await c.journal.append([found(9, '')]); // global only: no customer-a
    await a.journal.append([found(7), gone(1)]);
    await a.journal.append([found(8)]);
    const selection = 'vrf from to added { prefix best } removed { prefix } addedCount removedCount';
    const res = await ask(f.ctx, `{ fleetDiff(vrf: "customer-a", from: 3) { node ${selection} } }`);
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    const diffs = (JSON.parse(JSON.stringify(res.data)) as { fleetDiff: { node: string }[] }).fleetDiff;
    assert.deepEqual(
      diffs.map((d) => d.node),
      ['a', 'b'],
      'c does not hold customer-a',
    );
    // The same selection against a's own API (a node client's query).
    const own = await createYoga(a.api).fetch('http://node.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ diff(vrf: "customer-a", from: 3) { ${selection} } }` }),
    });
    const ownDiff = ((await own.json()) as { data: { diff: Record<string, unknown> } }).data.diff;
    assert.equal(ownDiff['addedCount'], 2);
    assert.equal(ownDiff['removedCount'], 1);
    const { node: _n, ...fromFleet } = diffs[0]!;
    assert.deepEqual(fromFleet, JSON.parse(JSON.stringify(ownDiff)));
    assert.deepEqual(diffs[1], {
      node: 'b',
      vrf: 'customer-a',
      from: '3',
      to: '3',
      added: [],
      removed: [],
      addedCount: 0,
      removedCount: 0,
    });
    const one = await ask(f.ctx, '{ fleetDiff(vrf: "customer-a", from: 3, node: "c") { node } }');
    assert.equal(one.errors?.[0]?.extensions['code'], 'NOT_FOUND', 'a named node without the VRF');
    // `fleetVrf` likewise: the nodes holding it (now or at a point of each node's history).
    const vrf = await ask(
      f.ctx,
      '{ now: fleetVrf(name: "customer-a") { node routeCounts { ipv4 } } then: fleetVrf(name: "customer-a", at: 1) { node routeCounts { ipv4 } } }',
    );
    assert.equal(vrf.errors, undefined, JSON.stringify(vrf.errors));
    assert.deepEqual(JSON.parse(JSON.stringify(vrf.data)), {
      now: [
        { node: 'a', routeCounts: { ipv4: 4 } },
        { node: 'b', routeCounts: { ipv4: 3 } },
      ],
      then: [
        { node: 'a', routeCounts: { ipv4: 1 } },
        { node: 'b', routeCounts: { ipv4: 1 } },
      ],
    });
    // A one-object query without `node` while the collector holds several: which node is asked is unclear.
    const which = await ask(f.ctx, '{ diff(vrf: "customer-a", from: 3) { addedCount } }');
    assert.equal(which.errors?.[0]?.extensions['code'], 'BAD_ARGUMENT');
    assert.match(which.errors?.[0]?.message ?? '', /give node \(one of a, b, c\).*fleetDiff/);
    const noVrf = await ask(f.ctx, '{ vrf(name: "customer-a", node: "c") { node } }');
    assert.equal(noVrf.errors?.[0]?.extensions['code'], 'NOT_FOUND');
    const unknown = await ask(f.ctx, '{ diff(vrf: "global", from: 1, node: "zz") { node } }');
    assert.equal(unknown.errors?.[0]?.extensions['code'], 'NOT_FOUND');
    f.close();
  });

  void it('every node query with `node` answers what that node’s own API answers, objects tagged with the node', async () => {
    const f = await fleet();
    const a = await f.add('a');
    const b = await f.add('b');
    for (const i of [1, 2, 3]) await a.journal.append([found(i)]);
    await a.journal.append([gone(2)]);
    await b.journal.append([found(5), found(6, '')]);
    const queries = [
      '{ vrfs { name rd routeCounts { ipv4 total } rib(first: 10) { edges { node { prefix } } } } }',
      '{ vrf(name: "customer-a", at: 2) { name seq routeCounts { ipv4 } } }',
      '{ rib(vrf: "customer-a", first: 2) { totalCount edges { cursor node { prefix interface nlri seq } } pageInfo { hasNextPage endCursor } } }',
      '{ rib(vrf: "customer-a", at: 3, prefix: "10.0.0.0/8", match: LONGER) { edges { node { prefix } } } }',
      '{ events(after: 1, first: 2) { edges { cursor node { seq type vrf prefix } } pageInfo { hasNextPage } } }',
      '{ history(vrf: "customer-a", prefix: "10.0.0.2/32") { entries { seq type } } }',
      '{ journal { headSeq events } }',
    ];
    const strip = (v: unknown): unknown =>
      JSON.parse(
        JSON.stringify(v, (k, x: unknown) => (k === 'node' && typeof x === 'string' ? undefined : x)),
      );
    for (const q of queries) {
      const own = await createYoga(a.api).fetch('http://node.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: q }),
      });
      const ownBody = (await own.json()) as { data?: unknown; errors?: unknown };
      assert.equal(ownBody.errors, undefined, `${q}: ${JSON.stringify(ownBody.errors)}`);
      const withNode = q.replace(/^\{ (\w+)(\(([^)]*)\))?/, (_m, f: string, _p, args: string | undefined) =>
        args === undefined ? `{ ${f}(node: "a")` : `{ ${f}(node: "a", ${args})`,
      );
      const res = await ask(f.ctx, withNode);
      assert.equal(res.errors, undefined, `${withNode}: ${JSON.stringify(res.errors)}`);
      assert.deepEqual(strip(res.data), JSON.parse(JSON.stringify(ownBody.data)), withNode);
    }
    // Objects carry their node; a list query without `node` spans every node.
    const tagged = await ask(f.ctx, '{ vrfs { node name rib { edges { node { node prefix } } } } }');
    assert.equal(tagged.errors, undefined, JSON.stringify(tagged.errors));
    const vrfs = (
      tagged.data as { vrfs: { node: string; name: string; rib: { edges: { node: { node: string } }[] } }[] }
    ).vrfs;
    assert.deepEqual(
      vrfs.map((v) => `${v.node}:${v.name}`),
      ['a:customer-a', 'a:global', 'b:customer-a', 'b:global'],
    );
    for (const v of vrfs) for (const e of v.rib.edges) assert.equal(e.node.node, v.node);
    f.close();
  });

  void it('routeChanges resumes each node from its cursor, follows live and new nodes, no gap or duplicate', async () => {
    const f = await fleet();
    const a = await f.add('a');
    const b = await f.add('b');
    for (let i = 1; i <= 6; i++) await a.journal.append([found(i)]);
    for (let i = 1; i <= 2; i++) await b.journal.append([found(i, '')]);
    const it = (await subscribe({
      schema: fleetSchema(),
      document: parse(
        'subscription { routeChanges(cursors: [{node: "a", seq: 3}]) { node throughSeq changes { node seq type vrf path { node prefix } } } }',
      ),
      contextValue: f.ctx,
    })) as AsyncGenerator<ExecutionResult>;
    const got = new Map<string, number[]>();
    const want = { a: 6, b: 2, d: 2 };
    const reading = (async () => {
      for await (const r of it) {
        assert.equal(r.errors, undefined, JSON.stringify(r.errors));
        const batch = (
          r.data as {
            routeChanges: {
              node: string;
              changes: { node: string; seq: string; path: { node: string } }[];
            };
          }
        ).routeChanges;
        const seqs = got.get(batch.node) ?? [];
        for (const ch of batch.changes) {
          assert.equal(ch.node, batch.node);
          assert.equal(ch.path.node, batch.node);
          seqs.push(Number(ch.seq));
        }
        got.set(batch.node, seqs);
        if (Object.entries(want).every(([n, k]) => (got.get(n)?.length ?? 0) >= k)) break;
      }
    })();
    const d = await f.add('d');
    for (let i = 7; i <= 9; i++) await a.journal.append([found(i)]);
    for (let i = 3; i <= 4; i++) await b.journal.append([found(i, '')]);
    await d.journal.append([found(1)]);
    await d.journal.append([gone(1)]);
    await reading;
    await it.return(undefined);
    assert.deepEqual(got.get('a'), [4, 5, 6, 7, 8, 9], 'a replayed after its cursor, then live');
    assert.deepEqual(got.get('b'), [3, 4], 'b without a cursor: from now');
    assert.deepEqual(got.get('d'), [1, 2], 'a node first seen later: from seq 1');

    const bad = (await subscribe({
      schema: fleetSchema(),
      document: parse('subscription { routeChanges(after: 1) { node } }'),
      contextValue: f.ctx,
    })) as ExecutionResult;
    assert.equal(bad.errors?.[0]?.extensions['code'], 'BAD_ARGUMENT', 'after without node');
    f.close();
  });
});
