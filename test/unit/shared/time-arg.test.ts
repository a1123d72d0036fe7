import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatTimePoint,
  isRibjournalError,
  parseTimeArg,
  resolveTimePoint,
} from '../../../src/shared/index.js';

const NOW = Date.UTC(2026, 10, 24, 3, 0, 0) * 1000;

test('a bare integer is a seq', () => {
  assert.deepEqual(parseTimeArg('0'), { kind: 'seq', seq: 0 });
  assert.deepEqual(parseTimeArg(' 1234 '), { kind: 'seq', seq: 1234 });
});

test('RFC 3339 with a zone, to the microsecond', () => {
  assert.deepEqual(parseTimeArg('2026-11-24T02:14:00Z'), {
    kind: 'time',
    time: Date.UTC(2026, 10, 24, 2, 14) * 1000,
  });
  assert.deepEqual(parseTimeArg('2026-11-24T02:14:00.123456Z'), {
    kind: 'time',
    time: Date.UTC(2026, 10, 24, 2, 14) * 1000 + 123_456,
  });
  assert.deepEqual(parseTimeArg('2026-11-24t02:14:00.1234567z'), {
    kind: 'time',
    time: Date.UTC(2026, 10, 24, 2, 14) * 1000 + 123_456,
  });
  assert.deepEqual(parseTimeArg('2026-11-24T04:14:00+02:00'), {
    kind: 'time',
    time: Date.UTC(2026, 10, 24, 2, 14) * 1000,
  });
  assert.deepEqual(parseTimeArg('2026-11-24T00:44:00-01:30'), {
    kind: 'time',
    time: Date.UTC(2026, 10, 24, 2, 14) * 1000,
  });
});

test('without a zone it is local time, with or without seconds, T or space', () => {
  const local = new Date(2026, 10, 24, 2, 14, 0).getTime() * 1000;
  assert.deepEqual(parseTimeArg('2026-11-24 02:14'), { kind: 'time', time: local });
  assert.deepEqual(parseTimeArg('2026-11-24T02:14:00'), { kind: 'time', time: local });
  assert.deepEqual(parseTimeArg('2026-11-24 02:14:00.5'), { kind: 'time', time: local + 500_000 });
  assert.deepEqual(parseTimeArg('2026-11-24'), {
    kind: 'time',
    time: new Date(2026, 10, 24).getTime() * 1000,
  });
});

test('relative to now: -15m, -2h, -1h30m, -90s, -1d, -250ms', () => {
  const at = (text: string): number => {
    const p = parseTimeArg(text, { nowMicros: NOW });
    assert.equal(p.kind, 'time');
    return p.kind === 'time' ? NOW - p.time : NaN;
  };
  assert.equal(at('-15m'), 15 * 60e6);
  assert.equal(at('-2h'), 2 * 3600e6);
  assert.equal(at('-1h30m'), 90 * 60e6);
  assert.equal(at('-90s'), 90e6);
  assert.equal(at('-1d'), 86400e6);
  assert.equal(at('-250ms'), 250e3);
  assert.equal(at('-0.5h'), 1800e6);
  assert.deepEqual(parseTimeArg('now', { nowMicros: NOW }), { kind: 'time', time: NOW });
});

test('anything else is BAD_ARGUMENT naming the option and the accepted forms', () => {
  for (const bad of [
    '',
    'yesterday',
    '-15',
    '15m',
    '2026-13-01T00:00:00Z',
    '2026-02-30',
    '2026-11-24T25:00',
    '1.5',
    '-1x',
  ]) {
    assert.throws(
      () => parseTimeArg(bad, { option: '--from' }),
      (err) =>
        isRibjournalError(err, 'BAD_ARGUMENT') &&
        err.message.startsWith(`--from ${JSON.stringify(bad)}`) &&
        /-15m/.test(err.message),
      bad,
    );
  }
});

test('points format for the API and resolve to seqs of a journal (clamped to its head)', async () => {
  assert.equal(formatTimePoint({ kind: 'seq', seq: 42 }), '42');
  assert.equal(
    formatTimePoint({ kind: 'time', time: Date.UTC(2026, 10, 24, 2, 14) * 1000 + 5 }),
    '2026-11-24T02:14:00.000005Z',
  );
  const seqAtTime = async (t: number): Promise<number> => (t >= 1000 ? 10 : 0);
  assert.equal(await resolveTimePoint({ kind: 'seq', seq: 42 }, 30, seqAtTime), 30);
  assert.equal(await resolveTimePoint({ kind: 'seq', seq: 3 }, 30, seqAtTime), 3);
  assert.equal(await resolveTimePoint({ kind: 'time', time: 5000 }, 30, seqAtTime), 10);
  assert.equal(await resolveTimePoint({ kind: 'time', time: 1 }, 30, seqAtTime), 0);
});
