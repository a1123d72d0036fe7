// One neighbor's BGP session over TCP: the sockets (ours and the peer's, until a collision is
// resolved), message framing and decoding, the FSM's actions carried out, inbound messages checked
// (RFC 4271 6, RFC 7606), and the outbound queue written to the wire as fast as the socket takes it.
// Everything a peer sends is input from outside: a bad message ends in a NOTIFICATION and a closed
// connection of this neighbor, never in an exception that reaches the daemon.
import { ReceivedPrefixes } from './received-count.js';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import type { GlobalConfig, NeighborConfig } from '../config/index.js';
import {
  outboundFamily,
  type AdjRibOut,
  type OutboundChunk,
  type OutboundFamily,
  type PolicyAttributes,
  type VrfAdvertisement,
} from '../projections/bgp-outbound/index.js';
import {
  BGP_MSG_KEEPALIVE,
  BGP_MSG_NOTIFICATION,
  BGP_MSG_OPEN,
  BGP_MSG_ROUTE_REFRESH,
  BGP_MSG_UPDATE,
  BgpProtocolError,
  CEASE_ADMIN_SHUTDOWN,
  ERR_CEASE,
  MessageReader,
  ROUTE_REFRESH_NORMAL,
  UpdateBuilder,
  decodeNotification,
  decodeOpen,
  decodeRouteRefresh,
  decodeUpdate,
  describeNotification,
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  isIpv6Family,
  isVpnFamily,
  shutdownNotification,
  standardCapabilities,
  type BgpFamily,
  type AnnouncedRoute,
  type BgpRoute,
  type DecodedOpen,
  type PathAttributes,
  type NegotiatedSession,
  type NextHopSelf,
  type NotificationData,
  type RawMessage,
  type RouteAttributes,
  frameMessage,
} from './codec/index.js';
import { PeerFsm, realScheduler, type FsmAction, type PeerState, type Scheduler } from './fsm.js';
import { nextHopSelf, plainAddress, type InterfaceTable } from './next-hop.js';
import { fdOf, setMinTtl, setTtl, socketForConnect } from './socket-options.js';
import { sessionTtl, type SessionTtl } from './ttl.js';

/** Routes taken from the outbound queue per encode round; UPDATEs of a round are written together. */
const ROUTES_PER_ROUND = 4096;
/** Socket buffer before `write` asks us to wait for 'drain': coalescing starts beyond this. */
const WRITE_HIGH_WATER_MARK = 512 * 1024;
/** How long a closing connection may take to flush before it is destroyed. */
const CLOSE_GRACE_MS = 2000;
/**
 * RFC 4724: how long peers keep our routes while we restart (seconds, at most 4095). Announced unless
 * the neighbor's `[neighbors.graceful-restart.config]` says otherwise, although GoBGP's own default is
 * off: ribjournal only originates routes, and a crash or restart of it should not make peers drop them
 * (and the traffic to them) while the kernel still has the addresses; the new session resends the table.
 */
export const DEFAULT_GRACEFUL_RESTART_TIME = 120;

/** Message counters of one direction, as gobgp's `neighbor X` shows them. */
export interface MessageCounts {
  open: number;
  update: number;
  notification: number;
  keepalive: number;
  routeRefresh: number;
}

/** What the API and CLI show about a neighbor. */
export interface NeighborStatus {
  readonly address: string;
  readonly peerAs: number;
  readonly localAs: number;
  readonly passive: boolean;
  readonly state: PeerState;
  /** Epoch ms of the last transition into or out of Established; undefined when never up. */
  readonly since: number | undefined;
  readonly established: boolean;
  /** The peer's BGP identifier (from its last OPEN). */
  readonly routerId: string | undefined;
  readonly localAddress: string | undefined;
  readonly remotePort: number | undefined;
  /** Negotiated hold and keepalive times in seconds (established sessions). */
  readonly holdTime: number | undefined;
  readonly keepaliveTime: number | undefined;
  /** Families the session carries (established sessions). */
  readonly families: readonly OutboundFamily[];
  /** Routes advertised and not withdrawn in this session, per family. */
  readonly prefixesSent: readonly { readonly family: OutboundFamily; readonly count: number }[];
  /** Routes the peer advertised to us (we keep none: ribjournal only originates). */
  readonly prefixesReceived: number;
  /** Routes waiting to go out (changed keys plus what the initial walk has still to visit). */
  readonly queueDepth: number;
  /** Octets written to the socket and not yet sent. */
  readonly queuedBytes: number;
  /** Whether End-of-RIB followed the initial table in this session. */
  readonly initialTableSent: boolean;
  /** Octets of UPDATE messages written to the peer, all sessions. */
  readonly updateOctetsSent: number;
  /** Sessions that went down (Established left). */
  readonly flaps: number;
  readonly lastError: string | undefined;
  readonly sent: Readonly<MessageCounts>;
  readonly received: Readonly<MessageCounts>;
}

