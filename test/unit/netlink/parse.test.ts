// Parsing of rtnetlink link and address messages into kernel shapes: captured kernel bytes, messages
// built with the netlink package's own formatters (for what this kernel cannot make: a VRF device),
// and the direct address decoder held against the package's decoding.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import ipaddr from 'ipaddr.js';
import { AttrStream, ifla, rt } from 'netlink';
import { parseAddressMessage, parseLinkMessage } from '../../../src/netlink/index.js';
import { AF_INET, AF_INET6, decodeAddressPayload, formatIpv6 } from '../../../src/netlink/parse.js';
import {
  ADDR_V4,
  ADDR_V4_PEER,
  ADDR_V6_DADFAILED,
  ADDR_V6_TENTATIVE,
  LINK_BRIDGE_BR0,
  LINK_VETH_A_IN_BRIDGE,
} from './fixtures.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

function bytes(data: Parameters<AttrStream['emit']>[0]): Buffer {
  const out = new AttrStream();
  out.emit(data);
  return Buffer.concat(out.bufs);
}

/** A link message as the kernel would send it, through the package's formatter and parser. */
function linkMessage(data: rt.Link, attrs: ifla.LinkAttrs): rt.LinkMessage {
  const out = new AttrStream();
  rt.formatLinkMessage({ kind: 'link', data, attrs }, out);
  return rt.parseLinkMessage(Buffer.concat(out.bufs));
}

function addressPayload(data: rt.Address, attrs: rt.AddressAttrs): Buffer {
  const out = new AttrStream();
  rt.formatAddressMessage({ kind: 'address', data, attrs }, out);
  return Buffer.concat(out.bufs);
}

test('a captured veth link enslaved to a bridge: name, index, up, master, kind', () => {
  assert.deepEqual(parseLinkMessage(rt.parseLinkMessage(hex(LINK_VETH_A_IN_BRIDGE))), {
    index: 4,
    name: 'a',
    up: true,
    adminUp: true,
    master: 2,
    kind: 'veth',
    vrfTable: undefined,
  });
  assert.deepEqual(parseLinkMessage(rt.parseLinkMessage(hex(LINK_BRIDGE_BR0))), {
    index: 2,
    name: 'br0',
    up: true,
    adminUp: true,
    master: undefined,
    kind: 'bridge',
    vrfTable: undefined,
  });
});

test('a VRF device reports kind vrf and its table (IFLA_INFO_DATA / IFLA_VRF_TABLE)', () => {
  const linkinfo = bytes(ifla.formatInfo({ kind: 'vrf', data: bytes(ifla.formatVrf({ table: 1001 })) }));
  const msg = linkMessage(
    { index: 7, flags: { up: true, running: true, master: true } },
    { ifname: 'vrf-blue', linkinfo },
  );
  assert.deepEqual(parseLinkMessage(msg), {
    index: 7,
    name: 'vrf-blue',
    up: true,
    adminUp: true,
    master: undefined,
    kind: 'vrf',
    vrfTable: 1001,
  });
});

test('an interface enslaved to a VRF reports the VRF as master', () => {
  const linkinfo = bytes(ifla.formatInfo({ kind: 'veth' }));
  const msg = linkMessage(
    { index: 9, flags: { up: true, running: true, slave: true } },
    { ifname: 'eth1', master: 7, linkinfo },
  );
  assert.equal(parseLinkMessage(msg)?.master, 7);
});

test('admin up without carrier is not up; admin down is neither; no kind without IFLA_LINKINFO', () => {
  const noCarrier = parseLinkMessage(linkMessage({ index: 3, flags: { up: true } }, { ifname: 'b' }));
  assert.equal(noCarrier?.up, false);
  assert.equal(noCarrier?.adminUp, true);
  assert.equal(noCarrier?.kind, undefined);
  const down = parseLinkMessage(linkMessage({ index: 3, flags: {} }, { ifname: 'b' }));
  assert.equal(down?.up, false);
  assert.equal(down?.adminUp, false);
  // IFF_RUNNING without IFF_UP does not happen, but must not read as up.
  assert.equal(
    parseLinkMessage(linkMessage({ index: 3, flags: { running: true } }, { ifname: 'b' }))?.up,
    false,
  );
});

