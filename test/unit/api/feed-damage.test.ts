// Damage found while a routeChanges subscription runs ends it with JOURNAL_DAMAGED (issue 10.1): the
// changes it follows are computed against a RIB derived through the damaged range.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SeqRange } from '../../../src/journal/index.js';
import { MemoryJournal } from '../../../src/journal/index.js';
import { discovered, fixture } from './fixture.js';

test('a live subscription ends with JOURNAL_DAMAGED when the journal finds damage', async (t) => {
  const journal = new MemoryJournal();
  const listeners = new Set<(span: SeqRange) => void>();
  const damaged: SeqRange[] = [];
  Object.assign(journal, {
    onDamage(l: (span: SeqRange) => void) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    health: () => ({ damaged, damagedEvents: damaged.length }),
  });
  const f = await fixture({ journal });
  t.after(() => f.close());
  await f.append(discovered('', '192.0.2.1/32', 'kubelb0', 3));
  const sub = f.yoga.feed.subscribe({ vrf: undefined, prefix: undefined, moreSpecific: false }, undefined);
  damaged.push({ first: 1, last: 1 });
  for (const l of listeners) l({ first: 1, last: 1 });
  const r = await sub.next();
  assert.equal(r.done, false);
  const item = r.value as { error?: { code: string; details?: Record<string, unknown> } };
  assert.equal(item.error?.code, 'JOURNAL_DAMAGED');
  assert.equal(item.error?.details?.['damagedFirstSeq'], '1');
  assert.equal(f.yoga.feed.size, 0, 'the subscription is gone');
});