export interface PeerSessionOptions {
  readonly neighbor: NeighborConfig;
  readonly global: GlobalConfig;
  /** A child logger with topic `bgp`. */
  readonly log: Logger;
  readonly outbound: AdjRibOut;
  readonly scheduler?: Scheduler;
  /** The interface table for next-hop-self (os.networkInterfaces() unless given). */
  readonly interfaces?: () => InterfaceTable;
  /** Graceful restart time announced; 0 announces no graceful restart capability. */
  readonly gracefulRestartTime?: number;
  /** First connect-retry backoff in ms (tests). */
  readonly minRetryMs?: number;
  /** Leave the link-local next hop out of VPN-IPv6 routes (48-octet next hops some peers reject). */
  readonly vpnv6LinkLocal?: boolean;
  /**
   * Called once per written round of UPDATEs that follows a journal commit (see `committed`): the
   * seconds from the earliest commit not yet measured to the socket write, and the peer's address.
   */
  readonly onUpdateWritten?: (seconds: number, peer: string) => void;
}

interface Connection {
  readonly id: number;
  readonly socket: net.Socket;
  readonly reader: MessageReader;
  /** TCP is up (always for the peer's connections). */
  connected: boolean;
  /** Close asked for: further input is ignored. */
  closing: boolean;
  session: NegotiatedSession | undefined;
  open: DecodedOpen | undefined;
  builder: UpdateBuilder | undefined;
  /** Builder for VPN-IPv6 when its next hop differs (link-local left out). */
  vpnv6Builder: UpdateBuilder | undefined;
  /** The OPEN messages exchanged, whole (BMP Peer Up carries them). */
  sentOpen?: Buffer;
  receivedOpen?: Buffer;
}

/** At most this many routes the peer sent are kept with their attributes (adj-in); more are counted. */
export const ADJ_RIB_IN_LIMIT = 100_000;

/** One route of adj-in or adj-out as `gobgp neighbor ADDR adj-in|adj-out` lists it. */
export interface AdjRibRoute {
  readonly family: BgpFamily;
  /** The VRF it comes from (adj-out; '' for the global table); undefined for adj-in. */
  readonly vrf?: string;
  readonly rd: string | undefined;
  readonly prefix: string;
  readonly nextHop: string | undefined;
  readonly asPath: readonly number[];
  readonly med: number | undefined;
  readonly localPref: number | undefined;
  readonly communities: readonly number[];
  readonly largeCommunities: readonly (readonly [number, number, number])[];
  /** Extended communities as text (rt:..., soo:...). */
  readonly extCommunities: readonly string[];
  readonly labels: readonly number[];
  /** ms since the epoch: when it was sent or received. */
  readonly at: number;
  /** adj-out: journal seq of the newest path event behind the route. */
  readonly seq?: number;
  /** adj-out: config version of the VRF attributes it was sent with. */
  readonly configVersion?: number;
  /** adj-out: the export policy statement that accepted it. */
  readonly statement?: string | undefined;
}

interface ReceivedRoute {
  readonly route: AnnouncedRoute;
  readonly attributes: PathAttributes;
  readonly at: number;
}

/** What BMP needs to know of an established session (RFC 7854 4.10). */
export interface SessionUpInfo {
  readonly peer: string;
  readonly peerAs: number;
  readonly peerBgpId: string;
  readonly localAddress: string | undefined;
  readonly localPort: number;
  readonly remotePort: number;
  readonly sentOpen: Buffer;
  readonly receivedOpen: Buffer;
}

/** Taps on a session for BMP: its ups and downs and every UPDATE it writes (the Adj-RIB-Out post-policy). */
export interface SessionMonitor {
  up(info: SessionUpInfo): void;
  updates(peer: string, messages: readonly Buffer[]): void;
  down(peer: string): void;
}

/** The UPDATE attributes of a route of a VRF with what export policy added. */
export function routeAttributes(adv: VrfAdvertisement, attrs: PolicyAttributes): RouteAttributes {
  return {
    routeTargets: adv.routeTargets,
    extCommunities: attrs.extCommunities,
    communities: attrs.communities,
    largeCommunities: attrs.largeCommunities,
    med: attrs.med,
    localPref: attrs.localPref,
    asPathPrepend: attrs.asPathPrepend,
  };
}

