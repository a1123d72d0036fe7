// The daemon's heap growth policy (issue 10.6): an operator can turn it off or choose it; a bad value
// is refused with a clear error instead of being ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DAEMON_HEAP_GROWTH_PERCENT, isRibjournalError, limitHeapGrowth } from '../../../src/shared/index.js';

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
