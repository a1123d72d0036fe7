// `[journal]` (issue 9.5): how long the journal keeps its events. `retention` (a duration such as "90d")
// and `max-size` (such as "2GiB") bound it; events past either are removed in whole ranges, after a RIB
// checkpoint at the new horizon, and with `archive-dir` written there first (src/journal/retention.ts).
// Absent: the journal keeps everything.
import { DURATION, DURATION_UNITS, SIZE, SIZE_UNITS, readAmount } from './fleet.js';
import type { TableReader } from './reader.js';

/** `[journal]` validated. */
export interface JournalConfig {
  /** Keep events younger than this many seconds (undefined: by age, keep all). */
  readonly retentionSeconds: number | undefined;
  /** Keep the journal under this many bytes on disk (undefined: by size, keep all). */
  readonly maxSizeBytes: number | undefined;
  /** Where the removed ranges are written first (gzip JSONL); undefined: they are dropped. */
  readonly archiveDir: string | undefined;
}

/** Reads `[journal]` from the root table; undefined when the section is absent. */
export function readJournalConfig(root: TableReader): JournalConfig | undefined {
  const t = root.table('journal');
  if (t === undefined) return undefined;
  const expectDuration = 'a duration such as "90d", "12h" or seconds';
  const retention = readAmount(t, 'retention', DURATION, DURATION_UNITS, expectDuration);
  if (retention === 0) t.report.error(t.at('retention'), 'retention must be longer than 0');
  const maxSize = readAmount(t, 'max-size', SIZE, SIZE_UNITS, 'a size such as "2GiB", "500MiB" or bytes');
  if (maxSize !== undefined && maxSize < 2 ** 20)
    t.report.error(t.at('max-size'), 'max-size must be at least 1MiB');
  const archiveDir = t.string('archive-dir');
  if (archiveDir === '') t.report.error(t.at('archive-dir'), 'archive-dir cannot be empty');
  t.finish();
  return {
    retentionSeconds: retention === 0 ? undefined : retention,
    maxSizeBytes: maxSize,
    archiveDir: archiveDir === '' ? undefined : archiveDir,
  };
}
