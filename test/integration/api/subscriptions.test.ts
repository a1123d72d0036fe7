// Subscriptions over real HTTP: SSE and WebSocket, resume with `after` while events are appended,
// heartbeats, and a slow subscriber closed with SUBSCRIBER_TOO_SLOW without slowing the others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { openLevelJournal } from '../../../src/journal/index.js';
import { ApiClient } from '../../../src/cli/client.js';
import { discovered, fixture, serve, vanished } from '../../unit/api/fixture.js';
import type { Fixture } from '../../unit/api/fixture.js';
import type { JournalEvent } from '../../../src/events/index.js';
import { scaled } from '../../helpers/deadline.js';

interface Batch {
  routeChanges: {
    throughSeq: string;
    heartbeat: boolean;
    changes: { seq: string; type: string; path: { prefix: string; address: string } }[];
  };
}

const SUB = `subscription($after: Seq, $vrf: String, $hb: Float) {
  routeChanges(after: $after, vrf: $vrf, heartbeatSeconds: $hb) { throughSeq heartbeat changes { seq type path { prefix address } } }
}`;

const WIDE = `subscription { routeChanges { throughSeq heartbeat changes {
  seq time type vrf reason withdrawn path { vrf family prefix interface ifindex address nlri rd exportRts discovered seq best }
} } }`;

/** Event i of a history where every event changes the RIB: prefix i%200 appears, then vanishes. */
function flap(i: number): JournalEvent {
  const prefix = `10.${(i % 200) >> 8}.${i % 200}.0/24`;
  return Math.floor(i / 200) % 2 === 0
    ? discovered('red', prefix, 'eth1', 3)
    : vanished('red', prefix, 'eth1');
}

async function appendConcurrently(f: Fixture, from: number, count: number): Promise<number> {
  let last = 0;
  for (let i = from; i < from + count; i += 5) {
    const batch = Array.from({ length: Math.min(5, from + count - i) }, (_, k) => flap(i + k));
    last = (await f.journal.append(batch)).at(-1)!.seq;
    if (i % 50 === 0) await new Promise((r) => setImmediate(r));
  }
  return last;
}

