// The schema in-process (yoga.fetch), against a journal whose history the test writes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { T0, config, discovered, fixture, vanished } from './fixture.js';
import type { Fixture } from './fixture.js';
import { createYoga } from '../../../src/api/index.js';
import { MemoryJournal } from '../../../src/journal/index.js';
import { Rib, createApiIndexes } from '../../../src/projections/index.js';

let f: Fixture;
const time = (seq: number): string =>
  new Date((T0 + (seq - 1) * 1_000_000) / 1000).toISOString().replace('Z', '000Z');

before(async () => {
  // The clock gives event N the time T0 + (N-1) s.
  f = await fixture({ timeline: { interval: 3 } });
  await f.append(
    config(1, [
      { name: 'red', rd: '65000:100', rt: '65000:100', interfaces: ['eth1'] },
      { name: 'blue', rd: '65000:200', rt: '65000:201', interfaces: ['eth2'] },
    ]), // 1
    discovered('red', '10.1.0.0/24', 'eth1', 3), // 2
    discovered('red', '10.1.1.0/24', 'eth1', 3), // 3
    discovered('red', '10.1.1.128/25', 'eth1', 3), // 4
    discovered('red', '10.2.0.0/16', 'eth1', 3), // 5
    discovered('red', '2001:db8:1::/64', 'eth1', 3), // 6
    discovered('', '192.168.0.0/24', 'eth9', 9, '192.168.0.9'), // 7
    discovered('', '192.168.0.0/24', 'eth0', 2), // 8
    vanished('red', '10.1.1.0/24', 'eth1', 'link-down'), // 9
    discovered('red', '10.1.1.0/24', 'eth1', 3), // 10
    vanished('red', '10.1.1.0/24', 'eth1', 'address-removed'), // 11
    discovered('blue', '10.1.1.0/24', 'eth2', 4), // 12
    discovered('red', '10.1.1.0/24', 'eth1', 3), // 13
    vanished('red', '10.2.0.0/16', 'eth1', 'interface-removed'), // 14
  );
});

after(async () => {
  await f.close();
});

test('vrfs: names, RD, RTs, interfaces and route counts; global included; vrf("global") works', async () => {
  const r = await f.query<{ vrfs: unknown[]; g: unknown }>(
    '{ vrfs { name rd importRts exportRts interfaces routeCounts { ipv4 ipv6 total } } g: vrf(name: "global") { name rd routeCounts { total } } }',
  );
  assert.equal(r.errors, undefined);
  assert.deepEqual(r.data!.vrfs, [
    {
      name: 'blue',
      rd: '65000:200',
      importRts: ['65000:201'],
      exportRts: ['65000:201'],
      interfaces: ['eth2'],
      routeCounts: { ipv4: 1, ipv6: 0, total: 1 },
    },
    {
      name: 'global',
      rd: null,
      importRts: [],
      exportRts: [],
      interfaces: [],
      routeCounts: { ipv4: 2, ipv6: 0, total: 2 },
    },
    {
      name: 'red',
      rd: '65000:100',
      importRts: ['65000:100'],
      exportRts: ['65000:100'],
      interfaces: ['eth1'],
      routeCounts: { ipv4: 3, ipv6: 1, total: 4 },
    },
  ]);
  assert.deepEqual(r.data!.g, { name: 'global', rd: null, routeCounts: { total: 2 } });
});

