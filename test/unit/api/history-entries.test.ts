// `history` entries (src/api/schema/history.ts): built only for the page asked, read as properties
// (src/api/property-fields.ts), with `whileDown` marking a reconcile withdrawal that is the prefix's
// first event after a start. A page that starts after the first entry must mark the same entries as the
// whole list does, and the compiled executor (graphql-jit, from a document's second run) must answer
// exactly as graphql-js.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { config, discovered, fixture, vanished } from './fixture.js';
import type { Fixture } from './fixture.js';
import { createYoga } from '../../../src/api/index.js';
import type { ApiYoga } from '../../../src/api/index.js';
import type { JournalEvent } from '../../../src/events/index.js';

let f: Fixture;
let reference: ApiYoga;

const started = (previousStopClean: boolean | null): JournalEvent => ({
  type: 'DaemonStarted',
  buildVersion: 'test',
  configVersion: 1,
  previousStopClean,
});
const stopped: JournalEvent = { type: 'DaemonStopped', buildVersion: 'test', reason: 'SIGTERM' };
const P = '10.1.1.0/24';

before(async () => {
  f = await fixture();
  reference = createYoga(f.api, { compiledQueries: false });
  await f.append(
    started(null), // 1
    config(1, [{ name: 'red', rd: '65000:100', rt: '65000:100', interfaces: ['eth1'] }]), // 2
    discovered('red', P, 'eth1', 3), // 3
    stopped, // 4
    started(true), // 5
    vanished('red', P, 'eth1', 'reconcile'), // 6: first after a start: while down
    discovered('red', P, 'eth1', 3), // 7
    vanished('red', P, 'eth1', 'reconcile'), // 8: not after a start
    discovered('red', P, 'eth1', 3), // 9
    started(false), // 10 (an unclean stop before it)
    discovered('red', '10.1.2.0/24', 'eth1', 3), // 11: another prefix
    vanished('red', P, 'eth1', 'reconcile'), // 12: the prefix's first after the start at 10: while down
    discovered('red', P, 'eth1', 3), // 13
    stopped, // 14
    started(true), // 15
    vanished('red', P, 'eth1', 'link-down'), // 16: first after a start, but not the reconcile's
  );
});

after(async () => {
  await reference.dispose();
  await f.close();
});

const QUERY = `query($first: Int, $after: Seq) { history(vrf: "red", prefix: "${P}", first: $first, after: $after) {
  totalCount hasMore flapCount downtimes { lastSeenSeq startedSeq clean }
  entries { seq time type interface ifindex address reason whileDown } } }`;

async function ask(yoga: ApiYoga, variables: Record<string, unknown>): Promise<string> {
  const res = await yoga.fetch('http://ribjournal.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: QUERY, variables }),
  });
  return res.text();
}

interface Answer {
  data: {
    history: {
      entries: {
        seq: string;
        type: string;
        reason: string | null;
        whileDown: boolean;
        ifindex: number | null;
      }[];
    };
  };
}

test('whileDown marks the reconcile withdrawals that are the prefix first event after a start', async () => {
  const a = JSON.parse(await ask(f.yoga, {})) as Answer;
  const marks = a.data.history.entries.map((e) => [e.seq, e.type, e.reason, e.whileDown]);
  assert.deepEqual(marks, [
    ['3', 'RouteDiscovered', null, false],
    ['6', 'RouteVanished', 'reconcile', true],
    ['7', 'RouteDiscovered', null, false],
    ['8', 'RouteVanished', 'reconcile', false],
    ['9', 'RouteDiscovered', null, false],
    ['12', 'RouteVanished', 'reconcile', true],
    ['13', 'RouteDiscovered', null, false],
    ['16', 'RouteVanished', 'link-down', false],
  ]);
  assert.deepEqual(
    a.data.history.entries.map((e) => e.ifindex),
    [3, null, 3, null, 3, null, 3, null],
  );
});

test('a page marks its entries as the whole list does, and every page answers as graphql-js does', async () => {
  const whole = (JSON.parse(await ask(reference, {})) as Answer).data.history.entries;
  for (const [after, first] of [
    [undefined, 8],
    ['5', 1],
    ['7', 2],
    ['9', 3],
    ['11', 1],
    ['12', 5],
    ['15', 1],
  ] as const) {
    const variables = { first, ...(after === undefined ? {} : { after }) };
    const expected = await ask(reference, variables);
    const page = (JSON.parse(expected) as Answer).data.history.entries;
    const from = after === undefined ? 0 : whole.findIndex((e) => Number(e.seq) > Number(after));
    assert.deepEqual(page, whole.slice(from, from + first), `page after ${after} first ${first}`);
    // The first run is graphql-js, the second compiles, the third runs compiled: each the same text.
    for (let run = 0; run < 3; run++) assert.equal(await ask(f.yoga, variables), expected, `run ${run}`);
  }
});
