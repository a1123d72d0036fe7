// The child -> parent wire form: snapshots travel with their addresses in columns, and come back equal.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import type { Address, KernelChange } from '../../../src/netlink/index.js';
import {
  fromWire,
  isChildMessage,
  isParentMessage,
  packAddresses,
  toWire,
  unpackAddresses,
} from '../../../src/netlink/protocol.js';

const addresses: Address[] = [
  {
    index: 2,
    family: 'ipv4',
    address: '10.0.0.1',
    prefixLength: 24,
    scope: 0,
    tentative: false,
    dadFailed: false,
  },
  {
    index: 3,
    family: 'ipv6',
    address: '2001:db8::1',
    prefixLength: 64,
    scope: 0,
    tentative: true,
    dadFailed: false,
  },
  {
    index: 3,
    family: 'ipv6',
    address: 'fe80::1',
    prefixLength: 64,
    scope: 253,
    tentative: false,
    dadFailed: true,
  },
  {
    index: 1,
    family: 'ipv4',
    address: '127.0.0.1',
    prefixLength: 8,
    scope: 254,
    tentative: false,
    dadFailed: false,
  },
];

test('changes survive the trip through the IPC structured clone unchanged', () => {
  const changes: KernelChange[] = [
    {
      kind: 'snapshot',
      reason: 'start',
      links: [
        {
          index: 2,
          name: 'eth0',
          up: true,
          adminUp: true,
          master: undefined,
          kind: 'veth',
          vrfTable: undefined,
        },
      ],
      addresses,
    },
    { kind: 'address', op: 'del', address: addresses[0]! },
    // A periodic scan's delta: what changed, and what is gone.
    {
      kind: 'snapshot',
      reason: 'scan',
      links: [],
      addresses: addresses.slice(1, 2),
      gone: { links: [9], addresses: addresses.slice(2) },
    },
    {
      kind: 'link',
      op: 'new',
      link: {
        index: 7,
        name: 'vrf-a',
        up: true,
        adminUp: true,
        master: undefined,
        kind: 'vrf',
        vrfTable: 10,
      },
    },
  ];
  const wire = deserialize(serialize({ t: 'batch', receivedAt: 1, changes: toWire(changes) })) as unknown;
  assert.ok(isChildMessage(wire) && wire.t === 'batch');
  assert.deepEqual(fromWire(wire.changes), changes);
});

test('an empty snapshot packs and unpacks', () => {
  assert.deepEqual(unpackAddresses(packAddresses([])), []);
});

test('malformed packed addresses are a NETLINK_FAILED error, not a partial picture', () => {
  const packed = packAddresses(addresses);
  assert.throws(() => unpackAddresses({ ...packed, count: 5 }), { code: 'NETLINK_FAILED' });
  assert.throws(() => unpackAddresses({ ...packed, text: '10.0.0.1' }), { code: 'NETLINK_FAILED' });
  assert.throws(() => unpackAddresses({ ...packed, meta: packed.meta.subarray(3) }), {
    code: 'NETLINK_FAILED',
  });
});

test('message guards', () => {
  assert.equal(isChildMessage({ t: 'hello', pid: 1, recvBufferSize: 2 }), true);
  assert.equal(isChildMessage({ t: 'batch', changes: [] }), false);
  assert.equal(isChildMessage({ t: 'nope' }), false);
  assert.equal(isChildMessage({ t: 'log', level: 'warn', msg: 'x' }), true);
  assert.equal(
    isChildMessage({ t: 'log', level: 'fatal!', msg: 'x' }),
    false,
    'the parent indexes its logger by level',
  );
  assert.equal(isChildMessage(null), false);
  assert.equal(isParentMessage({ t: 'scan' }), true);
  assert.equal(isParentMessage('scan'), false);
});
