// The daemon's start-up check (issue 10.1): damage among the recent events refuses start-up unless
// allowed; damage further back is found by the background verify, logged and recorded.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pino } from 'pino';
import { checkJournalOnStart } from '../../../src/journal/index.js';
import { rejectsWith } from './contract.js';
import { keysOf, open, tempDir, withRaw, writeJournal } from './helpers.js';

/** Flips a byte in the middle of the n-th block. */
async function flip(dir: string, n: number): Promise<void> {
  await withRaw(dir, async (db) => {
    const key = (await keysOf(db, 'e'))[n]!;
    const value = (await db.get(key))!;
    const at = Math.floor(value.length / 2);
    value.writeUInt8(value.readUInt8(at) ^ 0x20, at);
    await db.put(key, value, { sync: true });
  });
}

function captureLog(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) },
  );
  return { log, lines };
}

void describe('journal start-up check', () => {
  void it('refuses damage among the recent events with JOURNAL_DAMAGED, unless allowed', async (t) => {
    const dir = join(await tempDir(t), 'journal');
    await writeJournal(dir, 10, 10);
    await flip(dir, 8); // seqs 81..90
    const j = await open(t, dir);
    const { log } = captureLog();
    const err = await rejectsWith(
      () => checkJournalOnStart(j, { allowDamaged: false, log }),
      'JOURNAL_DAMAGED',
    );
    assert.match(err.message, /events 8\d\.\.90 failed their checksum\. Refusing to serve/);
    assert.match(err.message, /journal verify.*journal recover.*--allow-damaged/);

    const allowed = await open(t, join(await tempDir(t), 'other'));
    const check = await checkJournalOnStart(allowed, { allowDamaged: true, log });
    await check.background;
  });

  void it('finds older damage in the background, logs it once and records it', async (t) => {
    const dir = join(await tempDir(t), 'journal');
    await writeJournal(dir, 10, 10);
    await flip(dir, 1); // seqs 11..20
    const j = await open(t, dir);
    const { log, lines } = captureLog();
    const check = await checkJournalOnStart(j, { allowDamaged: false, log, startupEvents: 50 });
    await check.background;
    const damaged = j.health().damaged;
    assert.equal(damaged.length, 1);
    assert.equal(damaged[0]!.last, 20);
    const reported = lines.filter((l) => String(l['msg']).startsWith('journal damaged'));
    assert.equal(reported.length, 1);
    assert.equal(reported[0]!['source'], 'background verify');
    assert.equal(reported[0]!['level'], 50, 'logged as an error');
    await rejectsWith(() => j.get(20), 'JOURNAL_DAMAGED');
  });
});
