// The fleet end to end on real servers: a JetStream cluster of three nats-server processes (stream
// replicas 3), nodes as in-process daemons in network namespaces or as publishers over a real journal,
// and a collector. Each test uses its own stream, so they share the cluster.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { clientFor } from '../../../src/cli/client.js';
import type { FleetConfig } from '../../../src/config/index.js';
import { encodeBlock } from '../../../src/events/index.js';
import type { Envelope, JournalEvent } from '../../../src/events/index.js';
import { FleetCollector } from '../../../src/fleet/collector.js';
import { FLEET_CURSOR_KEY, startFleetPublisher } from '../../../src/fleet/publisher.js';
import type { FleetPublisher } from '../../../src/fleet/publisher.js';
import { LAST_SEQ_HEADER, decodeEvents, nodeSubject } from '../../../src/fleet/protocol.js';
import { whereIs } from '../../../src/fleet/queries.js';
import { startCollectorServer } from '../../../src/fleet/server.js';
import { openLevelJournal, startRetention } from '../../../src/journal/index.js';
import { checkpointForHorizon } from '../../../src/projections/index.js';
import type { Journal } from '../../../src/journal/index.js';
import { kubelbConfig } from '../../helpers/configs.js';
import { runDaemon } from '../../helpers/daemon.js';
import { scaled, waitFor } from '../../helpers/deadline.js';
import { createNetns } from '../../helpers/netns.js';
import { startNatsCluster, startProxy } from '../../helpers/nats.js';
import type { NatsCluster } from '../../helpers/nats.js';

const execFileAsync = promisify(execFile);
const log = pino({ level: process.env['RIBJOURNAL_TEST_LOG'] ?? 'silent' });
let cluster: NatsCluster;
const dirs: string[] = [];

before(async () => {
  cluster = await startNatsCluster(3);
  await cluster.ready();
});
after(async () => {
  await cluster?.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A stream name for one test; every stream is deleted after each test (streams' subjects may not overlap). */
function useStream(_t: unknown, name: string): string {
  return name;
}

async function deleteStreams(): Promise<void> {
  const nc = await connect({ servers: [...cluster.urls] });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) await jsm.streams.delete(name);
  } finally {
    await nc.close();
  }
}

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'rjt-fleet-'));
  dirs.push(d);
  return d;
}

function fleet(stream: string, node: string, servers = cluster.urls): FleetConfig {
  return {
    servers,
    node,
    stream,
    tokenFile: undefined,
    credsFile: undefined,
    caFile: undefined,
    replicas: 3,
    maxAgeSeconds: 0,
    maxBytes: -1,
  };
}

function route(i: number, vrf = 'customer-a'): JournalEvent {
  return {
    type: 'RouteDiscovered',
    vrf,
    family: 'ipv4',
    prefix: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`,
    interface: 'eth1',
    ifindex: 3,
    address: '10.0.0.1',
  };
}

async function appendRoutes(journal: Journal, from: number, count: number, batch = 100): Promise<void> {
  for (let i = from; i < from + count; i += batch) {
    const events: JournalEvent[] = [];
    for (let k = i; k < Math.min(from + count, i + batch); k++) events.push(route(k));
    await journal.append(events);
  }
}

/** Node seqs of every event of `node` in the stream, in stream order (duplicates would show twice). */
async function streamSeqs(stream: string, node: string): Promise<number[]> {
  const nc = await connect({ servers: [...cluster.urls] });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    const seqs: number[] = [];
    for (let s = info.state.first_seq; s <= info.state.last_seq; s++) {
      const m = await jsm.streams.getMessage(stream, { seq: s });
      if (m === null || m.subject !== nodeSubject(node)) continue;
      for (const env of decodeEvents(m.data)) seqs.push(env.seq);
      assert.equal(seqs[seqs.length - 1], Number(m.header.get(LAST_SEQ_HEADER)), 'the last-seq header');
    }
    return seqs;
  } finally {
    await nc.close();
  }
}

function assertConsecutive(seqs: readonly number[], through: number, what: string): void {
  assert.equal(seqs.length, through, `${what}: ${seqs.length} events in the stream, journal head ${through}`);
  for (let i = 0; i < seqs.length; i++) {
    if (seqs[i] !== i + 1) assert.fail(`${what}: stream event #${i} has seq ${seqs[i]}, expected ${i + 1}`);
  }
}

