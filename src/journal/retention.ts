// Retention (issue 9.5): events older than `[journal] retention` or beyond `max-size` are removed in whole
// blocks. Order matters, so that nothing is lost or misreported at any point of an interruption:
//   1. the horizon is the end of the newest whole block at or before the wanted seq (never the head);
//   2. the caller's checkpoint hook persists the RIB at exactly the horizon (start-up and time travel
//      from the horizon on stay exact: projections/rib/checkpoint.ts checkpointForHorizon);
//   3. with an archive directory, the removed range is written there first as gzip JSONL (the lines of
//      `journal export --format jsonl`), to a temporary name renamed once complete and synced:
//      `<firstSeq>-<lastSeq>-<firstTime>-<lastTime>.jsonl.gz`, times in epoch microseconds;
//   4. the horizon is recorded, the blocks deleted and LevelDB's files compacted (level-journal.ts).
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { envelopeToJson } from '../events/index.js';
import { RibjournalError } from '../shared/index.js';
import type { LevelJournal } from './level-journal.js';

/** What bounds the journal; either may be absent. */
export interface RetentionPolicy {
  /** Keep events younger than this many seconds. */
  readonly retentionSeconds?: number | undefined;
  /** Keep the journal's directory under this many bytes. */
  readonly maxSizeBytes?: number | undefined;
}

export interface TrimOptions {
  /** Where to write the removed range first (gzip JSONL); absent: the events are dropped. */
  readonly archiveDir?: string | undefined;
  /** Persists the RIB at exactly `seq` before anything is removed (checkpointForHorizon). */
  readonly checkpoint: (seq: number) => Promise<void>;
  /**
   * Runs after the events are removed, before the size is measured: the projections drop their derived
   * records at or before the new horizon (projections/timeline/prune.ts), which no query reaches now.
   */
  readonly afterRemove?: (seq: number) => Promise<void>;
}

/** What a trim did. */
export interface TrimResult {
  /** The new horizon: events 1..seq are gone; `time` is the last removed event's. */
  readonly horizon: { readonly seq: number; readonly time: number };
  /** Events removed by this trim (previous horizon + 1 .. horizon). */
  readonly removed: number;
  readonly firstSeq: number;
  readonly firstTime: number;
  /** The archive file written, when there was an archive directory. */
  readonly archive?: string;
  readonly sizeBefore: number;
  readonly sizeAfter: number;
}

/**
 * The seq through which the policy wants events removed at `nowMicros` (0: none): the newest event older
 * than the retention, or the seq that brings the size under max-size (estimated from the mean stored
 * size of an event), whichever is later.
 */
export async function retentionTarget(
  journal: LevelJournal,
  policy: RetentionPolicy,
  nowMicros: number,
): Promise<number> {
  let target = 0;
  if (policy.retentionSeconds !== undefined) {
    const cutoff = nowMicros - policy.retentionSeconds * 1e6;
    // seqAtTime: the last event at or before the time; strictly older than the cutoff is what goes.
    if (cutoff > 0) target = Math.max(target, await journal.seqAtTime(cutoff - 1));
  }
  if (policy.maxSizeBytes !== undefined) {
    const stats = await journal.stats();
    if (stats.sizeOnDisk > policy.maxSizeBytes && stats.events > 0) {
      const perEvent = stats.sizeOnDisk / stats.events;
      const excess = Math.ceil((stats.sizeOnDisk - policy.maxSizeBytes) / perEvent);
      target = Math.max(target, journal.horizon().seq + excess);
    }
  }
  return Math.min(target, journal.head() - 1);
}

/** The end of the newest whole stored block at or before `through` (and below the head); 0 when none. */
export async function blockBoundary(journal: LevelJournal, through: number): Promise<number> {
  const limit = Math.min(through, journal.head() - 1);
  if (limit <= journal.horizon().seq) return 0;
  let best = 0;
  for (const b of await journal.blocksThrough(limit)) {
    const end = b.seq + b.count - 1;
    if (end <= limit) best = end;
  }
  return best;
}

/**
 * Removes events through the end of the newest whole block at or before `through`; undefined when
 * there is no such block after the current horizon. See the file comment for the order of the steps.
 */
export async function trimJournal(
  journal: LevelJournal,
  through: number,
  options: TrimOptions,
): Promise<TrimResult | undefined> {
  const previous = journal.horizon();
  const horizon = await blockBoundary(journal, through);
  if (horizon <= previous.seq) return undefined;
  const sizeBefore = (await journal.stats()).sizeOnDisk;
  const first = await journal.get(previous.seq + 1);
  const last = await journal.get(horizon);
  if (first === undefined || last === undefined)
    throw new RibjournalError(
      'JOURNAL_CORRUPT',
      `journal ${journal.location}: seqs ${previous.seq + 1}..${horizon} cannot be read`,
    );
  await options.checkpoint(horizon);
  let archive: string | undefined;
  if (options.archiveDir !== undefined) {
    archive = join(options.archiveDir, `${first.seq}-${last.seq}-${first.time}-${last.time}.jsonl.gz`);
    await writeArchive(journal, previous.seq, horizon, archive);
  }
  await journal.removeThrough(horizon, last.time);
  await options.afterRemove?.(horizon);
  return {
    horizon: { seq: horizon, time: last.time },
    removed: horizon - previous.seq,
    firstSeq: first.seq,
    firstTime: first.time,
    ...(archive !== undefined ? { archive } : {}),
    sizeBefore,
    sizeAfter: (await journal.stats()).sizeOnDisk,
  };
}

