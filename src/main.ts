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
import { Rib, loadRibCheckpoint, replayAndFollow, saveRibCheckpoint } from './projections/index.js';
import { RibjournalError, systemClock } from './shared/index.js';
import { createDaemonMetrics } from './metrics/index.js'; // metrics (issue 4)
import type { DaemonMetrics } from './metrics/index.js';
import { startFleetPublisher, type FleetPublisher } from './fleet/publisher.js'; // fleet (issue 11)

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
  /** Where the daemon's metrics go (serve creates them before the API port opens); default: new ones. */
  readonly metrics?: DaemonMetrics;
}

/** How long a forced reconcile waits for its scan before it gives up. */
const RECONCILE_TIMEOUT_MS = 30_000;

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
  /**
   * Forces a full kernel scan (the periodic reconcile, now) and resolves once the batch it produced is
   * applied and committed, with the number of corrections (route events) it journaled.
   */
  reconcile(): Promise<number>;
  /** The daemon's Prometheus metrics (served at /metrics by the API). */
  readonly metrics: DaemonMetrics;
  stop(): Promise<void>;
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const log = opts.log;
  const journal = opts.journal ?? (await openLevelJournal(opts.journalDir));
  const jlog = log.child({ topic: 'journal' });
  const nlog = log.child({ topic: 'netlink' });
  opts.onJournalOpen?.(journal);
  let rib = new Rib();
  let stopCheckpoints: (() => void) | undefined;
  // In-process daemons (tests, tools) leave process_* metrics to whoever owns the process.
  const metrics = opts.metrics ?? createDaemonMetrics({ processMetrics: false });
  let observer: KernelObserver | undefined;
  let unfollow: (() => void) | undefined;
  let publisher: FleetPublisher | undefined; // fleet (issue 11)
  try {
    const started = Date.now();
    const checkpoint = await loadRibCheckpoint(journal).catch((err: unknown) => {
      jlog.warn({ err }, 'RIB checkpoint unreadable; replaying the whole journal');
      return undefined;
    });
    if (checkpoint !== undefined) rib = checkpoint;
    unfollow = await replayAndFollow(journal, [rib]);
    stopCheckpoints = keepCheckpoints(journal, rib, checkpoint?.seq ?? 0, jlog);
    metrics.attach({ journal, rib });
    // fleet (issue 11): publish every committed event to NATS JetStream, in the background.
    const fleet = opts.config.fleet;
    if (fleet)
      publisher = startFleetPublisher({
        journal,
        fleet,
        log: log.child({ topic: 'fleet' }),
        registry: metrics.registry,
      });
    jlog.info({ seq: rib.seq, paths: rib.size(), ms: Date.now() - started }, 'journal replayed');

    // The API's history and timeline indexes replay on their own, so start-up (kernel reconcile, BGP)
    // waits only for the RIB; /readyz waits for them too.
    const indexes = createApiIndexes(journal);
    let indexesCaughtUp = false;
    let unfollowIndexes: (() => void) | undefined;
    // The events-by-type counter replays with them (from seq 1 in any case), off the RIB's path.
    const indexesFollowing = replayAndFollow(journal, [...indexes.projections, metrics.journalEvents]).then(
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
    /** `receivedAt`: epoch µs the kernel notification behind `events` arrived (for the latency metric). */
    const commit = (events: JournalEvent[], receivedAt?: number): void => {
      if (events.length === 0) return;
      for (const e of events) {
        if (e.type === 'ConfigApplied') continue;
        const fields = { vrf: vrfDisplayName(e.vrf), interface: e.interface, prefix: e.prefix };
        if (e.type === 'RouteDiscovered') nlog.debug(fields, 'route imported');
        else nlog.debug({ ...fields, reason: e.reason }, 'route withdrawn');
      }
      const p = journal.append(events).then(
        () => {
          if (receivedAt === undefined) return;
          const seconds = (systemClock.nowMicros() - receivedAt) / 1e6;
          for (let i = 0; i < events.length; i++) metrics.observeKernelToCommit(seconds);
        },
        (err: unknown) => {
          if (failed === undefined)
            jlog.error({ err }, 'journal append failed: no further events are written');
          failed = err;
        },
      );
      // Resolve to undefined: a Promise.all chain would otherwise nest every earlier value (a leak).
      inFlight = Promise.all([inFlight, p]).then(() => undefined);
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
    let held: { changes: KernelChange[]; receivedAt: number; answers: ReconcileWaiter[] } | undefined;
    // --- forced reconcile (issue 4): callers waiting for a full scan requested at `requestedAt` -------
    interface ReconcileWaiter {
      readonly requestedAt: number;
      resolve(corrections: number): void;
      reject(err: unknown): void;
    }
    let reconcileWaiters: ReconcileWaiter[] = [];
    /** Waiters a batch answers: it holds a full scan (or a resync) that began after they asked. */
    const answeredBy = (batch: ObserverBatch): ReconcileWaiter[] => {
      if (reconcileWaiters.length === 0) return [];
      if (!batch.changes.some((c) => c.kind === 'snapshot' && c.reason !== 'start')) return [];
      const answered = reconcileWaiters.filter((w) => w.requestedAt <= batch.receivedAt);
      reconcileWaiters = reconcileWaiters.filter((w) => w.requestedAt > batch.receivedAt);
      return answered;
    };
    // --- end forced reconcile ------------------------------------------------------------------------
    const applyChanges = (
      changes: readonly KernelChange[],
      receivedAt: number,
      answers: readonly ReconcileWaiter[] = [],
    ): void => {
      if (failed !== undefined) {
        for (const w of answers) w.reject(failed);
        return;
      }
      const events = state.applyKernel(changes);
      logNotices();
      const hasSnapshot = changes.some((c) => c.kind === 'snapshot');
      const corrections = changes.some((c) => c.kind === 'snapshot' && c.reason !== 'start');
      if (corrections && events.length > 0) {
        nlog.warn({ count: events.length }, 'reconcile corrected drift');
        metrics.addReconcileCorrections(events.length);
      }
      // Latency is measured for notifications only: a snapshot's receivedAt is when its dump began.
      commit(events, hasSnapshot ? undefined : receivedAt);
      if (answers.length > 0) {
        const count = corrections ? events.length : 0;
        void inFlight.then(() => {
          for (const w of answers) {
            if (failed === undefined) w.resolve(count);
            else w.reject(failed);
          }
        });
      }
    };
    obs.onBatch((batch: ObserverBatch) => {
      const answers = answeredBy(batch);
      if (held !== undefined) {
        held.changes.push(...batch.changes);
        held.answers.push(...answers);
        return;
      }
      if (batch.changes.some((c) => c.kind === 'link' && c.op === 'new' && !c.link.up)) {
        held = { changes: [...batch.changes], receivedAt: batch.receivedAt, answers };
        setTimeout(() => {
          const h = held;
          held = undefined;
          if (h !== undefined) applyChanges(h.changes, h.receivedAt, h.answers);
        }, LINK_DOWN_HOLD_MS).unref();
        return;
      }
      applyChanges(batch.changes, batch.receivedAt, answers);
    });
    metrics.attach({ observer: obs });
    await obs.start();
    await inFlight;

    // --- BGP speaker (issue 6) ---------------------------------------------------------------------
    // Started once the initial table is journaled, so End-of-RIB follows a complete table; it follows
    // the journal's live tail (after the Rib) from here on. Stopped first in stop(), so peers get a
    // Cease NOTIFICATION while the routes are still in place.
    let bgp =
      config.global !== undefined
        ? await startSpeaker({
            config,
            rib,
            journal,
            log,
            onUpdateWritten: (seconds, peer) => metrics.observeCommitToUpdate(seconds, peer),
          })
        : undefined;
    // --- end BGP speaker ---------------------------------------------------------------------------
    metrics.attach({ neighbors: () => bgp?.neighbors() ?? [] });

    const flush = async (): Promise<void> => {
      await inFlight;
      if (failed !== undefined)
        throw new RibjournalError('JOURNAL_WRITE_FAILED', 'journal append failed', { cause: failed });
    };

    readyFlag = true;
    metrics.attach({ ready: () => readyFlag && indexesCaughtUp && failed === undefined });
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
        // BGP speaker (issue 6): neighbors and listeners follow the reloaded config (VRF changes reach
        // the peers through the ConfigApplied just journaled).
        if (bgp) await bgp.reconfigure(next);
        else if (next.global !== undefined)
          bgp = await startSpeaker({
            config: next,
            rib,
            journal,
            log,
            onUpdateWritten: (seconds, peer) => metrics.observeCommitToUpdate(seconds, peer),
          });
        log.info({ configVersion, changed, routeEvents: events.length }, 'config reloaded');
        return changed;
      },
      get bgp() {
        return bgp;
      },
      get ready() {
        return readyFlag && indexesCaughtUp && failed === undefined;
      },
      flush,
      reconcile() {
        if (failed !== undefined) return flush().then(() => 0);
        return new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => {
            reconcileWaiters = reconcileWaiters.filter((w) => w !== waiter);
            reject(
              new RibjournalError(
                'NETLINK_FAILED',
                `no kernel scan arrived within ${RECONCILE_TIMEOUT_MS / 1000} s (is the observer restarting?)`,
              ),
            );
          }, RECONCILE_TIMEOUT_MS);
          timer.unref();
          const waiter: ReconcileWaiter = {
            requestedAt: systemClock.nowMicros(),
            resolve: (n) => {
              clearTimeout(timer);
              resolve(n);
            },
            reject: (err) => {
              clearTimeout(timer);
              reject(err instanceof Error ? err : new Error(String(err)));
            },
          };
          reconcileWaiters.push(waiter);
          obs.requestScan();
        });
      },
      metrics,
      async stop() {
        await bgp?.stop(); // BGP speaker (issue 6)
        await obs.stop();
        for (const w of reconcileWaiters.splice(0)) {
          w.reject(new RibjournalError('NETLINK_FAILED', 'the daemon is stopping'));
        }
        await inFlight;
        await indexesFollowing;
        stopCheckpoints?.();
        await saveRibCheckpoint(journal, rib).catch((err: unknown) =>
          jlog.warn({ err }, 'RIB checkpoint not written'),
        );
        unfollow?.();
        unfollowIndexes?.();
        await publisher?.stop(); // fleet (issue 11)
        if (opts.journal === undefined) await journal.close();
        log.info('stopped');
      },
    };
  } catch (err) {
    stopCheckpoints?.();
    await observer?.stop().catch(() => undefined);
    await publisher?.stop(); // fleet (issue 11)
    unfollow?.();
    if (opts.journal === undefined) await journal.close().catch(() => undefined);
    throw err;
  }
}

export type { Envelope };

/** Events between RIB checkpoints: start-up replays at most this many events after the last one. */
const CHECKPOINT_EVERY = 100_000;

/** Writes a RIB checkpoint every CHECKPOINT_EVERY committed events, in the background. */
function keepCheckpoints(journal: Journal, rib: Rib, lastSeq: number, log: Logger): () => void {
  let last = lastSeq;
  let writing = false;
  return journal.onCommit(() => {
    if (writing || rib.seq - last < CHECKPOINT_EVERY) return;
    writing = true;
    const seq = rib.seq;
    saveRibCheckpoint(journal, rib).then(
      () => {
        last = seq;
        writing = false;
        log.debug({ seq }, 'RIB checkpoint written');
      },
      (err: unknown) => {
        writing = false;
        log.warn({ err }, 'RIB checkpoint not written');
      },
    );
  });
}
