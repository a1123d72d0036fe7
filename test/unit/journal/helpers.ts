// Shared helpers of the journal tests: temp dirs cleaned even on failure, raw LevelDB access for
// damaging journals on purpose, and reading a whole journal.
import type { TestContext } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import type { Envelope, JournalEvent } from '../../../src/events/index.js';
import { openLevelJournal } from '../../../src/journal/index.js';
import type { LevelJournal, LevelJournalOptions } from '../../../src/journal/index.js';
import { FakeClock, readAll, sampleEvents } from './contract.js';

export { FakeClock, readAll, sampleEvents };

/** A fresh temp dir, removed after the test even when it fails. */
export async function tempDir(t: TestContext, prefix = 'ribjournal-ops-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Opens a journal closed after the test. */
export async function open(
  t: TestContext,
  dir: string,
  options?: LevelJournalOptions,
): Promise<LevelJournal> {
  const journal = await openLevelJournal(dir, options);
  t.after(() => journal.close());
  return journal;
}

/** Writes `appends` appends of `size` sample events each (one block per append), closes, returns them. */
export async function writeJournal(
  dir: string,
  appends: number,
  size = 1,
  options: LevelJournalOptions = {},
): Promise<Envelope[]> {
  const clock = new FakeClock();
  const j = await openLevelJournal(dir, { clock, compaction: false, ...options });
  const written: Envelope[] = [];
  try {
    for (let i = 0; i < appends; i++) {
      clock.now += 1000;
      written.push(...(await j.append(sampleEvents(size, i * size))));
    }
  } finally {
    await j.close();
  }
  return written;
}

/** Runs `fn` with a raw handle on the journal's database (the journal must be closed). */
export async function withRaw<T>(
  dir: string,
  fn: (db: ClassicLevel<Buffer, Buffer>) => Promise<T>,
): Promise<T> {
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Keys of one prefix ('e' blocks, 't' time index). */
export async function keysOf(db: ClassicLevel<Buffer, Buffer>, prefix: 'e' | 't'): Promise<Buffer[]> {
  const lo = Buffer.from(prefix);
  const hi = Buffer.from([lo[0]! + 1]);
  return db.keys({ gte: lo, lt: hi }).all();
}

export function events(envs: readonly Envelope[]): JournalEvent[] {
  return envs.map((e) => e.event);
}
