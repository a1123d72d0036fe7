// Lifecycle events (issue 9.6): each start and clean stop of the daemon is journaled, so the windows when
// nothing was watching are part of the history. An unclean stop (SIGKILL, crash, power loss) cannot
// journal anything: it is found at the next start, because no DaemonStopped follows the last
// DaemonStarted, and recorded in the next DaemonStarted. A small meta record ('lifecycle', derived data
// like checkpoints) says whether a run is in progress, so a start never scans the journal for that.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DaemonStarted, Envelope } from '../events/index.js';
import { isLifecycleEvent } from '../events/index.js';
import type { Journal } from './journal.js';

/** The meta key of the run marker. */
export const LIFECYCLE_META_KEY = 'lifecycle';

/** Events read back from the head when the marker is missing (a journal copied without its meta). */
const TAIL_SCAN = 10_000;

type RunState = 'running' | 'stopped';

function parseMark(value: Buffer | undefined): RunState | undefined {
  const text = value?.toString('utf8');
  return text === 'running' || text === 'stopped' ? text : undefined;
}

/**
 * Whether the previous run stopped cleanly: true when the journal's last lifecycle event is a
 * DaemonStopped, false when it is a DaemonStarted (nothing journaled the stop), null when the journal
 * holds no lifecycle event (its first start, or one written before lifecycle events).
 */
export async function previousStopClean(journal: Journal): Promise<boolean | null> {
  const head = journal.head();
  if (head === 0) return null;
  const mark = parseMark(await journal.getMeta(LIFECYCLE_META_KEY));
  if (mark === 'stopped') return true;
  if (mark === 'running') {
    // A stop may have been journaled just before the process died, before the marker was updated.
    return (await journal.get(head))?.event.type === 'DaemonStopped';
  }
  let last: Envelope | undefined;
  for await (const batch of journal.read({ after: Math.max(0, head - TAIL_SCAN) })) {
    for (const env of batch) if (isLifecycleEvent(env.event)) last = env;
  }
  return last === undefined ? null : last.event.type === 'DaemonStopped';
}

/** Journals a DaemonStarted (finding out how the previous run ended) and marks a run in progress. */
export async function journalStarted(
  journal: Journal,
  run: { readonly buildVersion: string; readonly configVersion: number },
): Promise<Envelope<DaemonStarted>> {
  const clean = await previousStopClean(journal);
  // Marked before the append: a crash right after the append is then found at the next start.
  await journal.putMeta(LIFECYCLE_META_KEY, Buffer.from('running'));
  const event: DaemonStarted = { type: 'DaemonStarted', ...run, previousStopClean: clean };
  const [env] = await journal.append([event]);
  return env as Envelope<DaemonStarted>;
}

/** Journals a DaemonStopped (the last event of a clean run) and marks the run as ended. */
export async function journalStopped(
  journal: Journal,
  run: { readonly buildVersion: string; readonly reason: string },
): Promise<void> {
  await journal.append([{ type: 'DaemonStopped', ...run }]);
  await journal.putMeta(LIFECYCLE_META_KEY, Buffer.from('stopped'));
}

let version: string | undefined;

/** The version of this build (package.json's), for lifecycle events. */
export function buildVersion(): string {
  if (version !== undefined) return version;
  version = 'unknown';
  // From src/journal (tsx) or dist/src/journal (tsc): the nearest package.json up the tree is ours.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown };
      if (typeof pkg.version === 'string') version = pkg.version;
      break;
    } catch {
      dir = dirname(dir);
    }
  }
  return version;
}
