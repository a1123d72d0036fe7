// Retention holds (issue 11): a reader that has not taken events yet (the fleet publisher's durable
// cursor) keeps them, whatever the policy wants; the lowest hold wins and is named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heldTarget } from '../../../src/journal/retention.js';

const hold = (name: string, seq: number): { name: string; seq: () => Promise<number> } => ({
  name,
  seq: () => Promise.resolve(seq),
});

test('the policy target is held back at the lowest hold, which is named', async () => {
  assert.deepEqual(await heldTarget(900, []), { through: 900 });
  assert.deepEqual(await heldTarget(900, [hold('p', 1000)]), { through: 900 }, 'a hold past the target');
  assert.deepEqual(await heldTarget(900, [hold('p', 900)]), { through: 900 }, 'a hold at the target');
  assert.deepEqual(await heldTarget(900, [hold('p', 500), hold('q', 300)]), { through: 300, heldBy: 'q' });
  assert.deepEqual(await heldTarget(900, [hold('p', 0)]), { through: 0, heldBy: 'p' }, 'nothing published');
});
