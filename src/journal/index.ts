export type * from './journal.js';
export { openLevelJournal, LevelJournal, JOURNAL_FORMAT_VERSION } from './level-journal.js';
export type { LevelJournalOptions, BackupOptions, WriteRetryOptions } from './level-journal.js';
export type { LevelDbTuning } from './db.js';
export type { WriteRecovery } from './common.js';
export { MemoryJournal } from './memory-journal.js';
export type { MemoryJournalOptions } from './memory-journal.js';
export type { ListenerErrorHandler } from './common.js';
export type { JournalMigration, MigrationContext, MigrationEvent } from './migrate.js';
export type { CopyResult, RecoverResult } from './copy.js';
export type { PassResult } from './compaction.js';
export { describeDamage } from './verify.js';
export { journalThrough } from './view.js';
export type { VerifyReport, VerifyProblem, SeqSpan } from './verify.js';
export { verifyJournal, recoverJournal, scanJournalStats } from './offline.js';
export { StatsAccumulator } from './offline.js';
export type { JournalStatistics, VrfStatistics, OfflineOptions } from './offline.js';
export { checkJournalOnStart, STARTUP_VERIFY_EVENTS } from './damage.js';
export type { DamageRegistry, DamageSource, StartupCheckOptions } from './damage.js';
export { LevelDerivedStore, MemoryDerivedStore, K_DERIVED } from './derived.js';
export type { DerivedStore, DerivedEntry, DerivedRange } from './derived.js';
export {
  LIFECYCLE_META_KEY,
  buildVersion,
  journalStarted,
  journalStopped,
  previousStopClean,
} from './lifecycle.js';
export {
  heldTarget,
  trimJournal,
  startRetention,
  retentionTarget,
  RETENTION_INTERVAL_MS,
} from './retention.js';
export type {
  RetentionHold,
  RetentionPolicy,
  RetentionTimerOptions,
  TrimOptions,
  TrimResult,
} from './retention.js';
