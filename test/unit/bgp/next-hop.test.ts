// Next-hop-self from the session's socket addresses and the interface table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { nextHopSelf, plainAddress, type InterfaceTable } from '../../../src/bgp/next-hop.js';

function info(address: string, cidr: string): NetworkInterfaceInfo {
  const v6 = address.includes(':');
  return {
    address,
    netmask: '',
    family: v6 ? 'IPv6' : 'IPv4',
    mac: '02:00:00:00:00:01',
    internal: false,
    cidr,
    ...(v6 ? { scopeid: 0 } : {}),
  } as NetworkInterfaceInfo;
}

const TABLE: InterfaceTable = {
  eth0: [
    info('192.0.2.1', '192.0.2.1/24'),
    info('2001:db8::1', '2001:db8::1/64'),
    info('fe80::1', 'fe80::1/64'),
  ],
  eth1: [info('2001:db8:1::1', '2001:db8:1::1/64'), info('fe80::2', 'fe80::2/64')],
};

test('IPv4 session: the local address; IPv4-mapped sockets are read as IPv4', () => {
  assert.deepEqual(nextHopSelf('192.0.2.1', '192.0.2.2', TABLE), { ipv4: '192.0.2.1' });
  assert.deepEqual(nextHopSelf('::ffff:192.0.2.1', '::ffff:192.0.2.2', TABLE), { ipv4: '192.0.2.1' });
  assert.equal(plainAddress('::ffff:10.0.0.1'), '10.0.0.1');
  assert.equal(plainAddress('2001:DB8:0::1'), '2001:db8::1');
});

test('IPv6 session with the peer on the link: global + link-local of that interface, and its IPv4', () => {
  assert.deepEqual(nextHopSelf('2001:db8::1', '2001:db8::2', TABLE), {
    ipv6: '2001:db8::1',
    ipv6LinkLocal: 'fe80::1',
    ipv4: '192.0.2.1',
  });
});

test('IPv6 session to a peer beyond the link: no link-local next hop', () => {
  assert.deepEqual(nextHopSelf('2001:db8:1::1', '2001:db8:99::2', TABLE), { ipv6: '2001:db8:1::1' });
});

test('a local address on no interface is used alone', () => {
  assert.deepEqual(nextHopSelf('2001:db8:7::1', '2001:db8:7::2', TABLE), { ipv6: '2001:db8:7::1' });
});