test('rib: paths in address order with next hop, NLRI as BGP carries it, export RTs, discovery, seq, best', async () => {
  const r = await f.query<{
    red: { nodes: unknown[]; totalCount: number; seq: string };
    global: { nodes: unknown[] };
  }>(
    `{ red: rib(vrf: "red") { seq totalCount nodes { prefix family interface address nlri exportRts discovered seq best } }
       global: rib { nodes { prefix address nlri best rd exportRts interface } } }`,
  );
  assert.equal(r.errors, undefined);
  assert.equal(r.data!.red.seq, '14');
  assert.equal(r.data!.red.totalCount, 4);
  assert.deepEqual(r.data!.red.nodes[0], {
    prefix: '10.1.0.0/24',
    family: 'ipv4',
    interface: 'eth1',
    address: '10.1.0.1',
    nlri: '65000:100:10.1.0.0/24',
    exportRts: ['65000:100'],
    discovered: time(2),
    seq: '2',
    best: true,
  });
  assert.deepEqual(
    (r.data!.red.nodes as { prefix: string }[]).map((n) => n.prefix),
    ['10.1.0.0/24', '10.1.1.0/24', '10.1.1.128/25', '2001:db8:1::/64'],
  );
  assert.deepEqual(r.data!.global.nodes, [
    {
      prefix: '192.168.0.0/24',
      address: '192.168.0.1',
      nlri: '192.168.0.0/24',
      best: true,
      rd: null,
      exportRts: [],
      interface: 'eth0',
    },
    {
      prefix: '192.168.0.0/24',
      address: '192.168.0.9',
      nlri: '192.168.0.0/24',
      best: false,
      rd: null,
      exportRts: [],
      interface: 'eth9',
    },
  ]);
});

test('rib filters: family, exact, longer and shorter prefixes', async () => {
  const q = async (args: string): Promise<string[]> => {
    const r = await f.query<{ rib: { nodes: { prefix: string }[] } }>(
      `{ rib(vrf: "red", ${args}) { nodes { prefix } } }`,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data!.rib.nodes.map((n) => n.prefix);
  };
  assert.deepEqual(await q('family: ipv6'), ['2001:db8:1::/64']);
  assert.deepEqual(await q('family: ipv4'), ['10.1.0.0/24', '10.1.1.0/24', '10.1.1.128/25']);
  assert.deepEqual(await q('prefix: "10.1.1.0/24"'), ['10.1.1.0/24']);
  assert.deepEqual(await q('prefix: "10.1.1.7/24"'), ['10.1.1.0/24'], 'host bits are masked');
  assert.deepEqual(await q('prefix: "10.1.0.0/16", match: LONGER'), [
    '10.1.0.0/24',
    '10.1.1.0/24',
    '10.1.1.128/25',
  ]);
  assert.deepEqual(await q('prefix: "10.1.1.200/32", match: SHORTER'), ['10.1.1.0/24', '10.1.1.128/25']);
  assert.deepEqual(await q('prefix: "10.9.0.0/16", match: LONGER'), []);
  assert.deepEqual(await q('prefix: "10.1.0.0/16", match: LONGER, family: ipv6'), []);
});

test('rib pagination: cursors walk every path once, in order, across prefixes with several paths', async () => {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10; page++) {
    const r: {
      data?: {
        rib: {
          edges: { cursor: string; node: { prefix: string; interface: string } }[];
          pageInfo: { hasNextPage: boolean; endCursor: string };
        };
      };
    } = await f.query(
      `query($after: String) { rib(vrf: "global", first: 1, after: $after) { edges { cursor node { prefix interface } } pageInfo { hasNextPage endCursor } } }`,
      {
        after: cursor,
      },
    );
    const rib = r.data!.rib;
    seen.push(...rib.edges.map((e) => `${e.node.prefix}@${e.node.interface}`));
    if (!rib.pageInfo.hasNextPage) break;
    cursor = rib.pageInfo.endCursor;
  }
  assert.deepEqual(seen, ['192.168.0.0/24@eth0', '192.168.0.0/24@eth9']);
  const r2 = await f.query<{ rib: { nodes: { prefix: string }[]; pageInfo: { hasNextPage: boolean } } }>(
    '{ rib(vrf: "red", first: 3) { nodes { prefix } pageInfo { hasNextPage endCursor } } }',
  );
  assert.equal(r2.data!.rib.nodes.length, 3);
  assert.equal(r2.data!.rib.pageInfo.hasNextPage, true);
});