test('a link message without ifindex or name is not a link', () => {
  assert.equal(parseLinkMessage(linkMessage({ index: 3 }, {})), undefined);
  assert.equal(parseLinkMessage(linkMessage({ index: 0 }, { ifname: 'x' })), undefined);
});

test('captured addresses: IPv4, IPv4 with a peer (the local side is reported), IPv6 tentative, dadfailed', () => {
  assert.deepEqual(parseAddressMessage(rt.parseAddressMessage(hex(ADDR_V4))), {
    index: 3,
    family: 'ipv4',
    address: '192.0.2.1',
    prefixLength: 24,
    scope: 0,
    tentative: false,
    dadFailed: false,
  });
  assert.deepEqual(parseAddressMessage(rt.parseAddressMessage(hex(ADDR_V4_PEER))), {
    index: 3,
    family: 'ipv4',
    address: '10.9.9.1',
    prefixLength: 32,
    scope: 0,
    tentative: false,
    dadFailed: false,
  });
  assert.deepEqual(parseAddressMessage(rt.parseAddressMessage(hex(ADDR_V6_TENTATIVE))), {
    index: 3,
    family: 'ipv6',
    address: '2001:db8:6::1',
    prefixLength: 64,
    scope: 0,
    tentative: true,
    dadFailed: false,
  });
  assert.deepEqual(parseAddressMessage(rt.parseAddressMessage(hex(ADDR_V6_DADFAILED))), {
    index: 4,
    family: 'ipv6',
    address: '2001:db8:7::1',
    prefixLength: 64,
    scope: 0,
    tentative: true,
    dadFailed: true,
  });
});

const v6 = (text: string): Buffer => Buffer.from(ipaddr.parse(text).toByteArray());

test('IFA_FLAGS, when present, wins over ifa_flags for tentative and dadfailed', () => {
  const base = { family: AF_INET6, prefixlen: 64, scope: 0, index: 5 };
  const address = v6('2001:db8::1');
  const cases: {
    data: rt.AddressFlags;
    attr: rt.AddressFlags | undefined;
    tentative: boolean;
    dadFailed: boolean;
  }[] = [
    { data: { tentative: true }, attr: undefined, tentative: true, dadFailed: false },
    { data: { tentative: true }, attr: { permanent: true }, tentative: false, dadFailed: false },
    { data: {}, attr: { tentative: true, permanent: true }, tentative: true, dadFailed: false },
    { data: {}, attr: { dadfailed: true, tentative: true }, tentative: true, dadFailed: true },
    { data: { dadfailed: true }, attr: undefined, tentative: false, dadFailed: true },
  ];
  for (const c of cases) {
    const attrs: rt.AddressAttrs = c.attr === undefined ? { address } : { address, flags: c.attr };
    const payload = addressPayload({ ...base, flags: c.data }, attrs);
    const parsed = parseAddressMessage(rt.parseAddressMessage(payload));
    assert.equal(parsed?.tentative, c.tentative, JSON.stringify(c));
    assert.equal(parsed?.dadFailed, c.dadFailed, JSON.stringify(c));
    assert.deepEqual(decodeAddressPayload(payload), parsed, JSON.stringify(c));
  }
});

test('scope and prefix length are carried; link-local and loopback are reported as they are', () => {
  const lo = addressPayload(
    { family: AF_INET, prefixlen: 8, scope: 254, index: 1 },
    { address: hex('7f000001'), local: hex('7f000001') },
  );
  assert.deepEqual(decodeAddressPayload(lo), {
    index: 1,
    family: 'ipv4',
    address: '127.0.0.1',
    prefixLength: 8,
    scope: 254,
    tentative: false,
    dadFailed: false,
  });
  const ll = addressPayload(
    { family: AF_INET6, prefixlen: 64, scope: 253, index: 2 },
    { address: v6('fe80::1') },
  );
  assert.equal(decodeAddressPayload(ll)?.address, 'fe80::1');
  assert.equal(decodeAddressPayload(ll)?.scope, 253);
});