function zeroCounts(): MessageCounts {
  return { open: 0, update: 0, notification: 0, keepalive: 0, routeRefresh: 0 };
}

function canCarry(family: BgpFamily, nh: NextHopSelf, session: NegotiatedSession): boolean {
  if (isIpv6Family(family)) return nh.ipv6 !== undefined || nh.ipv4 !== undefined;
  return nh.ipv4 !== undefined || (nh.ipv6 !== undefined && session.extendedNextHop.includes(family));
}

/** One neighbor: its FSM, its connections and its outbound queue. */
export class PeerSession {
  readonly neighbor: NeighborConfig;
  private readonly log: Logger;
  private readonly outbound: AdjRibOut;
  private readonly fsm: PeerFsm;
  private readonly interfaces: () => InterfaceTable;
  private readonly vpnv6LinkLocal: boolean;
  private readonly conns = new Map<number, Connection>();
  private readonly localAs: number;
  private pumping = false;
  private since: number | undefined;
  private flaps = 0;
  private lastError: string | undefined;
  private readonly ttl: SessionTtl;
  /** BMP taps (set by the speaker). */
  monitor: SessionMonitor | undefined;
  private upInfo: SessionUpInfo | undefined;
  /** A failed connect with TCP-MD5 configured was logged since the last session (once is enough). */
  private md5Warned = false;
  private peerId: string | undefined;
  /** Adj-RIB-In: what the peer advertised, bounded by ADJ_RIB_IN_LIMIT (adj-in shows these). */
  private readonly received = new Map<string, ReceivedRoute>();
  /** How many prefixes the peer advertised and did not withdraw, bounded in memory (neighbor status). */
  private readonly counted = new ReceivedPrefixes();
  private nextHop: NextHopSelf | undefined;
  private updateOctets = 0;
  private readonly sentCounts = zeroCounts();
  private readonly receivedCounts = zeroCounts();
  private closedWaiters: (() => void)[] = [];
  private readonly onUpdateWritten: ((seconds: number, peer: string) => void) | undefined;
  /** performance.now() of the earliest commit whose routes are queued and not yet measured. */
  private commitAt: number | undefined;

  constructor(o: PeerSessionOptions) {
    this.neighbor = o.neighbor;
    this.log = o.log.child({ peer: o.neighbor.address });
    this.ttl = sessionTtl(o.neighbor, o.neighbor.localAs ?? o.global.as);
    this.outbound = o.outbound;
    this.interfaces = o.interfaces ?? networkInterfaces;
    this.vpnv6LinkLocal = o.vpnv6LinkLocal ?? true;
    this.onUpdateWritten = o.onUpdateWritten;
    this.localAs = o.neighbor.localAs ?? o.global.as;
    // The neighbor's config when it has [neighbors.graceful-restart.config] (enabled = false: none),
    // else the speaker's default (0: none).
    const gr = o.neighbor.gracefulRestart;
    const grTime = gr
      ? gr.enabled
        ? gr.restartTime
        : undefined
      : (o.gracefulRestartTime ?? DEFAULT_GRACEFUL_RESTART_TIME) || undefined;
    const capabilities = standardCapabilities({
      as: this.localAs,
      families: o.neighbor.families,
      extendedMessage: true,
      ...(grTime !== undefined
        ? { gracefulRestart: { restarting: false, restartTime: grTime, forwarding: true } }
        : {}),
    });
    this.fsm = new PeerFsm(
      {
        localAs: this.localAs,
        bgpId: o.global.routerId,
        peerAs: o.neighbor.peerAs,
        holdTime: o.neighbor.holdTime,
        keepaliveInterval: o.neighbor.keepaliveInterval,
        connectRetry: o.neighbor.connectRetry,
        passive: o.neighbor.passive,
        capabilities,
        ...(o.minRetryMs !== undefined ? { minRetryMs: o.minRetryMs } : {}),
      },
      o.scheduler ?? realScheduler,
      (a) => this.act(a),
    );
  }

  /** Starts the FSM (connects unless passive). */
  start(): void {
    this.fsm.handle({ type: 'start' });
  }

  get state(): PeerState {
    return this.fsm.state;
  }

