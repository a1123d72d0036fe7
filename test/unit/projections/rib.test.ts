import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rib } from '../../../src/projections/index.js';
import type { Envelope, JournalEvent } from '../../../src/events/index.js';

function envelopes(events: JournalEvent[]): Envelope[] {
  return events.map((event, i) => ({ seq: i + 1, time: 1000 * (i + 1), version: 1, event }));
}

const d = (vrf: string, prefix: string, iface: string, ifindex: number): JournalEvent => ({
  type: 'RouteDiscovered',
  vrf,
  family: prefix.includes(':') ? 'ipv6' : 'ipv4',
  prefix,
  interface: iface,
  ifindex,
  address: prefix.split('/')[0]!,
});
const v = (vrf: string, prefix: string, iface: string): JournalEvent => ({
  type: 'RouteVanished',
  vrf,
  family: prefix.includes(':') ? 'ipv6' : 'ipv4',
  prefix,
  interface: iface,
  reason: 'address-removed',
});

function build(events: JournalEvent[]): Rib {
  const rib = new Rib();
  for (const e of envelopes(events)) rib.apply(e);
  return rib;
}

test('the same prefix in two VRFs is two independent paths', () => {
  const rib = build([
    d('a', '10.0.0.0/24', 'eth1', 3),
    d('b', '10.0.0.0/24', 'eth3', 5),
    v('a', '10.0.0.0/24', 'eth1'),
  ]);
  assert.equal(rib.lookup('a', '10.0.0.0/24').length, 0);
  assert.equal(rib.lookup('b', '10.0.0.0/24')[0]?.interface, 'eth3');
  assert.deepEqual(rib.countsOf('a'), { ipv4: 0, ipv6: 0 });
  assert.deepEqual(rib.countsOf('b'), { ipv4: 1, ipv6: 0 });
});

test('two interfaces giving one prefix in one VRF: best is the lowest ifindex, the other kept as backup', () => {
  const rib = build([d('', '10.0.0.0/24', 'eth9', 9), d('', '10.0.0.0/24', 'eth2', 2)]);
  assert.deepEqual(
    rib.lookup('', '10.0.0.0/24').map((p) => p.interface),
    ['eth2', 'eth9'],
  );
  rib.apply({ seq: 3, time: 3000, version: 1, event: v('', '10.0.0.0/24', 'eth2') });
  assert.deepEqual(
    rib.lookup('', '10.0.0.0/24').map((p) => p.interface),
    ['eth9'],
  );
  assert.equal(rib.size(''), 1);
});

test('paths remember the seq and time of their discovery; counts follow families', () => {
  const rib = build([
    d('', '10.0.0.0/24', 'eth1', 2),
    d('', '2001:db8::/64', 'eth1', 2),
    v('', '10.9.0.0/24', 'eth1'),
  ]);
  const p = rib.lookup('', '2001:db8::/64')[0];
  assert.equal(p?.seq, 2);
  assert.equal(p?.time, 2000);
  assert.deepEqual(rib.countsOf(''), { ipv4: 1, ipv6: 1 });
  assert.equal(rib.seq, 3, 'a vanish of an unknown path still advances the projection');
});

test('ConfigApplied sets the RD/RT in force and lists configured VRFs even without routes', () => {
  const rib = build([
    {
      type: 'ConfigApplied',
      configVersion: 1,
      vrfs: [
        { name: '', rd: '', importRts: [], exportRts: [], label: 0, interfaces: ['kubelb0'] },
        {
          name: 'customer-a',
          rd: '64551:100',
          importRts: ['64551:100'],
          exportRts: ['64551:100'],
          label: 0,
          interfaces: ['eth1'],
        },
      ],
      neighbors: [],
    },
  ]);
  assert.equal(rib.vrfConfig('customer-a')?.rd, '64551:100');
  assert.deepEqual(rib.vrfNames(), ['', 'customer-a']);
});