test('time travel: the RIB at a seq and at a time, vrfs and a VRF at a past point', async () => {
  const r = await f.query<
    Record<string, { seq: string; nodes: { prefix: string; exportRts: string[] }[] }>
  >(`{
    s8: rib(vrf: "red", at: 8) { seq nodes { prefix } }
    s9: rib(vrf: "red", at: "9") { seq nodes { prefix } }
    t10: rib(vrf: "red", at: "${time(10)}") { seq nodes { prefix } }
    justBefore10: rib(vrf: "red", at: "${time(10).replace('.000000Z', '.000000+00:00').replace(':00.', ':00.')}") { seq }
    s1: rib(vrf: "red", at: 1) { seq nodes { prefix } }
  }`);
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  assert.deepEqual(
    r.data!['s8']!.nodes.map((n) => n.prefix),
    ['10.1.0.0/24', '10.1.1.0/24', '10.1.1.128/25', '10.2.0.0/16', '2001:db8:1::/64'],
  );
  assert.equal(r.data!['s8']!.seq, '8');
  assert.deepEqual(
    r.data!['s9']!.nodes.map((n) => n.prefix),
    ['10.1.0.0/24', '10.1.1.128/25', '10.2.0.0/16', '2001:db8:1::/64'],
  );
  assert.equal(r.data!['t10']!.seq, '10');
  assert.equal(r.data!['t10']!.nodes.length, 5);
  assert.deepEqual(r.data!['s1']!.nodes, []);
  // A time between two events is "after every event with time <= X".
  const between = new Date((T0 + 9.5 * 1_000_000) / 1000).toISOString();
  const b = await f.query<{ rib: { seq: string } }>(`{ rib(vrf: "red", at: "${between}") { seq } }`);
  assert.equal(b.data!.rib.seq, '10');
  const v = await f.query<{ vrfs: { name: string; routeCounts: { total: number } }[]; blue: unknown }>(
    '{ vrfs(at: 7) { name routeCounts { total } } blue: vrf(name: "blue", at: 11) { name routeCounts { total } rib { nodes { prefix } } } }',
  );
  assert.equal(v.errors, undefined, JSON.stringify(v.errors));
  assert.deepEqual(
    v.data!.vrfs.map((x) => [x.name, x.routeCounts.total]),
    [
      ['blue', 0],
      ['global', 1],
      ['red', 5],
    ],
  );
  assert.deepEqual(v.data!.blue, { name: 'blue', routeCounts: { total: 0 }, rib: { nodes: [] } });
});

test('history: every event of the prefix with reasons, flap count, last change', async () => {
  const r = await f.query<{ history: Record<string, unknown> }>(
    '{ history(vrf: "red", prefix: "10.1.1.0/24") { vrf prefix from to totalCount flapCount lastChange secondsSinceLastChange entries { seq time type interface address reason } paths { interface } } }',
  );
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  const h = r.data!.history;
  assert.equal(h['totalCount'], 5);
  assert.equal(h['flapCount'], 2);
  assert.equal(h['lastChange'], time(13));
  assert.equal(typeof h['secondsSinceLastChange'], 'number');
  assert.deepEqual(h['entries'], [
    {
      seq: '3',
      time: time(3),
      type: 'RouteDiscovered',
      interface: 'eth1',
      address: '10.1.1.1',
      reason: null,
    },
    { seq: '9', time: time(9), type: 'RouteVanished', interface: 'eth1', address: null, reason: 'link-down' },
    {
      seq: '10',
      time: time(10),
      type: 'RouteDiscovered',
      interface: 'eth1',
      address: '10.1.1.1',
      reason: null,
    },
    {
      seq: '11',
      time: time(11),
      type: 'RouteVanished',
      interface: 'eth1',
      address: null,
      reason: 'address-removed',
    },
    {
      seq: '13',
      time: time(13),
      type: 'RouteDiscovered',
      interface: 'eth1',
      address: '10.1.1.1',
      reason: null,
    },
  ]);
  assert.deepEqual(h['paths'], [{ interface: 'eth1' }]);
  const w = await f.query<{ history: { totalCount: number; flapCount: number; lastChange: string } }>(
    '{ history(vrf: "red", prefix: "10.1.1.0/24", from: 9, to: 12) { totalCount flapCount lastChange } }',
  );
  // Discovered at 10, vanished at 11, back only at 13 (outside the window): no flap in (9, 12].
  assert.deepEqual(w.data!.history, { totalCount: 2, flapCount: 0, lastChange: time(11) });
});

