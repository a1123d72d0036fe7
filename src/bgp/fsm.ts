// The BGP finite state machine of one neighbor (RFC 4271 section 8), with connection collision
// detection (RFC 4271 6.8) and graceful restart's replacement of a session the peer has restarted
// (RFC 4724 4.2). Pure: no sockets and no clock of its own. The session layer feeds it events (TCP
// outcomes, decoded messages), the timers come from an injected Scheduler, and everything it wants done
// (connect, send, close, session up/down) comes out as actions through `output`.
//
// RFC 4271 runs one FSM per TCP connection until a collision is resolved; here one object tracks the
// neighbor's connections (at most one we initiated and one the peer initiated) and the peer-wide
// ConnectRetry timer. The neighbor's state is that of its most advanced connection.
//
// Choices where RFC 4271 leaves room:
// - ConnectRetry with exponential backoff: the n-th retry after a failure waits
//   min(connect-retry, minRetry * 2^n), jittered to 75..100% (RFC 4271 10), at least 100 ms; reset
//   once Established. A failed TCP connect goes to Active and an error or NOTIFICATION to Idle, both
//   until that delay passes (Idle's delay plays the role of DampPeerOscillations' IdleHoldTimer, 8.1.1).
// - A connect attempt is abandoned after min(connect-retry, 30 s).
// - A connection the peer opens while ours is still connecting wins at once: ours is dropped.
// - An OPEN on a new connection while a session is Established closes the new one with Cease 7
//   (RFC 4271 6.8), unless the established peer announced graceful restart: then the peer has
//   restarted and the old session is replaced (RFC 4724 4.2).
// - Passive neighbors never connect; they sit in Active waiting for the peer.
import {
  BgpProtocolError,
  CEASE_ADMIN_SHUTDOWN,
  CEASE_COLLISION_RESOLUTION,
  ERR_CEASE,
  ERR_FSM,
  ERR_HOLD_TIMER,
  describeNotification,
  negotiateSession,
  validateOpen,
  type Capability,
  type DecodedOpen,
  type NegotiatedSession,
  type Notification,
  type NotificationData,
  type OpenParams,
} from './codec/index.js';

/** The neighbor's state, as RFC 4271 8.2.2 names them. */
export type PeerState = 'idle' | 'connect' | 'active' | 'opensent' | 'openconfirm' | 'established';

/** A pending timer. */
export interface Timer {
  cancel(): void;
}

/** Time and timers, passed in so tests can drive them with a fake clock. Milliseconds. */
export interface Scheduler {
  now(): number;
  schedule(ms: number, fire: () => void): Timer;
}