async function publishedThrough(p: FleetPublisher, seq: number, what: string, ms = 20_000): Promise<void> {
  await waitFor(() => p.published >= seq, what, ms, 20);
}

void describe('fleet on a three-server JetStream cluster', () => {
  afterEach(deleteStreams);
  void it('routes on each node appear in the collector with node and VRF; whereIs now and at a past time', async (t) => {
    const stream = useStream(t, 'T_ROUTES');
    const nodes = ['edge-a', 'edge-b', 'edge-c'];
    const daemons = [];
    for (const [i, name] of nodes.entries()) {
      const ns = await createNetns(t);
      await ns.addVeth('kubelb0', 'kubelb0-p');
      await ns.addVeth('eth1', 'eth1-p');
      await ns.waitOperUp('eth1');
      await ns.addAddress('eth1', `10.1.${i}.1/24`);
      const extra = `[fleet]\nservers = ${JSON.stringify(cluster.urls)}\nnode = "${name}"\nstream = "${stream}"\nreplicas = 3\n`;
      daemons.push({ ns, d: await runDaemon(t, ns, kubelbConfig({ extra })) });
    }
    // Every node announces the same load-balancer address into the global table.
    for (const { ns } of daemons) await ns.addAddress('kubelb0', '203.0.113.10/32');
    const dir = await tempDir();
    const collector = await FleetCollector.start({ fleet: fleet(stream, 'c1'), dir, log });
    t.after(() => collector.stop());
    const server = await startCollectorServer(collector, { listen: '127.0.0.1:0' });
    t.after(() => server.close());

    await waitFor(
      async () => (await whereIs(collector, '203.0.113.10/32', '', undefined)).length === 3,
      'the three nodes holding 203.0.113.10/32 in the collector',
    );
    assert.deepEqual(
      collector.nodes().map((n) => [n.name, n.rib.countsOf('customer-a').ipv4]),
      [
        ['edge-a', 1],
        ['edge-b', 1],
        ['edge-c', 1],
      ],
    );
    const own = await whereIs(collector, '10.1.1.0/24', undefined, undefined);
    assert.deepEqual(
      own.map((p) => [p.node, p.vrf, p.interface, p.nlri]),
      [['edge-b', 'customer-a', 'eth1', '64551:100:10.1.1.0/24']],
    );

    // Withdraw on edge-a; whereIs now shows edge-b and edge-c, and at the earlier time all three.
    const before = Date.now() * 1000;
    await daemons[0]!.ns.delAddress('kubelb0', '203.0.113.10/32');
    await waitFor(
      async () => (await whereIs(collector, '203.0.113.10/32', '', undefined)).length === 2,
      'edge-a withdrawing 203.0.113.10/32 in the collector',
    );
    const now = await whereIs(collector, '203.0.113.10/32', '', undefined);
    assert.deepEqual(
      now.map((p) => p.node),
      ['edge-b', 'edge-c'],
    );
    const then = await whereIs(collector, '203.0.113.10/32', '', { time: before });
    assert.deepEqual(
      then.map((p) => [p.node, p.vrf, p.interface]),
      [
        ['edge-a', 'global', 'kubelb0'],
        ['edge-b', 'global', 'kubelb0'],
        ['edge-c', 'global', 'kubelb0'],
      ],
    );

    // Over HTTP: the fleet schema, and one node's own schema at /nodes/<name>/graphql.
    const post = async (url: string, query: string): Promise<Record<string, unknown>> => {
      const r = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      });
      const body = (await r.json()) as { data?: Record<string, unknown>; errors?: unknown };
      assert.equal(body.errors, undefined, JSON.stringify(body.errors));
      return body.data!;
    };
    const data = await post(
      server.url,
      `{ nodes { name lag } whereIs(prefix: "203.0.113.10/32", vrf: "global", at: "${new Date(before / 1000).toISOString()}") { node interface } }`,
    );
    assert.deepEqual(data['nodes'], [
      { name: 'edge-a', lag: 0 },
      { name: 'edge-b', lag: 0 },
      { name: 'edge-c', lag: 0 },
    ]);
    assert.equal((data['whereIs'] as unknown[]).length, 3);
    // `fleetDiff`: a node's `diff` on every node; edge-a's shows its withdrawal.
    const diffs = (
      await post(
        server.url,
        `{ fleetDiff(vrf: "global", from: "${new Date(before / 1000).toISOString()}") { node removed { prefix } } }`,
      )
    )['fleetDiff'] as { node: string; removed: { prefix: string }[] }[];
    assert.deepEqual(
      diffs.map((d) => [d.node, d.removed.map((p) => p.prefix)]),
      [
        ['edge-a', ['203.0.113.10/32']],
        ['edge-b', []],
        ['edge-c', []],
      ],
    );
    // A node client's `routeChanges` against the collector (SSE), replaying edge-a's journal from seq 0.
    const sse = new AbortController();
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        query:
          'subscription { routeChanges(node: "edge-a", after: 0) { node changes { type path { node prefix } } } }',
      }),
      signal: sse.signal,
    });
    const deadline = setTimeout(() => sse.abort(), scaled(15_000));
    let text = '';
    const decoder = new TextDecoder();
    const reader = res.body!.getReader();
    while (!text.includes('203.0.113.10/32')) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    clearTimeout(deadline);
    sse.abort();
    assert.match(text, /"node":"edge-a","changes":\[.*"type":"DISCOVERED","path":\{"node":"edge-a"/);
    const nodeData = await post(server.nodeUrl('edge-b'), '{ vrfs { name } }');
    assert.ok(JSON.stringify(nodeData).includes('customer-a'), JSON.stringify(nodeData));
    // The node API's limits hold at the collector too (a fleet query fans out to every node).
    const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: nodes { name }`).join(' ');
    const tooMany = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ ${aliases} }` }),
    });
    assert.match(JSON.stringify(await tooMany.json()), /aliases/i, 'more than 15 aliases refused');
    const ready = await fetch(server.url.replace(/\/graphql$/, '/readyz'));
    assert.equal(ready.status, 200, 'the collector is ready while it consumes');
    // `ribjournal fleet status` against the collector.
    // (Not spawnSync: the collector answering it runs in this process.)
    const status = await execFileAsync(process.execPath, [
      '--import',
      'tsx',
      'src/cli/run.ts',
      'fleet',
      'status',
      '--api',
      new URL(server.url).host,
      '-j',
    ]);
    assert.deepEqual(
      (JSON.parse(status.stdout) as { name: string; lag: number }[]).map((n) => [n.name, n.lag]),
      [
        ['edge-a', 0],
        ['edge-b', 0],
        ['edge-c', 0],
      ],
    );
    // What `--node edge-b` on a client command asks; and the node schema with `node` at /graphql answers the same.
    const viaCli = await clientFor({ api: new URL(server.url).host, node: 'edge-b' }).query<unknown>(
      '{ vrfs { name } }',
    );
    assert.deepEqual(viaCli, nodeData);
    assert.deepEqual(await post(server.url, '{ vrfs(node: "edge-b") { name } }'), nodeData);
    // The client commands with --node against the collector.
    const cli = async (...args: string[]): Promise<string> =>
      (
        await execFileAsync(process.execPath, [
          '--import',
          'tsx',
          'src/cli/run.ts',
          ...args,
          '--api',
          new URL(server.url).host,
        ])
      ).stdout;
    const monitorOut = (async () => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/cli/run.ts',
          'monitor',
          'global',
          'rib',
          '--after',
          '0',
          '--node',
          'edge-a',
        ].concat(['--api', new URL(server.url).host]),
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      await waitFor(
        () => out.includes('DELROUTE'),
        'monitor --node edge-a printing its withdrawal',
        scaled(15_000),
      );
      child.kill();
      return out;
    })();
    const [globalRib, vrfRib, history, events, monitored] = await Promise.all([
      cli('global', 'rib', '--node', 'edge-b'),
      cli('vrf', 'customer-a', 'rib', '--node', 'edge-b'),
      cli('history', 'global', '203.0.113.10/32', '--node', 'edge-a'),
      cli('events', '--node', 'edge-c', '--vrf', 'customer-a'),
      monitorOut,
    ]);
    assert.match(globalRib, /203\.0\.113\.10\/32/);
    assert.match(vrfRib, /10\.1\.1\.0\/24/);
    assert.doesNotMatch(vrfRib, /10\.1\.[02]\.0\/24/, "only edge-b's VRF");
    assert.match(history, /RouteDiscovered[\s\S]*RouteVanished/, history);
    assert.match(events, /10\.1\.2\.0\/24/);
    assert.doesNotMatch(events, /10\.1\.[01]\.0\/24/, "only edge-c's events");
    assert.match(monitored, /\[ROUTE\][\s\S]*203\.0\.113\.10\/32[\s\S]*\[DELROUTE\]/);
    // Each node's stream holds its journal once, in order.
    for (const { d } of daemons) {
      await d.daemon.flush();
      const name = nodes[daemons.findIndex((x) => x.d === d)]!;
      await waitFor(
        () => collector.node(name)?.journal.head() === d.daemon.journal.head(),
        `${name} caught up`,
      );
      assertConsecutive(await streamSeqs(stream, name), d.daemon.journal.head(), name);
    }
  });

  void it('a nats-server killed mid-stream loses nothing and doubles nothing', async (t) => {
    const stream = useStream(t, 'T_KILL');
    const journal = await openLevelJournal(await tempDir());
    t.after(() => journal.close());
    const p = startFleetPublisher({ journal, fleet: fleet(stream, 'n1'), log, publishTimeoutMs: 2000 });
    t.after(() => p.stop());
    await appendRoutes(journal, 0, 3000);
    await publishedThrough(p, 1000, 'the first events published');
    await cluster.kill(1);
    t.after(() => cluster.restart(1));
    await appendRoutes(journal, 3000, 3000);
    await publishedThrough(p, journal.head(), 'every event published with one server down', 30_000);
    await cluster.restart(1);
    assertConsecutive(await streamSeqs(stream, 'n1'), journal.head(), 'n1');
  });

  void it('a node cut off from NATS for 5000 events catches up with no gap or duplicate', async (t) => {
    const stream = useStream(t, 'T_OUTAGE');
    const proxy = await startProxy(cluster.urls[0]!);
    t.after(() => proxy.close());
    const journal = await openLevelJournal(await tempDir());
    t.after(() => journal.close());
    const p = startFleetPublisher({
      journal,
      fleet: fleet(stream, 'far', [proxy.url]),
      log,
      publishTimeoutMs: 1000,
      connection: { ignoreClusterUpdates: true, reconnectTimeWait: 200 },
    });
    t.after(() => p.stop());
    await appendRoutes(journal, 0, 500, 50);
    await publishedThrough(p, 500, 'events before the outage');
    // Cut while events are being published: some publishes end with an unknown outcome.
    const appending = appendRoutes(journal, 500, 5000, 10);
    await waitFor(() => journal.head() > 800, 'the outage to start mid-publish');
    await proxy.cut();
    await appending;
    assert.ok(p.lag() > 1000, `lag ${p.lag()} while cut off`);
    // Journal retention wanting nearly everything gone keeps what the publisher has not durably published.
    const held: string[] = [];
    const retention = startRetention(journal, {
      policy: { maxSizeBytes: 1 },
      checkpoint: (seq) => checkpointForHorizon(journal, seq),
      holds: [p.retentionHold()],
      log: { info: () => undefined, warn: (_o, m) => held.push(m), error: (_o, m) => held.push(m) },
    });
    t.after(() => retention.stop());
    const cursor = await p.retentionHold().seq();
    assert.ok(cursor <= p.published && cursor < journal.head() - 1000, `durable cursor ${cursor}`);
    await retention.check();
    assert.ok(journal.horizon().seq <= cursor, `horizon ${journal.horizon().seq} within cursor ${cursor}`);
    assert.match(
      held.join('\n'),
      /retention held back: the fleet publisher has not yet taken events after seq/,
    );
    await proxy.mend();
    await publishedThrough(p, journal.head(), 'catching up after the outage', 30_000);
    assertConsecutive(await streamSeqs(stream, 'far'), journal.head(), 'far');
    // Once published (and the cursor stored), retention goes on.
    await waitFor(async () => (await p.retentionHold().seq()) === journal.head(), 'the cursor stored');
    await retention.check();
    assert.ok(
      journal.horizon().seq > cursor,
      `horizon ${journal.horizon().seq} past the old cursor ${cursor}`,
    );
  });

  void it('a collector killed (SIGKILL) mid-ingest resumes with every event once, in order', async (t) => {
    const stream = useStream(t, 'T_CKILL');
    const journal = await openLevelJournal(await tempDir());
    t.after(() => journal.close());
    const p = startFleetPublisher({ journal, fleet: fleet(stream, 'k1'), log });
    t.after(() => p.stop());
    await appendRoutes(journal, 0, 100, 10);
    const dir = await tempDir();
    const conf = join(dir, 'collector.toml');
    await writeFile(
      conf,
      `[fleet]\nservers = ${JSON.stringify(cluster.urls)}\nnode = "ck"\nstream = "${stream}"\nreplicas = 3\n`,
    );
    const data = join(dir, 'data');
    const collect = (): { child: ChildProcess; url: Promise<string> } => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/cli/run.ts',
          'collect',
          '-f',
          conf,
          '--journal',
          data,
          '--api',
          '127.0.0.1:0',
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      t.after(() => child.kill('SIGKILL'));
      const url = new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          const m = /"url":"([^"]+)"/.exec(out);
          if (m !== null) resolve(m[1]!);
        });
        child.once('exit', () => reject(new Error(`collect exited before listening: ${out}`)));
      });
      return { child, url };
    };
    const headOf = async (url: string): Promise<number> => {
      const r = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ nodes { name headSeq } }' }),
      });
      const body = (await r.json()) as { data?: { nodes: { headSeq: string }[] } };
      return Number(body.data?.nodes[0]?.headSeq ?? 0);
    };
    const first = collect();
    const firstUrl = await first.url;
    // The node goes on committing while the collector receives, and the collector is killed meanwhile.
    let killed = false;
    const appending = (async () => {
      let i = 100;
      for (; !killed; i += 20) await appendRoutes(journal, i, 20, 20);
      await appendRoutes(journal, i, 2000, 20);
    })();
    // Killed after it recorded a resume position (every second) and went on receiving.
    await waitFor(
      async () => existsSync(join(data, 'position.json')) && (await headOf(firstUrl)) > 2000,
      'the first collector receiving and recording its position',
    );
    first.child.kill('SIGKILL');
    killed = true;
    await new Promise((r) => first.child.once('exit', r));
    await appending;
    const second = collect();
    const secondUrl = await second.url;
    await waitFor(
      async () => (await headOf(secondUrl)) === journal.head(),
      'the second collector caught up',
      30_000,
    );
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
    // The replica holds the node's events once each, in order, with the node's seqs and times.
    const replica = await openLevelJournal(join(data, 'nodes', 'k1'), { create: false });
    t.after(() => replica.close());
    const want: string[] = [];
    for await (const b of journal.read()) for (const e of b) want.push(JSON.stringify(e));
    const got: string[] = [];
    for await (const b of replica.read()) for (const e of b) got.push(JSON.stringify(e));
    assert.equal(got.length, want.length);
    assert.ok(
      got.every((g, i) => g === want[i]),
      'the replica equals the node journal',
    );
  });

  void it('a node restarted mid-publish, or with a stale cursor, publishes nothing twice', async (t) => {
    const stream = useStream(t, 'T_RESTART');
    const journal = await openLevelJournal(await tempDir());
    t.after(() => journal.close());
    await appendRoutes(journal, 0, 20_000, 1000);
    const first = startFleetPublisher({ journal, fleet: fleet(stream, 'r1'), log, maxBatchEvents: 200 });
    await publishedThrough(first, 2000, 'some events published');
    await first.stop(); // mid-publish: its last publish may or may not have landed
    assert.ok(first.published < journal.head(), 'stopped before the end');
    // As after a crash before the cursor was saved: the cursor lags the stream.
    await journal.putMeta(FLEET_CURSOR_KEY, Buffer.from(JSON.stringify({ seq: 1 })));
    const second = startFleetPublisher({ journal, fleet: fleet(stream, 'r1'), log });
    t.after(() => second.stop());
    await publishedThrough(second, journal.head(), 'the restarted publisher finishing');
    assertConsecutive(await streamSeqs(stream, 'r1'), journal.head(), 'r1');
  });

  void it('a damaged message is not stored: the replica of its node stops before it, the others go on', async (t) => {
    const stream = useStream(t, 'T_DAMAGED');
    const dir = await tempDir();
    const collector = await FleetCollector.start({ fleet: fleet(stream, 'cd'), dir, log });
    t.after(() => collector.stop());
    const d1 = await openLevelJournal(await tempDir());
    t.after(() => d1.close());
    await appendRoutes(d1, 0, 100);
    const p1 = startFleetPublisher({ journal: d1, fleet: fleet(stream, 'd1'), log });
    await publishedThrough(p1, 100, 'd1 published');
    await p1.stop();
    await waitFor(() => collector.node('d1')?.journal.head() === 100, 'd1 held by the collector');
    // d1's next events, one bit flipped in transit (the stream does not check what it carries).
    await appendRoutes(d1, 100, 10);
    const next: Envelope[] = [];
    for await (const chunk of d1.read({ after: 100 })) next.push(...chunk);
    const bytes = Buffer.from(encodeBlock(next));
    bytes[bytes.length - 2]! ^= 0x01;
    const nc = await connect({ servers: [...cluster.urls] });
    t.after(() => nc.close());
    await jetstream(nc).publish(nodeSubject('d1'), bytes);
    // Another node after it is still applied: the damaged message does not block the stream.
    const d2 = await openLevelJournal(await tempDir());
    t.after(() => d2.close());
    await appendRoutes(d2, 0, 50);
    const p2 = startFleetPublisher({ journal: d2, fleet: fleet(stream, 'd2'), log });
    t.after(() => p2.stop());
    await waitFor(() => collector.node('d2')?.journal.head() === 50, 'd2 held after the damaged message');
    const r1 = collector.node('d1')!;
    assert.equal(r1.journal.head(), 100, 'nothing of the damaged message is stored');
    assert.equal(r1.gapAt, 101, "d1's replica stops before the damaged events");
    assert.equal(r1.rib.size(), 100);
  });

  void it('a wiped collector rebuilds the same answers from the stream', async (t) => {
    const stream = useStream(t, 'T_WIPE');
    const journals: { name: string; journal: Journal }[] = [];
    for (const name of ['w1', 'w2']) {
      const journal = await openLevelJournal(await tempDir());
      t.after(() => journal.close());
      await appendRoutes(journal, name === 'w1' ? 0 : 100, 300, 30);
      await journal.append([
        {
          type: 'RouteVanished',
          vrf: 'customer-a',
          family: 'ipv4',
          prefix: '10.0.0.150/32',
          interface: 'eth1',
          reason: 'address-removed',
        },
      ]);
      const p = startFleetPublisher({ journal, fleet: fleet(stream, name), log });
      t.after(() => p.stop());
      await publishedThrough(p, journal.head(), `${name} published`);
      journals.push({ name, journal });
    }
    const answers = async (c: FleetCollector): Promise<string> =>
      JSON.stringify({
        vrfs: c.nodes().map((n) => [n.name, n.rib.vrfNames(), n.rib.countsOf('customer-a')]),
        a: await whereIs(c, '10.0.0.150/32', 'customer-a', undefined),
        b: await whereIs(c, '10.0.1.44/32', undefined, undefined),
        at: await whereIs(c, '10.0.0.150/32', 'customer-a', { seq: 200 }),
      });
    const caughtUp = (c: FleetCollector): Promise<boolean> =>
      waitFor(
        () => journals.every(({ name, journal }) => c.node(name)?.rib.seq === journal.head()),
        'the collector caught up',
      );
    const dir = await tempDir();
    const c1 = await FleetCollector.start({ fleet: fleet(stream, 'cw'), dir, log });
    await caughtUp(c1);
    const expected = await answers(c1);
    assert.match(expected, /"node":"w1"/);
    await c1.stop();
    // Restarted on its directory: resumes; then wiped: rebuilds, with the same durable consumer name.
    const c2 = await FleetCollector.start({ fleet: fleet(stream, 'cw'), dir, log });
    await caughtUp(c2);
    assert.equal(await answers(c2), expected);
    await c2.stop();
    await rm(dir, { recursive: true, force: true });
    const c3 = await FleetCollector.start({ fleet: fleet(stream, 'cw'), dir, log });
    t.after(() => c3.stop());
    await caughtUp(c3);
    assert.equal(await answers(c3), expected);
  });
});