  /**
   * Stops the neighbor: a Cease NOTIFICATION on each open connection (Administrative Shutdown with
   * `communication` (RFC 9003) unless another is given); resolves once the connections are closed (at
   * most CLOSE_GRACE_MS later). The neighbor's outbound queue stops following the table.
   */
  async stop(
    communication = 'ribjournal is shutting down',
    notification: NotificationData = shutdownNotification(CEASE_ADMIN_SHUTDOWN, communication),
  ): Promise<void> {
    this.fsm.handle({ type: 'stop', notification, reason: communication });
    this.outbound.close();
    if (this.conns.size === 0) return;
    await new Promise<void>((resolve) => this.closedWaiters.push(resolve));
  }

  /** Says once per outage that a connect with TCP-MD5 failed, since the kernel drops such segments silently. */
  private warnMd5(reason: string): void {
    if (this.neighbor.authPassword === undefined || this.md5Warned) return;
    this.md5Warned = true;
    this.log.warn(
      { reason },
      'cannot connect to the peer with TCP-MD5: a wrong or missing password on either side drops every segment',
    );
  }

  /**
   * For a BMP station that connects now: the session's Peer Up facts and its Adj-RIB-Out encoded as
   * UPDATEs, as they were sent; undefined while the session is not established.
   */
  adjRibOutSnapshot(): { info: SessionUpInfo; updates: Buffer[] } | undefined {
    const id = this.fsm.establishedConn;
    const c = id === undefined ? undefined : this.conns.get(id);
    if (!this.upInfo || !c?.builder) return undefined;
    const groups = new Map<
      string,
      { family: OutboundFamily; adv: VrfAdvertisement; attrs: PolicyAttributes; routes: BgpRoute[] }
    >();
    for (const { vrf, prefix, sent } of this.outbound.adjRibOut()) {
      const family = outboundFamily(vrf, prefix);
      const key = `${family}|${vrf}|${sent.advertisement.configVersion}|${sent.attributes.key}`;
      let g = groups.get(key);
      if (!g) {
        g = { family, adv: sent.advertisement, attrs: sent.attributes, routes: [] };
        groups.set(key, g);
      }
      const adv = sent.advertisement;
      g.routes.push(
        adv.rd === undefined ? { family, prefix } : { family, prefix, rd: adv.rd, labels: adv.labels },
      );
    }
    const updates: Buffer[] = [];
    for (const g of groups.values()) {
      const builder = g.family === 'l3vpn-ipv6-unicast' && c.vpnv6Builder ? c.vpnv6Builder : c.builder;
      updates.push(...builder.announce(g.family, g.routes, routeAttributes(g.adv, g.attrs)));
    }
    return { info: this.upInfo, updates };
  }

  /** adj-in: the routes the peer advertised to us (at most ADJ_RIB_IN_LIMIT kept), of `family` or all. */
  adjRibIn(family?: BgpFamily): AdjRibRoute[] {
    const out: AdjRibRoute[] = [];
    for (const { route, attributes: a, at } of this.received.values()) {
      if (family !== undefined && route.family !== family) continue;
      out.push({
        family: route.family,
        rd: route.rd?.text,
        prefix: route.prefix,
        nextHop: route.nextHop,
        asPath: (a.asPath ?? []).flatMap((seg) => seg.asns),
        med: a.med,
        localPref: a.localPref,
        communities: a.communities ?? [],
        largeCommunities: a.largeCommunities ?? [],
        extCommunities: (a.routeTargets ?? []).map((rt) => `rt:${rt.text}`),
        labels: route.labels ?? [],
        at,
      });
    }
    return out;
  }

  /** adj-out: what this session advertised and did not withdraw, as sent, with why. */
  adjRibOut(family?: BgpFamily): AdjRibRoute[] {
    const nh = this.nextHop;
    const ibgp = this.neighbor.peerAs === this.localAs;
    const out: AdjRibRoute[] = [];
    for (const { vrf, prefix, sent } of this.outbound.adjRibOut(family)) {
      const f = outboundFamily(vrf, prefix);
      const v6 = f === 'ipv6-unicast' || f === 'l3vpn-ipv6-unicast';
      const adv = sent.advertisement;
      const a = sent.attributes;
      out.push({
        family: f,
        vrf,
        rd: adv.rd?.text,
        prefix,
        nextHop: v6 ? (nh?.ipv6 ?? (nh?.ipv4 ? `::ffff:${nh.ipv4}` : undefined)) : (nh?.ipv4 ?? nh?.ipv6),
        asPath: ibgp ? a.asPathPrepend : [...a.asPathPrepend, this.localAs],
        med: a.med,
        localPref: ibgp ? (a.localPref ?? 100) : undefined,
        communities: a.communities,
        largeCommunities: a.largeCommunities,
        extCommunities: [
          ...adv.routeTargets.map((rt) => `rt:${rt.text}`),
          ...a.extCommunities.map((e) => `${e.subtype === 'route-target' ? 'rt' : 'soo'}:${e.value.text}`),
        ],
        labels: adv.labels,
        at: sent.at,
        seq: sent.seq,
        configVersion: sent.configVersion,
        statement: sent.statement,
      });
    }
    return out;
  }

