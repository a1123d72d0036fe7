// The BGP speaker: one PeerSession per configured neighbor, listeners on `[global.config] port` for
// the connections peers open (matched to neighbors by address; the FSM resolves collisions), and the
// outbound projection, run by the projection runner after the Rib. A commit reaches the sockets in the same
// turn of the event loop that delivers it: no timers or polling on the outbound path.
import net from 'node:net';
import type { Logger } from 'pino';
import type { Config, GlobalConfig, NeighborConfig } from '../config/index.js';
import { BgpOutbound, type AdjRibOut } from '../projections/bgp-outbound/index.js';
import type { ProjectionRunner, Rib } from '../projections/index.js';
import { RibjournalError } from '../shared/index.js';
import {
  CEASE_OTHER_CONFIG_CHANGE,
  CEASE_PEER_DECONFIGURED,
  ERR_CEASE,
  type NotificationData,
} from './codec/index.js';
import type { Scheduler } from './fsm.js';
import { plainAddress, type InterfaceTable } from './next-hop.js';
import { exportPolicyFor, sameSessionConfig } from './policy/index.js';
import { BmpStation } from './bmp/station.js';
import { fdOf, setTcpMd5Key } from './socket-options.js';
import { PeerSession, type AdjRibRoute, type NeighborStatus, type SessionMonitor } from './session.js';
import type { BgpFamily } from './codec/index.js';

export interface SpeakerOptions {
  readonly config: Config;
  /** The live Rib; the speaker must be started after it is replayed and following the journal. */
  readonly rib: Rib;
  /** Runs the outbound projection after the Rib (projection 'bgp-outbound'). */
  readonly projections: ProjectionRunner;
  /** The daemon's logger; the speaker logs under topic `bgp`. */
  readonly log: Logger;
  readonly scheduler?: Scheduler;
  readonly interfaces?: () => InterfaceTable;
  /** Graceful restart time announced (RFC 4724); 0: none. Default 120 s. */
  readonly gracefulRestartTime?: number;
  /** First connect-retry backoff in ms (tests). */
  readonly minRetryMs?: number;
  /**
   * Commit-to-UPDATE latency: called once per written round of UPDATEs to a peer with the seconds
   * since the earliest journal commit (the moment its commit listener fired) they went out for.
   */
  readonly onUpdateWritten?: (seconds: number, peer: string) => void;
}

/** Where the speaker listens. */
export interface ListenAddress {
  readonly address: string;
  readonly port: number;
}

/** A running BGP speaker. */
export interface Speaker {
  /** Neighbors in config order, with state, counters and queue depth. */
  neighbors(): NeighborStatus[];
  neighbor(address: string): NeighborStatus | undefined;
  /** What was sent to the neighbor (post-policy, as sent, with why); undefined: no such neighbor. */
  adjRibOut(address: string, family?: BgpFamily): AdjRibRoute[] | undefined;
  /** What the neighbor sent us (bounded); undefined: no such neighbor. */
  adjRibIn(address: string, family?: BgpFamily): AdjRibRoute[] | undefined;
  /** Addresses actually listened on (a failed listen is logged and skipped). */
  readonly listening: readonly ListenAddress[];
  /**
   * Applies a reloaded config: removed neighbors get Cease / Peer De-configured, changed ones (or all,
   * when AS or router ID change) Cease / Other Configuration Change and start again, new ones start;
   * listeners follow `port` and `local-address-list`. Without `[global.config]` every session stops.
   * VRF changes need nothing here: they reach the peers through the journaled ConfigApplied.
   */
  reconfigure(config: Config): Promise<void>;
  /** Cease NOTIFICATION to every peer (Administrative Shutdown with the communication), then close. */
  stop(communication?: string): Promise<void>;
}

function cease(subcode: number): NotificationData {
  return { code: ERR_CEASE, subcode, data: new Uint8Array(0) };
}

/**
 * `ipv6Only`: set for "::" when "0.0.0.0" is listened on too (GoBGP's default list), else "::" is
 * dual-stack as in Go.
 */
async function listen(
  server: net.Server,
  address: string,
  port: number,
  ipv6Only: boolean,
): Promise<ListenAddress> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host: address, port, ipv6Only }, () => {
      server.off('error', onError);
      const a = server.address();
      resolve({ address, port: typeof a === 'object' && a !== null ? a.port : port });
    });
  });
}

