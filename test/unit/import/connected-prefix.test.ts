// Issue 9.4: the prefix of a connected route is one value built from the kernel's octets of the
// address (RTM_NEWADDR -> the observer child's decoding -> the IPC wire form -> the import state) and
// carried to the BGP encoder. It must equal the prefix derived from the address text (dumps, replays)
// and the NLRI bytes the encoder parses from the prefix text, for every edge of both families.
import { test } from 'node:test';
import { deserialize, serialize } from 'node:v8';
import assert from 'node:assert/strict';
import { parsePrefixInto, prefixInto } from '../../../src/bgp/codec/index.js';
import { connectedPrefixValue } from '../../../src/import/index.js';
import { decodeAddressNotification } from '../../../src/netlink/parse.js';
import { fromWire, toWire, type WireChange } from '../../../src/netlink/protocol.js';
import {
  isExcludedAddress,
  isExcludedAddressBytes,
  maskedPrefix,
  parsePrefix,
} from '../../../src/shared/index.js';
import type { KernelChange } from '../../../src/netlink/index.js';
import ipaddr from 'ipaddr.js';
import { ifaddrPayload } from '../../helpers/ifaddr.js';

/** An RTM_NEWADDR payload for `text`/`prefixLength` on link `index`. */
function newaddr(text: string, prefixLength: number, index = 7): Uint8Array {
  return ifaddrPayload(ipaddr.parse(text).toByteArray(), prefixLength, index);
}

/** What the daemon receives for an RTM_NEWADDR: decoded in the child, cloned over the IPC channel. */
function received(text: string, prefixLength: number): Extract<KernelChange, { kind: 'address' }> {
  const decoded = decodeAddressNotification(newaddr(text, prefixLength));
  assert.ok(decoded, `${text}/${prefixLength} decodes`);
  const [change] = fromWire(
    deserialize(serialize(toWire([{ kind: 'address', op: 'new', ...decoded }]))) as WireChange[],
  );
  if (change?.kind !== 'address') return assert.fail(`${text}/${prefixLength}: not an address change`);
  return change;
}

const CASES: [string, number][] = [
  ['10.1.2.3', 0],
  ['10.1.2.3', 1],
  ['10.1.2.3', 8],
  ['10.255.255.255', 9],
  ['192.0.2.77', 24],
  ['192.0.2.77', 31],
  ['192.0.2.77', 32],
  ['255.255.255.255', 32],
  ['2001:db8::5', 0],
  ['2001:db8:1:2::5', 64],
  ['2001:db8:1:2:3:4:5:6', 65],
  ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 127],
  ['2001:db8::5', 128],
  ['2001:0:0:1::1', 128], // two runs of zero groups: the longest is compressed
  ['fd00::1', 7],
  ['::ffff:192.0.2.1', 96], // IPv4-mapped: printed in hex, as ipaddr.js does
  ['1::', 16],
];

test('a prefix built from the kernel octets equals the one derived from the address text', () => {
  for (const [text, len] of CASES) {
    const change = received(text, len);
    assert.deepEqual(
      [...(change.octets ?? '')].map((c) => c.charCodeAt(0)),
      ipaddr.parse(text).toByteArray(),
      `${text}: octets cross the wire`,
    );
    const fromKernel = connectedPrefixValue(change.address, change.octets);
    const fromText = connectedPrefixValue(change.address);
    assert.ok(fromKernel && fromText, `${text}/${len} is a connected prefix`);
    assert.deepEqual(fromKernel, fromText, `${text}/${len}`);
    // The text events and the journal hold: what maskedPrefix and parsePrefix have always given.
    assert.equal(fromKernel.text, maskedPrefix(text, len), `${text}/${len}`);
    assert.equal(fromKernel.text, parsePrefix(`${text}/${len}`)?.canonical, `${text}/${len}`);
    // The encoder's NLRI bytes: the interned value copied, equal to parsing the text.
    const v6 = fromKernel.family === 'ipv6';
    const parsed = new Uint8Array(16);
    const copied = new Uint8Array(16).fill(0xee);
    assert.equal(parsePrefixInto(fromKernel.text, v6, parsed), len);
    assert.equal(prefixInto(fromKernel.text, v6, copied), len);
    const octets = (len + 7) >>> 3;
    assert.deepEqual(copied.subarray(0, octets), parsed.subarray(0, octets), `${text}/${len} NLRI`);
    // Host bits are zero in the value.
    for (let bit = len; bit < fromKernel.bytes.length * 8; bit++)
      assert.equal((fromKernel.bytes[bit >> 3]! >> (7 - (bit & 7))) & 1, 0, `${text}/${len} bit ${bit}`);
  }
});

test('an address that never yields a route is excluded alike from octets and from text', () => {
  const addresses = [
    '0.0.0.0',
    '0.255.255.255',
    '1.0.0.0',
    '126.255.255.255',
    '127.0.0.1',
    '127.255.255.255',
    '128.0.0.0',
    '169.253.255.255',
    '169.254.0.0',
    '169.254.255.255',
    '169.255.0.0',
    '223.255.255.255',
    '224.0.0.0',
    '239.255.255.255',
    '240.0.0.0',
    '255.255.255.255',
    '10.0.0.1',
    '::',
    '::1',
    '::2',
    'fe7f::1',
    'fe80::1',
    'febf:ffff::1',
    'fec0::1',
    'feff::1',
    'ff00::',
    'ff02::1',
    '::ffff:127.0.0.1',
    '2001:db8::1',
  ];
  for (const a of addresses) {
    const octets = Uint8Array.from(ipaddr.parse(a).toByteArray());
    const family = octets.length === 4 ? 'ipv4' : 'ipv6';
    assert.equal(isExcludedAddressBytes(family, octets), isExcludedAddress(a), a);
    const change = received(a, family === 'ipv4' ? 32 : 128);
    assert.equal(connectedPrefixValue(change.address, change.octets) === undefined, isExcludedAddress(a), a);
  }
});

test('a change without octets (an older observer child) still yields its prefix from text', () => {
  const [change] = fromWire([
    {
      kind: 'address',
      op: 'new',
      address: {
        index: 7,
        family: 'ipv4',
        address: '10.9.8.7',
        prefixLength: 16,
        scope: 0,
        tentative: false,
        dadFailed: false,
      },
    },
  ]);
  assert.ok(change?.kind === 'address' && change.octets === undefined);
  assert.equal(connectedPrefixValue(change.address, change.octets)?.text, '10.9.0.0/16');
});
