// BEFORE_RETENTION over GraphQL (issue 9.5): after a trim, a state query at or before the horizon fails
// with that code naming the horizon's seq and time; after it, it answers as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { config, discovered, fixture } from './fixture.js';
import { openLevelJournal } from '../../../src/journal/index.js';
import { trimJournal } from '../../../src/journal/retention.js';
import { checkpointForHorizon } from '../../../src/projections/index.js';
import { tempDir } from '../journal/helpers.js';

test('a rib query at or before the retention horizon fails with BEFORE_RETENTION naming it', async (t) => {
  const journal = await openLevelJournal(await tempDir(t, 'ribjournal-api-retention-'), {
    compaction: false,
  });
  const f = await fixture({ journal });
  t.after(() => f.close());
  await f.append(config(1, [{ name: 'red', rd: '65000:1', rt: '65000:1', interfaces: ['eth0'] }]));
  for (let i = 0; i < 20; i++) await f.append(discovered('red', `10.${i}.0.0/24`, 'eth0', 2));
  const before = await f.query<{ rib: { seq: string; nodes: unknown[] } }>(
    '{ rib(vrf: "red", at: 15) { seq nodes { prefix } } }',
  );
  assert.equal(before.data?.rib.nodes.length, 14, JSON.stringify(before));
  const r = await trimJournal(journal, 10, { checkpoint: (seq) => checkpointForHorizon(journal, seq) });
  assert.equal(r?.horizon.seq, 10);
  const res = await f.query('{ rib(vrf: "red", at: 5) { seq } }');
  assert.equal(res.errors?.[0]?.extensions?.['code'], 'BEFORE_RETENTION');
  assert.equal(res.errors?.[0]?.extensions?.['horizonSeq'], 10);
  assert.match(res.errors?.[0]?.message ?? '', /retention horizon \(seq 10 at /);
  const events = await f.query('{ events(after: 3) { nodes { seq } } }');
  assert.equal(events.errors?.[0]?.extensions?.['code'], 'BEFORE_RETENTION');
  assert.deepEqual(await f.query('{ rib(vrf: "red", at: 15) { seq nodes { prefix } } }'), before);
});
