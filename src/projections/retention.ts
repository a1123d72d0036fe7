// The daemon's `[journal] retention` / `max-size` (issue 9.5): journal/retention.ts trims; the RIB
// checkpoint at each new horizon comes from projections/rib/checkpoint.ts. Only a LevelDB journal trims.
import type { JournalConfig } from '../config/index.js';
import { LevelJournal } from '../journal/index.js';
import { startRetention } from '../journal/index.js';
import type { RetentionHold, RetentionTimerOptions } from '../journal/index.js';
import { checkpointForHorizon } from './rib/checkpoint.js';

/** Starts the background trims `[journal]` asks for; undefined when it asks for none. */
export function startDaemonRetention(
  journal: unknown,
  config: JournalConfig | undefined,
  log: RetentionTimerOptions['log'],
  intervalMs?: number,
  holds?: readonly RetentionHold[],
): { stop(): Promise<void> } | undefined {
  if (config === undefined || !(journal instanceof LevelJournal)) return undefined;
  if (config.retentionSeconds === undefined && config.maxSizeBytes === undefined) return undefined;
  return startRetention(journal, {
    policy: { retentionSeconds: config.retentionSeconds, maxSizeBytes: config.maxSizeBytes },
    archiveDir: config.archiveDir,
    checkpoint: (seq) => checkpointForHorizon(journal, seq),
    log,
    ...(intervalMs !== undefined ? { intervalMs } : {}),
    ...(holds !== undefined ? { holds } : {}),
  });
}
