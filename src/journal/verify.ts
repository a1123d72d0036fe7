// Full verification of a stored journal: every record's checksum and decoding, gapless seqs from 1,
// block headers, times that never go backwards, and a time index that names exactly the blocks there
// are. Never stops at the first problem (up to a cap): the report says what is intact and what can be
// read around the damage, which is what an operator needs before deciding how to recover.
import type { Envelope } from '../events/index.js';
import { RibjournalError } from '../shared/index.js';
import { BlockDamage, decodeStoredBlock } from './blocks.js';
import {
  EVENTS_HI,
  EVENTS_LO,
  FORMAT_KEY,
  JOURNAL_FORMAT_VERSION,
  MIGRATION_KEY,
  READ_BUFFER_BYTES,
  READ_CHUNK_ENTRIES,
  TIMES_HI,
  TIMES_LO,
  blockSeqOfKey,
  eventKey,
  parseBlockHeader,
  parseFormatValue,
  parseTimeKey,
  parseTimeValue,
  readHorizon,
} from './storage.js';
import type { Db, Horizon } from './storage.js';
import type { HeadMark } from './head-marker.js';

/** One thing found wrong. `seq` is the first event it affects, when it affects events. */
export interface VerifyProblem {
  readonly kind: 'format' | 'block' | 'gap' | 'overlap' | 'order' | 'index' | 'storage';
  readonly message: string;
  readonly seq?: number;
  readonly blockSeq?: number;
}

/** A range of seqs (inclusive). */
export interface SeqSpan {
  readonly first: number;
  readonly last: number;
}

export interface VerifyReport {
  readonly location: string;
  /** Storage format found (undefined when the format record is missing or unreadable). */
  readonly format: number | undefined;
  /** The format the blocks were read in: `format`, or the one they show when the record is missing. */
  readonly blockFormat: number;
  readonly ok: boolean;
  /** Events that passed every check. */
  readonly events: number;
  readonly blocks: number;
  readonly timeIndexEntries: number;
  /** Highest seq of a sound event (0 when none). */
  readonly lastSeq: number;
  /** Epoch microseconds of the first and last sound events. */
  readonly firstTime: number | undefined;
  readonly lastTime: number | undefined;
  /** Events 1..intactThrough are all present and sound. */
  readonly intactThrough: number;
  /** The first seq that is missing or damaged; undefined when every event is sound. */
  readonly firstBadSeq: number | undefined;
  /** Sound events after the first damage, as ranges. */
  readonly readableAfterDamage: readonly SeqSpan[];
  /** The first problems found (at most MAX_PROBLEMS), in the order met. */
  readonly problems: readonly VerifyProblem[];
  /** Problems found beyond those listed. */
  readonly moreProblems: number;
  /** The retention horizon (issue 9.5) when events were removed: seqs 1..seq are gone by design. */
  readonly horizon?: Horizon;
}

export interface VerifyOptions {
  /** Called now and then with the seq reached and an estimate of the last seq. */
  readonly onProgress?: (seq: number, lastSeq: number) => void;
  /** The journal's head marker (head-marker.ts): events through its head must all be there. */
  readonly headMark?: HeadMark | undefined;
}

const MAX_PROBLEMS = 100;

