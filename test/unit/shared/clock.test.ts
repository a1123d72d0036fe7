// formatMicros formats journal times without a Date per call: the same text as through Date, for every
// kind of time (day and year boundaries, leap days, every digit position of the fraction).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatMicros, formatMicrosByDate } from '../../../src/shared/index.js';

test('formatMicros gives the text Date gives, for boundaries and random times', () => {
  const day = 86_400_000_000;
  const times = [
    0,
    1,
    999_999,
    1_000_000,
    day - 1,
    day,
    Date.UTC(2024, 1, 29, 23, 59, 59) * 1000 + 999_999, // a leap day's last µs
    Date.UTC(2024, 2, 1) * 1000,
    Date.UTC(2026, 11, 31, 23, 59, 59) * 1000 + 123_456,
    Date.UTC(2027, 0, 1) * 1000 + 7,
    Date.UTC(2026, 10, 24, 19, 43, 39) * 1000 + 123_456,
  ];
  let x = 12345;
  for (let i = 0; i < 20_000; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    // Spread over 1970..2100, and runs of nearby times (the cached day in use).
    times.push(i % 2 === 0 ? Math.floor((x / 2 ** 31) * 4.1e15) : times[times.length - 1]! + x);
  }
  for (const t of times) assert.equal(formatMicros(t), formatMicrosByDate(t), `time ${t}`);
  assert.equal(
    formatMicros(Date.UTC(2026, 10, 24, 19, 43, 39) * 1000 + 123_456),
    '2026-11-24T19:43:39.123456Z',
  );
});

test('formatMicros of what is not a whole non-negative µs count is what Date gives', () => {
  for (const t of [-1, -86_400_000_001, 1.5, 2 ** 53 + 2])
    assert.equal(formatMicros(t), formatMicrosByDate(t));
});
