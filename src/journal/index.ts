export type * from './journal.js';
export { openLevelJournal, LevelJournal, JOURNAL_FORMAT_VERSION } from './level-journal.js';
export type { LevelJournalOptions } from './level-journal.js';
export { MemoryJournal } from './memory-journal.js';
export type { MemoryJournalOptions } from './memory-journal.js';
export type { ListenerErrorHandler } from './common.js';