function isStorageError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'LEVEL_CORRUPTION' || code === 'LEVEL_IO_ERROR';
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Verifies the journal stored in an open LevelDB handle (see verifyJournal for a directory). */
export async function verifyStore(
  db: Db,
  location: string,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  let moreProblems = 0;
  const report = (p: VerifyProblem): void => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
    else moreProblems++;
  };
  const snapshot = db.snapshot();
  try {
    let rawFormat: Buffer | undefined;
    let migration: Buffer | undefined;
    let empty = false;
    try {
      rawFormat = await db.get(FORMAT_KEY, { snapshot });
      migration = await db.get(MIGRATION_KEY, { snapshot });
      empty = rawFormat === undefined && (await db.keys({ limit: 1, snapshot }).all()).length === 0;
    } catch (err) {
      if (!isStorageError(err)) throw err;
      report({
        kind: 'storage',
        seq: 1,
        message: `LevelDB cannot read the journal: ${errorText(err)} (a truncated or damaged file)`,
      });
      const scan = emptyScan();
      scan.firstBad = 1;
      return finish(location, undefined, problems, moreProblems, scan);
    }
    let format: number | undefined;
    if (rawFormat === undefined) {
      if (empty) return emptyReport(location, undefined);
      report({
        kind: 'format',
        message: 'the format record (key sformat) is missing: not a ribjournal journal, or damaged',
      });
      format = undefined;
    } else {
      format = parseFormatValue(rawFormat);
      if (Number.isNaN(format)) {
        report({
          kind: 'format',
          message: `unreadable format record ${JSON.stringify(rawFormat.toString('utf8'))}`,
        });
        format = undefined;
      } else if (format > JOURNAL_FORMAT_VERSION) {
        throw new RibjournalError(
          'JOURNAL_VERSION_NEWER',
          `journal ${location} has format version ${format}, newer than this build understands ` +
            `(${JOURNAL_FORMAT_VERSION}): verify it with a newer ribjournal`,
          { details: { version: format, supported: JOURNAL_FORMAT_VERSION } },
        );
      }
    }
    if (migration !== undefined) {
      report({
        kind: 'format',
        message:
          `a migration to format ${format ?? '?'} was interrupted (${migration.toString('utf8')}); ` +
          'opening the journal with ribjournal (any journal command but verify) finishes it',
      });
      return finish(location, format, problems, moreProblems, emptyScan());
    }
    // Without a format record (a repaired copy can lose it), the blocks say which format they are in.
    const blockFormat = format ?? (await inferFormat(db, snapshot));
    let horizon: Horizon = { seq: 0, time: 0 };
    try {
      horizon = await readHorizon(db, snapshot);
    } catch (err) {
      report({ kind: 'format', message: errorText(err) });
    }
    const scan = await scanBlocks(db, snapshot, blockFormat, report, options, horizon.seq);
    await checkTimeIndex(db, snapshot, blockFormat, scan, report, horizon.seq);
    const mark = options.headMark;
    if (mark !== undefined && mark.head > scan.lastSeq) {
      const first = scan.lastSeq + 1;
      report({
        kind: 'gap',
        seq: first,
        message:
          `events ${first}..${mark.head} were committed (the head marker says so) but no block holds them: ` +
          'a LevelDB log or table file was truncated, deleted or replaced by an older copy',
      });
      if (first < scan.firstBad) scan.firstBad = first;
    }
    const r = finish(location, format, problems, moreProblems, scan, blockFormat);
    return horizon.seq > 0 ? { ...r, horizon } : r;
  } finally {
    await snapshot.close();
  }
}

interface BlockScan {
  events: number;
  blocks: number;
  indexEntries: number;
  lastSeq: number;
  firstTime: number | undefined;
  lastTime: number | undefined;
  /** First seq affected by a problem with the events themselves (Infinity when none). */
  firstBad: number;
  /** Sound blocks: first seq, first time, count (parallel arrays). */
  seqs: number[];
  times: number[];
  counts: number[];
  /** Seqs at which damaged blocks start (their index entries cannot be checked). */
  damaged: Set<number>;
  readable: SeqSpan[];
}

function emptyScan(): BlockScan {
  return {
    events: 0,
    blocks: 0,
    indexEntries: 0,
    lastSeq: 0,
    firstTime: undefined,
    lastTime: undefined,
    firstBad: Infinity,
    seqs: [],
    times: [],
    counts: [],
    damaged: new Set(),
    readable: [],
  };
}

type Snapshot = ReturnType<Db['snapshot']>;

