// Queries run compiled by graphql-jit once a document repeats (src/api/yoga.ts): every answer, errors
// and their codes included, must be the one graphql-js gives for the same request. One difference is
// known and accepted: graphql-jit's execution errors (a resolver's, a variable's value) carry no
// `locations`; a resolver's `path` still says where.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { config, discovered, fixture, vanished } from './fixture.js';
import type { Fixture } from './fixture.js';
import { createYoga } from '../../../src/api/index.js';
import type { ApiYoga } from '../../../src/api/index.js';

let f: Fixture;
let reference: ApiYoga;

before(async () => {
  f = await fixture({ timeline: { interval: 3 } });
  reference = createYoga(f.api, { compiledQueries: false });
  await f.append(
    config(1, [
      { name: 'red', rd: '65000:100', rt: '65000:100', interfaces: ['eth1'] },
      { name: 'blue', rd: '65000:200', rt: '65000:201', interfaces: ['eth2'] },
    ]),
    discovered('red', '10.1.0.0/24', 'eth1', 3),
    discovered('red', '10.1.1.0/24', 'eth1', 3),
    discovered('red', '2001:db8:1::/64', 'eth1', 3),
    discovered('', '192.168.0.0/24', 'eth9', 9, '192.168.0.9'),
    discovered('', '192.168.0.0/24', 'eth0', 2),
    vanished('red', '10.1.1.0/24', 'eth1', 'link-down'),
    discovered('blue', '10.1.1.0/24', 'eth2', 4),
    discovered('red', '10.1.1.0/24', 'eth1', 3),
  );
});

after(async () => {
  await reference.dispose();
  await f.close();
});

interface Answer {
  readonly status: number;
  readonly body: { data?: unknown; errors?: Record<string, unknown>[] };
}

async function answer(yoga: ApiYoga, query: string, variables?: Record<string, unknown>): Promise<Answer> {
  const res = await yoga.fetch('http://ribjournal.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Answer['body'];
  // graphql-jit's execution errors carry no `locations` (see above), and its words for a variable's bad
  // value differ (messages may change; codes may not); everything else must match.
  const errors = body.errors?.map(({ locations: _, message, ...rest }) =>
    rest['path'] === undefined ? rest : { message, ...rest },
  );
  return { status: res.status, body: errors === undefined ? body : { ...body, errors } };
}

const PAGE = `query($vrf: String!, $first: Int, $at: SeqOrTime) {
  rib(vrf: $vrf, first: $first, at: $at) {
    seq time totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { vrf family prefix interface ifindex address nlri rd exportRts discovered seq best } }
  }
}`;

const CASES: [string, string, Record<string, unknown>?][] = [
  ['a RIB page with every path field', PAGE, { vrf: 'red', first: 1000 }],
  ['a RIB page of the global table, two paths for one prefix', PAGE, { vrf: 'global' }],
  ['a RIB page in the past', PAGE, { vrf: 'red', at: '3' }],
  ['a RIB page cut by first', PAGE, { vrf: 'red', first: 1 }],
  [
    'vrfs with route counts',
    '{ vrfs { name rd importRts exportRts interfaces routeCounts { ipv4 ipv6 total } } }',
  ],
  [
    'history of a prefix',
    '{ history(vrf: "red", prefix: "10.1.1.0/24") { totalCount edges { node { seq type reason } } } }',
  ],
  ['diff between two seqs', '{ diff(vrf: "red", from: 2, to: 9) { addedCount removedCount } }'],
  ['events', '{ events(first: 3) { nodes { seq type } pageInfo { hasNextPage } } }'],
  ['NOT_FOUND', '{ rib(vrf: "nope") { seq } }'],
  ['BAD_ARGUMENT from a resolver', '{ rib(vrf: "red", prefix: "10.1.0.0/33") { seq } }'],
  ['BAD_ARGUMENT from a scalar in a variable', PAGE, { vrf: 'red', at: 'yesterday' }],
  ['a variable of the wrong type', PAGE, { vrf: 7 }],
  ['a missing variable', PAGE, {}],
];

test('a repeated query runs compiled and answers exactly as graphql-js, errors and codes included', async () => {
  for (const [what, query, variables] of CASES) {
    const expected = await answer(reference, query, variables);
    // The first run is graphql-js; from the second on the document runs compiled.
    for (let run = 1; run <= 3; run++)
      assert.deepEqual(await answer(f.yoga, query, variables), expected, `${what}, run ${run}`);
  }
});