/** Starts the speaker: listeners, sessions, and the outbound projection following the journal. */
export async function startSpeaker(o: SpeakerOptions): Promise<Speaker> {
  if (o.config.global === undefined) throw new RibjournalError('BAD_ARGUMENT', 'BGP needs [global.config]');
  let global: GlobalConfig | undefined = o.config.global;
  const log = o.log.child({ topic: 'bgp' });
  const outbound = new BgpOutbound(o.rib);
  let sessions: PeerSession[] = [];
  const byAddress = new Map<string, PeerSession>();
  const adjRibOut = new Map<PeerSession, AdjRibOut>();
  let policyConfig = o.config.policy;
  let stations: BmpStation[] = [];
  const monitor: SessionMonitor = {
    up: (info) => stations.forEach((st) => st.up(info)),
    updates: (peer, messages) => stations.forEach((st) => st.updates(peer, messages)),
    down: (peer) => stations.forEach((st) => st.down(peer)),
  };
  const startStations = (config: Config): void => {
    stations = config.bmpServers.map(
      (server) =>
        new BmpStation({
          server,
          log,
          outbound,
          global: () => global,
          snapshots: () =>
            sessions.flatMap((s) => {
              const snap = s.adjRibOutSnapshot();
              return snap ? [snap] : [];
            }),
          sentCounts: () =>
            new Map(
              sessions.map((s) => {
                const st = s.status();
                return [s.neighbor.address, st.prefixesSent.reduce((n, p) => n + p.count, 0)];
              }),
            ),
        }),
    );
    for (const st of stations) st.start();
  };

  const createSession = (n: NeighborConfig, g: GlobalConfig): PeerSession => {
    const peer = outbound.createPeer();
    peer.setPolicy(exportPolicyFor(policyConfig, g, n));
    const s = new PeerSession({
      neighbor: n,
      global: g,
      log,
      outbound: peer,
      ...(o.scheduler ? { scheduler: o.scheduler } : {}),
      ...(o.interfaces ? { interfaces: o.interfaces } : {}),
      ...(o.gracefulRestartTime !== undefined ? { gracefulRestartTime: o.gracefulRestartTime } : {}),
      ...(o.minRetryMs !== undefined ? { minRetryMs: o.minRetryMs } : {}),
      ...(o.onUpdateWritten ? { onUpdateWritten: o.onUpdateWritten } : {}),
    });
    s.monitor = monitor;
    adjRibOut.set(s, peer);
    return s;
  };
  for (const n of o.config.neighbors) {
    const s = createSession(n, global);
    sessions.push(s);
    byAddress.set(n.address, s);
  }

  // The runner applies each commit to the outbound projection after the Rib; the sessions then write.
  // A failure is the runner's (logged once, readiness down, rebuilt); after the rebuild every session
  // resends its whole table (BgpOutbound.resync).
  const wake = (): void => {
    const at = performance.now();
    for (const s of sessions) s.committed(at);
    for (const st of stations) st.committed();
  };
  void o.projections.add({
    name: 'bgp-outbound',
    projection: outbound,
    afterBatch: wake,
    restore: () => outbound.resync(),
    adopt: (p) => {
      wake();
      return p;
    },
  });
  const unfollow = (): void => o.projections.remove('bgp-outbound');

  const servers: { server: net.Server; address: string }[] = [];
  const listening: ListenAddress[] = [];
  /** Peers whose TCP-MD5 key is on the listeners, with the key. */
  let listenerKeys = new Map<string, string>();
  const setListenerKeys = (neighbors: readonly NeighborConfig[]): void => {
    const wanted = new Map<string, string>();
    for (const n of neighbors) if (n.authPassword !== undefined) wanted.set(n.address, n.authPassword);
    for (const { server, address } of servers) {
      const fd = fdOf(server);
      if (fd === undefined) continue;
      const v6 = address.includes(':');
      const apply = (peer: string, key: string): void => {
        if (!v6 && peer.includes(':')) return;
        try {
          setTcpMd5Key(fd, peer, key, v6);
        } catch (err) {
          log.error({ err, peer, address }, 'cannot set the TCP-MD5 key on the listener');
        }
      };
      for (const [peer, key] of wanted) if (listenerKeys.get(peer) !== key) apply(peer, key);
      for (const peer of listenerKeys.keys()) if (!wanted.has(peer)) apply(peer, '');
    }
    listenerKeys = wanted;
  };
  const onConnection = (socket: net.Socket): void => {
    const remote = plainAddress(socket.remoteAddress ?? '');
    const session = byAddress.get(remote);
    if (!session) {
      log.info({ remote }, 'connection from an address that is not a neighbor: closed');
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    session.accept(socket);
  };
  const openListeners = async (g: GlobalConfig): Promise<void> => {
    if (g.port < 0) return;
    for (const address of g.localAddresses) {
      const server = net.createServer({ noDelay: true, highWaterMark: 512 * 1024 }, onConnection);
      server.on('error', (err) => log.error({ err, address }, 'BGP listener failed'));
      try {
        const v6Only = address === '::' && g.localAddresses.includes('0.0.0.0');
        listening.push(await listen(server, address, g.port, v6Only));
        servers.push({ server, address });
      } catch (err) {
        log.error({ err, address, port: g.port }, 'cannot listen for BGP connections');
      }
    }
    if (listening.length > 0) log.info({ listening }, 'listening for BGP connections');
  };
  const closeListeners = (): void => {
    for (const { server } of servers.splice(0)) server.close();
    listening.length = 0;
    listenerKeys = new Map();
  };

  await openListeners(global);
  setListenerKeys(o.config.neighbors);
  startStations(o.config);
  for (const s of sessions) s.start();
  log.info({ neighbors: sessions.length, as: global.as, routerId: global.routerId }, 'BGP speaker started');

  let stopped: Promise<void> | undefined;
  let changing: Promise<void> = Promise.resolve();
  return {
    listening,
    neighbors: () => sessions.map((s) => s.status()),
    neighbor: (address) => byAddress.get(plainAddress(address))?.status(),
    adjRibOut: (address, family) => byAddress.get(plainAddress(address))?.adjRibOut(family),
    adjRibIn: (address, family) => byAddress.get(plainAddress(address))?.adjRibIn(family),
    reconfigure(config) {
      const run = changing.then(async () => {
        if (stopped) return;
        const next = config.global;
        const globalChanged =
          next === undefined ||
          global === undefined ||
          next.as !== global.as ||
          next.routerId !== global.routerId;
        const listenChanged =
          next?.port !== global?.port ||
          JSON.stringify(next?.localAddresses) !== JSON.stringify(global?.localAddresses);
        const wanted = new Map((next ? config.neighbors : []).map((n) => [n.address, n]));
        const stopping: Promise<void>[] = [];
        const kept: PeerSession[] = [];
        for (const s of sessions) {
          const n = wanted.get(s.neighbor.address);
          if (n === undefined) {
            log.info({ peer: s.neighbor.address }, 'neighbor removed from the config');
            stopping.push(s.stop('neighbor removed from the config', cease(CEASE_PEER_DECONFIGURED)));
            byAddress.delete(s.neighbor.address);
          } else if (globalChanged || !sameSessionConfig(n, s.neighbor)) {
            log.info({ peer: s.neighbor.address }, 'neighbor config changed: restarting the session');
            stopping.push(s.stop('neighbor config changed', cease(CEASE_OTHER_CONFIG_CHANGE)));
            byAddress.delete(s.neighbor.address);
          } else {
            kept.push(s);
          }
        }
        for (const s of sessions) if (!kept.includes(s)) adjRibOut.delete(s);
        if (JSON.stringify(config.bmpServers) !== JSON.stringify(stations.map((st) => st.server))) {
          await Promise.all(stations.map((st) => st.stop()));
          startStations(config);
        }
        await Promise.all(stopping);
        policyConfig = config.policy;
        if (listenChanged) closeListeners();
        global = next;
        if (next === undefined) {
          sessions = [];
          log.info('BGP turned off by the config');
          return;
        }
        if (listenChanged) await openListeners(next);
        setListenerKeys(config.neighbors);
        const fresh: PeerSession[] = [];
        sessions = config.neighbors.map((n) => {
          const existing = kept.find((s) => s.neighbor.address === n.address);
          if (existing) {
            // Export policy changes are applied in place: only routes whose result changed go out.
            const peer = adjRibOut.get(existing);
            const before = peer?.exportPolicy?.fingerprint;
            peer?.setPolicy(exportPolicyFor(policyConfig, next, n));
            if (peer?.exportPolicy?.fingerprint !== before) {
              log.info({ peer: n.address }, 'export policy changed: re-evaluating the routes');
              existing.committed(performance.now());
            }
            return existing;
          }
          const s = createSession(n, next);
          byAddress.set(n.address, s);
          fresh.push(s);
          return s;
        });
        for (const s of fresh) s.start();
      });
      // One failed reconfigure must not stop every later one (issue 10.7): the chain goes on; the
      // caller of this one gets its error.
      changing = run.catch(() => undefined);
      return run;
    },
    stop(communication) {
      stopped ??= (async () => {
        await changing.catch(() => undefined);
        unfollow();
        closeListeners();
        await Promise.all(stations.map((st) => st.stop()));
        await Promise.all(sessions.map((s) => s.stop(communication)));
        log.info('BGP speaker stopped');
      })();
      return stopped;
    },
  };
}