test('diff: paths added and removed in (from, to]; a flap that came back is no difference', async () => {
  const r = await f.query<{ diff: Record<string, unknown> }>(
    '{ diff(vrf: "red", from: 8, to: 14) { from to addedCount removedCount added { prefix } removed { prefix interface } } }',
  );
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  assert.deepEqual(r.data!.diff, {
    from: '8',
    to: '14',
    addedCount: 0,
    removedCount: 1,
    added: [],
    removed: [{ prefix: '10.2.0.0/16', interface: 'eth1' }],
  });
  const all = await f.query<{ diff: { added: { prefix: string }[] } }>(
    `{ diff(vrf: "red", from: 1) { added { prefix } } }`,
  );
  assert.deepEqual(
    all.data!.diff.added.map((p) => p.prefix),
    ['10.1.0.0/24', '10.1.1.0/24', '10.1.1.128/25', '2001:db8:1::/64'],
  );
});

test('events: the journal as a connection, filtered by VRF, prefix and type; journal stats', async () => {
  const r = await f.query<{
    events: {
      edges: { cursor: string; node: { seq: string; type: string; line: string } }[];
      pageInfo: { hasNextPage: boolean; endCursor: string };
    };
  }>(
    '{ events(after: 2, first: 3) { edges { cursor node { seq type line } } pageInfo { hasNextPage endCursor } } }',
  );
  assert.deepEqual(
    r.data!.events.edges.map((e) => e.cursor),
    ['3', '4', '5'],
  );
  assert.deepEqual(r.data!.events.pageInfo, { hasNextPage: true, endCursor: '5' });
  assert.match(
    r.data!.events.edges[0]!.node.line,
    /^3 2026-11-24T12:00:02\.000000Z RouteDiscovered vrf=red 10\.1\.1\.0\/24 dev eth1/,
  );
  const byPrefix = await f.query<{ events: { nodes: { seq: string; vrf: string }[] } }>(
    '{ events(filter: { prefix: "10.1.1.0/24" }) { nodes { seq vrf } } }',
  );
  assert.deepEqual(
    byPrefix.data!.events.nodes.map((n) => `${n.seq}:${n.vrf}`),
    ['3:red', '9:red', '10:red', '11:red', '12:blue', '13:red'],
  );
  const vanishedRed = await f.query<{
    events: { nodes: { seq: string; reason: string }[]; pageInfo: { hasNextPage: boolean } };
  }>(
    '{ events(filter: { vrf: "red", types: [RouteVanished] }) { nodes { seq reason } pageInfo { hasNextPage } } }',
  );
  assert.deepEqual(vanishedRed.data!.events.nodes, [
    { seq: '9', reason: 'link-down' },
    { seq: '11', reason: 'address-removed' },
    { seq: '14', reason: 'interface-removed' },
  ]);
  const configs = await f.query<{ events: { nodes: { json: { configVersion: number } }[] } }>(
    '{ events(filter: { types: [ConfigApplied] }) { nodes { json } } }',
  );
  assert.equal(configs.data!.events.nodes[0]!.json.configVersion, 1);
  const s = await f.query<{ journal: unknown }>(
    '{ journal { headSeq events firstTime lastTime sizeOnDisk location } }',
  );
  assert.deepEqual(s.data!.journal, {
    headSeq: '14',
    events: '14',
    firstTime: time(1),
    lastTime: time(14),
    sizeOnDisk: 0,
    location: 'memory',
  });
});

