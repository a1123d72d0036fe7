// The daemon's heap growth policy (issue 10.6): an operator can turn it off or choose it; a bad value
// is refused with a clear error instead of being ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeapSpaceStatistics } from 'node:v8';
import {
  DAEMON_HEAP_GROWTH_PERCENT,
  isRibjournalError,
  limitHeapGrowth,
  limitYoungGeneration,
} from '../../../src/shared/index.js';

test('RIBJOURNAL_HEAP_GROWTH_PERCENT: unset means the daemon default, 0 leaves V8 alone, a number is used', () => {
  assert.equal(limitHeapGrowth({}), DAEMON_HEAP_GROWTH_PERCENT);
  assert.equal(limitHeapGrowth({ RIBJOURNAL_HEAP_GROWTH_PERCENT: '0' }), 0);
  assert.equal(limitHeapGrowth({ RIBJOURNAL_HEAP_GROWTH_PERCENT: '50' }), 50);
});

test('a bad RIBJOURNAL_HEAP_GROWTH_PERCENT is refused with BAD_ARGUMENT naming the variable', () => {
  for (const bad of ['x', '-1', '2.5', '5000'])
    assert.throws(
      () => limitHeapGrowth({ RIBJOURNAL_HEAP_GROWTH_PERCENT: bad }),
      (err: unknown) =>
        isRibjournalError(err, 'BAD_ARGUMENT') && /RIBJOURNAL_HEAP_GROWTH_PERCENT/.test(String(err)),
    );
});

const newSpace = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;

test('the young generation stays small while many objects survive (V8 would grow it to 32 MB)', () => {
  assert.equal(limitYoungGeneration({ RIBJOURNAL_HEAP_GROWTH_PERCENT: '0' }), false);
  assert.equal(limitYoungGeneration({}), true);
  const before = newSpace();
  let most = before;
  const kept: object[] = [];
  // What a flood does to the daemon: most of what is allocated survives (paths, index entries).
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 20_000; i++) kept.push({ i, text: `10.0.${i >> 8}.${i & 255}/32` });
    if (kept.length > 400_000) kept.splice(0, 200_000);
    most = Math.max(most, newSpace());
  }
  assert.ok(most <= Math.max(before, 4 * 2 ** 20), `new space grew from ${before} to ${most} bytes`);
});
