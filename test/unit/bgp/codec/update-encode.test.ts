import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MessageReader,
  UpdateBuilder,
  decodeUpdate,
  encodeEndOfRib,
  type BgpRoute,
  type UpdateBuilderOptions,
} from '../../../../src/bgp/codec/index.js';
import {
  isRibjournalError,
  isRdRtError,
  maskedPrefix,
  parseRdRt,
  type RdRt,
} from '../../../../src/shared/index.js';
import { fixture } from './fixtures.js';

function rd(text: string): RdRt {
  const r = parseRdRt(text);
  if (isRdRtError(r)) throw new Error(r.error);
  return r;
}

const hexOf = (msgs: Buffer[]): string[] => msgs.map((m) => m.toString('hex'));
const ebgp: UpdateBuilderOptions = {
  localAs: 65001,
  peerAs: 65002,
  as4: true,
  nextHop: { ipv4: '192.0.2.1' },
};
const ibgp: UpdateBuilderOptions = {
  localAs: 65001,
  peerAs: 65001,
  as4: true,
  nextHop: { ipv4: '192.0.2.1' },
};

test('IPv4 unicast toward eBGP: ORIGIN, AS_PATH with our AS, NEXT_HOP, packed NLRI', () => {
  const routes: BgpRoute[] = ['10.0.0.0/8', '172.16.1.0/24', '192.0.2.128/25', '203.0.113.7/32'].map(
    (prefix) => ({
      family: 'ipv4-unicast',
      prefix,
    }),
  );
  assert.deepEqual(hexOf(new UpdateBuilder(ebgp).announce('ipv4-unicast', routes)), [
    fixture('update-ipv4-ebgp').toString('hex'),
  ]);
});

test('IPv4 unicast toward iBGP: empty AS_PATH and LOCAL_PREF 100', () => {
  const msgs = new UpdateBuilder(ibgp).announce('ipv4-unicast', [
    { family: 'ipv4-unicast', prefix: '10.1.2.0/24' },
  ]);
  assert.deepEqual(hexOf(msgs), [fixture('update-ipv4-ibgp').toString('hex')]);
});

test('a 4-octet AS toward a 2-octet peer: AS_TRANS in AS_PATH, the real AS in AS4_PATH', () => {
  const b = new UpdateBuilder({
    localAs: 4200000000,
    peerAs: 65002,
    as4: false,
    nextHop: { ipv4: '192.0.2.1' },
  });
  const msgs = b.announce('ipv4-unicast', [{ family: 'ipv4-unicast', prefix: '10.0.0.0/8' }]);
  assert.deepEqual(hexOf(msgs), [fixture('update-ipv4-as-trans').toString('hex')]);
});

test('IPv6 unicast: 32-octet next hop with the link-local address', () => {
  const b = new UpdateBuilder({ ...ebgp, nextHop: { ipv6: '2001:db8::1', ipv6LinkLocal: 'fe80::1' } });
  const msgs = b.announce('ipv6-unicast', [
    { family: 'ipv6-unicast', prefix: '2001:db8:1::/48' },
    { family: 'ipv6-unicast', prefix: '2001:db8:2:3::/64' },
  ]);
  assert.deepEqual(hexOf(msgs), [fixture('update-ipv6-link-local').toString('hex')]);
});

test('IPv6 unicast over an IPv4 session: IPv4-mapped next hop', () => {
  const msgs = new UpdateBuilder(ibgp).announce('ipv6-unicast', [
    { family: 'ipv6-unicast', prefix: '2001:db8::/32' },
  ]);
  assert.deepEqual(hexOf(msgs), [fixture('update-ipv6-mapped').toString('hex')]);
});

test('IPv4 unicast over an IPv6 session with RFC 8950 extended next hop', () => {
  const options: UpdateBuilderOptions = {
    ...ebgp,
    nextHop: { ipv6: '2001:db8::1' },
    extendedNextHop: ['ipv4-unicast'],
  };
  const msgs = new UpdateBuilder(options).announce('ipv4-unicast', [
    { family: 'ipv4-unicast', prefix: '198.51.100.0/24' },
  ]);
  assert.deepEqual(hexOf(msgs), [fixture('update-ipv4-extended-next-hop').toString('hex')]);
  // Without the peer's capability there is no way to send it.
  assert.throws(
    () =>
      new UpdateBuilder({ ...options, extendedNextHop: [] }).announce('ipv4-unicast', [
        { family: 'ipv4-unicast', prefix: '198.51.100.0/24' },
      ]),
    (e) => isRibjournalError(e, 'BAD_ARGUMENT'),
  );
});

