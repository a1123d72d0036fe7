// Composition root: opens the journal, replays it into the projections, applies the config, starts the
// kernel observer and feeds its changes through the import mapping into the journal.
import type { Logger } from 'pino';
import { startSpeaker, type Speaker } from './bgp/index.js';
import type { Config } from './config/index.js';
import type { Envelope, JournalEvent } from './events/index.js';
import { vrfDisplayName } from './events/index.js';
import { ImportState, configSnapshot, sameEffectiveConfig } from './import/index.js';
import type { Journal } from './journal/index.js';
import { openLevelJournal } from './journal/index.js';
import type { KernelChange, KernelObserver, ObserverBatch } from './netlink/index.js';
import { createKernelObserver } from './netlink/index.js';
import { createApiIndexes } from './api/index.js';
import type { ApiIndexes } from './api/index.js';
import { Rib, replayAndFollow } from './projections/index.js';
import { RibjournalError } from './shared/index.js';

/** How long a batch with a link going down waits for the deletion that may follow it. */
const LINK_DOWN_HOLD_MS = 15;

export interface DaemonOptions {
  readonly config: Config;
  readonly journalDir: string;
  readonly log: Logger;
  /** Observe the interfaces of this network namespace instead of our own (tests, containers). */
  readonly netns?: string;
  /** An already open journal (tests); journalDir is then ignored. */
  readonly journal?: Journal;
  /** Called once the journal is open, before replay: lets a caller follow every commit from the start. */
  readonly onJournalOpen?: (journal: Journal) => void;
}

