// The head marker writer under a slow and a failing file system: one write at a time, failures
// retried and logged, and the marker keeps following the head (also after a clean stop).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { HeadMarker, readHeadMarker } from '../../../src/journal/head-marker.js';
import type { MarkerFs } from '../../../src/journal/head-marker.js';
import { waitFor } from '../../helpers/deadline.js';
import { open as openJournal, sampleEvents, tempDir } from './helpers.js';

/** The real fs, with every write held until `release()` and the number in flight counted. */
function slowFs(): MarkerFs & { inFlight: number; most: number; release(): void; writes: number } {
  let gate: (() => void)[] = [];
  const fs = {
    inFlight: 0,
    most: 0,
    writes: 0,
    release() {
      const g = gate;
      gate = [];
      for (const r of g) r();
    },
    open: (async (...args: Parameters<typeof open>) => {
      fs.inFlight++;
      fs.most = Math.max(fs.most, fs.inFlight);
      await new Promise<void>((r) => gate.push(r));
      return open(...args);
    }) as typeof open,
    rename: (async (from: string, to: string) => {
      try {
        await rename(from, to);
        fs.writes++;
      } finally {
        fs.inFlight--;
      }
    }) as typeof rename,
  };
  return fs;
}

/** The real fs whose renames fail with ENOENT (the story of issue 10.2) while `failing` is set. */
function enoentFs(): MarkerFs & { failing: boolean; failures: number } {
  const fs = {
    failing: true,
    failures: 0,
    open,
    rename: (async (from: string, to: string) => {
      if (fs.failing) {
        fs.failures++;
        throw Object.assign(new Error(`ENOENT: no such file or directory, rename '${from}'`), {
          code: 'ENOENT',
        });
      }
      await rename(from, to);
    }) as typeof rename,
  };
  return fs;
}

void describe('journal head marker', () => {
  void it('never starts a write while one is in flight, however slow, and ends at the last head', async (t) => {
    const dir = await tempDir(t);
    const fs = slowFs();
    const errors: unknown[] = [];
    const marker = new HeadMarker(
      dir,
      { failed: (e) => errors.push(e), recovered: () => undefined },
      { intervalMs: 1, fs },
    );
    // Commits keep coming every few ms while the first write hangs far longer than the interval.
    marker.note({ head: 1, time: 1 });
    await waitFor(() => fs.inFlight > 0, 'the first write to start');
    for (let head = 2; head <= 20; head++) {
      marker.note({ head, time: head });
      // Not a synchronisation: lets several intervals pass, in which a writer that does not wait for
      // the write in flight would start another one.
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(fs.inFlight, 1, 'exactly one write in flight');
    let flushed = false;
    const done = marker.flush().then(() => (flushed = true));
    await waitFor(() => {
      fs.release();
      return flushed;
    }, 'the final write');
    await done;
    assert.ok(fs.writes >= 2, 'the marker followed with a second write');
    assert.equal(fs.most, 1, 'never two writes at once');
    assert.deepEqual(errors, []);
    assert.equal((await readHeadMarker(dir))?.head, 20);
  });

  void it('retries a failed rename, logs it, and keeps following the head of a journal through close', async (t) => {
    const dir = join(await tempDir(t), 'journal');
    const fs = enoentFs();
    const lines: { msg: string; attempt?: number }[] = [];
    const log = pino(
      { level: 'info' },
      { write: (line: string) => lines.push(JSON.parse(line) as { msg: string; attempt?: number }) },
    );
    const j = await openJournal(t, dir, { log, headMarker: { intervalMs: 2, maxRetryMs: 5, fs } });
    await j.append(sampleEvents(10));
    await waitFor(() => fs.failures >= 3, 'the marker write to fail a few times');
    assert.ok(
      lines.some((l) => l.msg.includes('head marker not written') && (l.attempt ?? 0) >= 2),
      'each failure is logged with its attempt',
    );
    fs.failing = false;
    await waitFor(async () => (await readHeadMarker(dir))?.head === 10, 'the marker to catch up');
    assert.ok(
      lines.some((l) => l.msg.includes('written again')),
      'recovery is logged',
    );
    // Later commits are followed too, and a clean stop writes the final head.
    fs.failing = true;
    await j.append(sampleEvents(5, 10));
    await waitFor(() => fs.failures >= 5, 'more failures');
    fs.failing = false;
    await j.append(sampleEvents(5, 15));
    await j.close();
    assert.equal((await readHeadMarker(dir))?.head, 20);
  });
});
