// The pure BGP FSM (RFC 4271 8) driven with a fake clock: opens, timers, backoff, collisions, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeOpen,
  encodeOpen,
  standardCapabilities,
  type Capability,
  type DecodedOpen,
} from '../../../src/bgp/codec/index.js';
import { PeerFsm, type FsmAction, type FsmOptions, type Scheduler } from '../../../src/bgp/fsm.js';

/** A clock that only moves when told, firing due timers in order. */
class FakeScheduler implements Scheduler {
  t = 0;
  private timers: { at: number; fire: () => void; cancelled: boolean; seq: number }[] = [];
  private seq = 0;
  now(): number {
    return this.t;
  }
  schedule(ms: number, fire: () => void): { cancel(): void } {
    const timer = { at: this.t + ms, fire, cancelled: false, seq: this.seq++ };
    this.timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers
        .filter((x) => !x.cancelled && x.at <= end)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fire();
    }
    this.t = end;
  }
}

const LOCAL_ID = '10.0.0.1';

function peerOpen(o: { as?: number; id?: string; hold?: number; caps?: Capability[] } = {}): DecodedOpen {
  const as = o.as ?? 65002;
  const msg = encodeOpen({
    as,
    holdTime: o.hold ?? 90,
    bgpId: o.id ?? '10.0.0.2',
    capabilities: o.caps ?? standardCapabilities({ as, families: ['ipv4-unicast'] }),
  });
  return decodeOpen(msg.subarray(19));
}

function setup(over: Partial<FsmOptions> = {}) {
  const clock = new FakeScheduler();
  const actions: FsmAction[] = [];
  const fsm = new PeerFsm(
    {
      localAs: 65001,
      bgpId: LOCAL_ID,
      peerAs: 65002,
      holdTime: 90,
      keepaliveInterval: 30,
      connectRetry: 120,
      passive: false,
      capabilities: standardCapabilities({ as: 65001, families: ['ipv4-unicast'] }),
      random: () => 1 - Number.EPSILON, // no jitter: delays are exactly the backoff
      ...over,
    },
    clock,
    (a) => actions.push(a),
  );
  /** The actions since the last call, without state reports, as short strings. */
  const take = (): string[] =>
    actions.splice(0).flatMap((a) => {
      switch (a.kind) {
        case 'state':
          return [];
        case 'send-notification':
          return [`notify ${a.conn} ${a.notification.code}/${a.notification.subcode}`];
        case 'established':
          return [`established ${a.conn} hold ${a.session.holdTime} ka ${a.session.keepaliveTime}`];
        case 'connect':
        case 'send-open':
        case 'send-keepalive':
          return [`${a.kind} ${a.conn}`];
        case 'close':
        case 'down':
          return [`${a.kind} ${a.conn}`];
      }
    });
  return { clock, fsm, actions, take };
}

/** Start, connect, exchange OPEN and KEEPALIVE: Established on connection 1. */
function establish(s: ReturnType<typeof setup>, open = peerOpen()): void {
  s.fsm.handle({ type: 'start' });
  s.fsm.handle({ type: 'tcp-connected', conn: 1 });
  s.fsm.handle({ type: 'open', conn: 1, open });
  s.fsm.handle({ type: 'keepalive', conn: 1 });
}

test('active open: connect, OPEN, KEEPALIVE, Established with hold = min of both and keepalive = a third', () => {
  const s = setup();
  s.fsm.handle({ type: 'start' });
  assert.deepEqual(s.take(), ['connect 1']);
  assert.equal(s.fsm.state, 'connect');
  s.fsm.handle({ type: 'tcp-connected', conn: 1 });
  assert.deepEqual(s.take(), ['send-open 1']);
  assert.equal(s.fsm.state, 'opensent');
  s.fsm.handle({ type: 'open', conn: 1, open: peerOpen({ hold: 30 }) });
  assert.deepEqual(s.take(), ['send-keepalive 1']);
  assert.equal(s.fsm.state, 'openconfirm');
  s.fsm.handle({ type: 'keepalive', conn: 1 });
  assert.deepEqual(s.take(), ['established 1 hold 30 ka 10']);
  assert.equal(s.fsm.state, 'established');
  assert.equal(s.fsm.establishedConn, 1);
});

test('state changes are reported once each', () => {
  const s = setup();
  establish(s);
  const states = s.actions.filter((a) => a.kind === 'state').map((a) => a.state);
  assert.deepEqual(states, ['connect', 'opensent', 'openconfirm', 'established']);
});

