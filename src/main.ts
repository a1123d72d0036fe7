// Composition root: opens the journal, runs the projections over it, applies the config, starts the
// kernel observer and feeds its changes through the import mapping into the journal. Wiring only: the
// policies live in their modules (projection runner and checkpoint policy in projections/, the
// link-down hold in import/, forced scans in netlink/).
import type { Logger } from 'pino';
import { startSpeaker, type Speaker } from './bgp/index.js';
import type { Config } from './config/index.js';
import type { Envelope, JournalEvent } from './events/index.js';
import { isRouteEvent, vrfDisplayName } from './events/index.js';
import { ImportState, LinkDownHold, configSnapshot, sameEffectiveConfig } from './import/index.js';
import type { Journal } from './journal/index.js';
import { buildVersion, journalStarted, journalStopped, openLevelJournal } from './journal/index.js';
import type { KernelChange, KernelObserver, ObserverBatch, ScanWaiter } from './netlink/index.js';
import { ScanWaiters, createKernelObserver } from './netlink/index.js';
import { createApiIndexes } from './api/index.js';
import type { ApiIndexes } from './api/index.js';
import {
  CheckpointPolicy,
  LiveChanges,
  LiveRib,
  ProjectionRunner,
  RouteCountSeries,
  Rib,
  loadRibCheckpoint,
  saveRibCheckpoint,
} from './projections/index.js';
import type { RunnerHealth } from './projections/index.js';
import { RibjournalError, isRibjournalError, systemClock } from './shared/index.js';
import { createDaemonMetrics } from './metrics/index.js'; // metrics (issue 4)
import type { DaemonMetrics } from './metrics/index.js';
import { startFleetPublisher, type FleetPublisher } from './fleet/index.js'; // fleet (issue 11)
import { startDaemonRetention } from './projections/index.js'; // [journal] retention (issue 9.5)

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

