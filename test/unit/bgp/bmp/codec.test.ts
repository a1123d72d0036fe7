// BMP encoding, byte for byte: common header, per-peer header flags (RFC 8671 O+L for Adj-RIB-Out,
// RFC 9069 peer type 3 with the VRF's RD), the VRF/Table Name TLV of a Loc-RIB Peer Up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeInitiation,
  encodePeerUp,
  encodeRouteMonitoring,
  encodeStatistics,
} from '../../../../src/bgp/bmp/codec.js';
import { isRdRtError, parseRdRt } from '../../../../src/shared/index.js';

const rd = parseRdRt('64551:100');
if (isRdRtError(rd)) throw new Error(rd.error);
const AT = 1_700_000_000_123;

test('Initiation: version 3, length, type 4, sysDescr and sysName TLVs', () => {
  assert.equal(
    encodeInitiation('rj', 'h').toString('hex'),
    '03' + '00000011' + '04' + '00010002726a' + '000200016' + '8',
  );
});

test('Adj-RIB-Out route monitoring: peer type 0, flags O and L, peer address, AS, BGP ID, time', () => {
  const m = encodeRouteMonitoring(
    { type: 0, address: '192.0.2.2', as: 65002, bgpId: '192.0.2.2', adjRibOut: true },
    Buffer.from('aa', 'hex'),
    AT,
  );
  assert.equal(
    m.toString('hex'),
    '03' +
      '00000031' +
      '00' + // common header
      '00' +
      '50' +
      '0000000000000000' +
      '000000000000000000000000c0000202' +
      '0000fdea' +
      'c0000202' +
      '6553f100' +
      '0001e078' + // per-peer header (seconds, microseconds)
      'aa',
  );
});

test('Loc-RIB Peer Up: peer type 3, the VRF RD as distinguisher, zero address, the table name TLV', () => {
  const m = encodePeerUp(
    { type: 3, distinguisher: rd, as: 65001, bgpId: '192.0.2.1', adjRibOut: false },
    {
      localAddress: undefined,
      localPort: 0,
      remotePort: 0,
      sentOpen: Buffer.from('01', 'hex'),
      receivedOpen: Buffer.from('02', 'hex'),
      tableName: 'a',
    },
    AT,
  );
  const hex = m.toString('hex');
  assert.equal(hex.slice(0, 12), '030000004b03');
  assert.equal(hex.slice(12, 16), '0300', 'peer type 3, no flags');
  assert.equal(hex.slice(16, 32), '0000fc2700000064', 'RD 64551:100');
  assert.ok(hex.endsWith('0102' + '0003000161'), 'the OPENs, then TLV type 3 "a"');
});

test('Statistics: count and 64-bit gauges', () => {
  const m = encodeStatistics(
    { type: 0, address: '192.0.2.2', as: 65002, bgpId: '192.0.2.2', adjRibOut: true },
    [[15, 7]],
    AT,
  );
  assert.ok(m.toString('hex').endsWith('00000001' + '000f0008' + '0000000000000007'));
});
