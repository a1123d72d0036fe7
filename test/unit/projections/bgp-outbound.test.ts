// The BGP outbound projection: given events, what each peer's queue holds, down to the UPDATEs the
// codec makes of it (decoded again to check NLRI, RD, label and route targets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpdateBuilder, decodeUpdate } from '../../../src/bgp/codec/index.js';
import type { ConfigApplied, Envelope, JournalEvent, VrfSnapshot } from '../../../src/events/index.js';
import { Rib } from '../../../src/projections/index.js';
import {
  BgpOutbound,
  OUTBOUND_FAMILIES,
  type AdjRibOut,
  type OutboundChunk,
} from '../../../src/projections/bgp-outbound/index.js';

const d = (vrf: string, prefix: string, iface = 'eth1', ifindex = 3): JournalEvent => ({
  type: 'RouteDiscovered',
  vrf,
  family: prefix.includes(':') ? 'ipv6' : 'ipv4',
  prefix,
  interface: iface,
  ifindex,
  address: prefix.split('/')[0]!,
});
const v = (vrf: string, prefix: string, iface = 'eth1'): JournalEvent => ({
  type: 'RouteVanished',
  vrf,
  family: prefix.includes(':') ? 'ipv6' : 'ipv4',
  prefix,
  interface: iface,
  reason: 'address-removed',
});
const vrf = (name: string, rd: string, exportRts: string[], label = 0): VrfSnapshot => ({
  name,
  rd,
  importRts: exportRts,
  exportRts,
  label,
  interfaces: [],
});
const config = (configVersion: number, vrfs: VrfSnapshot[]): ConfigApplied => ({
  type: 'ConfigApplied',
  configVersion,
  vrfs: [vrf('', '', []), ...vrfs],
  neighbors: [],
  global: { as: 65001, routerId: '192.0.2.1' },
});

const CONFIG = config(1, [
  vrf('a', '64551:100', ['64551:100'], 100),
  vrf('b', '192.0.2.1:200', ['192.0.2.1:200', '4200000000:7']),
  vrf('c', '4200000000:3', ['65000:1']),
]);

/** A Rib and the outbound projection fed the same envelopes in seq order, Rib first. */
function world(initial: JournalEvent[] = [CONFIG]) {
  const rib = new Rib();
  let seq = 0;
  const following: BgpOutbound[] = [];
  const apply = (events: JournalEvent[]): void => {
    const batch: Envelope[] = events.map((event) => ({ seq: ++seq, time: seq * 1000, version: 1, event }));
    for (const env of batch) rib.apply(env);
    for (const env of batch) for (const o of following) o.apply(env);
  };
  apply(initial);
  // The projection starts from the Rib as it stands, then follows.
  const outbound = new BgpOutbound(rib);
  following.push(outbound);
  return { rib, outbound, apply };
}

/** Every chunk until the queue is empty, as compact lines. */
function drain(q: AdjRibOut, max = 1000): string[] {
  const out: string[] = [];
  for (let guard = 0; q.hasWork && guard < 10_000; guard++) out.push(...q.next(max).map(line));
  return out;
}

function line(c: OutboundChunk): string {
  switch (c.kind) {
    case 'announce': {
      const a = c.advertisement;
      const attrs = a.rd
        ? ` rd ${a.rd.text} rt ${a.routeTargets.map((r) => r.text).join(',')} label ${a.labels.join(',')}`
        : '';
      return `+ ${c.family} ${c.routes.map((r) => r.prefix).join(' ')}${attrs}`;
    }
    case 'withdraw':
      return `- ${c.family} ${c.routes.map((r) => (r.rd ? `${r.rd.text}:${r.prefix}` : r.prefix)).join(' ')}`;
    case 'end-of-rib':
      return `eor ${c.family}`;
  }
}