  /** A connection the peer opened to our listener. */
  accept(socket: net.Socket): void {
    const fd = fdOf(socket);
    if (fd !== undefined && (this.ttl.ttl !== undefined || this.ttl.minTtl !== undefined)) {
      try {
        // An IPv4 peer on a dual-stack listener ("::ffff:a.b.c.d") is governed by the IPv4 options.
        const v6 = !net.isIPv4(plainAddress(socket.remoteAddress ?? ''));
        if (this.ttl.ttl !== undefined) setTtl(fd, v6, this.ttl.ttl);
        if (this.ttl.minTtl !== undefined) setMinTtl(fd, v6, this.ttl.minTtl);
      } catch (err) {
        this.log.error({ err }, 'cannot set the TTL of an incoming connection: closed');
        socket.on('error', () => undefined);
        socket.destroy();
        return;
      }
    }
    const id = this.fsm.allocateConn();
    const c = this.track(id, socket, true);
    this.log.debug({ conn: id, remote: socket.remoteAddress }, 'incoming connection');
    this.fsm.handle({ type: 'tcp-incoming', conn: c.id });
  }

  /**
   * A journal commit was applied to the outbound projection at `at` (performance.now()): remembered
   * when it left routes queued on an established session, so the next written UPDATEs report the
   * commit-to-UPDATE latency; then pumps.
   */
  committed(at: number): void {
    if (
      this.commitAt === undefined &&
      this.onUpdateWritten !== undefined &&
      this.fsm.establishedConn !== undefined &&
      this.outbound.hasWork
    )
      this.commitAt = at;
    this.pump();
  }

  /** Writes queued routes while the socket takes them. Called after each journal commit and on 'drain'. */
  pump(): void {
    const id = this.fsm.establishedConn;
    const c = id === undefined ? undefined : this.conns.get(id);
    if (!c || !c.builder || c.closing || this.pumping) return;
    this.pumping = true;
    try {
      while (this.outbound.hasWork && !c.socket.writableNeedDrain && !c.closing) {
        const chunks = this.outbound.next(ROUTES_PER_ROUND);
        if (chunks.length === 0) continue;
        c.socket.cork();
        let updates = false;
        try {
          for (const chunk of chunks) {
            this.writeChunk(c, chunk);
            if (chunk.kind !== 'end-of-rib') updates = true;
          }
        } finally {
          c.socket.uncork();
        }
        if (updates && this.commitAt !== undefined) {
          const seconds = (performance.now() - this.commitAt) / 1000;
          this.commitAt = undefined;
          this.onUpdateWritten?.(seconds, this.neighbor.address);
        }
      }
    } catch (err) {
      // A bug or a route the encoder cannot carry: this session only, never the daemon.
      this.log.error({ err }, 'encoding UPDATEs failed; resetting the session');
      this.fsm.handle({
        type: 'error',
        conn: c.id,
        notification: { code: ERR_CEASE, subcode: 0, data: new Uint8Array(0) },
        reason: `internal error: ${err instanceof Error ? err.message : String(err)}`,
      });
    } finally {
      this.pumping = false;
    }
  }

  status(): NeighborStatus {
    const id = this.fsm.establishedConn;
    const c = id === undefined ? undefined : this.conns.get(id);
    const s = c?.session;
    const families = s ? this.outbound.sessionFamilies : [];
    return {
      address: this.neighbor.address,
      peerAs: this.neighbor.peerAs,
      localAs: this.localAs,
      passive: this.neighbor.passive,
      state: this.fsm.state,
      since: this.since,
      established: c !== undefined,
      routerId: this.peerId,
      localAddress: c?.socket.localAddress !== undefined ? plainAddress(c.socket.localAddress) : undefined,
      remotePort: c?.socket.remotePort,
      holdTime: s?.holdTime,
      keepaliveTime: s?.keepaliveTime,
      families,
      prefixesSent: families.map((family) => ({ family, count: this.outbound.sent(family) })),
      prefixesReceived: this.counted.count,
      queueDepth: this.outbound.depth,
      queuedBytes: c?.socket.writableLength ?? 0,
      initialTableSent: this.outbound.initialTableSent,
      updateOctetsSent: this.updateOctets,
      flaps: this.flaps,
      lastError: this.lastError,
      sent: { ...this.sentCounts },
      received: { ...this.receivedCounts },
    };
  }