async function scanBlocks(
  db: Db,
  snapshot: Snapshot,
  format: number,
  report: (p: VerifyProblem) => void,
  options: VerifyOptions,
  horizon: number,
): Promise<BlockScan> {
  const scan = emptyScan();
  const bad = (p: VerifyProblem & { seq: number }): void => {
    report(p);
    if (p.seq < scan.firstBad) scan.firstBad = p.seq;
  };
  let lastKey: [Buffer, Buffer] | undefined;
  try {
    lastKey = (
      await db.iterator({ gte: EVENTS_LO, lt: EVENTS_HI, reverse: true, limit: 1, snapshot }).all()
    )[0];
  } catch (err) {
    if (!isStorageError(err)) throw err;
    // The forward scan below meets the same damage and reports it where it starts.
  }
  let estimate = lastKey === undefined ? 0 : blockSeqOfKey(lastKey[0]);
  if (lastKey !== undefined && format >= 2) {
    const header = parseBlockHeader(lastKey[1]);
    if (typeof header !== 'string') estimate += header.count - 1;
  }

  /** Extends the readable spans (only those after the first damage are reported). */
  const sound = (first: number, last: number): void => {
    const prev = scan.readable[scan.readable.length - 1];
    if (prev !== undefined && prev.last + 1 === first)
      scan.readable[scan.readable.length - 1] = { first: prev.first, last };
    else scan.readable.push({ first, last });
  };

  // Where the next block should start; undefined after a block whose extent is unknown.
  // After a retention trim the journal starts after the horizon (blocks an interrupted trim left below it
  // are ignored, as open ignores them).
  let expect: number | undefined = horizon + 1;
  let prevTime = 0;
  const out: Envelope[] = [];
  const it = db.iterator({
    gte: eventKey(horizon + 1),
    lt: EVENTS_HI,
    snapshot,
    highWaterMarkBytes: READ_BUFFER_BYTES,
  });
  try {
    for (;;) {
      let entries: [Buffer, Buffer][];
      try {
        entries = await it.nextv(READ_CHUNK_ENTRIES);
      } catch (err) {
        const at = expect ?? scan.lastSeq + 1;
        if (!isStorageError(err)) throw err;
        bad({
          kind: 'storage',
          seq: at,
          message: `LevelDB cannot read on from seq ${at}: ${errorText(err)} (a truncated or damaged file)`,
        });
        break;
      }
      if (entries.length === 0) break;
      for (const [key, value] of entries) {
        scan.blocks++;
        if (key.length !== 9) {
          report({ kind: 'block', message: `malformed event key ${key.toString('hex')}` });
          continue;
        }
        const seq = blockSeqOfKey(key);
        if (expect !== undefined && seq > expect) {
          bad({
            kind: 'gap',
            seq: expect,
            message: `seqs ${expect}..${seq - 1} are missing (no block holds them)`,
          });
        } else if (expect !== undefined && seq < expect) {
          bad({
            kind: 'overlap',
            seq,
            blockSeq: seq,
            message: `block e/${seq} overlaps the block before it (which ends at ${expect - 1})`,
          });
        }
        out.length = 0;
        try {
          const s = decodeStoredBlock(value, format, seq, out);
          if (s.firstTime < prevTime) {
            bad({ kind: 'order', seq, blockSeq: seq, message: `time goes backwards at seq ${seq}` });
          }
          prevTime = s.lastTime;
          scan.events += s.count;
          scan.seqs.push(seq);
          scan.times.push(s.firstTime);
          scan.counts.push(s.count);
          scan.firstTime ??= s.firstTime;
          scan.lastTime = s.lastTime;
          scan.lastSeq = Math.max(scan.lastSeq, seq + s.count - 1);
          sound(seq, seq + s.count - 1);
          expect = seq + s.count;
        } catch (err) {
          if (!(err instanceof BlockDamage)) throw err;
          scan.damaged.add(seq);
          // The records before the damaged one decoded and passed their checksums.
          const intact = err.seq - seq;
          if (intact > 0) {
            scan.events += intact;
            sound(seq, err.seq - 1);
            scan.lastSeq = Math.max(scan.lastSeq, err.seq - 1);
          }
          bad({
            kind: 'block',
            seq: err.seq,
            blockSeq: seq,
            message:
              `block e/${seq} is damaged: ${err.message}` +
              (intact > 0 ? ` (seqs ${seq}..${err.seq - 1} in it are sound)` : ''),
          });
          expect = undefined;
        }
      }
      options.onProgress?.(expect ?? scan.lastSeq, Math.max(estimate, scan.lastSeq));
    }
  } finally {
    await it.close();
  }
  return scan;
}

async function checkTimeIndex(
  db: Db,
  snapshot: Snapshot,
  format: number,
  scan: BlockScan,
  report: (p: VerifyProblem) => void,
  horizon: number,
): Promise<void> {
  const indexed = new Map<number, { time: number; count: number | undefined }>();
  let prevSeq = 0;
  const it = db.iterator({ gte: TIMES_LO, lt: TIMES_HI, snapshot, highWaterMarkBytes: READ_BUFFER_BYTES });
  try {
    for (;;) {
      let entries: [Buffer, Buffer][];
      try {
        entries = await it.nextv(READ_CHUNK_ENTRIES);
      } catch (err) {
        if (!isStorageError(err)) throw err;
        report({ kind: 'storage', message: `LevelDB cannot read the time index: ${errorText(err)}` });
        return;
      }
      if (entries.length === 0) break;
      for (const [key, value] of entries) {
        scan.indexEntries++;
        if (key.length !== 17) {
          report({ kind: 'index', message: `malformed time index key ${key.toString('hex')}` });
          continue;
        }
        const { time, seq } = parseTimeKey(key);
        if (seq <= horizon) {
          scan.indexEntries--;
          continue;
        }
        if (seq <= prevSeq) {
          report({
            kind: 'index',
            blockSeq: seq,
            message: `time index orders seq ${seq} after seq ${prevSeq}`,
          });
        }
        prevSeq = Math.max(prevSeq, seq);
        const count = format >= 2 ? parseTimeValue(value) : undefined;
        if (format >= 2 && count === undefined) {
          report({
            kind: 'index',
            blockSeq: seq,
            message: `time index entry of block e/${seq} has a malformed value`,
          });
        }
        if (indexed.has(seq))
          report({ kind: 'index', blockSeq: seq, message: `time index names block e/${seq} twice` });
        indexed.set(seq, { time, count });
      }
    }
  } finally {
    await it.close();
  }
  for (let i = 0; i < scan.seqs.length; i++) {
    const seq = scan.seqs[i]!;
    const entry = indexed.get(seq);
    indexed.delete(seq);
    if (entry === undefined) {
      report({ kind: 'index', blockSeq: seq, message: `time index has no entry for block e/${seq}` });
    } else if (entry.time !== scan.times[i]) {
      report({
        kind: 'index',
        blockSeq: seq,
        message: `time index entry of block e/${seq} has the wrong time`,
      });
    } else if (format >= 2 && entry.count !== undefined && entry.count !== scan.counts[i]) {
      report({
        kind: 'index',
        blockSeq: seq,
        message: `time index says block e/${seq} holds ${entry.count} events; it holds ${scan.counts[i]}`,
      });
    }
  }
  for (const seq of scan.damaged) indexed.delete(seq);
  for (const seq of indexed.keys()) {
    report({
      kind: 'index',
      blockSeq: seq,
      message: `time index names block e/${seq}, which does not exist`,
    });
  }
}