test('other families and malformed addresses are not addresses; truncated payloads are errors', () => {
  const other = addressPayload({ family: 17, prefixlen: 0, index: 2 }, { address: hex('0102') });
  assert.equal(decodeAddressPayload(other), undefined);
  assert.equal(parseAddressMessage(rt.parseAddressMessage(other)), undefined);
  const shortV6 = addressPayload({ family: AF_INET6, prefixlen: 64, index: 2 }, { address: hex('20010db8') });
  assert.equal(decodeAddressPayload(shortV6), undefined);
  const none = addressPayload({ family: AF_INET, prefixlen: 24, index: 2 }, { label: 'eth0' });
  assert.equal(decodeAddressPayload(none), undefined);
  assert.throws(() => decodeAddressPayload(hex('0218')), { code: 'NETLINK_FAILED' });
  const badAttr = Buffer.concat([hex(ADDR_V4), hex('ff000100')]); // an attribute claiming 255 bytes
  assert.throws(() => decodeAddressPayload(badAttr), { code: 'NETLINK_FAILED' });
});

test('the direct address decoder agrees with the package decoding, captured and random messages', () => {
  for (const h of [ADDR_V4, ADDR_V4_PEER, ADDR_V6_TENTATIVE, ADDR_V6_DADFAILED]) {
    assert.deepEqual(decodeAddressPayload(hex(h)), parseAddressMessage(rt.parseAddressMessage(hex(h))));
  }
  for (let i = 0; i < 2000; i++) {
    const r = randomBytes(24);
    const ipv6 = r[0]! & 1;
    const addr = ipv6 ? randomV6(r) : r.subarray(4, 8);
    const attrs: rt.AddressAttrs = {
      address: addr,
      label: `if${i}`,
      cacheInfo: { ifaPrefered: 1, ifaValid: 2, cstamp: 3, tstamp: 4 },
    };
    if (r[1]! & 1) attrs.local = ipv6 ? randomV6(randomBytes(24)) : randomBytes(4);
    if (r[1]! & 2) attrs.flags = rt.parseAddressFlags(r.readUInt32LE(8) & 0xfff);
    const payload = addressPayload(
      {
        family: ipv6 ? AF_INET6 : AF_INET,
        prefixlen: r[2]! % (ipv6 ? 129 : 33),
        scope: r[3]!,
        index: 1 + r.readUInt16LE(12),
        flags: rt.parseAddressFlags(r[14]!),
      },
      attrs,
    );
    assert.deepEqual(decodeAddressPayload(payload), parseAddressMessage(rt.parseAddressMessage(payload)));
  }
});

/** IPv6 addresses with many zero groups, where RFC 5952 text is tricky. */
function randomV6(r: Buffer): Buffer {
  const out = Buffer.alloc(16);
  for (let g = 0; g < 8; g++) {
    const roll = r[g]! % 4;
    if (roll === 0) continue; // zero group
    out.writeUInt16BE(roll === 1 ? 1 : r.readUInt16BE(8 + (g % 8) * 2), g * 2);
  }
  return out;
}

test('IPv6 text is ipaddr.js text (RFC 5952: longest zero run, leftmost on a tie, no single-group ::)', () => {
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:0db8:0000:0001:0000:0000:0000:0001', '2001:db8:0:1::1'],
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    ['2001:0db8:0001:0001:0001:0001:0000:0001', '2001:db8:1:1:1:1:0:1'],
    ['0000:0000:0000:0000:0000:0000:0000:0000', '::'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
    ['fe80:0000:0000:0000:0000:0000:0000:0000', 'fe80::'],
    ['0000:0000:0000:0000:0000:ffff:0102:0304', '::ffff:102:304'],
  ];
  for (const [full, text] of cases) {
    const b = Buffer.from(full.replaceAll(':', ''), 'hex');
    assert.equal(formatIpv6(b), text);
    assert.equal(formatIpv6(b), ipaddr.fromByteArray([...b]).toString());
  }
  for (let i = 0; i < 20_000; i++) {
    const b = randomV6(randomBytes(24));
    assert.equal(formatIpv6(b), ipaddr.fromByteArray([...b]).toString(), b.toString('hex'));
  }
  const framed = Buffer.concat([hex('ffff'), v6('2001:db8::2')]);
  assert.equal(formatIpv6(framed, 2), '2001:db8::2');
});
