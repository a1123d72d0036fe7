// Storage format migrations: numbered steps in migrations/NNNN-name.ts, each taking the journal from
// format N-1 to N. A migration may re-encode stored events but keeps each one's seq, time and decoded
// content (DESIGN: journal immutability vs migrations); changes of meaning live in events/upcast.ts.
//
// Crash safety without a second copy of the journal: a migration runs in place, as a series of atomic
// LevelDB batches, each of which writes new data, deletes what it replaces and records how far the
// migration got ('smigration'), together. Before the first batch the format record is set to the
// target version, so an older build refuses the half-migrated journal instead of appending to it; a
// crash anywhere leaves a journal that the next open resumes from the recorded point. (Copying the
// directory and swapping it in would not work where the journal directory is itself a mount point,
// as in the Kubernetes DaemonSet, and would need room for two journals.)
import { RibjournalError } from '../shared/index.js';
import { FORMAT_KEY, MIGRATION_KEY, formatValue } from './storage.js';
import type { Batch, Db } from './storage.js';

/** What a migration gets to work with. */
export interface MigrationContext {
  readonly db: Db;
  readonly location: string;
  /** What an interrupted run of this migration last recorded with `commit`, or undefined. */
  readonly resumeFrom: string | undefined;
  /** Writes `batch` (synced) together with `progress`, the point a resumed run starts from. */
  commit(batch: Batch, progress: string): Promise<void>;
  /** Reports progress to whoever opened the journal (`done` of `total` units, e.g. seqs). */
  progress(done: number, total: number): void;
}

/** One numbered migration: from format `version - 1` to `version`. Must be resumable (see above). */
export interface JournalMigration {
  readonly version: number;
  readonly name: string;
  /** One line for logs: what changes in storage and why. */
  readonly description: string;
  run(ctx: MigrationContext): Promise<void>;
}

/** Progress of the migrations run by an open, for logs and terminals. */
export type MigrationEvent =
  | {
      readonly phase: 'start';
      readonly from: number;
      readonly to: number;
      readonly name: string;
      readonly description: string;
      readonly resumed: boolean;
    }
  | { readonly phase: 'progress'; readonly to: number; readonly done: number; readonly total: number }
  | { readonly phase: 'done'; readonly to: number; readonly ms: number };

interface MigrationRecord {
  readonly from: number;
  readonly to: number;
  readonly progress?: string;
}

function parseRecord(value: Buffer, location: string): MigrationRecord {
  try {
    const r = JSON.parse(value.toString('utf8')) as MigrationRecord;
    if (typeof r.from === 'number' && typeof r.to === 'number') return r;
  } catch {
    // fall through
  }
  throw new RibjournalError(
    'JOURNAL_CORRUPT',
    `journal ${location}: unreadable migration record ${JSON.stringify(value.toString('utf8'))}`,
  );
}

/**
 * Brings the journal in `db` from `stored` (its format record) to `target` by running the migrations in
 * order, resuming one that was interrupted. Returns the format reached (= target).
 */
export async function runMigrations(
  db: Db,
  location: string,
  stored: number,
  target: number,
  migrations: readonly JournalMigration[],
  onEvent?: (e: MigrationEvent) => void,
): Promise<number> {
  const pending = await db.get(MIGRATION_KEY);
  let record = pending === undefined ? undefined : parseRecord(pending, location);
  let current = record ? record.from : stored;
  while (current < target || record !== undefined) {
    const to = record?.to ?? current + 1;
    const migration = migrations.find((m) => m.version === to);
    if (migration === undefined) {
      throw new RibjournalError(
        'JOURNAL_CORRUPT',
        `journal ${location} has format ${current} and this build has no migration to format ${to}`,
      );
    }
    const started = Date.now();
    const resumed = record !== undefined;
    onEvent?.({
      phase: 'start',
      from: current,
      to,
      name: migration.name,
      description: migration.description,
      resumed,
    });
    if (!resumed) {
      // From here on an older build refuses the journal, and a crash resumes this migration.
      const begin = db.batch();
      begin.put(MIGRATION_KEY, Buffer.from(JSON.stringify({ from: current, to }), 'utf8'));
      begin.put(FORMAT_KEY, formatValue(to));
      await begin.write({ sync: true });
    }
    const from = current;
    await migration.run({
      db,
      location,
      resumeFrom: record?.progress,
      commit: async (batch, progress) => {
        batch.put(MIGRATION_KEY, Buffer.from(JSON.stringify({ from, to, progress }), 'utf8'));
        await batch.write({ sync: true });
      },
      progress: (done, total) => onEvent?.({ phase: 'progress', to, done, total }),
    });
    const end = db.batch();
    end.put(FORMAT_KEY, formatValue(to));
    end.del(MIGRATION_KEY);
    await end.write({ sync: true });
    onEvent?.({ phase: 'done', to, ms: Date.now() - started });
    current = to;
    record = undefined;
  }
  return current;
}
