// The daemon's `[journal] retention` / `max-size` (issue 9.5): journal/retention.ts trims; the RIB
// checkpoint at each new horizon comes from projections/rib/checkpoint.ts. Only a LevelDB journal trims.
import type { JournalConfig } from '../config/index.js';
import { LevelJournal } from '../journal/index.js';
import { startRetention } from '../journal/index.js';
import type { Journal, RetentionHold, RetentionTimerOptions, TrimOptions } from '../journal/index.js';
import { checkpointForHorizon } from './rib/index.js';
import { pruneDerivedThrough } from './timeline/index.js';

/**
 * The projections' part of a trim: the RIB at exactly the new horizon before anything is removed, and
 * the API's derived records at or before it dropped afterwards (a failure there is reported to `warn`
 * and mends itself: the next trim prunes everything up to its own horizon again).
 */
export function trimHooks(
  journal: Journal,
  warn: (err: unknown) => void,
): Required<Pick<TrimOptions, 'checkpoint' | 'afterRemove'>> {
  return {
    checkpoint: (seq) => checkpointForHorizon(journal, seq),
    afterRemove: async (seq) => {
      try {
        await pruneDerivedThrough(journal, seq);
      } catch (err) {
        warn(err);
      }
    },
  };
}

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
    ...trimHooks(journal, (err) =>
      (log.warn ?? log.info).call(
        log,
        { err },
        'derived data past the retention horizon not pruned; the next trim retries',
      ),
    ),
    log,
    ...(intervalMs !== undefined ? { intervalMs } : {}),
    ...(holds !== undefined ? { holds } : {}),
  });
}
