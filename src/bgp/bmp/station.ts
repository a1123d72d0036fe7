// One BMP monitoring station (`[[bmp-servers]]`), RFC 7854 with RFC 8671 and RFC 9069: we connect to
// the collector and send Initiation; then, per established session, Peer Up and its Adj-RIB-Out
// post-policy (every UPDATE the session writes, as written); per table (the global one and each VRF,
// with its RD as peer distinguisher) a Loc-RIB Peer Up and its routes, followed through the outbound
// projection like a peer; Statistics every statistics-timeout; Termination when stopping. A lost
// connection is retried with a doubling backoff (1 s .. 30 s), and the new one starts from the whole
// state again, as the RFC asks.
import net from 'node:net';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { BmpServerConfig, GlobalConfig } from '../../config/index.js';
import type { AdjRibOut, BgpOutbound, OutboundChunk } from '../../projections/bgp-outbound/index.js';
import type { RdRt } from '../../shared/index.js';
import { UpdateBuilder, encodeOpen, standardCapabilities, type BgpFamily } from '../codec/index.js';
import type { SessionMonitor, SessionUpInfo } from '../session.js';
import { routeAttributes } from '../session.js';
import {
  BMP_PEER_TYPE_GLOBAL,
  BMP_PEER_TYPE_LOC_RIB,
  STAT_ADJ_RIB_OUT_POST,
  STAT_LOC_RIB,
  encodeInitiation,
  encodePeerDown,
  encodePeerUp,
  encodeRouteMonitoring,
  encodeStatistics,
  encodeTermination,
  type BmpPeer,
} from './codec.js';

const MAX_BACKOFF_MS = 30_000;
const LOC_RIB_ROUTES_PER_ROUND = 2000;
const ALL_FAMILIES: readonly BgpFamily[] = [
  'ipv4-unicast',
  'ipv6-unicast',
  'l3vpn-ipv4-unicast',
  'l3vpn-ipv6-unicast',
];

export interface BmpStationOptions {
  readonly server: BmpServerConfig;
  readonly log: Logger;
  readonly outbound: BgpOutbound;
  readonly global: () => GlobalConfig | undefined;
  /** The sessions' Peer Up facts and Adj-RIB-Out now, for a new connection. */
  readonly snapshots: () => { info: SessionUpInfo; updates: Buffer[] }[];
  /** Routes sent per peer, for statistics. */
  readonly sentCounts: () => Map<string, number>;
  readonly minBackoffMs?: number;
}

/** A BMP client for one collector; also the SessionMonitor the sessions report to. */
export class BmpStation implements SessionMonitor {
  private readonly o: BmpStationOptions;
  readonly server: BmpServerConfig;
  private readonly log: Logger;
  private socket: net.Socket | undefined;
  private connected = false;
  private stopped = false;
  private backoffMs: number;
  private retry: NodeJS.Timeout | undefined;
  private stats: NodeJS.Timeout | undefined;
  private readonly peers = new Map<string, BmpPeer>();
  private locRib: AdjRibOut | undefined;
  private readonly locRibUp = new Set<string>();
  private builder: UpdateBuilder | undefined;

  constructor(o: BmpStationOptions) {
    this.o = o;
    this.server = o.server;
    this.log = o.log.child({ bmp: `${o.server.address}:${o.server.port}` });
    this.backoffMs = o.minBackoffMs ?? 1000;
  }

  private get adjRibOut(): boolean {
    const p = this.o.server.routeMonitoringPolicy;
    return p === 'post-policy' || p === 'all' || p === 'both';
  }

  private get localRib(): boolean {
    const p = this.o.server.routeMonitoringPolicy;
    return p === 'local-rib' || p === 'all' || p === 'both';
  }

