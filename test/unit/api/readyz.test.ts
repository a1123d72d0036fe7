import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createYoga } from '../../../src/api/index.js';
import { fixture } from './fixture.js';

test('/readyz says why the daemon is not ready, one reason a line', async () => {
  const f = await fixture();
  const reasons = ['history: failed at seq 3, rebuilding', 'timeline: catching up with the journal'];
  // The indexes lag too: the runner's reasons name them already, so their own line is not added again.
  const lagging = Object.assign(Object.create(f.api.indexes) as typeof f.api.indexes, {
    readiness: () => ({ ready: false, reason: 'API indexes catching up (seq 2 of 3)' }),
  });
  const yoga = createYoga({
    ...f.api,
    indexes: lagging,
    ready: () => false,
    health: () => ({ ok: false, reasons }),
  });
  const r = await yoga.fetch('http://ribjournal.test/readyz');
  assert.equal(r.status, 503);
  assert.equal(await r.text(), `not ready\n${reasons.join('\n')}\n`);
  await yoga.dispose();
  await f.close();
});