  private writeChunk(c: Connection, chunk: OutboundChunk): void {
    const builder = chunk.family === 'l3vpn-ipv6-unicast' && c.vpnv6Builder ? c.vpnv6Builder : c.builder!;
    let messages: Buffer[];
    switch (chunk.kind) {
      case 'announce':
        messages = builder.announce(
          chunk.family,
          chunk.routes,
          routeAttributes(chunk.advertisement, chunk.attributes),
        );
        break;
      case 'withdraw':
        messages = builder.withdraw(chunk.family, chunk.routes);
        break;
      case 'end-of-rib':
        messages = [builder.endOfRib(chunk.family)];
        this.log.debug({ family: chunk.family }, 'End-of-RIB sent');
        break;
    }
    for (const m of messages) {
      c.socket.write(m);
      this.updateOctets += m.length;
    }
    if (chunk.kind !== 'end-of-rib') this.monitor?.updates(this.neighbor.address, messages);
    this.sentCounts.update += messages.length;
  }

  private track(id: number, socket: net.Socket, connected: boolean): Connection {
    const c: Connection = {
      id,
      socket,
      reader: new MessageReader(),
      connected,
      closing: false,
      session: undefined,
      open: undefined,
      builder: undefined,
      vpnv6Builder: undefined,
    };
    this.conns.set(id, c);
    socket.setNoDelay(true);
    let error: string | undefined;
    socket.on('error', (err: NodeJS.ErrnoException) => {
      error = err.code ?? err.message;
    });
    socket.on('data', (chunk: Buffer) => this.onData(c, chunk));
    socket.on('drain', () => this.pump());
    socket.on('close', () => {
      this.conns.delete(id);
      if (!c.closing && this.fsm.has(id)) {
        const reason = error ? `connection error ${error}` : 'peer closed the connection';
        if (!c.connected) this.warnMd5(reason);
        this.fsm.handle(
          c.connected ? { type: 'tcp-closed', conn: id, reason } : { type: 'tcp-failed', conn: id, reason },
        );
      }
      if (this.conns.size === 0) {
        const waiters = this.closedWaiters;
        this.closedWaiters = [];
        for (const w of waiters) w();
      }
    });
    return c;
  }

  private act(a: FsmAction): void {
    switch (a.kind) {
      case 'connect': {
        const n = this.neighbor;
        // highWaterMark reaches the socket's Duplex options (Node's typings omit it).
        const options: net.NetConnectOpts = {
          host: n.address,
          port: n.remotePort,
          ...(n.localAddress !== undefined ? { localAddress: n.localAddress } : {}),
        };
        // highWaterMark reaches the socket's Duplex options (Node's typings omit it).
        const streamOptions = { highWaterMark: WRITE_HIGH_WATER_MARK } as net.SocketConstructorOpts;
        let socket: net.Socket;
        let failure: Error | undefined;
        try {
          // The MD5 key and TTLs must be on the descriptor before the SYN.
          socket = socketForConnect(
            { peer: n.address, md5Key: n.authPassword, ttl: this.ttl.ttl, minTtl: this.ttl.minTtl },
            streamOptions,
          );
        } catch (err) {
          this.log.error({ err }, 'cannot prepare the connection socket');
          failure = err instanceof Error ? err : new Error(String(err));
          socket = new net.Socket(streamOptions);
        }
        const c = this.track(a.conn, socket, false);
        if (failure) {
          const err = failure;
          process.nextTick(() => socket.destroy(err));
          return;
        }
        socket.connect(options);
        socket.once('connect', () => {
          c.connected = true;
          this.fsm.handle({ type: 'tcp-connected', conn: a.conn });
        });
        return;
      }
      case 'send-open': {
        const open = encodeOpen(a.open);
        const conn = this.conns.get(a.conn);
        if (conn) conn.sentOpen = open;
        this.write(a.conn, open);
        this.sentCounts.open++;
        return;
      }
      case 'send-keepalive':
        this.write(a.conn, encodeKeepalive());
        this.sentCounts.keepalive++;
        return;
      case 'send-notification': {
        const n = a.notification;
        this.write(a.conn, encodeNotification(n));
        this.sentCounts.notification++;
        this.lastError = `sent ${describeNotification(n.code, n.subcode)}`;
        if (n.code !== ERR_CEASE)
          this.log.warn({ conn: a.conn }, `NOTIFICATION sent: ${this.lastError.slice(5)}`);
        return;
      }
      case 'close': {
        const c = this.conns.get(a.conn);
        if (!c || c.closing) return;
        c.closing = true;
        this.log.debug({ conn: a.conn, reason: a.reason }, 'closing connection');
        if (!c.connected) {
          this.warnMd5(a.reason);
          c.socket.destroy();
          return;
        }
        c.socket.end();
        const t = setTimeout(() => c.socket.destroy(), CLOSE_GRACE_MS);
        t.unref();
        c.socket.once('close', () => clearTimeout(t));
        return;
      }
      case 'established':
        this.md5Warned = false;
        this.established(a.conn, a.session, a.open);
        return;
      case 'down':
        if (this.upInfo) this.monitor?.down(this.neighbor.address);
        this.upInfo = undefined;
        this.outbound.stop();
        this.commitAt = undefined;
        this.received.clear();
        this.counted.clear();
        this.flaps++;
        this.since = Date.now();
        this.lastError = a.reason;
        this.log.info({ reason: a.reason }, 'session down');
        return;
      case 'state':
        this.log.debug({ state: a.state, previous: a.previous }, 'state change');
        return;
    }
  }