  start(): void {
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    const socket = net.connect({ host: this.o.server.address, port: this.o.server.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => this.onConnect(socket));
    socket.on('drain', () => this.pumpLocRib());
    socket.on('data', () => undefined); // a station sends nothing we act on (RFC 7854 3.3)
    socket.on('error', (err) => this.log.debug({ err }, 'BMP connection error'));
    socket.on('close', () => {
      if (this.socket !== socket) return;
      const was = this.connected;
      this.reset();
      if (this.stopped) return;
      if (was) this.log.warn('BMP station connection lost; reconnecting');
      this.retry = setTimeout(() => this.connect(), this.backoffMs);
      this.retry.unref();
      this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
    });
  }

  private reset(): void {
    this.connected = false;
    this.socket = undefined;
    this.peers.clear();
    this.locRib?.close();
    this.locRib = undefined;
    this.locRibUp.clear();
    if (this.stats) clearInterval(this.stats);
    this.stats = undefined;
  }

  private onConnect(socket: net.Socket): void {
    this.connected = true;
    this.backoffMs = this.o.minBackoffMs ?? 1000;
    const g = this.o.global();
    this.log.info('connected to the BMP station');
    socket.write(encodeInitiation('ribjournal', this.o.server.sysName ?? hostname()));
    for (const snap of this.o.snapshots()) {
      this.up(snap.info);
      if (this.adjRibOut) this.updates(snap.info.peer, snap.updates);
    }
    if (this.localRib && g) {
      this.builder = new UpdateBuilder({
        localAs: g.as,
        peerAs: g.as,
        as4: true,
        nextHop: { ipv4: '0.0.0.0', ipv6: '::' },
      });
      this.locRib = this.o.outbound.createPeer();
      for (const vrf of this.o.outbound.vrfs()) this.locRibPeerUp(vrf);
      this.locRib.start(ALL_FAMILIES);
      this.pumpLocRib();
    }
    if (this.o.server.statisticsTimeout > 0) {
      this.stats = setInterval(() => this.statistics(), this.o.server.statisticsTimeout * 1000);
      this.stats.unref();
    }
  }

  private write(message: Buffer): void {
    if (this.connected) this.socket?.write(message);
  }

  // SessionMonitor -------------------------------------------------------------------------------

  up(info: SessionUpInfo): void {
    if (!this.connected) return;
    const peer: BmpPeer = {
      type: BMP_PEER_TYPE_GLOBAL,
      address: info.peer,
      as: info.peerAs,
      bgpId: info.peerBgpId,
      adjRibOut: this.adjRibOut,
    };
    this.peers.set(info.peer, peer);
    this.write(
      encodePeerUp(peer, {
        localAddress: info.localAddress,
        localPort: info.localPort,
        remotePort: info.remotePort,
        sentOpen: info.sentOpen,
        receivedOpen: info.receivedOpen,
      }),
    );
  }

  updates(peer: string, messages: readonly Buffer[]): void {
    if (!this.connected || !this.adjRibOut) return;
    const p = this.peers.get(peer);
    if (!p) return;
    const at = Date.now();
    for (const m of messages) this.write(encodeRouteMonitoring(p, m, at));
  }

  down(peer: string): void {
    const p = this.peers.get(peer);
    if (!p) return;
    this.peers.delete(peer);
    this.write(encodePeerDown(p, false));
  }

  // Loc-RIB ---------------------------------------------------------------------------------------

  private locRibPeer(rd: RdRt | undefined): BmpPeer {
    const g = this.o.global();
    return {
      type: BMP_PEER_TYPE_LOC_RIB,
      distinguisher: rd,
      as: g?.as ?? 0,
      bgpId: g?.routerId ?? '0.0.0.0',
      adjRibOut: false,
    };
  }

  private locRibPeerUp(vrf: string): void {
    if (this.locRibUp.has(vrf)) return;
    const adv = this.o.outbound.advertisement(vrf);
    const g = this.o.global();
    if (!adv || !g) return;
    this.locRibUp.add(vrf);
    const open = encodeOpen({
      as: g.as,
      holdTime: 0,
      bgpId: g.routerId,
      capabilities: standardCapabilities({ as: g.as, families: ALL_FAMILIES }),
    });
    this.write(
      encodePeerUp(this.locRibPeer(adv.rd), {
        localAddress: undefined,
        localPort: 0,
        remotePort: 0,
        sentOpen: open,
        receivedOpen: open,
        tableName: vrf === '' ? 'global' : vrf,
      }),
    );
  }

  /** Called after each journal commit: sends what changed in the Loc-RIB. */
  committed(): void {
    this.pumpLocRib();
  }

  private pumpLocRib(): void {
    const lr = this.locRib;
    const socket = this.socket;
    if (!lr || !socket || !this.connected || !this.builder) return;
    while (lr.hasWork && !socket.writableNeedDrain) {
      const chunks = lr.next(LOC_RIB_ROUTES_PER_ROUND);
      socket.cork();
      try {
        for (const chunk of chunks) this.writeLocRibChunk(chunk);
      } finally {
        socket.uncork();
      }
    }
  }

  private writeLocRibChunk(chunk: OutboundChunk): void {
    const builder = this.builder!;
    if (chunk.kind === 'end-of-rib') return;
    const v6 = chunk.family === 'ipv6-unicast' || chunk.family === 'l3vpn-ipv6-unicast';
    const family: BgpFamily = v6 ? 'ipv6-unicast' : 'ipv4-unicast';
    // RFC 9069: a VRF's Loc-RIB carries its routes as plain unicast, the RD in the per-peer header.
    const byRd = new Map<string, { rd: RdRt | undefined; prefixes: string[] }>();
    for (const r of chunk.routes) {
      const key = r.rd?.text ?? '';
      let g = byRd.get(key);
      if (!g) byRd.set(key, (g = { rd: r.rd, prefixes: [] }));
      g.prefixes.push(r.prefix);
    }
    const at = Date.now();
    for (const { rd, prefixes } of byRd.values()) {
      const routes = prefixes.map((prefix) => ({ family, prefix }));
      let vrf = chunk.kind === 'announce' ? chunk.advertisement.vrf : undefined;
      vrf ??=
        this.o.outbound.vrfs().find((v) => this.o.outbound.advertisement(v)?.rd?.text === rd?.text) ?? '';
      this.locRibPeerUp(vrf);
      const peer = this.locRibPeer(rd);
      const messages =
        chunk.kind === 'announce'
          ? builder.announce(family, routes, routeAttributes(chunk.advertisement, chunk.attributes))
          : builder.withdraw(family, routes);
      for (const m of messages) this.write(encodeRouteMonitoring(peer, m, at));
    }
  }

  private statistics(): void {
    if (!this.connected) return;
    const counts = this.o.sentCounts();
    for (const [peer, p] of this.peers)
      this.write(encodeStatistics(p, [[STAT_ADJ_RIB_OUT_POST, counts.get(peer) ?? 0]]));
    if (this.localRib) {
      for (const vrf of this.locRibUp) {
        const adv = this.o.outbound.advertisement(vrf);
        this.write(
          encodeStatistics(this.locRibPeer(adv?.rd), [[STAT_LOC_RIB, this.o.outbound.rib.size(vrf)]]),
        );
      }
    }
  }

  /** Sends Termination and closes. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const socket = this.socket;
    if (socket && this.connected) {
      socket.end(encodeTermination('ribjournal stopping'));
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          socket.destroy();
          resolve();
        }, 2000);
        t.unref();
        socket.once('close', () => {
          clearTimeout(t);
          resolve();
        });
      });
    } else socket?.destroy();
    this.reset();
  }
}