test('a new session gets the whole table grouped by VRF and family, then End-of-RIB per family', () => {
  const w = world([
    CONFIG,
    d('', '192.0.2.10/32', 'kubelb0'),
    d('', '2001:db8:9::10/128', 'kubelb0'),
    d('a', '10.1.0.0/24'),
    d('a', '10.2.0.0/24'),
    d('a', '2001:db8:1::/64'),
    d('b', '10.1.0.0/24', 'eth3'),
    d('c', '10.3.0.0/24', 'eth4'),
  ]);
  const q = w.outbound.createPeer();
  q.start(OUTBOUND_FAMILIES);
  assert.deepEqual(drain(q), [
    '+ ipv4-unicast 192.0.2.10/32',
    '+ ipv6-unicast 2001:db8:9::10/128',
    '+ l3vpn-ipv4-unicast 10.1.0.0/24 10.2.0.0/24 rd 64551:100 rt 64551:100 label 100',
    '+ l3vpn-ipv6-unicast 2001:db8:1::/64 rd 64551:100 rt 64551:100 label 100',
    '+ l3vpn-ipv4-unicast 10.1.0.0/24 rd 192.0.2.1:200 rt 192.0.2.1:200,4200000000:7 label 0',
    '+ l3vpn-ipv4-unicast 10.3.0.0/24 rd 4200000000:3 rt 65000:1 label 0',
    'eor ipv4-unicast',
    'eor ipv6-unicast',
    'eor l3vpn-ipv4-unicast',
    'eor l3vpn-ipv6-unicast',
  ]);
  assert.equal(q.initialTableSent, true);
  assert.equal(q.sent('l3vpn-ipv4-unicast'), 4);
  assert.equal(q.sent('ipv4-unicast'), 1);
  assert.equal(q.depth, 0);
});

test('an empty table still ends with End-of-RIB, only for the families of the session', () => {
  const w = world();
  const q = w.outbound.createPeer();
  q.start(['l3vpn-ipv4-unicast', 'ipv4-unicast']);
  assert.deepEqual(drain(q), ['eor ipv4-unicast', 'eor l3vpn-ipv4-unicast']);
});

test('families the session does not carry are never queued', () => {
  const w = world([CONFIG, d('', '192.0.2.10/32'), d('a', '10.1.0.0/24'), d('a', '2001:db8:1::/64')]);
  const q = w.outbound.createPeer();
  q.start(['l3vpn-ipv4-unicast']);
  drain(q);
  w.apply([d('', '192.0.2.11/32'), d('a', '2001:db8:2::/64'), d('a', '10.9.0.0/24')]);
  assert.deepEqual(drain(q), ['+ l3vpn-ipv4-unicast 10.9.0.0/24 rd 64551:100 rt 64551:100 label 100']);
});

test('live changes: a discovery is announced, the last path vanishing withdraws with the RD it was sent with', () => {
  const w = world();
  const q = w.outbound.createPeer();
  q.start(OUTBOUND_FAMILIES);
  drain(q);
  w.apply([d('a', '10.1.0.0/24')]);
  assert.equal(q.depth, 1);
  assert.deepEqual(drain(q), ['+ l3vpn-ipv4-unicast 10.1.0.0/24 rd 64551:100 rt 64551:100 label 100']);
  w.apply([v('a', '10.1.0.0/24')]);
  assert.deepEqual(drain(q), ['- l3vpn-ipv4-unicast 64551:100:10.1.0.0/24']);
  assert.equal(q.sent('l3vpn-ipv4-unicast'), 0);
});

test('best path only: while a backup path remains the route stays advertised, unchanged on the wire', () => {
  const w = world();
  const q = w.outbound.createPeer();
  q.start(OUTBOUND_FAMILIES);
  drain(q);
  w.apply([d('', '10.5.0.0/24', 'eth1', 3), d('', '10.5.0.0/24', 'eth2', 4)]);
  assert.deepEqual(drain(q), ['+ ipv4-unicast 10.5.0.0/24'], 'two paths, one route');
  w.apply([v('', '10.5.0.0/24', 'eth1')]);
  assert.deepEqual(drain(q), [], 'the backup took over: nothing to send');
  w.apply([v('', '10.5.0.0/24', 'eth2')]);
  assert.deepEqual(drain(q), ['- ipv4-unicast 10.5.0.0/24']);
});

test('while a peer is slow, changes of one prefix coalesce into its final state', () => {
  const w = world([CONFIG, d('', '10.0.0.0/24')]);
  const q = w.outbound.createPeer();
  q.start(['ipv4-unicast']);
  drain(q);
  // Not drained between these: the socket is backed up.
  for (let i = 0; i < 10; i++) w.apply([v('', '10.0.0.0/24'), d('', '10.0.0.0/24')]);
  w.apply([d('', '10.7.0.0/24'), v('', '10.7.0.0/24')]);
  w.apply([d('', '10.8.0.0/24')]);
  w.apply([v('', '10.0.0.0/24')]);
  assert.equal(q.depth, 3, 'one key per prefix');
  assert.deepEqual(
    drain(q),
    ['- ipv4-unicast 10.0.0.0/24', '+ ipv4-unicast 10.8.0.0/24'],
    'flaps ending withdrawn send one withdrawal; a route born and gone unseen sends nothing',
  );
  for (let i = 0; i < 5; i++) w.apply([d('', '10.0.0.0/24'), v('', '10.0.0.0/24')]);
  w.apply([d('', '10.0.0.0/24')]);
  assert.deepEqual(drain(q), ['+ ipv4-unicast 10.0.0.0/24']);
});

