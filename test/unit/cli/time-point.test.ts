// --at in the CLI: ages are measured from the --at point; a point after the newest event says it shows
// the present (issue 13, item 5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ageReference, presentNote } from '../../../src/cli/global.js';

const NOW = Date.parse('2026-11-24T12:00:00Z') * 1000;

test('Age is measured from the --at time, from the event of an --at seq, else from now', () => {
  assert.equal(ageReference(undefined, '2026-11-24T11:00:00.000000Z', NOW), NOW);
  assert.equal(
    ageReference('2026-11-24T11:30:00.000000Z', '2026-11-24T11:00:00.000000Z', NOW),
    Date.parse('2026-11-24T11:30:00Z') * 1000,
  );
  assert.equal(
    ageReference('17', '2026-11-24T11:00:00.000000Z', NOW),
    Date.parse('2026-11-24T11:00:00Z') * 1000,
  );
  assert.equal(ageReference('2026-11-25T00:00:00.000000Z', null, NOW), NOW, 'the future is now');
});

test('a seq after the head or a time in the future is said to be the present', () => {
  assert.equal(
    presentNote('99', '42', NOW),
    '--at 99 is after the newest event (seq 42): showing the present',
  );
  assert.equal(presentNote('42', '42', NOW), undefined);
  assert.equal(
    presentNote('2026-11-25T00:00:00.000000Z', '42', NOW),
    '--at 2026-11-25T00:00:00.000000Z is in the future: showing the present (seq 42)',
  );
  assert.equal(presentNote('2026-11-24T11:00:00.000000Z', '42', NOW), undefined);
  assert.equal(presentNote(undefined, '42', NOW), undefined);
});
