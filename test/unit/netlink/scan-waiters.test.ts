import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScanWaiters } from '../../../src/netlink/index.js';
import type { KernelChange, ObserverBatch } from '../../../src/netlink/index.js';
import { RibjournalError } from '../../../src/shared/index.js';

const snapshot = (reason: 'start' | 'scan' | 'resync'): KernelChange => ({
  kind: 'snapshot',
  reason,
  links: [],
  addresses: [],
});
const batch = (receivedAt: number, ...changes: KernelChange[]): ObserverBatch => ({ changes, receivedAt });

function setup() {
  let now = 1000;
  let scans = 0;
  const timers: { fn: () => void; cleared: boolean }[] = [];
  const waiters = new ScanWaiters({
    requestScan: () => scans++,
    nowMicros: () => now,
    timeoutMs: 30_000,
    setTimer: (fn) => {
      const t = { fn, cleared: false };
      timers.push(t);
      return t;
    },
    clearTimer: (h) => ((h as { cleared: boolean }).cleared = true),
  });
  return {
    waiters,
    timers,
    scans: () => scans,
    at: (t: number) => (now = t),
  };
}

test('a forced scan asks the observer and is answered by the first full scan that began after it', async () => {
  const s = setup();
  const p = s.waiters.requestScan();
  assert.equal(s.scans(), 1);
  assert.deepEqual(s.waiters.answeredBy(batch(999, snapshot('scan'))), [], 'a scan that began before');
  assert.deepEqual(s.waiters.answeredBy(batch(2000)), [], 'notifications only');
  assert.deepEqual(s.waiters.answeredBy(batch(2000, snapshot('start'))), [], 'the start-up dump');
  const delta: KernelChange = {
    kind: 'snapshot',
    reason: 'scan',
    links: [],
    addresses: [],
    gone: { links: [], addresses: [] },
  };
  assert.deepEqual(s.waiters.answeredBy(batch(2000, delta)), [], "a periodic scan's delta");
  const answered = s.waiters.answeredBy(batch(1000, snapshot('scan')));
  assert.equal(answered.length, 1);
  answered[0]!.resolve(7);
  assert.equal(await p, 7);
  assert.equal(s.timers[0]!.cleared, true);
  assert.equal(s.waiters.size, 0);
});

test('a resync answers too; waiters who asked later wait for the next scan', async () => {
  const s = setup();
  const first = s.waiters.requestScan();
  s.at(5000);
  const second = s.waiters.requestScan();
  const a = s.waiters.answeredBy(batch(3000, snapshot('resync')));
  assert.equal(a.length, 1);
  a[0]!.resolve(0);
  assert.equal(await first, 0);
  assert.equal(s.waiters.size, 1);
  const b = s.waiters.answeredBy(batch(6000, snapshot('scan')));
  b[0]!.resolve(2);
  assert.equal(await second, 2);
});

test('a scan that never comes fails after the timeout with NETLINK_FAILED; stop fails the rest', async () => {
  const s = setup();
  const p = s.waiters.requestScan();
  s.timers[0]!.fn();
  await assert.rejects(p, (e: unknown) => e instanceof RibjournalError && e.code === 'NETLINK_FAILED');
  assert.equal(s.waiters.size, 0);
  const q = s.waiters.requestScan();
  s.waiters.rejectAll(new RibjournalError('NETLINK_FAILED', 'the daemon is stopping'));
  await assert.rejects(q, /stopping/);
});