/** Writes events (after, through] as gzip JSONL to `file`, atomically (temporary name, fsync, rename). */
async function writeArchive(
  journal: LevelJournal,
  after: number,
  through: number,
  file: string,
): Promise<void> {
  const dir = join(file, '..');
  const tmp = `${file}.partial`;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await pipeline(
      async function* lines() {
        for await (const batch of journal.read({ after, through })) {
          let text = '';
          for (const env of batch) text += JSON.stringify(envelopeToJson(env)) + '\n';
          yield text;
        }
      },
      createGzip(),
      createWriteStream(tmp, { mode: 0o600 }),
    );
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch (err) {
    await rm(tmp, { force: true });
    if (err instanceof RibjournalError) throw err;
    throw new RibjournalError(
      'JOURNAL_WRITE_FAILED',
      `cannot write the archive ${file}: ${err instanceof Error ? err.message : String(err)}; nothing was removed`,
      { cause: err },
    );
  }
}

/**
 * A reader that must still see events after `seq` (e.g. the fleet publisher's durable cursor): retention
 * removes nothing after it, whatever the policy wants.
 */
export interface RetentionHold {
  readonly name: string;
  /** The last seq the holder no longer needs (durably so). */
  seq(): Promise<number>;
}

/** The policy's target held back at the lowest hold: what may go, and which hold (if any) held it. */
export async function heldTarget(
  target: number,
  holds: readonly RetentionHold[],
): Promise<{ through: number; heldBy?: string }> {
  let through = target;
  let heldBy: string | undefined;
  for (const h of holds) {
    const seq = await h.seq();
    if (seq < through) {
      through = seq;
      heldBy = h.name;
    }
  }
  return heldBy === undefined ? { through } : { through, heldBy };
}

/** What the daemon needs to apply `[journal] retention` / `max-size` by itself. */
export interface RetentionTimerOptions extends TrimOptions {
  readonly policy: RetentionPolicy;
  /** Pino-like logger (a child with the journal's topic). */
  readonly log: {
    info(obj: object, msg: string): void;
    warn?(obj: object, msg: string): void;
    error(obj: object, msg: string): void;
  };
  /** Readers whose unread events are kept (the fleet publisher). */
  readonly holds?: readonly RetentionHold[];
  /** How often the policy is checked (default hourly; the first check one interval after start). */
  readonly intervalMs?: number;
  readonly nowMicros?: () => number;
}

/** Default period of the daemon's retention check. */
export const RETENTION_INTERVAL_MS = 3_600_000;

/**
 * Applies the policy now and then in the background: one trim at a time, failures logged (the journal
 * carries on untrimmed and the next check tries again). `stop` waits for a running trim.
 */
export function startRetention(
  journal: LevelJournal,
  o: RetentionTimerOptions,
): { check(): Promise<TrimResult | undefined>; stop(): Promise<void> } {
  if (o.policy.retentionSeconds === undefined && o.policy.maxSizeBytes === undefined)
    return { check: () => Promise.resolve(undefined), stop: () => Promise.resolve() };
  let running: Promise<TrimResult | undefined> | undefined;
  let stopped = false;
  const check = (): Promise<TrimResult | undefined> => {
    running ??= (async () => {
      try {
        if (stopped) return undefined;
        const now = o.nowMicros?.() ?? Date.now() * 1000;
        const wanted = await retentionTarget(journal, o.policy, now);
        const { through, heldBy } = await heldTarget(wanted, o.holds ?? []);
        if (heldBy !== undefined && wanted > journal.horizon().seq)
          (o.log.warn ?? o.log.info).call(
            o.log,
            { wanted, heldAt: through, heldBy },
            `journal retention held back: ${heldBy} has not yet taken events after seq ${through}`,
          );
        const r = through > journal.horizon().seq ? await trimJournal(journal, through, o) : undefined;
        if (r !== undefined)
          o.log.info(
            {
              horizon: r.horizon.seq,
              removed: r.removed,
              archive: r.archive,
              sizeBefore: r.sizeBefore,
              sizeAfter: r.sizeAfter,
            },
            'journal retention removed events',
          );
        return r;
      } catch (err) {
        o.log.error({ err }, 'journal retention failed; nothing was removed past the horizon it recorded');
        return undefined;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const timer = setInterval(() => void check(), o.intervalMs ?? RETENTION_INTERVAL_MS);
  timer.unref();
  return {
    check,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