test('a ConfigApplied changing route targets or label re-announces the VRF; an RD change withdraws the old NLRI', () => {
  const w = world([CONFIG, d('a', '10.1.0.0/24'), d('a', '2001:db8:1::/64'), d('b', '10.2.0.0/24')]);
  const q = w.outbound.createPeer();
  q.start(OUTBOUND_FAMILIES);
  drain(q);
  w.apply([
    config(2, [
      vrf('a', '64551:100', ['64551:100', '64551:101'], 200),
      vrf('b', '192.0.2.1:200', ['192.0.2.1:200', '4200000000:7']),
      vrf('c', '4200000000:3', ['65000:1']),
    ]),
  ]);
  assert.deepEqual(drain(q), [
    '+ l3vpn-ipv4-unicast 10.1.0.0/24 rd 64551:100 rt 64551:100,64551:101 label 200',
    '+ l3vpn-ipv6-unicast 2001:db8:1::/64 rd 64551:100 rt 64551:100,64551:101 label 200',
  ]);
  w.apply([
    config(3, [
      vrf('a', '64551:100', ['64551:100', '64551:101'], 200),
      vrf('b', '65000:9', ['192.0.2.1:200']),
      vrf('c', '4200000000:3', ['65000:1']),
    ]),
  ]);
  assert.deepEqual(drain(q), [
    '- l3vpn-ipv4-unicast 192.0.2.1:200:10.2.0.0/24',
    '+ l3vpn-ipv4-unicast 10.2.0.0/24 rd 65000:9 rt 192.0.2.1:200 label 0',
  ]);
  assert.equal(q.sent('l3vpn-ipv4-unicast'), 2);
});

test('a VRF leaving the config withdraws what was advertised for it', () => {
  const w = world([CONFIG, d('c', '10.3.0.0/24')]);
  const q = w.outbound.createPeer();
  q.start(OUTBOUND_FAMILIES);
  drain(q);
  w.apply([config(2, [vrf('a', '64551:100', ['64551:100'], 100)])]);
  assert.deepEqual(drain(q), ['- l3vpn-ipv4-unicast 4200000000:3:10.3.0.0/24']);
  // Its paths still in the Rib (until import journals their vanishing) are not advertised.
  w.apply([d('c', '10.4.0.0/24')]);
  assert.deepEqual(drain(q), []);
});

test('route refresh resends the family even though the peer has it, without End-of-RIB', () => {
  const w = world([CONFIG, d('', '10.0.0.0/24'), d('a', '10.1.0.0/24')]);
  const q = w.outbound.createPeer();
  q.start(OUTBOUND_FAMILIES);
  drain(q);
  q.refresh('l3vpn-ipv4-unicast');
  assert.deepEqual(drain(q), ['+ l3vpn-ipv4-unicast 10.1.0.0/24 rd 64551:100 rt 64551:100 label 100']);
  q.refresh('ipv6-unicast');
  assert.deepEqual(drain(q), []);
});

test('a refresh during the initial walk restarts it and still ends with End-of-RIB', () => {
  const events: JournalEvent[] = [CONFIG];
  for (let i = 0; i < 50; i++) events.push(d('', `10.0.${i}.0/24`));
  const w = world(events);
  const q = w.outbound.createPeer();
  q.start(['ipv4-unicast']);
  const first = q.next(10).map(line);
  assert.equal(first.length, 1);
  q.refresh('ipv4-unicast');
  const rest = drain(q, 10);
  const announced = [first, rest]
    .flat()
    .filter((l) => l.startsWith('+'))
    .flatMap((l) => l.split(' ').slice(2));
  assert.equal(new Set(announced).size, 50);
  assert.equal(announced.length, 60, 'the first ten again, as the refresh asked');
  assert.equal(rest.at(-1), 'eor ipv4-unicast');
});