test('a configured keepalive below a third of the hold time is used', () => {
  const s = setup({ keepaliveInterval: 5 });
  establish(s);
  assert.deepEqual(s.take().at(-1), 'established 1 hold 90 ka 5');
});

test('keepalives go out every keepalive interval; the hold timer expires without messages from the peer', () => {
  const s = setup();
  establish(s, peerOpen({ hold: 30 }));
  s.take();
  s.clock.advance(10_000);
  assert.deepEqual(s.take(), ['send-keepalive 1']);
  // The peer's keepalives keep the session up.
  for (let i = 0; i < 5; i++) {
    s.clock.advance(9_000);
    s.fsm.handle({ type: 'keepalive', conn: 1 });
  }
  assert.equal(s.fsm.state, 'established');
  assert.equal(s.take().filter((a) => a === 'send-keepalive 1').length, 4);
  // Then silence: 30 s after the last keepalive, Hold Timer Expired.
  s.clock.advance(29_999);
  assert.equal(s.fsm.state, 'established');
  s.take();
  s.clock.advance(1);
  assert.deepEqual(s.take(), ['notify 1 4/0', 'close 1', 'down 1']);
  assert.equal(s.fsm.state, 'idle');
});

test('UPDATEs reset the hold timer too', () => {
  const s = setup();
  establish(s, peerOpen({ hold: 9 }));
  for (let i = 0; i < 10; i++) {
    s.clock.advance(8_000);
    s.fsm.handle({ type: 'update', conn: 1 });
  }
  assert.equal(s.fsm.state, 'established');
});

test('hold time 0 on either side: no keepalives and no hold timer', () => {
  const s = setup();
  establish(s, peerOpen({ hold: 0 }));
  assert.deepEqual(s.take().at(-1), 'established 1 hold 0 ka 0');
  s.clock.advance(3_600_000);
  assert.deepEqual(s.take(), []);
  assert.equal(s.fsm.state, 'established');
});

test('in OpenSent the hold timer is 4 minutes', () => {
  const s = setup();
  s.fsm.handle({ type: 'start' });
  s.fsm.handle({ type: 'tcp-connected', conn: 1 });
  s.take();
  s.clock.advance(239_999);
  assert.equal(s.fsm.state, 'opensent');
  s.clock.advance(1);
  assert.deepEqual(s.take(), ['notify 1 4/0', 'close 1']);
});

test('connect-retry backs off exponentially up to connect-retry, and resets once Established', () => {
  // The clock moves in 1 ms steps to see when each connect happens.
  const p = setup({ connectRetry: 5 });
  p.fsm.handle({ type: 'start' });
  const at: number[] = [0];
  let last = 1;
  p.fsm.handle({ type: 'tcp-failed', conn: last, reason: 'refused' });
  while (at.length < 6) {
    p.clock.advance(1);
    const a = p.actions.find((x) => x.kind === 'connect' && x.conn > last);
    if (a && a.kind === 'connect') {
      at.push(p.clock.t);
      last = a.conn;
      p.fsm.handle({ type: 'tcp-failed', conn: last, reason: 'refused' });
    }
  }
  const delays = at.slice(1).map((t, i) => t - at[i]!);
  assert.deepEqual(delays, [1000, 2000, 4000, 5000, 5000]);
  // Once Established, a failure starts again from the first delay.
  p.fsm.handle({ type: 'tcp-connected', conn: last });
  assert.equal(p.fsm.state, 'active', 'a connection already given up is not taken back');
  p.clock.advance(5000);
  const next = p.actions.filter((x) => x.kind === 'connect').at(-1)!;
  assert.ok(next.kind === 'connect');
  p.fsm.handle({ type: 'tcp-connected', conn: next.conn });
  p.fsm.handle({ type: 'open', conn: next.conn, open: peerOpen() });
  p.fsm.handle({ type: 'keepalive', conn: next.conn });
  assert.equal(p.fsm.state, 'established');
  p.fsm.handle({ type: 'tcp-closed', conn: next.conn, reason: 'reset' });
  const t0 = p.clock.t;
  p.actions.length = 0;
  while (!p.actions.some((x) => x.kind === 'connect')) p.clock.advance(1);
  assert.equal(p.clock.t - t0, 1000);
});

test('jitter keeps retries between 75% and 100% of the backoff', () => {
  const s = setup({ random: () => 0 });
  s.fsm.handle({ type: 'start' });
  s.fsm.handle({ type: 'tcp-failed', conn: 1, reason: 'refused' });
  s.take();
  s.clock.advance(749);
  assert.deepEqual(s.take(), []);
  s.clock.advance(1);
  assert.deepEqual(s.take(), ['connect 2']);
});