  private write(conn: number, message: Buffer): void {
    const c = this.conns.get(conn);
    if (!c || c.closing || c.socket.destroyed) return;
    c.socket.write(message);
  }

  private established(conn: number, session: NegotiatedSession, open: DecodedOpen): void {
    const c = this.conns.get(conn);
    if (!c) return;
    c.session = session;
    c.open = open;
    c.reader.extendedMessages = session.extendedMessage;
    this.peerId = session.peerBgpId;
    const nh = nextHopSelf(c.socket.localAddress ?? '', c.socket.remoteAddress ?? '', this.interfaces());
    this.nextHop = nh;
    const options = {
      localAs: this.localAs,
      peerAs: session.peerAs,
      as4: session.as4,
      nextHop: nh,
      extendedNextHop: session.extendedNextHop,
      extendedMessage: session.extendedMessage,
    };
    c.builder = new UpdateBuilder(options);
    if (!this.vpnv6LinkLocal && nh.ipv6LinkLocal !== undefined) {
      const { ipv6LinkLocal: _ll, ...rest } = nh;
      c.vpnv6Builder = new UpdateBuilder({ ...options, nextHop: rest });
    }
    const families: OutboundFamily[] = [];
    for (const f of session.families) {
      if (canCarry(f, nh, session)) families.push(f);
      else
        this.log.warn(
          { family: f },
          'no next hop for this family on this session (IPv4 routes over IPv6 need an IPv4 address on the interface or the peer’s extended next hop capability): not advertised',
        );
    }
    this.since = Date.now();
    this.upInfo = {
      peer: this.neighbor.address,
      peerAs: session.peerAs,
      peerBgpId: session.peerBgpId,
      localAddress: c.socket.localAddress !== undefined ? plainAddress(c.socket.localAddress) : undefined,
      localPort: c.socket.localPort ?? 0,
      remotePort: c.socket.remotePort ?? 0,
      sentOpen: c.sentOpen ?? Buffer.alloc(0),
      receivedOpen: c.receivedOpen ?? Buffer.alloc(0),
    };
    this.monitor?.up(this.upInfo);
    this.outbound.start(families);
    this.log.info(
      {
        as: session.peerAs,
        routerId: session.peerBgpId,
        families,
        holdTime: session.holdTime,
        nextHop: nh,
        vpn: families.some(isVpnFamily),
      },
      'session up',
    );
    this.pump();
  }

