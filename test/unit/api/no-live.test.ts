// An API built without the live route path (offline tools, a half-wired server) refuses route-change
// subscriptions with NOT_READY instead of accepting them and staying silent: a silent feed looks, to a
// user, like a network with no changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createYoga } from '../../../src/api/index.js';
import type { ApiContext } from '../../../src/api/index.js';
import { ChangeFeed } from '../../../src/api/feed.js';
import { discovered, fixture } from './fixture.js';

test('routeChanges over SSE on an API without the live path fails with NOT_READY at once', async (t) => {
  const f = await fixture();
  t.after(() => f.close());
  await f.append(discovered('', '192.0.2.1/32', 'kubelb0', 3));
  const { live: _live, ...withoutLive } = f.api;
  const api: ApiContext = withoutLive;
  const yoga = createYoga(api, {});
  t.after(() => yoga.dispose());
  const res = await yoga.fetch('http://ribjournal.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query: 'subscription { routeChanges { throughSeq } }' }),
  });
  const text = await res.text();
  const data = text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)) as { errors?: { extensions?: { code?: string } }[] });
  assert.ok(data.length > 0, `an answer, not silence: ${text}`);
  assert.equal(data[0]!.errors?.[0]?.extensions?.code, 'NOT_READY', text);
});

test('a ChangeFeed without the live path ends each subscription with NOT_READY', async (t) => {
  const f = await fixture();
  t.after(() => f.close());
  const { live: _live, ...withoutLive } = f.api;
  const feed = new ChangeFeed(withoutLive);
  t.after(() => feed.close());
  const sub = feed.subscribe({ vrf: undefined, prefix: undefined, moreSpecific: false }, undefined);
  const r = await sub.next();
  assert.equal(r.done, false);
  assert.equal((r.value as { error?: { code: string } }).error?.code, 'NOT_READY');
});