test('a connect attempt without an answer is abandoned after min(connect-retry, 30 s)', () => {
  const s = setup({ connectRetry: 120 });
  s.fsm.handle({ type: 'start' });
  s.take();
  s.clock.advance(30_000);
  assert.deepEqual(s.take(), ['close 1']);
  assert.equal(s.fsm.state, 'active');
  s.clock.advance(1000);
  assert.deepEqual(s.take(), ['connect 2']);
});

test('passive: never connects, waits in Active, answers an incoming connection with OPEN', () => {
  const s = setup({ passive: true });
  s.fsm.handle({ type: 'start' });
  s.clock.advance(600_000);
  assert.deepEqual(s.take(), []);
  assert.equal(s.fsm.state, 'active');
  const conn = s.fsm.allocateConn();
  s.fsm.handle({ type: 'tcp-incoming', conn });
  assert.deepEqual(s.take(), [`send-open ${conn}`]);
  s.fsm.handle({ type: 'open', conn, open: peerOpen() });
  s.fsm.handle({ type: 'keepalive', conn });
  assert.equal(s.fsm.state, 'established');
  // After the session ends a passive neighbor goes back to Active at once.
  s.fsm.handle({ type: 'tcp-closed', conn, reason: 'reset' });
  assert.equal(s.fsm.state, 'active');
  s.clock.advance(600_000);
  assert.ok(!s.take().some((a) => a.startsWith('connect')));
});

test('an incoming connection while ours is still connecting replaces it', () => {
  const s = setup();
  s.fsm.handle({ type: 'start' });
  s.take();
  const conn = s.fsm.allocateConn();
  s.fsm.handle({ type: 'tcp-incoming', conn });
  assert.deepEqual(s.take(), ['close 1', `send-open ${conn}`]);
});

function collide(localId: string, remoteId: string) {
  const s = setup({ bgpId: localId });
  s.fsm.handle({ type: 'start' });
  s.fsm.handle({ type: 'tcp-connected', conn: 1 });
  const incoming = s.fsm.allocateConn();
  s.fsm.handle({ type: 'tcp-incoming', conn: incoming });
  s.take();
  s.fsm.handle({ type: 'open', conn: 1, open: peerOpen({ id: remoteId }) });
  assert.deepEqual(s.take(), ['send-keepalive 1']);
  s.fsm.handle({ type: 'open', conn: incoming, open: peerOpen({ id: remoteId }) });
  return { s, incoming };
}

test('collision: the peer has the higher BGP identifier, so the connection it opened is kept', () => {
  const { s, incoming } = collide('10.0.0.1', '10.0.0.2');
  assert.deepEqual(s.take(), ['notify 1 6/7', 'close 1', `send-keepalive ${incoming}`]);
  s.fsm.handle({ type: 'keepalive', conn: incoming });
  assert.equal(s.fsm.establishedConn, incoming);
});

test('collision: we have the higher BGP identifier, so our connection is kept', () => {
  const { s, incoming } = collide('10.0.0.9', '10.0.0.2');
  assert.deepEqual(s.take(), [`notify ${incoming} 6/7`, `close ${incoming}`]);
  assert.equal(s.fsm.state, 'openconfirm');
  s.fsm.handle({ type: 'keepalive', conn: 1 });
  assert.equal(s.fsm.establishedConn, 1);
});

test('identifiers compare as numbers, not text', () => {
  const { s, incoming } = collide('9.0.0.1', '10.0.0.2');
  assert.deepEqual(s.take(), ['notify 1 6/7', 'close 1', `send-keepalive ${incoming}`]);
});

test('a new connection while Established is refused with Cease 7, unless the peer does graceful restart', () => {
  const s = setup();
  establish(s);
  s.take();
  const second = s.fsm.allocateConn();
  s.fsm.handle({ type: 'tcp-incoming', conn: second });
  s.fsm.handle({ type: 'open', conn: second, open: peerOpen() });
  assert.deepEqual(s.take(), [`send-open ${second}`, `notify ${second} 6/7`, `close ${second}`]);
  assert.equal(s.fsm.establishedConn, 1);

  const g = setup();
  const grCaps = standardCapabilities({
    as: 65002,
    families: ['ipv4-unicast'],
    gracefulRestart: { restarting: false, restartTime: 120 },
  });
  establish(g, peerOpen({ caps: grCaps }));
  g.take();
  const restarted = g.fsm.allocateConn();
  g.fsm.handle({ type: 'tcp-incoming', conn: restarted });
  g.fsm.handle({ type: 'open', conn: restarted, open: peerOpen({ caps: grCaps }) });
  assert.deepEqual(g.take(), [`send-open ${restarted}`, 'close 1', 'down 1', `send-keepalive ${restarted}`]);
  g.fsm.handle({ type: 'keepalive', conn: restarted });
  assert.equal(g.fsm.establishedConn, restarted);
});