  private onData(c: Connection, chunk: Buffer): void {
    if (c.closing || !this.fsm.has(c.id)) return;
    try {
      let messages: RawMessage[];
      try {
        messages = c.reader.push(chunk);
      } catch (err) {
        if (!(err instanceof BgpProtocolError)) throw err;
        this.protocolError(c, err);
        return;
      }
      for (const m of messages) {
        if (c.closing || !this.fsm.has(c.id)) return;
        this.onMessage(c, m);
      }
    } catch (err) {
      // Task boundary: a bug while handling this peer's input resets this session only.
      this.log.error({ err }, 'internal error handling a message; resetting the session');
      if (this.fsm.has(c.id)) {
        this.fsm.handle({
          type: 'error',
          conn: c.id,
          notification: { code: ERR_CEASE, subcode: 0, data: new Uint8Array(0) },
          reason: `internal error: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
    }
  }

  private protocolError(c: Connection, err: BgpProtocolError): void {
    this.fsm.handle({ type: 'error', conn: c.id, notification: err.notification, reason: err.message });
  }

  private onMessage(c: Connection, m: RawMessage): void {
    switch (m.type) {
      case BGP_MSG_OPEN: {
        this.receivedCounts.open++;
        let open: DecodedOpen;
        try {
          open = decodeOpen(m.body);
          c.receivedOpen = frameMessage(BGP_MSG_OPEN, m.body);
        } catch (err) {
          if (!(err instanceof BgpProtocolError)) throw err;
          this.protocolError(c, err);
          return;
        }
        // We announce RFC 8654 extended messages: once the peer has too, its UPDATEs may be long. Set
        // before the next chunk is framed (its UPDATEs follow our KEEPALIVE, so never share this one).
        if (open.capabilities.some((k) => k.kind === 'extended-message')) c.reader.extendedMessages = true;
        this.fsm.handle({ type: 'open', conn: c.id, open });
        return;
      }
      case BGP_MSG_UPDATE:
        this.receivedCounts.update++;
        this.fsm.handle({ type: 'update', conn: c.id });
        if (this.fsm.establishedConn === c.id && c.session) this.onUpdate(c, c.session, m.body);
        return;
      case BGP_MSG_NOTIFICATION: {
        this.receivedCounts.notification++;
        let reason: string;
        try {
          const n = decodeNotification(m.body);
          this.fsm.handle({ type: 'notification', conn: c.id, notification: n });
          return;
        } catch (err) {
          if (!(err instanceof BgpProtocolError)) throw err;
          reason = `malformed NOTIFICATION: ${err.message}`;
        }
        // RFC 4271 6.4: no NOTIFICATION answers a NOTIFICATION; the connection just ends.
        this.fsm.handle({ type: 'tcp-closed', conn: c.id, reason });
        return;
      }
      case BGP_MSG_KEEPALIVE:
        this.receivedCounts.keepalive++;
        this.fsm.handle({ type: 'keepalive', conn: c.id });
        return;
      case BGP_MSG_ROUTE_REFRESH: {
        this.receivedCounts.routeRefresh++;
        let rr;
        try {
          rr = decodeRouteRefresh(m.body);
        } catch (err) {
          if (!(err instanceof BgpProtocolError)) throw err;
          this.protocolError(c, err);
          return;
        }
        this.fsm.handle({ type: 'route-refresh', conn: c.id });
        if (this.fsm.establishedConn !== c.id) return;
        // RFC 2918 4: a family not negotiated is ignored; BoRR/EoRR (RFC 7313) concern what the peer sends.
        if (rr.family === undefined || rr.subtype !== ROUTE_REFRESH_NORMAL) return;
        if (!this.outbound.sessionFamilies.includes(rr.family)) return;
        this.log.info({ family: rr.family }, 'route refresh requested: resending');
        this.outbound.refresh(rr.family);
        this.pump();
        return;
      }
      default:
        // The reader rejects unknown types; nothing else can arrive.
        return;
    }
  }

  private onUpdate(c: Connection, session: NegotiatedSession, body: Buffer): void {
    const result = decodeUpdate(body, {
      as4: session.as4,
      ibgp: session.peerAs === this.localAs,
      peerAs: session.peerAs,
    });
    if (result.action === 'session-reset') {
      const reason = result.problems.map((p) => p.reason).join('; ') || 'malformed UPDATE';
      this.fsm.handle({ type: 'error', conn: c.id, notification: result.notification, reason });
      return;
    }
    if (result.problems.length > 0) {
      this.log.warn(
        { action: result.action, problems: result.problems.map((p) => p.reason) },
        'malformed UPDATE handled per RFC 7606',
      );
    }
    const u = result.update;
    for (const r of u.withdrawn) {
      const key = `${r.family}|${r.rd?.text ?? ''}|${r.prefix}`;
      this.received.delete(key);
      this.counted.withdraw(key);
    }
    const at = Date.now();
    for (const r of u.announced) {
      const key = `${r.family}|${r.rd?.text ?? ''}|${r.prefix}`;
      // One attribute object per UPDATE, shared by its routes.
      if (this.received.has(key) || this.received.size < ADJ_RIB_IN_LIMIT)
        this.received.set(key, { route: r, attributes: u.attributes, at });
      if (this.counted.add(key))
        this.log.warn(
          { counted: this.counted.count },
          'peer advertises more prefixes than are counted; the count stops here',
        );
    }
    if (u.endOfRib) this.log.debug({ family: u.endOfRib }, 'End-of-RIB received');
  }
}
