// Offline operations on a journal directory (the daemon stopped, or a copy from another host):
// verification and recovery work on the raw database, so that they also run on a journal that the
// normal open refuses as damaged, and never migrate or otherwise change what they examine.
import { cp, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { isRibjournalError } from '../shared/index.js';
import type { Envelope, EventType } from '../events/index.js';
import { isRouteEvent } from '../events/index.js';
import { recoverStore } from './copy.js';
import type { CopyOptions, RecoverResult } from './copy.js';
import { openDb } from './db.js';
import { readHeadMarker } from './head-marker.js';
import type { Journal } from './journal.js';
import { verifyStore } from './verify.js';
import type { VerifyOptions, VerifyReport } from './verify.js';

export interface OfflineOptions {
  /** Called now and then with the seq reached and the last seq expected. */
  readonly onProgress?: (seq: number, lastSeq: number) => void;
}

/** Verifies the journal in `dir` completely (see verify.ts). Refuses a journal held by a daemon. */
export async function verifyJournal(dir: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const location = resolve(dir);
  const db = await openDb(location, false);
  try {
    return await verifyStore(db, location, {
      ...options,
      headMark: options.headMark ?? (await readHeadMarker(location)),
    });
  } finally {
    await db.close();
  }
}

/**
 * Copies the intact events 1..N of the journal in `dir` into a new journal at `outDir` (copy.ts). When
 * LevelDB itself cannot read some of its files (a truncated or damaged table), a copy of the directory
 * is first repaired by LevelDB's repairer, which keeps whatever it can still read; the journal in `dir`
 * is never changed.
 */
export async function recoverJournal(
  dir: string,
  outDir: string,
  options: CopyOptions = {},
): Promise<RecoverResult> {
  const location = resolve(dir);
  let storageDamage = false;
  try {
    const db = await openDb(location, false);
    try {
      const head = await readHeadMarker(location);
      const report = await verifyStore(db, location, { headMark: head });
      storageDamage = report.problems.some((p) => p.kind === 'storage');
      if (!storageDamage) return await recoverStore(db, location, outDir, { ...options, headMark: head });
    } finally {
      await db.close();
    }
  } catch (err) {
    if (!isRibjournalError(err, 'JOURNAL_CORRUPT')) throw err;
    storageDamage = true;
  }
  const work = `${resolve(outDir)}.repair-${process.pid}`;
  await rm(work, { recursive: true, force: true });
  try {
    await cp(location, work, { recursive: true, filter: (src) => !src.endsWith('/LOCK') });
    await ClassicLevel.repair(work);
    const db = await openDb(work, false);
    try {
      const result = await recoverStore(db, location, outDir, options);
      return { ...result, repaired: true };
    } finally {
      await db.close();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Counts of one VRF's events. */
export interface VrfStatistics {
  /** "" for the global table. */
  readonly vrf: string;
  readonly events: number;
  readonly discovered: number;
  readonly vanished: number;
  readonly ipv4: number;
  readonly ipv6: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

export interface JournalStatistics {
  readonly location: string;
  readonly headSeq: number;
  readonly events: number;
  readonly firstTime: number | undefined;
  readonly lastTime: number | undefined;
  readonly sizeOnDisk: number;
  readonly byType: Readonly<Record<EventType, number>>;
  /** Per VRF with route events, by name. */
  readonly vrfs: readonly VrfStatistics[];
}

interface MutableVrfStatistics {
  vrf: string;
  events: number;
  discovered: number;
  vanished: number;
  ipv4: number;
  ipv6: number;
  firstSeq: number;
  lastSeq: number;
}

/** Folds envelopes into JournalStatistics; feed it from a read of the whole journal. */
export class StatsAccumulator {
  private readonly byType: Record<EventType, number> = {
    RouteDiscovered: 0,
    RouteVanished: 0,
    ConfigApplied: 0,
    DaemonStarted: 0,
    DaemonStopped: 0,
  };
  private readonly vrfs = new Map<string, MutableVrfStatistics>();
  private events = 0;
  private firstTime: number | undefined;
  private lastTime: number | undefined;
  private headSeq = 0;

  add(env: Envelope): void {
    this.events++;
    this.headSeq = env.seq;
    this.firstTime ??= env.time;
    this.lastTime = env.time;
    const e = env.event;
    this.byType[e.type]++;
    if (!isRouteEvent(e)) return;
    let v = this.vrfs.get(e.vrf);
    if (v === undefined) {
      v = {
        vrf: e.vrf,
        events: 0,
        discovered: 0,
        vanished: 0,
        ipv4: 0,
        ipv6: 0,
        firstSeq: env.seq,
        lastSeq: env.seq,
      };
      this.vrfs.set(e.vrf, v);
    }
    v.events++;
    v.lastSeq = env.seq;
    if (e.type === 'RouteDiscovered') v.discovered++;
    else v.vanished++;
    v[e.family]++;
  }

  result(location: string, sizeOnDisk: number): JournalStatistics {
    return {
      location,
      headSeq: this.headSeq,
      events: this.events,
      firstTime: this.firstTime,
      lastTime: this.lastTime,
      sizeOnDisk,
      byType: { ...this.byType },
      vrfs: [...this.vrfs.values()]
        .sort((a, b) => (a.vrf < b.vrf ? -1 : a.vrf > b.vrf ? 1 : 0))
        .map((v) => ({ ...v })),
    };
  }
}

/** Reads the whole journal once and counts its events per type and per VRF. */
export async function scanJournalStats(
  journal: Journal,
  options: OfflineOptions & { readonly onEnvelope?: (env: Envelope) => void } = {},
): Promise<JournalStatistics> {
  const acc = new StatsAccumulator();
  const head = journal.head();
  for await (const batch of journal.read({ through: head })) {
    for (const env of batch) {
      acc.add(env);
      options.onEnvelope?.(env);
    }
    options.onProgress?.(batch[batch.length - 1]!.seq, head);
  }
  const s = await journal.stats();
  return acc.result(journal.location, s.sizeOnDisk);
}
