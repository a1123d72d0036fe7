// Prometheus metrics of one daemon, in a prom-client Registry of its own (never the global default one:
// two daemons in one process, as in tests, must not mix their numbers). Counters of things that happen
// (reconcile corrections, latencies) are driven by the daemon where they happen; everything that is state
// (journal head and size, RIB paths, BGP sessions, subscriptions) is read from its owner at scrape time
// through O(1) accessors, so a scrape costs the same however large the RIB or the journal is. The one
// slow source, the journal's size on disk (a directory walk), is refreshed in the background and served
// from the last result.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { NeighborStatus, PeerState } from '../bgp/index.js';
import type { Envelope, JournalEvent } from '../events/index.js';
import { vrfDisplayName } from '../events/index.js';
import type { Journal } from '../journal/index.js';
import type { Rib } from '../projections/index.js';

/** Where the collected (state) metrics come from; attached as the daemon's parts come up. */
export interface MetricSources {
  readonly journal?: Pick<Journal, 'head' | 'stats' | 'health'>;
  readonly rib?: Pick<Rib, 'vrfNames' | 'countsOf'>;
  /** The kernel observer (its child's restarts). */
  readonly observer?: { readonly restarts: number };
  /** The BGP speaker's neighbors; absent when BGP is off. */
  readonly neighbors?: () => readonly NeighborStatus[];
  /** Open GraphQL subscriptions (the API's ChangeFeed.size). */
  readonly subscriptions?: () => number;
  /** The readiness /readyz reports. */
  readonly ready?: () => boolean;
}

/** How a reload ended, for ribjournal_config_reloads_total. */
export type ReloadResult = 'applied' | 'unchanged' | 'rejected';

export interface MetricsOptions {
  /** Also export process_* and nodejs_* metrics (default true). */
  readonly processMetrics?: boolean;
  /** How old the journal's size on disk may be before a scrape starts a refresh (default 5000 ms). */
  readonly sizeMaxAgeMs?: number;
}

/** The metrics of one daemon: observation points for the daemon, and what /metrics serves. */
export interface DaemonMetrics {
  readonly registry: Registry;
  /** The exposition's content type (for /metrics). */
  readonly contentType: string;
  /** The text exposition (what /metrics answers). */
  metrics(): Promise<string>;
  /** Adds or replaces sources of collected metrics. */
  attach(sources: MetricSources): void;
  /**
   * A projection counting events by type: hand it to replayAndFollow with the Rib, so the counter holds
   * every event of the journal (replayed at start, then each commit).
   */
  readonly journalEvents: {
    readonly seq: number;
    apply(env: Envelope): void;
    seedAtHorizon(rib: { readonly seq: number }): void;
  };
  /** A kernel notification reached the journal: seconds from its receipt to the commit of its event. */
  observeKernelToCommit(seconds: number): void;
  /** An UPDATE carrying a committed event was written to `peer`'s socket, `seconds` after the commit. */
  observeCommitToUpdate(seconds: number, peer: string): void;
  /** A reconcile scan (periodic, forced, or a resync after an observer restart) journaled corrections. */
  addReconcileCorrections(count: number): void;
  /** A config reload ended (SIGHUP or the reload mutation). */
  countReload(result: ReloadResult): void;
}

const PEER_STATES: readonly PeerState[] = [
  'idle',
  'connect',
  'active',
  'opensent',
  'openconfirm',
  'established',
];