test('VPN-IPv4 with RD types 0, 1, 2, labels and route targets in all three forms', () => {
  const routes: BgpRoute[] = [
    { family: 'l3vpn-ipv4-unicast', prefix: '34.1.22.0/24', rd: rd('1.2.3.4:258'), labels: [355] },
    { family: 'l3vpn-ipv4-unicast', prefix: '10.0.0.0/8', rd: rd('65001:7') },
    { family: 'l3vpn-ipv4-unicast', prefix: '10.9.0.0/16', rd: rd('4200000001:9'), labels: [16] },
  ];
  const msgs = new UpdateBuilder(ebgp).announce('l3vpn-ipv4-unicast', routes, {
    routeTargets: [rd('65001:100'), rd('192.0.2.1:5'), rd('4200000000:7')],
  });
  assert.deepEqual(hexOf(msgs), [fixture('update-vpnv4').toString('hex')]);
});

test('VPN-IPv6 over an IPv4 session: 24-octet next hop, zero RD + IPv4-mapped address', () => {
  const msgs = new UpdateBuilder(ibgp).announce(
    'l3vpn-ipv6-unicast',
    [{ family: 'l3vpn-ipv6-unicast', prefix: '2001:db8:5::/48', rd: rd('65001:5') }],
    { routeTargets: [rd('65001:5')] },
  );
  assert.deepEqual(hexOf(msgs), [fixture('update-vpnv6-mapped').toString('hex')]);
});

test('VPN-IPv6 toward a 2-octet-AS peer with RD type 2 and a 4-octet-AS route target', () => {
  const b = new UpdateBuilder({
    localAs: 65001,
    peerAs: 65002,
    as4: false,
    nextHop: { ipv6: '2001:db8::1' },
  });
  const msgs = b.announce(
    'l3vpn-ipv6-unicast',
    [{ family: 'l3vpn-ipv6-unicast', prefix: '2001:db8:6::/64', rd: rd('4200000001:1'), labels: [1000] }],
    { routeTargets: [rd('4200000001:1')] },
  );
  assert.deepEqual(hexOf(msgs), [fixture('update-vpnv6-rd2').toString('hex')]);
});

test('VPN-IPv6 with a link-local next hop is 48 octets: zero RD before each address', () => {
  const b = new UpdateBuilder({ ...ebgp, nextHop: { ipv6: '2001:db8::1', ipv6LinkLocal: 'fe80::2' } });
  const [msg] = b.announce('l3vpn-ipv6-unicast', [
    { family: 'l3vpn-ipv6-unicast', prefix: '2001:db8::/32', rd: rd('65001:1') },
  ]);
  const nh = msg!.subarray(19 + 4 + 4 + 3, 19 + 4 + 4 + 3 + 49); // after header, lengths, MP header, AFI/SAFI
  assert.equal(nh[0], 48);
  assert.equal(
    Buffer.from(nh.subarray(1)).toString('hex'),
    '0000000000000000' +
      '20010db8000000000000000000000001' +
      '0000000000000000' +
      'fe800000000000000000000000000002',
  );
});

test('withdrawals: IPv4 in the Withdrawn Routes field, VPN in MP_UNREACH_NLRI', () => {
  const b = new UpdateBuilder(ebgp);
  const v4 = b.withdraw('ipv4-unicast', [
    { family: 'ipv4-unicast', prefix: '10.0.0.0/8' },
    { family: 'ipv4-unicast', prefix: '172.16.1.0/24' },
  ]);
  assert.deepEqual(hexOf(v4), [fixture('withdraw-ipv4').toString('hex')]);
  const route: BgpRoute = {
    family: 'l3vpn-ipv4-unicast',
    prefix: '34.1.22.0/24',
    rd: rd('1.2.3.4:258'),
    labels: [355],
  };
  // Default: the label as advertised, as GoBGP sends withdrawals.
  assert.deepEqual(hexOf(b.withdraw('l3vpn-ipv4-unicast', [route])), [
    fixture('withdraw-vpnv4').toString('hex'),
  ]);
  // RFC 3107 / RFC 8277 compatibility value 0x800000.
  const compat = new UpdateBuilder({ ...ebgp, withdrawLabel: 'compat' });
  assert.deepEqual(hexOf(compat.withdraw('l3vpn-ipv4-unicast', [route])), [
    fixture('withdraw-vpnv4-compat').toString('hex'),
  ]);
});

test('End-of-RIB markers (RFC 4724)', () => {
  assert.equal(encodeEndOfRib('ipv4-unicast').toString('hex'), fixture('eor-ipv4').toString('hex'));
  assert.equal(
    new UpdateBuilder(ebgp).endOfRib('l3vpn-ipv6-unicast').toString('hex'),
    fixture('eor-vpnv6').toString('hex'),
  );
});

