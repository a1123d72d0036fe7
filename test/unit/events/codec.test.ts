import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBlock, encodeBlock, envelopeToJson, EVENT_SCHEMA_VERSION } from '../../../src/events/index.js';
import type { Envelope } from '../../../src/events/index.js';

const envs: Envelope[] = [
  {
    seq: 1,
    time: 1_764_000_000_123_456,
    version: EVENT_SCHEMA_VERSION,
    event: {
      type: 'ConfigApplied',
      configVersion: 1,
      vrfs: [
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
  },
  {
    seq: 2,
    time: 1_764_000_000_123_999,
    version: EVENT_SCHEMA_VERSION,
    event: {
      type: 'RouteDiscovered',
      vrf: 'customer-a',
      family: 'ipv4',
      prefix: '10.1.0.0/24',
      interface: 'eth1',
      ifindex: 7,
      address: '10.1.0.1',
    },
  },
  {
    seq: 3,
    time: 1_764_000_001_000_000,
    version: EVENT_SCHEMA_VERSION,
    event: {
      type: 'RouteVanished',
      vrf: '',
      family: 'ipv6',
      prefix: '2001:db8::/64',
      interface: 'kubelb0',
      reason: 'link-down',
    },
  },
];

test('a block of every event type decodes to what was encoded', () => {
  assert.deepEqual(decodeBlock(encodeBlock(envs)), envs);
});

test('a flipped byte anywhere in a block is reported as JOURNAL_CORRUPT, never decoded silently', () => {
  const block = encodeBlock(envs);
  for (let i = 0; i < block.length; i++) {
    const bad = Buffer.from(block);
    bad[i] = bad[i]! ^ 0x01;
    assert.throws(() => decodeBlock(bad), { code: 'JOURNAL_CORRUPT' }, `byte ${i}`);
  }
});

test('a truncated block is reported as JOURNAL_CORRUPT', () => {
  const block = encodeBlock(envs);
  for (const cut of [1, 7, 9, block.length - 1]) {
    assert.throws(() => decodeBlock(block.subarray(0, cut)), { code: 'JOURNAL_CORRUPT' });
  }
});

test('JSON form names the global table "global" and carries RFC 3339 microsecond times', () => {
  const j = envelopeToJson(envs[2]!);
  assert.deepEqual(j, {
    seq: 3,
    time: '2025-11-24T16:00:01.000000Z',
    type: 'RouteVanished',
    vrf: 'global',
    family: 'ipv6',
    prefix: '2001:db8::/64',
    interface: 'kubelb0',
    reason: 'link-down',
  });
  assert.equal(envelopeToJson(envs[1]!).time, '2025-11-24T16:00:00.123999Z');
});