test('a bad OPEN gets its NOTIFICATION (bad peer AS 2/2, hold time 2/6) and the neighbor retries later', () => {
  const s = setup();
  s.fsm.handle({ type: 'start' });
  s.fsm.handle({ type: 'tcp-connected', conn: 1 });
  s.take();
  s.fsm.handle({ type: 'open', conn: 1, open: peerOpen({ as: 65099 }) });
  assert.deepEqual(s.take(), ['notify 1 2/2', 'close 1']);
  assert.equal(s.fsm.state, 'idle');
  s.clock.advance(1000);
  assert.deepEqual(s.take(), ['connect 2']);
  s.fsm.handle({ type: 'tcp-connected', conn: 2 });
  s.fsm.handle({ type: 'open', conn: 2, open: { ...peerOpen(), holdTime: 2 } });
  assert.deepEqual(s.take(), ['send-open 2', 'notify 2 2/6', 'close 2']);
});

test('messages out of order are FSM errors (5/1 in OpenSent, 5/2 in OpenConfirm, 5/3 in Established)', () => {
  const a = setup();
  a.fsm.handle({ type: 'start' });
  a.fsm.handle({ type: 'tcp-connected', conn: 1 });
  a.take();
  a.fsm.handle({ type: 'update', conn: 1 });
  assert.deepEqual(a.take(), ['notify 1 5/1', 'close 1']);

  const b = setup();
  b.fsm.handle({ type: 'start' });
  b.fsm.handle({ type: 'tcp-connected', conn: 1 });
  b.fsm.handle({ type: 'open', conn: 1, open: peerOpen() });
  b.take();
  b.fsm.handle({ type: 'route-refresh', conn: 1 });
  assert.deepEqual(b.take(), ['notify 1 5/2', 'close 1']);

  const c = setup();
  establish(c);
  c.take();
  c.fsm.handle({ type: 'open', conn: 1, open: peerOpen() });
  assert.deepEqual(c.take(), ['notify 1 5/3', 'close 1', 'down 1']);
});

test('a NOTIFICATION from the peer closes without answering; a protocol error sends ours', () => {
  const s = setup();
  establish(s);
  s.take();
  s.fsm.handle({
    type: 'notification',
    conn: 1,
    notification: { code: 6, subcode: 4, data: new Uint8Array(0) },
  });
  assert.deepEqual(s.take(), ['close 1', 'down 1'], 'no NOTIFICATION answers a NOTIFICATION');

  const e = setup();
  establish(e);
  e.take();
  e.fsm.handle({
    type: 'error',
    conn: 1,
    notification: { code: 3, subcode: 10, data: new Uint8Array(0) },
    reason: 'truncated NLRI',
  });
  assert.deepEqual(e.take(), ['notify 1 3/10', 'close 1', 'down 1']);
});

test('stop sends Cease on every open connection and does not retry', () => {
  const s = setup();
  establish(s);
  s.take();
  s.fsm.handle({ type: 'stop' });
  assert.deepEqual(s.take(), ['notify 1 6/2', 'close 1', 'down 1']);
  assert.equal(s.fsm.state, 'idle');
  s.clock.advance(3_600_000);
  assert.deepEqual(s.take(), []);
  // Stopped: incoming connections are refused.
  const conn = s.fsm.allocateConn();
  s.fsm.handle({ type: 'tcp-incoming', conn });
  assert.deepEqual(s.take(), [`close ${conn}`]);
});

test('messages on a connection the FSM dropped are ignored', () => {
  const s = setup();
  establish(s);
  s.fsm.handle({ type: 'tcp-closed', conn: 1, reason: 'reset' });
  s.take();
  assert.equal(s.fsm.has(1), false);
  s.fsm.handle({ type: 'keepalive', conn: 1 });
  s.fsm.handle({ type: 'update', conn: 1 });
  assert.deepEqual(s.take(), []);
});
