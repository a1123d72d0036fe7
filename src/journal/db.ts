// Opening a journal's LevelDB database and mapping its errors to ours, for the journal and the offline
// tools alike.
import type { Dirent } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { RibjournalError } from '../shared/index.js';
import type { Db } from './storage.js';

export function levelCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * LevelDB's memory per database (classic-level's defaults: an 8 MiB block cache, a 4 MiB write buffer,
 * 1000 open files). A process holding many small journals (the fleet collector's replicas) sets less.
 */
export interface LevelDbTuning {
  /** Block cache, bytes. */
  readonly cacheSize?: number;
  /** Memtable size before it is written to a table file, bytes. */
  readonly writeBufferSize?: number;
  /** Table files kept open (each holds its index block in memory). */
  readonly maxOpenFiles?: number;
}

/** Opens the LevelDB database of a journal (no checks of its content). */
export async function openDb(location: string, create: boolean, tuning: LevelDbTuning = {}): Promise<Db> {
  if (create) {
    // Routes and topology are nobody else's business: owner-only, like the systemd state directory.
    try {
      await mkdir(location, { recursive: true, mode: 0o700 });
    } catch (cause) {
      const why = cause instanceof Error ? cause.message : String(cause);
      const message = `cannot create journal directory ${location}: ${why}`;
      throw new RibjournalError('JOURNAL_WRITE_FAILED', message, { cause });
    }
  } else {
    try {
      await stat(join(location, 'CURRENT'));
    } catch (cause) {
      throw new RibjournalError('JOURNAL_NOT_FOUND', `no journal at ${location}`, { cause });
    }
  }
  const db = new ClassicLevel<Buffer, Buffer>(location, {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
    createIfMissing: create,
    ...tuning,
  });
  try {
    await db.open();
  } catch (err) {
    throw openError(location, err);
  }
  return db;
}

export function openError(location: string, err: unknown): RibjournalError {
  const cause = (err as { cause?: unknown } | null)?.cause ?? err;
  const code = levelCode(cause);
  const message = cause instanceof Error ? cause.message : String(cause);
  if (code === 'LEVEL_LOCKED') {
    // LevelDB says "already held by process" when this very process has it open.
    const text = message.includes('held by process')
      ? `journal ${location} is already open in this process`
      : `journal ${location} is in use by another process (is a ribjournal daemon running on it?)`;
    return new RibjournalError('JOURNAL_LOCKED', text, { cause: err });
  }
  if (code === 'LEVEL_CORRUPTION') {
    return new RibjournalError(
      'JOURNAL_CORRUPT',
      `journal ${location}: LevelDB reports corruption: ${message}; ` +
        `\`ribjournal journal verify ${location}\` reports what is intact`,
      { cause: err },
    );
  }
  if (message.includes('does not exist')) {
    return new RibjournalError('JOURNAL_NOT_FOUND', `no journal at ${location}`, { cause: err });
  }
  // Opening writes (a new log, the manifest): an I/O error here is the same class of failure as a write.
  const readOnly = /Read-only file system|Permission denied/i.test(message)
    ? ' (LevelDB writes its lock and log files even to read: give the daemon a writable directory, or ' +
      'copy a read-only journal to writable storage for the offline commands)'
    : '';
  return new RibjournalError(
    'JOURNAL_WRITE_FAILED',
    `cannot open journal ${location}: ${message}${readOnly}`,
    {
      cause: err,
    },
  );
}

/** Bytes used by the files under `dir` (LevelDB's files; compaction may delete some as we count). */
export async function dirSize(dir: string): Promise<number> {
  let total = 0;
  let names: Dirent[];
  try {
    names = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (levelCode(err) === 'ENOENT') return 0;
    throw err;
  }
  for (const entry of names) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      total += await dirSize(path);
      continue;
    }
    try {
      total += (await stat(path)).size;
    } catch (err) {
      if (levelCode(err) !== 'ENOENT') throw err;
    }
  }
  return total;
}
