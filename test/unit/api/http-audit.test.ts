// graphql-http's audit of the GraphQL over HTTP spec against the real server (compiled queries on):
// every audit (MUST and SHOULD) passes; a client written to the spec gets the answers it expects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAudits } from 'graphql-http';
import { discovered, fixture, serve } from './fixture.js';

test("graphql-http's audit: every MUST and SHOULD of GraphQL over HTTP holds", async (t) => {
  const f = await fixture();
  t.after(() => f.close());
  await f.append(discovered('', '192.0.2.1/32', 'kubelb0', 3));
  const server = await serve(f);
  t.after(() => server.close());
  const url = server.url;
  const failed: string[] = [];
  for (const audit of serverAudits({ url })) {
    const r = await audit.fn();
    if (r.status !== 'ok') failed.push(`${audit.name}: ${r.reason}`);
  }
  assert.deepEqual(failed, []);
});