test('session down forgets the Adj-RIB-Out; the next session gets a full resend and End-of-RIB', () => {
  const w = world([CONFIG, d('', '10.0.0.0/24')]);
  const q = w.outbound.createPeer();
  q.start(['ipv4-unicast']);
  drain(q);
  q.stop();
  w.apply([d('', '10.1.0.0/24')]);
  assert.equal(q.hasWork, false, 'no session: changes are not queued');
  q.start(['ipv4-unicast']);
  assert.deepEqual(drain(q), ['+ ipv4-unicast 10.0.0.0/24 10.1.0.0/24', 'eor ipv4-unicast']);
});

test('changes during the initial walk are sent first and never twice', () => {
  const events: JournalEvent[] = [CONFIG];
  for (let i = 0; i < 20; i++) events.push(d('', `10.0.${i}.0/24`));
  const w = world(events);
  const q = w.outbound.createPeer();
  q.start(['ipv4-unicast']);
  assert.equal(q.depth, 20);
  q.next(5);
  w.apply([v('', '10.0.19.0/24'), d('', '10.9.0.0/24'), v('', '10.0.0.0/24')]);
  const rest = drain(q, 5);
  assert.deepEqual(
    rest.slice(0, 2),
    ['+ ipv4-unicast 10.9.0.0/24 10.0.5.0/24 10.0.6.0/24 10.0.7.0/24', '- ipv4-unicast 10.0.0.0/24'],
    'the changes first (in one round with the walk), then the rest of the walk',
  );
  const announced = rest.filter((l) => l.startsWith('+')).flatMap((l) => l.split(' ').slice(2));
  assert.ok(!announced.includes('10.0.19.0/24'), 'a route gone before its turn is not sent');
  assert.equal(announced.filter((p) => p === '10.9.0.0/24').length, 1);
  assert.equal(rest.at(-1), 'eor ipv4-unicast');
  assert.equal(q.sent('ipv4-unicast'), 19);
});

test('the queue encodes into packed UPDATEs that decode back with RD, label and route targets', () => {
  const events: JournalEvent[] = [CONFIG];
  for (let i = 0; i < 1000; i++) events.push(d('b', `10.${i >> 8}.${i & 0xff}.0/24`));
  events.push(d('a', '2001:db8:1::/64'));
  const w = world(events);
  const q = w.outbound.createPeer();
  q.start(['l3vpn-ipv4-unicast', 'l3vpn-ipv6-unicast']);
  const builder = new UpdateBuilder({
    localAs: 65001,
    peerAs: 65002,
    as4: true,
    nextHop: { ipv4: '192.0.2.1' },
  });
  const messages: Buffer[] = [];
  while (q.hasWork) {
    for (const c of q.next(4096)) {
      if (c.kind === 'announce')
        messages.push(
          ...builder.announce(c.family, c.routes, { routeTargets: c.advertisement.routeTargets }),
        );
      else if (c.kind === 'withdraw') messages.push(...builder.withdraw(c.family, c.routes));
      else messages.push(builder.endOfRib(c.family));
    }
  }
  const decoded = messages.map((m) => {
    const r = decodeUpdate(m.subarray(19), { as4: true, ibgp: false });
    assert.equal(r.action, 'accept');
    return r.update;
  });
  const vpn4 = decoded.flatMap((u) => u.announced).filter((r) => r.family === 'l3vpn-ipv4-unicast');
  assert.equal(vpn4.length, 1000);
  assert.ok(messages.length < 40, `1000 routes packed in ${messages.length} UPDATEs`);
  assert.ok(vpn4.every((r) => r.rd?.text === '192.0.2.1:200' && r.labels?.[0] === 0));
  const v6 = decoded.flatMap((u) => u.announced).find((r) => r.family === 'l3vpn-ipv6-unicast');
  assert.equal(v6?.rd?.text, '64551:100');
  assert.deepEqual(v6?.labels, [100]);
  assert.equal(v6?.nextHop, '::ffff:192.0.2.1');
  const rts = decoded.find((u) => u.announced[0]?.family === 'l3vpn-ipv4-unicast')?.attributes.routeTargets;
  assert.deepEqual(
    rts?.map((r) => [r.type, r.text]),
    [
      [1, '192.0.2.1:200'],
      [2, '4200000000:7'],
    ],
  );
  assert.deepEqual(
    decoded.filter((u) => u.endOfRib).map((u) => u.endOfRib),
    ['l3vpn-ipv4-unicast', 'l3vpn-ipv6-unicast'],
  );
});