/** setTimeout-based timers that do not keep the process alive on their own. */
export const realScheduler: Scheduler = {
  now: () => performance.now(),
  schedule(ms, fire) {
    const t = setTimeout(fire, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/** What the FSM needs to know about the neighbor. Times in seconds as configured. */
export interface FsmOptions {
  readonly localAs: number;
  readonly bgpId: string;
  readonly peerAs: number;
  /** Proposed hold time; 0 turns hold timer and keepalives off. */
  readonly holdTime: number;
  /** Configured keepalive interval; the one used is at most a third of the negotiated hold time. */
  readonly keepaliveInterval: number;
  /** Upper bound of the backoff between connect attempts. */
  readonly connectRetry: number;
  readonly passive: boolean;
  /** Capabilities of our OPEN. */
  readonly capabilities: readonly Capability[];
  /** Capabilities the peer must announce (2/7 otherwise). */
  readonly requiredCapabilities?: readonly Capability[];
  /** First backoff delay in ms; 1000 unless set. */
  readonly minRetryMs?: number;
  /** Random source for jitter, [0, 1); Math.random unless set. */
  readonly random?: () => number;
}

/** What the FSM is told. `conn` identifies a TCP connection (see allocateConn). */
export type FsmEvent =
  | { readonly type: 'start' }
  /** Administrative stop: a NOTIFICATION (Cease / Administrative Shutdown unless given) on each open connection. */
  | { readonly type: 'stop'; readonly notification?: NotificationData; readonly reason?: string }
  /** The ConnectRetry (or idle hold) timer expired: try again. Fed by the FSM's own timer. */
  | { readonly type: 'connect-retry-expired' }
  | { readonly type: 'tcp-connected'; readonly conn: number }
  | { readonly type: 'tcp-failed'; readonly conn: number; readonly reason: string }
  | { readonly type: 'tcp-incoming'; readonly conn: number }
  | { readonly type: 'tcp-closed'; readonly conn: number; readonly reason: string }
  | { readonly type: 'open'; readonly conn: number; readonly open: DecodedOpen }
  | { readonly type: 'keepalive'; readonly conn: number }
  | { readonly type: 'update'; readonly conn: number }
  | { readonly type: 'route-refresh'; readonly conn: number }
  | { readonly type: 'notification'; readonly conn: number; readonly notification: Notification }
  /** We found the peer's message bad: send `notification` and close. */
  | {
      readonly type: 'error';
      readonly conn: number;
      readonly notification: NotificationData;
      readonly reason: string;
    };

/** What the FSM wants done. */
export type FsmAction =
  | { readonly kind: 'connect'; readonly conn: number }
  | { readonly kind: 'send-open'; readonly conn: number; readonly open: OpenParams }
  | { readonly kind: 'send-keepalive'; readonly conn: number }
  | { readonly kind: 'send-notification'; readonly conn: number; readonly notification: NotificationData }
  /** Close the connection (after writing what was sent on it). */
  | { readonly kind: 'close'; readonly conn: number; readonly reason: string }
  | {
      readonly kind: 'established';
      readonly conn: number;
      readonly session: NegotiatedSession;
      readonly open: DecodedOpen;
    }
  /** The established session on `conn` ended. */
  | { readonly kind: 'down'; readonly conn: number; readonly reason: string }
  | { readonly kind: 'state'; readonly state: PeerState; readonly previous: PeerState };

type ConnState = 'connecting' | 'opensent' | 'openconfirm' | 'established';

interface Conn {
  readonly id: number;
  /** We initiated it. */
  readonly outgoing: boolean;
  state: ConnState;
  /** Connect timeout (connecting) or hold timer. */
  timer: Timer | undefined;
  keepalive: Timer | undefined;
  /** Last message from the peer (scheduler ms), for the hold timer. */
  lastRx: number;
  /** Hold time in ms in force on this connection (0: none). */
  holdMs: number;
  keepaliveMs: number;
  remote: DecodedOpen | undefined;
  session: NegotiatedSession | undefined;
}

/** RFC 4271 8.2.2: "a large value" for the hold timer until the OPEN arrives; 4 minutes suggested. */
const OPEN_HOLD_MS = 240_000;
const MAX_CONNECT_TIMEOUT_MS = 30_000;
const STATE_RANK: Readonly<Record<ConnState, number>> = {
  connecting: 0,
  opensent: 1,
  openconfirm: 2,
  established: 3,
};

function ipv4Number(text: string): number {
  const p = text.split('.').map(Number);
  return (((p[0] ?? 0) << 24) | ((p[1] ?? 0) << 16) | ((p[2] ?? 0) << 8) | (p[3] ?? 0)) >>> 0;
}

/** The FSM of one neighbor. Feed it events with `handle`; it answers through `output`. */
export class PeerFsm {
  private readonly o: FsmOptions;
  private readonly scheduler: Scheduler;
  private readonly output: (action: FsmAction) => void;
  private readonly conns = new Map<number, Conn>();
  private nextConn = 1;
  private started = false;
  /** Phase when no connection exists: idle (stopped, or waiting after an error) or active. */
  private phase: 'idle' | 'active' = 'idle';
  private retryTimer: Timer | undefined;
  private failures = 0;
  private reported: PeerState = 'idle';
  private readonly queue: FsmEvent[] = [];
  private busy = false;

  constructor(options: FsmOptions, scheduler: Scheduler, output: (action: FsmAction) => void) {
    this.o = options;
    this.scheduler = scheduler;
    this.output = output;
  }

  /** The neighbor's state: that of its most advanced connection. */
  get state(): PeerState {
    let best: Conn | undefined;
    for (const c of this.conns.values()) if (!best || STATE_RANK[c.state] > STATE_RANK[best.state]) best = c;
    if (!best) return this.phase;
    return best.state === 'connecting' ? 'connect' : best.state;
  }

  /** The connection of the established session, if any. */
  get establishedConn(): number | undefined {
    for (const c of this.conns.values()) if (c.state === 'established') return c.id;
    return undefined;
  }

  /** Whether the FSM still tracks `conn` (messages on a connection it dropped are to be ignored). */
  has(conn: number): boolean {
    return this.conns.has(conn);
  }

  /** An id for a connection the peer opened, to pass in `tcp-incoming`. */
  allocateConn(): number {
    return this.nextConn++;
  }

  /** The OPEN we send (also what the session is negotiated against). */
  openParams(): OpenParams {
    return {
      as: this.o.localAs,
      holdTime: this.o.holdTime,
      bgpId: this.o.bgpId,
      capabilities: this.o.capabilities,
    };
  }

  handle(event: FsmEvent): void {
    this.queue.push(event);
    if (this.busy) return; // an action's handler fed an event back: run it after this one
    this.busy = true;
    try {
      for (let e = this.queue.shift(); e !== undefined; e = this.queue.shift()) this.step(e);
    } finally {
      this.busy = false;
      this.queue.length = 0;
    }
    const now = this.state;
    if (now !== this.reported) {
      const previous = this.reported;
      this.reported = now;
      this.output({ kind: 'state', state: now, previous });
    }
  }

  private step(e: FsmEvent): void {
    switch (e.type) {
      case 'start':
        if (this.started) return;
        this.started = true;
        this.failures = 0;
        this.automaticStart();
        return;
      case 'stop':
        this.stop(e.notification, e.reason ?? 'administrative stop');
        return;
      case 'connect-retry-expired':
        if (this.started && this.conns.size === 0) this.automaticStart();
        return;
      case 'tcp-connected': {
        const c = this.conns.get(e.conn);
        if (!c || c.state !== 'connecting') {
          this.output({ kind: 'close', conn: e.conn, reason: 'connection no longer wanted' });
          return;
        }
        this.sendOpen(c);
        return;
      }
      case 'tcp-failed': {
        const c = this.conns.get(e.conn);
        if (!c) return;
        this.drop(c, `connect failed: ${e.reason}`, 'active');
        return;
      }
      case 'tcp-incoming':
        this.incoming(e.conn);
        return;
      case 'tcp-closed': {
        const c = this.conns.get(e.conn);
        if (!c) return;
        this.drop(c, e.reason, c.state === 'connecting' ? 'active' : 'idle');
        return;
      }
      case 'open':
        this.receiveOpen(e.conn, e.open);
        return;
      case 'keepalive': {
        const c = this.live(e.conn);
        if (!c) return;
        if (c.state === 'opensent') {
          this.fsmError(c, 1, 'KEEPALIVE before OPEN');
        } else if (c.state === 'openconfirm') {
          this.establish(c);
        } else {
          c.lastRx = this.scheduler.now();
        }
        return;
      }
      case 'update':
      case 'route-refresh': {
        const c = this.live(e.conn);
        if (!c) return;
        const what = e.type === 'update' ? 'UPDATE' : 'ROUTE-REFRESH';
        if (c.state === 'opensent') this.fsmError(c, 1, `${what} in OpenSent`);
        else if (c.state === 'openconfirm') this.fsmError(c, 2, `${what} in OpenConfirm`);
        else c.lastRx = this.scheduler.now();
        return;
      }
      case 'notification': {
        const c = this.conns.get(e.conn);
        if (!c) return;
        const n = e.notification;
        const text = n.communication !== undefined ? `: "${n.communication}"` : '';
        this.drop(c, `peer sent ${describeNotification(n.code, n.subcode)}${text}`, 'idle');
        return;
      }
      case 'error': {
        const c = this.conns.get(e.conn);
        if (!c) return;
        this.fail(c, e.notification, e.reason);
        return;
      }
    }
  }

  /** A connection in OpenSent or later, or undefined (connecting ones receive no messages). */
  private live(conn: number): Conn | undefined {
    const c = this.conns.get(conn);
    return c && c.state !== 'connecting' ? c : undefined;
  }

  private automaticStart(): void {
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    if (this.o.passive) {
      this.phase = 'active';
      return;
    }
    const c = this.newConn(this.nextConn++, true, 'connecting');
    const timeout = Math.max(1000, Math.min(this.o.connectRetry * 1000, MAX_CONNECT_TIMEOUT_MS));
    c.timer = this.scheduler.schedule(timeout, () =>
      this.handle({ type: 'tcp-failed', conn: c.id, reason: `no answer within ${timeout / 1000} s` }),
    );
    this.output({ kind: 'connect', conn: c.id });
  }

  private newConn(id: number, outgoing: boolean, state: ConnState): Conn {
    const c: Conn = {
      id,
      outgoing,
      state,
      timer: undefined,
      keepalive: undefined,
      lastRx: this.scheduler.now(),
      holdMs: 0,
      keepaliveMs: 0,
      remote: undefined,
      session: undefined,
    };
    this.conns.set(id, c);
    return c;
  }

  private incoming(conn: number): void {
    if (!this.started) {
      this.output({ kind: 'close', conn, reason: 'neighbor is stopped' });
      return;
    }
    for (const other of [...this.conns.values()]) {
      if (other.outgoing && other.state === 'connecting') {
        // The peer reached us first: no need for our own attempt.
        this.drop(other, 'peer connected first', 'none');
      } else if (!other.outgoing && other.state !== 'established') {
        // A second connection from the peer means it gave up on the first.
        this.drop(other, 'superseded by a new connection from the peer', 'none');
      }
    }
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    this.sendOpen(this.newConn(conn, false, 'opensent'));
  }

  private sendOpen(c: Conn): void {
    this.clearTimers(c);
    c.state = 'opensent';
    c.lastRx = this.scheduler.now();
    c.holdMs = OPEN_HOLD_MS;
    this.output({ kind: 'send-open', conn: c.id, open: this.openParams() });
    this.armHold(c);
  }

  private receiveOpen(conn: number, open: DecodedOpen): void {
    const c = this.live(conn);
    if (!c) return;
    if (c.state !== 'opensent') {
      this.fsmError(c, c.state === 'openconfirm' ? 2 : 3, `OPEN in ${c.state}`);
      return;
    }
    try {
      validateOpen(open, {
        localAs: this.o.localAs,
        localBgpId: this.o.bgpId,
        peerAs: this.o.peerAs,
        ...(this.o.requiredCapabilities ? { requiredCapabilities: this.o.requiredCapabilities } : {}),
      });
    } catch (err) {
      if (!(err instanceof BgpProtocolError)) throw err;
      this.fail(c, err.notification, err.message);
      return;
    }
    // Collision detection (RFC 4271 6.8) against the other connection, whose OPEN we already have.
    for (const other of this.conns.values()) {
      if (other === c || (other.state !== 'openconfirm' && other.state !== 'established')) continue;
      if (other.state === 'established') {
        if (other.remote?.capabilities.some((k) => k.kind === 'graceful-restart')) {
          this.drop(other, 'peer restarted (graceful restart): new connection replaces the session', 'none');
          break;
        }
        this.fail(
          c,
          { code: ERR_CEASE, subcode: CEASE_COLLISION_RESOLUTION, data: new Uint8Array(0) },
          'connection collision with an established session',
          'none',
        );
        return;
      }
      // Keep the connection initiated by the speaker with the higher BGP identifier.
      const localHigher = ipv4Number(this.o.bgpId) > ipv4Number(open.bgpId);
      const loser = localHigher ? (c.outgoing ? other : c) : c.outgoing ? c : other;
      this.fail(
        loser,
        { code: ERR_CEASE, subcode: CEASE_COLLISION_RESOLUTION, data: new Uint8Array(0) },
        'connection collision resolution',
        'none',
      );
      if (loser === c) return;
      break;
    }
    const negotiated = negotiateSession(this.openParams(), open);
    // RFC 4271 10: keepalive a third of the hold time, or the configured interval when shorter.
    const third = negotiated.holdTime / 3;
    const keepalive =
      negotiated.holdTime === 0
        ? 0
        : Math.min(this.o.keepaliveInterval > 0 ? this.o.keepaliveInterval : third, third);
    c.remote = open;
    c.session = { ...negotiated, keepaliveTime: keepalive };
    c.state = 'openconfirm';
    c.holdMs = negotiated.holdTime * 1000;
    c.keepaliveMs = keepalive * 1000;
    c.lastRx = this.scheduler.now();
    this.clearTimers(c);
    this.output({ kind: 'send-keepalive', conn: c.id });
    this.armHold(c);
    this.armKeepalive(c);
  }

  private establish(c: Conn): void {
    c.state = 'established';
    c.lastRx = this.scheduler.now();
    this.failures = 0;
    this.output({ kind: 'established', conn: c.id, session: c.session!, open: c.remote! });
  }

  private armHold(c: Conn): void {
    if (c.holdMs === 0) return;
    const due = c.lastRx + c.holdMs - this.scheduler.now();
    c.timer = this.scheduler.schedule(Math.max(0, due), () => {
      c.timer = undefined;
      if (this.conns.get(c.id) !== c) return;
      // Messages only move lastRx; the timer re-arms for what remains instead of being reset per message.
      if (this.scheduler.now() - c.lastRx < c.holdMs) {
        this.armHold(c);
        return;
      }
      this.handle({
        type: 'error',
        conn: c.id,
        notification: { code: ERR_HOLD_TIMER, subcode: 0, data: new Uint8Array(0) },
        reason: `hold timer expired (${c.holdMs / 1000} s without a message)`,
      });
    });
  }

  private armKeepalive(c: Conn): void {
    if (c.keepaliveMs === 0) return;
    c.keepalive = this.scheduler.schedule(c.keepaliveMs, () => {
      c.keepalive = undefined;
      if (this.conns.get(c.id) !== c) return;
      this.output({ kind: 'send-keepalive', conn: c.id });
      this.armKeepalive(c);
    });
  }

  private clearTimers(c: Conn): void {
    c.timer?.cancel();
    c.timer = undefined;
    c.keepalive?.cancel();
    c.keepalive = undefined;
  }

  private fsmError(c: Conn, subcode: number, reason: string): void {
    this.fail(c, { code: ERR_FSM, subcode, data: new Uint8Array(0) }, `unexpected message: ${reason}`);
  }

  /** Sends a NOTIFICATION on `c`, closes it and drops it. */
  private fail(
    c: Conn,
    notification: NotificationData,
    reason: string,
    then: 'idle' | 'active' | 'none' = 'idle',
  ): void {
    this.output({ kind: 'send-notification', conn: c.id, notification });
    this.drop(c, `${reason} (sent ${describeNotification(notification.code, notification.subcode)})`, then);
  }

  /**
   * Forgets `c` (the caller has asked for it to be closed, or it is closed). When it was the last
   * connection, waits in `then` until the next attempt; 'none' when another connection carries on.
   */
  private drop(c: Conn, reason: string, then: 'idle' | 'active' | 'none'): void {
    this.clearTimers(c);
    this.conns.delete(c.id);
    this.output({ kind: 'close', conn: c.id, reason });
    if (c.state === 'established') this.output({ kind: 'down', conn: c.id, reason });
    if (then === 'none' || this.conns.size > 0 || !this.started) return;
    this.phase = this.o.passive ? 'active' : then;
    if (this.o.passive) return;
    const capMs = Math.max(100, this.o.connectRetry * 1000);
    const base = Math.min(capMs, (this.o.minRetryMs ?? 1000) * 2 ** Math.min(this.failures, 20));
    this.failures++;
    const delay = Math.round(base * (0.75 + 0.25 * (this.o.random ?? Math.random)()));
    this.retryTimer?.cancel();
    this.retryTimer = this.scheduler.schedule(delay, () => {
      this.retryTimer = undefined;
      this.handle({ type: 'connect-retry-expired' });
    });
  }

  private stop(notification: NotificationData | undefined, reason: string): void {
    this.started = false;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    const n = notification ?? { code: ERR_CEASE, subcode: CEASE_ADMIN_SHUTDOWN, data: new Uint8Array(0) };
    for (const c of [...this.conns.values()]) {
      if (c.state !== 'connecting') this.output({ kind: 'send-notification', conn: c.id, notification: n });
      this.drop(c, reason, 'none');
    }
    this.phase = 'idle';
  }
}