/** A running ribjournal: what the API, BGP and CLI `serve` build on. */
export interface Daemon {
  readonly journal: Journal;
  readonly rib: Rib;
  readonly observer: KernelObserver;
  /** The config in force (changes on reload). */
  readonly config: Config;
  /** History and timeline indexes for the API; caught up in the background after start-up. */
  readonly indexes: ApiIndexes;
  /**
   * Applies a new, already validated config without a restart: routes move or are withdrawn, and
   * the change is journaled (ConfigApplied) before the route events it causes. Returns whether the
   * effective config changed.
   */
  reload(config: Config): Promise<boolean>;
  /** The BGP speaker (neighbors for the API); undefined when `[global.config]` is absent (BGP off). */
  readonly bgp: Speaker | undefined;
  /** True once the journal is replayed and the first kernel reconcile is journaled. */
  readonly ready: boolean;
  /** Resolves when every route event caused so far is committed. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const log = opts.log;
  const journal = opts.journal ?? (await openLevelJournal(opts.journalDir));
  const jlog = log.child({ topic: 'journal' });
  const nlog = log.child({ topic: 'netlink' });
  opts.onJournalOpen?.(journal);
  const rib = new Rib();
  let observer: KernelObserver | undefined;
  let unfollow: (() => void) | undefined;
  try {
    const started = Date.now();
    unfollow = await replayAndFollow(journal, [rib]);
    jlog.info({ seq: rib.seq, paths: rib.size(), ms: Date.now() - started }, 'journal replayed');

    // The API's history and timeline indexes replay on their own, so start-up (kernel reconcile, BGP)
    // waits only for the RIB; /readyz waits for them too.
    const indexes = createApiIndexes(journal);
    let indexesCaughtUp = false;
    let unfollowIndexes: (() => void) | undefined;
    const indexesFollowing = replayAndFollow(journal, indexes.projections).then(
      (u) => {
        unfollowIndexes = u;
        indexesCaughtUp = true;
        jlog.info({ seq: journal.head(), ms: Date.now() - started }, 'API indexes caught up');
      },
      (err: unknown) => jlog.error({ err }, 'API indexes failed to replay'),
    );

    let config = opts.config;
    let configVersion = rib.config?.configVersion ?? 0;
    const snapshot = configSnapshot(config, configVersion + 1);
    if (!sameEffectiveConfig(rib.config, snapshot)) {
      const [env] = await journal.append([snapshot]);
      configVersion = snapshot.configVersion;
      jlog.info({ seq: env?.seq, configVersion }, 'config applied');
    }

    const state = new ImportState(config);
    state.loadJournaled(rib.allPaths());
    const ilog = log.child({ topic: 'import' });
    const logNotices = (): void => {
      for (const n of state.takeNotices()) {
        ilog.warn({ code: n.code, interface: n.interface, device: n.device, vrf: n.vrf }, n.message);
      }
    };
    logNotices();

    let inFlight: Promise<unknown> = Promise.resolve();
    let failed: unknown;
    const commit = (events: JournalEvent[]): void => {
      if (events.length === 0) return;
      for (const e of events) {
        if (e.type === 'ConfigApplied') continue;
        const fields = { vrf: vrfDisplayName(e.vrf), interface: e.interface, prefix: e.prefix };
        if (e.type === 'RouteDiscovered') nlog.debug(fields, 'route imported');
        else nlog.debug({ ...fields, reason: e.reason }, 'route withdrawn');
      }
      const p = journal.append(events).then(
        () => undefined,
        (err: unknown) => {
          if (failed === undefined)
            jlog.error({ err }, 'journal append failed: no further events are written');
          failed = err;
        },
      );
      inFlight = Promise.all([inFlight, p]);
    };

    let readyFlag = false;
    const obs = createKernelObserver({
      log: nlog,
      scanIntervalMs: config.netlink.scanIntervalMs,
      ...(opts.netns !== undefined ? { netns: opts.netns } : {}),
    });
    observer = obs;
    // A link going down is often the first notice of its deletion (the kernel sends NEWLINK without
    // IFF_UP, then DELADDRs, then DELLINK): hold such a batch briefly so the withdrawal names the real
    // cause. Everything after it waits too, so order is kept.
    let held: KernelChange[] | undefined;
    const applyChanges = (changes: readonly KernelChange[]): void => {
      if (failed !== undefined) return;
      const events = state.applyKernel(changes);
      logNotices();
      const corrections = changes.some((c) => c.kind === 'snapshot' && c.reason !== 'start');
      if (corrections && events.length > 0) nlog.warn({ count: events.length }, 'reconcile corrected drift');
      commit(events);
    };
    obs.onBatch((batch: ObserverBatch) => {
      if (held !== undefined) {
        held.push(...batch.changes);
        return;
      }
      if (batch.changes.some((c) => c.kind === 'link' && c.op === 'new' && !c.link.up)) {
        held = [...batch.changes];
        setTimeout(() => {
          const changes = held ?? [];
          held = undefined;
          applyChanges(changes);
        }, LINK_DOWN_HOLD_MS).unref();
        return;
      }
      applyChanges(batch.changes);
    });
    await obs.start();
    await inFlight;

    // --- BGP speaker (issue 6) ---------------------------------------------------------------------
    // Started once the initial table is journaled, so End-of-RIB follows a complete table; it follows
    // the journal's live tail (after the Rib) from here on. Stopped first in stop(), so peers get a
    // Cease NOTIFICATION while the routes are still in place.
    const bgp = config.global !== undefined ? await startSpeaker({ config, rib, journal, log }) : undefined;
    // --- end BGP speaker ---------------------------------------------------------------------------

    const flush = async (): Promise<void> => {
      await inFlight;
      if (failed !== undefined)
        throw new RibjournalError('JOURNAL_WRITE_FAILED', 'journal append failed', { cause: failed });
    };

    readyFlag = true;
    log.info({ paths: rib.size(), seq: journal.head() }, 'ready');

    return {
      journal,
      rib,
      observer: obs,
      get config() {
        return config;
      },
      indexes,
      async reload(next: Config) {
        if (failed !== undefined) await flush();
        const snap = configSnapshot(next, configVersion + 1);
        const changed = !sameEffectiveConfig(configSnapshot(config, configVersion), snap);
        const events = state.setConfig(next);
        logNotices();
        config = next;
        if (changed) configVersion = snap.configVersion;
        commit(changed ? [snap, ...events] : events);
        await flush();
        log.info({ configVersion, changed, routeEvents: events.length }, 'config reloaded');
        return changed;
      },
      bgp,
      get ready() {
        return readyFlag && indexesCaughtUp && failed === undefined;
      },
      flush,
      async stop() {
        await bgp?.stop(); // BGP speaker (issue 6)
        await obs.stop();
        await inFlight;
        await indexesFollowing;
        unfollow?.();
        unfollowIndexes?.();
        if (opts.journal === undefined) await journal.close();
        log.info('stopped');
      },
    };
  } catch (err) {
    await observer?.stop().catch(() => undefined);
    unfollow?.();
    if (opts.journal === undefined) await journal.close().catch(() => undefined);
    throw err;
  }
}

export type { Envelope };
