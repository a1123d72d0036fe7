// The BGP speaker: one PeerSession per configured neighbor, listeners on `[global.config] port` for
// the connections peers open (matched to neighbors by address; the FSM resolves collisions), and the
// outbound projection fed from the journal's live tail. A commit reaches the sockets in the same
// turn of the event loop that delivers it: no timers or polling on the outbound path.
import net from 'node:net';
import type { Logger } from 'pino';
import type { Config, GlobalConfig, NeighborConfig } from '../config/index.js';
import type { Envelope } from '../events/index.js';
import type { Journal } from '../journal/index.js';
import { BgpOutbound } from '../projections/bgp-outbound/index.js';
import type { Rib } from '../projections/index.js';
import { RibjournalError } from '../shared/index.js';
import {
  CEASE_OTHER_CONFIG_CHANGE,
  CEASE_PEER_DECONFIGURED,
  ERR_CEASE,
  type NotificationData,
} from './codec/index.js';
import type { Scheduler } from './fsm.js';
import { plainAddress, type InterfaceTable } from './next-hop.js';
import { PeerSession, type NeighborStatus } from './session.js';

export interface SpeakerOptions {
  readonly config: Config;
  /** The live Rib; the speaker must be started after it is replayed and following the journal. */
  readonly rib: Rib;
  readonly journal: Journal;
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

  const createSession = (n: NeighborConfig, g: GlobalConfig): PeerSession =>
    new PeerSession({
      neighbor: n,
      global: g,
      log,
      outbound: outbound.createPeer(),
      ...(o.scheduler ? { scheduler: o.scheduler } : {}),
      ...(o.interfaces ? { interfaces: o.interfaces } : {}),
      ...(o.gracefulRestartTime !== undefined ? { gracefulRestartTime: o.gracefulRestartTime } : {}),
      ...(o.minRetryMs !== undefined ? { minRetryMs: o.minRetryMs } : {}),
      ...(o.onUpdateWritten ? { onUpdateWritten: o.onUpdateWritten } : {}),
    });
  for (const n of o.config.neighbors) {
    const s = createSession(n, global);
    sessions.push(s);
    byAddress.set(n.address, s);
  }

  // Follow the journal. The Rib's own listener was registered first, so it has applied each batch.
  const onBatch = (batch: readonly Envelope[]): void => {
    const at = performance.now();
    try {
      for (const env of batch) if (env.seq > outbound.seq) outbound.apply(env);
      for (const s of sessions) s.committed(at);
    } catch (err) {
      log.error({ err }, 'BGP outbound projection failed on a commit');
    }
  };
  const unfollow = o.journal.onCommit(onBatch);

  const servers: net.Server[] = [];
  const listening: ListenAddress[] = [];
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
        servers.push(server);
      } catch (err) {
        log.error({ err, address, port: g.port }, 'cannot listen for BGP connections');
      }
    }
    if (listening.length > 0) log.info({ listening }, 'listening for BGP connections');
  };
  const closeListeners = (): void => {
    for (const server of servers.splice(0)) server.close();
    listening.length = 0;
  };

  await openListeners(global);
  for (const s of sessions) s.start();
  log.info({ neighbors: sessions.length, as: global.as, routerId: global.routerId }, 'BGP speaker started');

  let stopped: Promise<void> | undefined;
  let changing: Promise<void> = Promise.resolve();
  return {
    listening,
    neighbors: () => sessions.map((s) => s.status()),
    neighbor: (address) => byAddress.get(plainAddress(address))?.status(),
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
          } else if (globalChanged || JSON.stringify(n) !== JSON.stringify(s.neighbor)) {
            log.info({ peer: s.neighbor.address }, 'neighbor config changed: restarting the session');
            stopping.push(s.stop('neighbor config changed', cease(CEASE_OTHER_CONFIG_CHANGE)));
            byAddress.delete(s.neighbor.address);
          } else {
            kept.push(s);
          }
        }
        await Promise.all(stopping);
        if (listenChanged) closeListeners();
        global = next;
        if (next === undefined) {
          sessions = [];
          log.info('BGP turned off by the config');
          return;
        }
        if (listenChanged) await openListeners(next);
        const fresh: PeerSession[] = [];
        sessions = config.neighbors.map((n) => {
          const existing = kept.find((s) => s.neighbor.address === n.address);
          if (existing) return existing;
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
        await Promise.all(sessions.map((s) => s.stop(communication)));
        log.info('BGP speaker stopped');
      })();
      return stopped;
    },
  };
}