/** Decodes messages and returns the route keys they carry, checking each message's size. */
function carried(msgs: Buffer[], limit: number, kind: 'announced' | 'withdrawn'): string[] {
  const keys: string[] = [];
  const reader = new MessageReader({ extendedMessages: limit > 4096 });
  for (const m of msgs) {
    assert.ok(m.length <= limit, `message of ${m.length} octets`);
    const [raw] = reader.push(m);
    const r = decodeUpdate(raw!.body, { as4: true, ibgp: false });
    if (r.action !== 'accept') assert.fail(`${r.action}: ${JSON.stringify(r.problems)}`);
    for (const route of r.update[kind])
      keys.push(`${route.rd?.text ?? ''}|${route.prefix}|${route.labels?.join('/') ?? ''}`);
  }
  return keys;
}

function manyRoutes(n: number, family: BgpRoute['family'], vrfs = 10): BgpRoute[] {
  const rds = Array.from({ length: vrfs }, (_, i) =>
    rd(i % 3 === 0 ? `65001:${i}` : i % 3 === 1 ? `10.0.0.${i}:${i}` : `4200000000:${i}`),
  );
  return Array.from({ length: n }, (_, i) => {
    const v6 = family === 'ipv6-unicast' || family === 'l3vpn-ipv6-unicast';
    const prefix = v6
      ? maskedPrefix(`2001:db8:${(i >> 8).toString(16)}:${(i & 0xff).toString(16)}00::`, 56)
      : `${10 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}.0/24`;
    return family.startsWith('l3vpn')
      ? { family, prefix, rd: rds[i % vrfs]!, labels: [16 + (i % vrfs)] }
      : { family, prefix };
  });
}

for (const family of ['ipv4-unicast', 'ipv6-unicast', 'l3vpn-ipv4-unicast', 'l3vpn-ipv6-unicast'] as const) {
  test(`packing 10k ${family} routes: several UPDATEs of at most 4096 octets carrying each route once`, () => {
    const routes = manyRoutes(10_000, family);
    const b = new UpdateBuilder({ ...ebgp, nextHop: { ipv4: '192.0.2.1', ipv6: '2001:db8::1' } });
    const msgs = b.announce(family, routes, { routeTargets: [rd('65001:1')] });
    assert.ok(msgs.length > 1);
    const keys = carried(msgs, 4096, 'announced');
    const expected = routes.map(
      (r) => `${r.rd?.text ?? ''}|${r.prefix}|${r.rd ? (r.labels ?? [0]).join('/') : ''}`,
    );
    assert.deepEqual(keys, expected);
    assert.equal(new Set(keys).size, routes.length);
    // Messages are full: all but the last leave less room than one more NLRI would need.
    for (const m of msgs.slice(0, -1)) assert.ok(m.length > 4096 - 40, `underfull message of ${m.length}`);

    const w = carried(b.withdraw(family, routes), 4096, 'withdrawn');
    assert.deepEqual(w, expected);
  });
}

test('with RFC 8654 extended messages the same routes need far fewer, larger UPDATEs', () => {
  const routes = manyRoutes(10_000, 'l3vpn-ipv4-unicast');
  const small = new UpdateBuilder(ebgp).announce('l3vpn-ipv4-unicast', routes);
  const large = new UpdateBuilder({ ...ebgp, extendedMessage: true }).announce('l3vpn-ipv4-unicast', routes);
  assert.ok(large.length * 10 < small.length, `${large.length} vs ${small.length}`);
  assert.equal(carried(large, 65535, 'announced').length, routes.length);
});

test('bad routes are refused with BAD_ARGUMENT before anything is sent', () => {
  const b = new UpdateBuilder(ebgp);
  const bad = (family: BgpRoute['family'], route: BgpRoute): void =>
    assert.throws(
      () => b.announce(family, [route]),
      (e) => isRibjournalError(e, 'BAD_ARGUMENT'),
    );
  bad('ipv4-unicast', { family: 'ipv4-unicast', prefix: '10.0.0.0/33' });
  bad('ipv4-unicast', { family: 'ipv4-unicast', prefix: '2001:db8::/32' });
  bad('ipv4-unicast', { family: 'ipv6-unicast', prefix: '2001:db8::/32' });
  bad('l3vpn-ipv4-unicast', { family: 'l3vpn-ipv4-unicast', prefix: '10.0.0.0/8' });
  bad('l3vpn-ipv4-unicast', {
    family: 'l3vpn-ipv4-unicast',
    prefix: '10.0.0.0/8',
    rd: rd('1:1'),
    labels: [1 << 20],
  });
  assert.throws(
    () =>
      new UpdateBuilder({ ...ebgp, nextHop: {} }).announce('ipv6-unicast', [
        { family: 'ipv6-unicast', prefix: '::/0' },
      ]),
    (e) => isRibjournalError(e, 'BAD_ARGUMENT'),
  );
  assert.deepEqual(b.announce('ipv4-unicast', []), []);
});

test('host bits in a prefix are cleared on the wire', () => {
  const [m] = new UpdateBuilder(ebgp).announce('ipv4-unicast', [
    { family: 'ipv4-unicast', prefix: '10.1.2.3/23' },
  ]);
  assert.equal(m!.subarray(-4).toString('hex'), '170a0102');
});