test('bad input gets an error with a stable code, never a crash', async () => {
  const code = async (query: string, variables?: Record<string, unknown>): Promise<unknown> => {
    const r = await f.query(query, variables);
    assert.ok(r.errors && r.errors.length > 0, `errors for ${query}`);
    return r.errors[0]!.extensions?.['code'];
  };
  assert.equal(await code('{ rib(vrf: "nope") { seq } }'), 'NOT_FOUND');
  assert.equal(await code('{ vrf(name: "nope") { name } }'), 'NOT_FOUND');
  assert.equal(await code('{ rib(vrf: "red", prefix: "10.1.0.0/33") { seq } }'), 'BAD_ARGUMENT');
  assert.equal(await code('{ history(vrf: "red", prefix: "banana") { totalCount } }'), 'BAD_ARGUMENT');
  assert.equal(await code('{ rib(first: 1001) { seq } }'), 'BAD_ARGUMENT');
  assert.equal(await code('{ rib(first: 0) { seq } }'), 'BAD_ARGUMENT');
  assert.equal(await code('{ events(first: 5000) { nodes { seq } } }'), 'BAD_ARGUMENT');
  assert.equal(await code('{ rib(at: "yesterday") { seq } }'), 'BAD_ARGUMENT');
  assert.equal(
    await code('query($a: SeqOrTime) { rib(at: $a) { seq } }', { a: 'yesterday' }),
    'BAD_ARGUMENT',
  );
  assert.equal(await code('{ rib(after: "not-a-cursor") { seq } }'), 'BAD_ARGUMENT');
  assert.equal(await code('{ diff(vrf: "red", from: 9, to: 3) { addedCount } }'), 'BAD_ARGUMENT');
  assert.equal(await code('{ events(after: "-1") { nodes { seq } } }'), 'BAD_ARGUMENT');
  assert.equal(await code('{ rib { seq '), 'BAD_QUERY');
  assert.equal(await code('{ nosuchfield }'), 'BAD_QUERY');
  const deep = `{ __type(name: "Query") { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }`;
  assert.equal(await code(deep), 'QUERY_TOO_COMPLEX');
  const aliases = `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: journal { headSeq }`).join(' ')} }`;
  assert.equal(await code(aliases), 'QUERY_TOO_COMPLEX');
  const expensive = `{ ${Array.from({ length: 8 }, (_, i) => `a${i}: rib(first: 1000) { edges { cursor node { prefix nlri address interface family seq discovered best exportRts } } }`).join(' ')} }`;
  assert.equal(await code(expensive), 'QUERY_TOO_COMPLEX');
  // A full page of every path field stays within the limits.
  const page = await f.query(
    '{ rib(vrf: "red", first: 1000) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { vrf family prefix interface ifindex address nlri rd exportRts discovered seq best } } } }',
  );
  assert.equal(page.errors, undefined, JSON.stringify(page.errors));
  const res = await f.yoga.fetch('http://ribjournal.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{not json',
  });
  assert.ok(res.status >= 400 && res.status < 500);
});

test('/healthz and /readyz answer without GraphQL', async () => {
  const h = await f.yoga.fetch('http://ribjournal.test/healthz');
  assert.equal(h.status, 200);
  const r = await f.yoga.fetch('http://ribjournal.test/readyz');
  assert.equal(r.status, 200);
  // Indexes behind the journal (a rebuild, a catch-up): 503 with the reason.
  const journal = new MemoryJournal();
  await journal.append([config(1, [])]);
  const indexes = createApiIndexes(journal);
  const yoga = createYoga({ journal, rib: new Rib(), indexes, ready: () => true });
  const behind = await yoga.fetch('http://ribjournal.test/readyz');
  assert.equal(behind.status, 503);
  assert.equal(await behind.text(), 'not ready\nAPI indexes catching up (seq 0 of 1)\n');
  await indexes.start();
  const caughtUp = new Rib();
  for await (const batch of journal.read()) for (const env of batch) caughtUp.apply(env);
  const ok = await createYoga({ journal, rib: caughtUp, indexes, ready: () => true }).fetch(
    'http://ribjournal.test/readyz',
  );
  assert.equal(ok.status, 200);
  await indexes.stop();
  await journal.close();
});

test('GraphiQL is served from the package (no CDN), for a browser asking for HTML', async () => {
  const res = await f.yoga.fetch('http://ribjournal.test/graphql', { headers: { accept: 'text/html' } });
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /<title>ribjournal<\/title>/);
  assert.doesNotMatch(html, /unpkg\.com|cdn\.jsdelivr|esm\.sh/, 'no asset from a CDN');
});