/** The format of the first block: a format-2 header is recognisable (magic and checksum); else 1. */
export async function inferFormat(db: Db, snapshot?: Snapshot): Promise<number> {
  try {
    const first = await db
      .iterator({ gte: EVENTS_LO, lt: EVENTS_HI, limit: 1, ...(snapshot ? { snapshot } : {}) })
      .all();
    const value = first[0]?.[1];
    if (value === undefined) return JOURNAL_FORMAT_VERSION;
    return typeof parseBlockHeader(value) === 'string' ? 1 : 2;
  } catch (err) {
    if (!isStorageError(err)) throw err;
    return JOURNAL_FORMAT_VERSION;
  }
}

function emptyReport(location: string, format: number | undefined): VerifyReport {
  return finish(location, format, [], 0, emptyScan());
}

function finish(
  location: string,
  format: number | undefined,
  problems: VerifyProblem[],
  moreProblems: number,
  scan: BlockScan,
  blockFormat = format ?? JOURNAL_FORMAT_VERSION,
): VerifyReport {
  const firstBadSeq = Number.isFinite(scan.firstBad) ? scan.firstBad : undefined;
  const intactThrough = firstBadSeq === undefined ? scan.lastSeq : firstBadSeq - 1;
  const readableAfterDamage =
    firstBadSeq === undefined
      ? []
      : scan.readable
          .filter((s) => s.last > firstBadSeq)
          .map((s) => ({ first: Math.max(s.first, firstBadSeq + 1), last: s.last }))
          .filter((s) => s.first <= s.last);
  return {
    location,
    format,
    blockFormat,
    ok: problems.length === 0 && moreProblems === 0,
    events: scan.events,
    blocks: scan.blocks,
    timeIndexEntries: scan.indexEntries,
    lastSeq: scan.lastSeq,
    firstTime: scan.firstTime,
    lastTime: scan.lastTime,
    intactThrough,
    firstBadSeq,
    readableAfterDamage,
    problems,
    moreProblems,
  };
}

/** One paragraph for a person: what is intact, what is damaged, what can still be read. */
export function describeDamage(r: VerifyReport): string {
  const from = (r.horizon?.seq ?? 0) + 1;
  if (r.ok) return `journal ${r.location} is sound: ${r.events} events (seqs ${from}..${r.lastSeq})`;
  const parts: string[] = [];
  if (r.firstBadSeq !== undefined) {
    parts.push(
      r.intactThrough > 0
        ? `events ${from}..${r.intactThrough} are intact`
        : 'no event before the damage is intact',
    );
    const first = r.problems.find((p) => p.seq !== undefined && p.seq === r.firstBadSeq) ?? r.problems[0];
    if (first) parts.push(first.message);
    const after = r.readableAfterDamage.reduce((n, s) => n + s.last - s.first + 1, 0);
    if (after > 0) {
      const spans = r.readableAfterDamage
        .slice(0, 3)
        .map((s) => (s.first === s.last ? `${s.first}` : `${s.first}..${s.last}`));
      parts.push(
        `${after} events after the damage are readable (seqs ${spans.join(', ')}${r.readableAfterDamage.length > 3 ? ', ...' : ''})`,
      );
    }
  } else {
    parts.push(`all ${r.events} events are intact`);
    const first = r.problems[0];
    if (first) parts.push(first.message);
  }
  const others = r.problems.length + r.moreProblems - 1;
  if (others > 0) parts.push(`${others} more problem${others === 1 ? '' : 's'}`);
  return `journal ${r.location}: ${parts.join('; ')}`;
}