async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), scaled(ms))),
  );
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function levelFixture(): Promise<{ f: Fixture; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ribjournal-api-'));
  const journal = await openLevelJournal(join(dir, 'journal'));
  const f = await fixture({ journal, timeline: { interval: 500 } });
  return {
    f,
    cleanup: async () => {
      await f.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

test('SSE: resumed with `after` while events are appended, each seq arrives exactly once and in order', async () => {
  const { f, cleanup } = await levelFixture();
  const server = await serve(f);
  try {
    const first = await appendConcurrently(f, 0, 1000);
    const client = new ApiClient(server.url);
    const seen: number[] = [];
    const appending = appendConcurrently(f, 1000, 2000);
    let final = Infinity;
    void appending.then((s) => (final = s));
    const done = (async () => {
      for await (const data of client.subscribe<Batch>(SUB, { after: '400' })) {
        for (const c of data.routeChanges.changes) seen.push(Number(c.seq));
        if (Number(data.routeChanges.throughSeq) >= final) return;
      }
    })();
    await appending;
    await withDeadline(done, 20_000, 'SSE subscriber to catch up');
    assert.ok(first >= 1000);
    assert.equal(seen.length, final - 400, 'no gap, no duplicate');
    seen.forEach((s, i) => assert.equal(s, 401 + i));
  } finally {
    await server.close();
    await cleanup();
  }
});

test('WebSocket: the same, over graphql-ws; and a bad argument is an error with its code', async () => {
  const { f, cleanup } = await levelFixture();
  const server = await serve(f);
  const client = createClient({
    url: server.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
  });
  try {
    await appendConcurrently(f, 0, 600);
    const seen: number[] = [];
    const appending = appendConcurrently(f, 600, 1500);
    let final = Infinity;
    void appending.then((s) => (final = s));
    const done = (async () => {
      for await (const r of client.iterate<Batch>({ query: SUB, variables: { after: '123' } })) {
        assert.equal(r.errors, undefined);
        for (const c of r.data!.routeChanges.changes) seen.push(Number(c.seq));
        if (Number(r.data!.routeChanges.throughSeq) >= final) return;
      }
    })();
    await appending;
    await withDeadline(done, 20_000, 'WS subscriber to catch up');
    assert.equal(seen.length, final - 123);
    seen.forEach((s, i) => assert.equal(s, 124 + i));

    const bad = client.iterate({ query: 'subscription { routeChanges(vrf: "nope") { throughSeq } }' });
    const r = await bad.next();
    const errors = (r.value as { errors?: { extensions?: { code?: string } }[] } | undefined)?.errors;
    assert.equal(errors?.[0]?.extensions?.code, 'NOT_FOUND');
  } finally {
    await client.dispose();
    await server.close();
    await cleanup();
  }
});

test('a live subscription gets changes with the path, withdrawals as they were, and heartbeats when quiet', async () => {
  const f = await fixture();
  const server = await serve(f);
  try {
    await f.append(discovered('red', '10.0.0.0/24', 'eth1', 3));
    const client = new ApiClient(server.url);
    const got: Batch['routeChanges'][] = [];
    const done = (async () => {
      for await (const data of client.subscribe<Batch>(SUB, { vrf: 'red', hb: 0.1 })) {
        got.push(data.routeChanges);
        if (got.filter((b) => b.heartbeat).length >= 2 && got.some((b) => b.changes.length > 0)) return;
      }
    })();
    // The subscription starts live: wait until it exists, then change something.
    const deadline = Date.now() + scaled(5000);
    while (server.yoga.feed.size === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await f.append(
      discovered('blue', '10.9.0.0/24', 'eth2', 4),
      vanished('red', '10.0.0.0/24', 'eth1', 'link-down'),
    );
    await withDeadline(done, 5000, 'changes and heartbeats');
    const changes = got.flatMap((b) => b.changes);
    assert.deepEqual(changes, [
      { seq: '3', type: 'VANISHED', path: { prefix: '10.0.0.0/24', address: '10.0.0.1' } },
    ]);
    const hb = got.filter((b) => b.heartbeat);
    assert.ok(hb.every((b) => (b.changes.length === 0 && b.throughSeq === '3') || Number(b.throughSeq) <= 3));
  } finally {
    await server.close();
    await f.close();
  }
});

/** An SSE subscription read with node:http so that the test can stop reading (a slow client). */
function rawSse(
  url: string,
  query: string,
  variables: Record<string, unknown>,
): { pause(): void; resume(): void; text: () => string; close(): void; ended: Promise<void> } {
  let body = '';
  let res: import('node:http').IncomingMessage | undefined;
  let paused = false;
  let ended!: () => void;
  const endedP = new Promise<void>((r) => (ended = r));
  const req = request(
    url,
    { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' } },
    (r) => {
      res = r;
      if (paused) r.pause();
      r.setEncoding('utf8');
      r.on('data', (chunk: string) => (body += chunk));
      r.on('end', ended);
      r.on('error', ended);
    },
  );
  req.on('error', ended);
  req.end(JSON.stringify({ query, variables }));
  return {
    pause: () => {
      paused = true;
      res?.pause();
    },
    resume: () => {
      paused = false;
      res?.resume();
    },
    text: () => body,
    close: () => req.destroy(),
    ended: endedP,
  };
}

test('a subscriber that stops reading is closed with SUBSCRIBER_TOO_SLOW and can resume; the others are not slowed', async () => {
  const f = await fixture();
  const server = await serve(f, { feed: { maxQueue: 300, maxBatch: 50 } });
  // Many fields per change, so that the socket buffers between server and client fill quickly.
  const slow = rawSse(server.url, WIDE, {});
  slow.pause();
  try {
    const deadline = Date.now() + scaled(5000);
    while (server.yoga.feed.size === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const client = new ApiClient(server.url);
    const fast: number[] = [];
    let final = Infinity;
    const fastDone = (async () => {
      for await (const data of client.subscribe<Batch>(SUB, { after: '0' })) {
        for (const c of data.routeChanges.changes) fast.push(Number(c.seq));
        if (Number(data.routeChanges.throughSeq) >= final) return;
      }
    })();
    while (server.yoga.feed.size < 2 && Date.now() < deadline + 5000)
      await new Promise((r) => setTimeout(r, 5));
    assert.equal(server.yoga.feed.size, 2, 'both subscribed');
    // Append until the daemon drops the slow subscriber (its socket buffers are full by then).
    let appended = 0;
    while (server.yoga.feed.size > 1 && appended < 300_000) {
      await appendConcurrently(f, appended, 2000);
      appended += 2000;
    }
    assert.equal(server.yoga.feed.size, 1, 'the slow subscriber was dropped');
    await appendConcurrently(f, appended, 1000);
    appended += 1000;
    final = f.journal.head();
    await withDeadline(fastDone, 60_000, 'the fast subscriber');
    assert.equal(fast.length, appended, 'the fast subscriber got every change');

    slow.resume();
    await withDeadline(slow.ended, 20_000, 'the slow subscriber to be closed');
    const messages = slow
      .text()
      .split('\n\n')
      .filter((m) => m.includes('data: {'))
      .map(
        (m) =>
          JSON.parse(m.slice(m.indexOf('data:') + 5)) as {
            data?: Batch | null;
            errors?: { extensions: { code: string; resumeAfter: string } }[];
          },
      );
    const errors = messages.filter((m) => m.errors);
    assert.equal(errors.length, 1, 'one error message, at the end');
    const err = errors[0]!.errors![0]!;
    assert.equal(err.extensions.code, 'SUBSCRIBER_TOO_SLOW');
    const delivered = messages.flatMap((m) => m.data?.routeChanges.changes ?? []).map((c) => Number(c.seq));
    const resumeAfter = Number(err.extensions.resumeAfter);
    assert.equal(delivered.length, resumeAfter, 'resumeAfter is exactly what was delivered');

    // Resuming from there loses nothing.
    const rest: number[] = [];
    for await (const data of client.subscribe<Batch>(SUB, { after: String(resumeAfter) })) {
      for (const c of data.routeChanges.changes) rest.push(Number(c.seq));
      if (Number(data.routeChanges.throughSeq) >= final) break;
    }
    const all = [...delivered, ...rest];
    assert.equal(all.length, appended);
    all.forEach((s, i) => assert.equal(s, i + 1));
  } finally {
    slow.close();
    await server.close();
    await f.close();
  }
});