/** Kernel and BGP latencies: group commit syncs in ~1 ms; a slow disk or a busy peer in the 100 ms. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const EVENT_TYPES: readonly JournalEvent['type'][] = ['RouteDiscovered', 'RouteVanished', 'ConfigApplied'];

/** Creates the metrics of one daemon, each in a fresh Registry. */
export function createDaemonMetrics(options: MetricsOptions = {}): DaemonMetrics {
  const registry = new Registry();
  let sources: MetricSources = {};
  const sizeMaxAgeMs = options.sizeMaxAgeMs ?? 5000;

  // --- journal --------------------------------------------------------------------------------------
  // Counted by the projection in plain numbers (replay of a large journal costs ~nothing more) and
  // handed to prom-client at scrape time.
  const eventCounts = new Map<string, number>(EVENT_TYPES.map((t) => [t, 0]));
  const exported = new Map<string, number>();
  const journalEvents = {
    seq: 0,
    apply(env: Envelope): void {
      journalEvents.seq = env.seq;
      const type = env.event.type;
      eventCounts.set(type, (eventCounts.get(type) ?? 0) + 1);
    },
    /** After a retention trim the journal holds the events after the horizon: count from there. */
    seedAtHorizon(rib: { readonly seq: number }): void {
      journalEvents.seq = rib.seq;
    },
  };
  new Counter({
    name: 'ribjournal_journal_events_total',
    help: 'Events in the journal by type: those replayed at start, then every one appended',
    labelNames: ['type'],
    registers: [registry],
    collect() {
      for (const [type, n] of eventCounts) {
        const delta = n - (exported.get(type) ?? 0);
        if (delta > 0 || !exported.has(type)) this.inc({ type }, delta);
        exported.set(type, n);
      }
    },
  });
  new Gauge({
    name: 'ribjournal_journal_head_seq',
    help: 'Seq of the last committed event',
    registers: [registry],
    collect() {
      const j = sources.journal;
      if (j !== undefined) this.set(j.head());
    },
  });
  // Damage found at start-up, by a read or by the background verify (issue 10.1).
  new Gauge({
    name: 'ribjournal_journal_damaged_ranges',
    help: 'Seq ranges of the journal whose events failed their checksum (answers depending on them fail with JOURNAL_DAMAGED)',
    registers: [registry],
    collect() {
      const h = sources.journal?.health?.();
      this.set(h?.damaged.length ?? 0);
    },
  });
  new Gauge({
    name: 'ribjournal_journal_damaged_events',
    help: 'Events in the damaged ranges of the journal',
    registers: [registry],
    collect() {
      this.set(sources.journal?.health?.().damagedEvents ?? 0);
    },
  });
  // Failed writes (a full disk), retried until they go through (issue 10.3).
  new Gauge({
    name: 'ribjournal_journal_write_failing',
    help: 'Whether journal writes are failing now (1) and being retried (the log says why), or not (0)',
    registers: [registry],
    collect() {
      this.set(sources.journal?.health?.().writeFailing === undefined ? 0 : 1);
    },
  });
  new Gauge({
    name: 'ribjournal_journal_queued_events',
    help: 'Events waiting for a journal write (grows while writes fail; bounded)',
    registers: [registry],
    collect() {
      this.set(sources.journal?.health?.().queuedEvents ?? 0);
    },
  });
  let size: { bytes: number; at: number } | undefined;
  let sizing: Promise<void> | undefined;
  const refreshSize = (): Promise<void> => {
    const j = sources.journal;
    if (j === undefined) return Promise.resolve();
    sizing ??= j
      .stats()
      .then(
        (s) => {
          size = { bytes: s.sizeOnDisk, at: Date.now() };
        },
        () => undefined, // a closed journal (shutdown): keep the last value
      )
      .finally(() => {
        sizing = undefined;
      });
    return sizing;
  };
  new Gauge({
    name: 'ribjournal_journal_size_bytes',
    help: 'Bytes the journal takes on disk (refreshed in the background, at most a few seconds old)',
    registers: [registry],
    async collect() {
      if (sources.journal === undefined) return;
      if (size === undefined) await refreshSize();
      else if (Date.now() - size.at > sizeMaxAgeMs) void refreshSize();
      if (size !== undefined) this.set(size.bytes);
    },
  });

  // --- RIB ------------------------------------------------------------------------------------------
  new Gauge({
    name: 'ribjournal_rib_paths',
    help: 'Paths in the RIB per VRF ("global" is the global table) and address family',
    labelNames: ['vrf', 'family'],
    registers: [registry],
    collect() {
      const rib = sources.rib;
      if (rib === undefined) return;
      this.reset();
      for (const vrf of rib.vrfNames()) {
        const c = rib.countsOf(vrf);
        const name = vrfDisplayName(vrf);
        this.set({ vrf: name, family: 'ipv4' }, c.ipv4);
        this.set({ vrf: name, family: 'ipv6' }, c.ipv6);
      }
    },
  });

  // --- kernel observer ------------------------------------------------------------------------------
  new Counter({
    name: 'ribjournal_kernel_observer_restarts_total',
    help: 'Times the kernel observer child process died and was restarted (it resynchronises with a full dump)',
    registers: [registry],
    collect() {
      const o = sources.observer;
      if (o === undefined) return;
      this.reset();
      this.inc(o.restarts);
    },
  });
  const corrections = new Counter({
    name: 'ribjournal_reconcile_corrections_total',
    help: 'Route events journaled by reconcile scans (periodic, forced, or resync after an observer restart): the drift between notifications and the kernel',
    registers: [registry],
  });
  const kernelToCommit = new Histogram({
    name: 'ribjournal_kernel_to_commit_seconds',
    help: 'From the receipt of a kernel notification to the commit of the route event it caused',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });

  // --- BGP ------------------------------------------------------------------------------------------
  // Every per-peer series is set by the first one's collect: neighbors() is called once per scrape, and
  // prom-client collects in registration order, so the others are current when they are read.
  const knownPeers = new Set<string>();
  const sessionState: Gauge = new Gauge({
    name: 'ribjournal_bgp_session_state',
    help: 'BGP session state per peer: 1 for the state the session is in, 0 for the others',
    labelNames: ['peer', 'state'],
    registers: [registry],
    collect() {
      const list = sources.neighbors;
      if (list === undefined) return;
      const neighbors = list();
      sessionState.reset();
      established.reset();
      updatesSent.reset();
      flaps.reset();
      prefixesSent.reset();
      queueDepth.reset();
      const present = new Set<string>();
      for (const n of neighbors) {
        const peer = n.address;
        present.add(peer);
        for (const state of PEER_STATES) sessionState.set({ peer, state }, n.state === state ? 1 : 0);
        established.set({ peer }, n.established ? 1 : 0);
        updatesSent.inc({ peer }, n.sent.update);
        flaps.inc({ peer }, n.flaps);
        queueDepth.set({ peer }, n.queueDepth);
        for (const p of n.prefixesSent) prefixesSent.set({ peer, family: p.family }, p.count);
      }
      // A neighbor removed by a reload: its latency series go too.
      for (const peer of knownPeers) if (!present.has(peer)) commitToUpdate.remove({ peer });
      knownPeers.clear();
      for (const peer of present) knownPeers.add(peer);
    },
  });
  const established = new Gauge({
    name: 'ribjournal_bgp_session_established',
    help: 'Whether the BGP session with the peer is Established (1) or not (0)',
    labelNames: ['peer'],
    registers: [registry],
  });
  const updatesSent = new Counter({
    name: 'ribjournal_bgp_updates_sent_total',
    help: 'UPDATE messages written to the peer, all sessions',
    labelNames: ['peer'],
    registers: [registry],
  });
  const flaps = new Counter({
    name: 'ribjournal_bgp_session_flaps_total',
    help: 'Times the session with the peer left Established',
    labelNames: ['peer'],
    registers: [registry],
  });
  const prefixesSent = new Gauge({
    name: 'ribjournal_bgp_prefixes_sent',
    help: 'Routes advertised to the peer and not withdrawn, in the current session, per family',
    labelNames: ['peer', 'family'],
    registers: [registry],
  });
  const queueDepth = new Gauge({
    name: 'ribjournal_bgp_outbound_queue_depth',
    help: 'Routes waiting to go out to the peer',
    labelNames: ['peer'],
    registers: [registry],
  });
  const commitToUpdate = new Histogram({
    name: 'ribjournal_commit_to_update_seconds',
    help: 'From the commit of a route event to the write of the UPDATE carrying it, per peer',
    labelNames: ['peer'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });

  // --- API and process ------------------------------------------------------------------------------
  new Gauge({
    name: 'ribjournal_api_subscriptions_open',
    help: 'GraphQL subscriptions open (SSE and WebSocket)',
    registers: [registry],
    collect() {
      const n = sources.subscriptions;
      this.set(n === undefined ? 0 : n());
    },
  });
  new Gauge({
    name: 'ribjournal_ready',
    help: 'Whether the daemon is ready (journal replayed, first kernel reconcile journaled, API indexes caught up)',
    registers: [registry],
    collect() {
      const r = sources.ready;
      this.set(r !== undefined && r() ? 1 : 0);
    },
  });
  const reloads = new Counter({
    name: 'ribjournal_config_reloads_total',
    help: 'Config reloads (SIGHUP or the reload mutation) by result',
    labelNames: ['result'],
    registers: [registry],
  });
  for (const result of ['applied', 'unchanged', 'rejected'] as const) reloads.inc({ result }, 0);
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  return {
    registry,
    contentType: registry.contentType,
    metrics: () => registry.metrics(),
    attach(more) {
      sources = { ...sources, ...more };
      if (more.journal !== undefined) void refreshSize();
    },
    journalEvents,
    observeKernelToCommit(seconds) {
      kernelToCommit.observe(Math.max(0, seconds));
    },
    observeCommitToUpdate(seconds, peer) {
      commitToUpdate.observe({ peer }, Math.max(0, seconds));
    },
    addReconcileCorrections(count) {
      if (count > 0) corrections.inc(count);
    },
    countReload(result) {
      reloads.inc({ result });
    },
  };
}
