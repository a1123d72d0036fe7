// Issue 10.6: a daemon too busy to read its observer (a flood) must not find a pile of full snapshots
// waiting for it afterwards: the child skips periodic scans while its earlier batches are unread, and
// (issue 9.3) a periodic scan carries only its difference from the previous dump.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSnapshot, lab } from './harness.js';

/** Blocks this process's event loop (the daemon busy elsewhere); not a wait for anything. */
function busyFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

test('periodic scans are skipped while the parent does not read: no pile of snapshots behind a busy daemon', async (t) => {
  const SCAN_MS = 100;
  const BUSY_MS = 1500;
  const { recorder } = await lab(t, {
    scanIntervalMs: SCAN_MS,
    // Snapshots larger than the IPC pipe's buffer (~10k addresses, ~150 KB packed), so that one
    // unread snapshot is a backlog.
    before: async (ns) => {
      const lines: string[] = [];
      for (let i = 0; i < 10_000; i++)
        lines.push(
          `addr add 10.${60 + (i >> 14)}.${(i >> 7) & 127}.${(i & 127) + 1}/32 dev ${i % 2 ? 'a' : 'b'}`,
        );
      await ns.batch(lines);
    },
  });
  // Scans are running; then the parent stops reading for a while.
  await recorder.waitForChange('a periodic scan', isSnapshot('scan'), recorder.mark(), 10_000);
  const mark = recorder.mark();
  const nowMicros = (): number => (performance.timeOrigin + performance.now()) * 1000;
  const busyStart = nowMicros();
  busyFor(BUSY_MS);
  const busyEnd = nowMicros();
  // The channel keeps order: once a scan begun after the busy time arrives, all queued ones are here.
  const scans = (): (typeof recorder.changes)[number][] =>
    recorder.changes.slice(mark).filter((c) => c.change.kind === 'snapshot');
  await recorder.waitUntil(
    'a scan begun after the busy time',
    () => scans().some((c) => c.batch.receivedAt > busyEnd),
    10_000,
  );
  const during = scans().filter((c) => c.batch.receivedAt >= busyStart && c.batch.receivedAt <= busyEnd);
  // What waited for the parent: the addresses those scans carried (a whole snapshot carries 10k).
  let carried = 0;
  for (const { change } of during)
    if (change.kind === 'snapshot') carried += change.addresses.length + (change.gone?.addresses.length ?? 0);
  assert.ok(
    carried <= 3 * 10_000,
    `at most a few snapshots' worth of addresses waited during ${BUSY_MS} ms of a ${SCAN_MS} ms scan interval while the parent did not read (got ${carried} in ${during.length} scans; whole snapshots without the backlog check: about ${(BUSY_MS / SCAN_MS) * 10_000})`,
  );
});