/** A running ribjournal: what the API, BGP and CLI `serve` build on. */
export interface Daemon {
  readonly journal: Journal;
  readonly rib: Rib;
  readonly observer: KernelObserver;
  /** The config in force (changes on reload). */
  readonly config: Config;
  /** History and timeline indexes for the API; caught up in the background after start-up. */
  readonly indexes: ApiIndexes;
  /** The live RIB's route changes, in seq order (subscriptions). */
  readonly live: LiveChanges;
  /** Whether every projection is live, and why not (/readyz). */
  health(): RunnerHealth;
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
  /** Stops and journals DaemonStopped with `reason` (e.g. the signal). */
  stop(reason?: string): Promise<void>;
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const log = opts.log;
  const jlog = log.child({ topic: 'journal' });
  // Projections never throw into the journal (the runner catches and handles their failures); any
  // other commit listener that throws is logged here, once per throw, not turned into a process warning.
  const journal =
    opts.journal ??
    (await openLevelJournal(opts.journalDir, {
      log: jlog,
      onListenerError: (err) => jlog.error({ err }, 'a journal commit listener threw'),
    }));
  const nlog = log.child({ topic: 'netlink' });
  opts.onJournalOpen?.(journal);
  // In-process daemons (tests, tools) leave process_* metrics to whoever owns the process.
  const metrics = opts.metrics ?? createDaemonMetrics({ processMetrics: false });
  const runner = new ProjectionRunner({ journal, log });
  let observer: KernelObserver | undefined;
  let publisher: FleetPublisher | undefined; // fleet (issue 11)
  let retention: { stop(): Promise<void> } | undefined; // [journal] retention (issue 9.5)
  try {
    const started = Date.now();
    // --- projections: the RIB first (start-up waits for it), then BGP outbound, then the API's -------
    const rib = new Rib();
    const checkpoint = await loadCheckpoint(journal, jlog);
    if (checkpoint !== undefined) rib.assign(checkpoint);
    const live = new LiveRib(rib);
    const checkpoints = new CheckpointPolicy({
      lastSeq: checkpoint?.seq ?? 0,
      save: () => saveRibCheckpoint(journal, rib),
      log: jlog,
    });
    const changes = new LiveChanges(live);
    await runner.add({
      name: 'rib',
      projection: live,
      beforeBatch: () => live.startBatch(),
      afterBatch: () => checkpoints.committed(rib.seq),
      restore: async () => new LiveRib((await loadCheckpoint(journal, jlog)) ?? new Rib()),
      adopt: (fresh) => {
        rib.assign(fresh.rib);
        // What reads the RIB missed the rebuild: BGP resends in full, subscribers resume from the journal.
        runner.rebuild('bgp-outbound', 'the RIB was rebuilt');
        runner.rebuild('feed', 'the RIB was rebuilt');
        return live;
      },
    });
    await runner.whenLive('rib');
    await runner.add({ name: 'feed', projection: changes, restore: () => changes.restart() });
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
    // [journal] retention (issue 9.5), held at the fleet publisher's durable cursor (issue 11)
    retention = startDaemonRetention(
      journal,
      opts.config.journal,
      jlog,
      undefined,
      publisher && [publisher.retentionHold()],
    );

    // The API's history and timeline indexes run in the runner from their derived data on disk (rebuilt
    // in the background when missing, damaged or another build's); the route-count series and the
    // events-by-type metric from seq 1. Start-up (kernel reconcile, BGP) waits only for the RIB; /readyz
    // waits for all of them and says which is behind.
    const indexes: ApiIndexes = createApiIndexes(journal, { log: jlog, timeline: { live: rib }, runner });
    const indexesFollowing = Promise.all([
      indexes.start(),
      runner.add({
        name: 'route-counts',
        projection: indexes.routeCounts,
        restore: () => new RouteCountSeries(),
        adopt: (fresh) => (indexes.routeCounts = fresh),
      }),
      runner.add({ name: 'events-by-type', projection: metrics.journalEvents }),
    ]).then(() => jlog.info({ seq: journal.head(), ms: Date.now() - started }, 'every projection caught up'));

    let config = opts.config;
    let configVersion = rib.config?.configVersion ?? 0;
    const snapshot = configSnapshot(config, configVersion + 1);
    if (!sameEffectiveConfig(rib.config, snapshot)) {
      const [env] = await journal.append([snapshot]);
      configVersion = snapshot.configVersion;
      jlog.info({ seq: env?.seq, configVersion }, 'config applied');
    }
    // i9b (issue 9.6): the start is journaled before the first reconcile, which journals what changed meanwhile.
    const startedEnv = await journalStarted(journal, { buildVersion: buildVersion(), configVersion });
    jlog.info(
      { seq: startedEnv.seq, previousStopClean: startedEnv.event.previousStopClean },
      'daemon started',
    );

    let state = new ImportState(config);
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
    let refused = false;
    /** `receivedAt`: epoch µs the kernel notification behind `events` arrived (for the latency metric). */
    const commit = (events: JournalEvent[], receivedAt?: number): void => {
      if (events.length === 0) return;
      for (const e of events) {
        if (!isRouteEvent(e)) continue;
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
          // Journal write faults (issue 10.3): the journal keeps retrying; these events were refused
          // because its backlog is full, and the resync after its recovery brings them back.
          if (isRibjournalError(err, 'JOURNAL_BACKLOG_FULL')) {
            if (!refused) jlog.warn({ err }, 'journal backlog full: events refused until writes resume');
            refused = true;
            return;
          }
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
    const scans = new ScanWaiters({
      requestScan: () => obs.requestScan(),
      nowMicros: () => systemClock.nowMicros(),
    });
    const applyChanges = (
      kernelChanges: readonly KernelChange[],
      receivedAt: number,
      answers: readonly ScanWaiter[],
    ): void => {
      if (failed !== undefined) {
        for (const w of answers) w.reject(failed);
        return;
      }
      const events = state.applyKernel(kernelChanges);
      logNotices();
      const hasSnapshot = kernelChanges.some((c) => c.kind === 'snapshot');
      const corrections = kernelChanges.some((c) => c.kind === 'snapshot' && c.reason !== 'start');
      const corrected = state.lastCorrections; // snapshot corrections only, not raced notifications
      if (corrections && corrected > 0) {
        nlog.warn({ count: corrected }, 'reconcile corrected drift');
        metrics.addReconcileCorrections(corrected);
      }
      // Latency is measured for notifications only: a snapshot's receivedAt is when its dump began.
      commit(events, hasSnapshot ? undefined : receivedAt);
      if (answers.length > 0) {
        const count = corrections ? corrected : 0;
        void inFlight.then(() => {
          for (const w of answers) {
            if (failed === undefined) w.resolve(count);
            else w.reject(failed);
          }
        });
      }
    };
    const hold = new LinkDownHold<ScanWaiter>({ apply: applyChanges });
    obs.onBatch((batch: ObserverBatch) => hold.offer(batch, scans.answeredBy(batch)));
    // --- journal write faults (issue 10.3): once writes resume, a forced scan journals what was missed
    // (reason reconcile); after refused appends the import state is rebuilt from what was journaled.
    const unRecovered = journal.onRecovered?.(() => {
      if (refused) {
        refused = false;
        state = new ImportState(config);
        state.loadJournaled(rib.allPaths());
      }
      obs.requestScan();
    });
    // --- end journal write faults ------------------------------------------------------------------
    metrics.attach({ observer: obs });
    // start() resolves once the start-up dump was delivered; the hold never keeps it back, so the whole
    // initial table is committed before "ready" and before the BGP speaker sends End-of-RIB.
    await obs.start();
    await inFlight;
    await runner.whenLive('rib');

    // --- BGP speaker (issue 6) ---------------------------------------------------------------------
    // Started once the initial table is journaled, so End-of-RIB follows a complete table; the runner
    // applies each commit to its outbound projection after the RIB. Stopped first in stop(), so peers
    // get a Cease NOTIFICATION while the routes are still in place.
    const speakerFor = (c: Config): Promise<Speaker> =>
      startSpeaker({
        config: c,
        rib,
        projections: runner,
        log,
        onUpdateWritten: (seconds, peer) => metrics.observeCommitToUpdate(seconds, peer),
      });
    let bgp = config.global !== undefined ? await speakerFor(config) : undefined;
    // --- end BGP speaker ---------------------------------------------------------------------------
    metrics.attach({ neighbors: () => bgp?.neighbors() ?? [] });

    const flush = async (): Promise<void> => {
      await inFlight;
      if (failed !== undefined)
        throw new RibjournalError('JOURNAL_WRITE_FAILED', 'journal append failed', { cause: failed });
    };
    const health = (): RunnerHealth => {
      const h = runner.health();
      const reasons = [...(readyFlag ? [] : ['starting']), ...h.reasons];
      if (failed !== undefined) reasons.push('journal append failed');
      return { ok: reasons.length === 0, reasons };
    };

    readyFlag = true;
    metrics.attach({ ready: () => health().ok });
    log.info({ paths: rib.size(), seq: journal.head() }, 'ready');

    return {
      journal,
      rib,
      observer: obs,
      get config() {
        return config;
      },
      indexes,
      live: changes,
      health,
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
        else if (next.global !== undefined) bgp = await speakerFor(next);
        log.info({ configVersion, changed, routeEvents: events.length }, 'config reloaded');
        return changed;
      },
      get bgp() {
        return bgp;
      },
      get ready() {
        return health().ok;
      },
      flush,
      reconcile() {
        if (failed !== undefined) return flush().then(() => 0);
        return scans.requestScan();
      },
      metrics,
      async stop(reason = 'stop') {
        await bgp?.stop(); // BGP speaker (issue 6)
        await obs.stop();
        hold.flush(); // what a link-down still holds is journaled, not dropped
        scans.rejectAll(new RibjournalError('NETLINK_FAILED', 'the daemon is stopping'));
        await inFlight;
        if (failed === undefined) await journalStopped(journal, { buildVersion: buildVersion(), reason });
        // A checkpoint of a RIB that is being rebuilt would be wrong: only a live one is written.
        if (runner.isLive('rib')) await checkpoints.close(rib.seq);
        await runner.stop();
        await indexes.stop(); // writes the indexes' tail
        await indexesFollowing;
        unRecovered?.();
        await publisher?.stop(); // fleet (issue 11)
        await retention?.stop(); // [journal] retention (issue 9.5)
        if (opts.journal === undefined) await journal.close();
        log.info('stopped');
      },
    };
  } catch (err) {
    await runner.stop();
    await observer?.stop().catch(() => undefined);
    await publisher?.stop(); // fleet (issue 11)
    await retention?.stop(); // [journal] retention (issue 9.5)
    if (opts.journal === undefined) await journal.close().catch(() => undefined);
    throw err;
  }
}

export type { Envelope };

/** The persisted RIB checkpoint, or undefined (none, or unreadable: the journal is replayed instead). */
async function loadCheckpoint(journal: Journal, log: Logger): Promise<Rib | undefined> {
  return loadRibCheckpoint(journal).catch((err: unknown) => {
    log.warn({ err }, 'RIB checkpoint unreadable; replaying the whole journal');
    return undefined;
  });
}
