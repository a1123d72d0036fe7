import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BgpProtocolError,
  MessageReader,
  decodeOpen,
  decodeUpdate,
  validateOpen,
  type UpdateDecodeOptions,
  type UpdateResult,
} from '../../../../src/bgp/codec/index.js';
import { fixture, fixtureMeta, fixtureNames, hex } from './fixtures.js';

const EBGP: UpdateDecodeOptions = { as4: true, ibgp: false };

function decode(name: string, options: UpdateDecodeOptions = EBGP): UpdateResult {
  return decodeUpdate(fixture(name).subarray(19), options);
}

function accepted(r: UpdateResult): Extract<UpdateResult, { update: unknown }>['update'] {
  assert.notEqual(r.action, 'session-reset', JSON.stringify(r.problems));
  if (r.action === 'session-reset') throw new Error('unreachable');
  return r.update;
}

test('IPv4 UPDATE: routes with their next hop and the path attributes', () => {
  const r = decode('update-ipv4-ebgp');
  assert.equal(r.action, 'accept');
  const u = accepted(r);
  assert.deepEqual(
    u.announced.map((a) => [a.family, a.prefix, a.nextHop]),
    [
      ['ipv4-unicast', '10.0.0.0/8', '192.0.2.1'],
      ['ipv4-unicast', '172.16.1.0/24', '192.0.2.1'],
      ['ipv4-unicast', '192.0.2.128/25', '192.0.2.1'],
      ['ipv4-unicast', '203.0.113.7/32', '192.0.2.1'],
    ],
  );
  assert.deepEqual(u.attributes, {
    origin: 'igp',
    asPath: [{ type: 'sequence', asns: [65001] }],
    nextHop: '192.0.2.1',
  });
  assert.deepEqual(u.withdrawn, []);
  assert.equal(u.endOfRib, undefined);
});

test('iBGP LOCAL_PREF is kept, and discarded when it comes from eBGP (RFC 7606 7.5)', () => {
  assert.equal(accepted(decode('update-ipv4-ibgp', { as4: true, ibgp: true })).attributes.localPref, 100);
  const r = decode('update-ipv4-ibgp', EBGP);
  assert.equal(r.action, 'attribute-discard');
  assert.equal(accepted(r).attributes.localPref, undefined);
  assert.equal(accepted(r).announced.length, 1);
});

test('a 2-octet session merges AS4_PATH into AS_PATH (RFC 6793 4.2.3)', () => {
  const u = accepted(decode('update-ipv4-as-trans', { as4: false, ibgp: false }));
  assert.deepEqual(u.attributes.asPath, [{ type: 'sequence', asns: [4200000000] }]);
  // A longer AS_PATH keeps its leading ASes: [65010 AS_TRANS] + AS4_PATH [4200000000].
  const body = hex(`
    0000 001d
    40 01 01 00
    40 02 06 02 02 fdf2 5ba0
    40 03 04 c0000202
    c0 11 06 02 01 fa56ea00
    08 0a`);
  assert.deepEqual(accepted(decodeUpdate(body, { as4: false, ibgp: false })).attributes.asPath, [
    { type: 'sequence', asns: [65010] },
    { type: 'sequence', asns: [4200000000] },
  ]);
});

test('IPv6 next hops: global + link-local, and IPv4-mapped', () => {
  const ll = accepted(decode('update-ipv6-link-local'));
  assert.deepEqual(
    ll.announced.map((a) => [a.prefix, a.nextHop, a.linkLocalNextHop]),
    [
      ['2001:db8:1::/48', '2001:db8::1', 'fe80::1'],
      ['2001:db8:2:3::/64', '2001:db8::1', 'fe80::1'],
    ],
  );
  const mapped = accepted(decode('update-ipv6-mapped', { as4: true, ibgp: true }));
  assert.deepEqual(mapped.announced, [
    { family: 'ipv6-unicast', prefix: '2001:db8::/32', nextHop: '::ffff:192.0.2.1' },
  ]);
  const enh = accepted(decode('update-ipv4-extended-next-hop'));
  assert.deepEqual(enh.announced, [
    { family: 'ipv4-unicast', prefix: '198.51.100.0/24', nextHop: '2001:db8::1' },
  ]);
});

test('VPN-IPv4: RD of every type, labels, route targets of every form', () => {
  const u = accepted(decode('update-vpnv4'));
  assert.deepEqual(
    u.announced.map((a) => [a.family, a.rd?.text, a.rd?.type, a.prefix, a.labels, a.nextHop]),
    [
      ['l3vpn-ipv4-unicast', '1.2.3.4:258', 1, '34.1.22.0/24', [355], '192.0.2.1'],
      ['l3vpn-ipv4-unicast', '65001:7', 0, '10.0.0.0/8', [0], '192.0.2.1'],
      ['l3vpn-ipv4-unicast', '4200000001:9', 2, '10.9.0.0/16', [16], '192.0.2.1'],
    ],
  );
  assert.deepEqual(
    u.attributes.routeTargets?.map((rt) => [rt.type, rt.text]),
    [
      [0, '65001:100'],
      [1, '192.0.2.1:5'],
      [2, '4200000000:7'],
    ],
  );
  assert.equal(u.attributes.extendedCommunities?.length, 3);
});

test('VPN-IPv6 next hops drop the zero RD', () => {
  const mapped = accepted(decode('update-vpnv6-mapped', { as4: true, ibgp: true }));
  assert.deepEqual(
    mapped.announced.map((a) => [a.prefix, a.rd?.text, a.nextHop]),
    [['2001:db8:5::/48', '65001:5', '::ffff:192.0.2.1']],
  );
  const rd2 = accepted(decode('update-vpnv6-rd2', { as4: false, ibgp: false }));
  assert.deepEqual(
    rd2.announced.map((a) => [a.prefix, a.rd?.text, a.labels, a.nextHop]),
    [['2001:db8:6::/64', '4200000001:1', [1000], '2001:db8::1']],
  );
  assert.deepEqual(rd2.attributes.asPath, [{ type: 'sequence', asns: [65001] }]);
});

test('withdrawals from the Withdrawn Routes field and MP_UNREACH_NLRI, with either label convention', () => {
  assert.deepEqual(accepted(decode('withdraw-ipv4')).withdrawn, [
    { family: 'ipv4-unicast', prefix: '10.0.0.0/8' },
    { family: 'ipv4-unicast', prefix: '172.16.1.0/24' },
  ]);
  for (const name of ['withdraw-vpnv4', 'withdraw-vpnv4-compat']) {
    const u = accepted(decode(name));
    assert.deepEqual(
      u.withdrawn.map((w) => [w.family, w.rd?.text, w.prefix]),
      [['l3vpn-ipv4-unicast', '1.2.3.4:258', '34.1.22.0/24']],
      name,
    );
    assert.equal(u.endOfRib, undefined);
  }
});

test('End-of-RIB markers are recognised', () => {
  assert.equal(accepted(decode('eor-ipv4')).endOfRib, 'ipv4-unicast');
  assert.equal(accepted(decode('eor-vpnv6')).endOfRib, 'l3vpn-ipv6-unicast');
});

test('an unrecognized optional transitive attribute is kept with the Partial bit', () => {
  const u = accepted(decode('malformed/update-unknown-optional-transitive'));
  assert.deepEqual(u.attributes.unknown, [{ flags: 0xe0, type: 99, value: Uint8Array.of(0xab, 0xcd) }]);
  // Optional non-transitive: ignored.
  const body = hex('0000 0018 40010100 4002060201 0000fdea 400304c0000202 80 63 01 00 080a');
  assert.equal(accepted(decodeUpdate(body, EBGP)).attributes.unknown, undefined);
});

test('treat-as-withdraw turns every announced route into a withdrawal', () => {
  const r = decode('malformed/update-bad-origin');
  assert.equal(r.action, 'treat-as-withdraw');
  const u = accepted(r);
  assert.deepEqual(u.announced, []);
  assert.deepEqual(u.withdrawn, [{ family: 'ipv4-unicast', prefix: '10.0.0.0/8' }]);
  assert.deepEqual(
    r.problems.map((p) => [p.action, p.subcode, p.attribute]),
    [['treat-as-withdraw', 6, 1]],
  );
  // MP routes too, with their RD and labels.
  const mp = hex(`
    0000 0026
    90 0e 001e 0001 80 0c 0000000000000000c0000202 00 60 000011 0000fdea00000001 0a
    40 01 01 07`);
  const rm = decodeUpdate(mp, EBGP);
  assert.equal(rm.action, 'treat-as-withdraw');
  assert.deepEqual(
    accepted(rm).withdrawn.map((w) => [w.rd?.text, w.prefix, w.labels]),
    [['65002:1', '10.0.0.0/8', [1]]],
  );
});

test('the strongest action wins when several attributes are malformed (RFC 7606 3)', () => {
  // AGGREGATOR too short (discard) and ORIGIN value 9 (treat-as-withdraw).
  const body = hex('0000 001c 40010109 4002060201 0000fdea 400304c0000202 c0 07 05 0000fdea01 080a');
  const r = decodeUpdate(body, EBGP);
  assert.equal(r.action, 'treat-as-withdraw');
  assert.deepEqual(
    r.problems.map((p) => p.action),
    ['treat-as-withdraw', 'attribute-discard'],
  );
});

test('an unknown RD type ignores that route only', () => {
  const body = hex(`
    0000 003c
    90 0e 002b 0001 80 0c 0000000000000000c0000202 00
      60 000001 0005 00000000 0001 0a
      60 000001 0000 fdea0000 0001 0b
    40 01 01 00
    40 02 06 02 01 0000fdea`);
  const r = decodeUpdate(body, EBGP);
  assert.equal(r.action, 'accept');
  assert.deepEqual(
    accepted(r).announced.map((a) => a.prefix),
    ['11.0.0.0/8'],
  );
  assert.equal(r.problems[0]?.action, 'route-ignored');
});

// Every malformed fixture, with the action its header names (see test/fixtures/bgp/README.md).
for (const name of fixtureNames('malformed')) {
  const meta = fixtureMeta(name);
  test(`${name}: ${meta.expect}`, () => {
    assert.ok(meta.expect, 'fixture has no "# expect:" line');
    const [action, codes] = meta.expect.split(/\s+/);
    const [code, subcode] = (codes ?? '').split('/').map(Number);
    const bytes = fixture(name);
    let result: UpdateResult | undefined;
    let thrown: BgpProtocolError | undefined;
    try {
      const reader = new MessageReader();
      const [msg] = reader.push(bytes);
      assert.ok(msg, 'no whole message');
      if (msg.type === 1) {
        validateOpen(decodeOpen(msg.body), {
          localAs: 65001,
          localBgpId: '192.0.2.1',
          peerAs: meta.peerAs ?? 65002,
        });
      } else {
        const s = meta.session ?? 'ebgp as4';
        result = decodeUpdate(msg.body, {
          as4: !s.includes('as2'),
          ibgp: s.includes('ibgp'),
          peerAs: 65002,
          enforceFirstAs: s.includes('enforce-first-as'),
        });
      }
    } catch (err) {
      if (!(err instanceof BgpProtocolError)) throw err;
      thrown = err;
    }
    if (action === 'notification') {
      assert.ok(thrown, `expected NOTIFICATION ${codes}, got ${JSON.stringify(result?.action)}`);
      assert.deepEqual([thrown.notification.code, thrown.notification.subcode], [code, subcode]);
      if (meta.data !== undefined)
        assert.equal(Buffer.from(thrown.notification.data).toString('hex'), meta.data);
      return;
    }
    assert.equal(thrown, undefined, thrown?.message);
    assert.ok(result);
    assert.equal(result.action, action, JSON.stringify(result.problems));
    if (result.action === 'session-reset') {
      assert.deepEqual([result.notification.code, result.notification.subcode], [code, subcode]);
      if (meta.data !== undefined)
        assert.equal(Buffer.from(result.notification.data).toString('hex'), meta.data);
    } else if (action !== 'accept') {
      assert.ok(
        result.problems.some((p) => p.action === action && p.subcode === subcode),
        `no ${action} problem with subcode ${subcode}: ${JSON.stringify(result.problems)}`,
      );
    }
  });
}

test('malformed UPDATEs never throw: every truncation of a valid UPDATE is answered', () => {
  const whole = fixture('update-vpnv4').subarray(19);
  for (let end = 0; end < whole.length; end++) {
    const r = decodeUpdate(whole.subarray(0, end), EBGP);
    assert.ok(['session-reset', 'treat-as-withdraw', 'attribute-discard', 'accept'].includes(r.action));
  }
  // And random bytes.
  let seed = 42;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 16) & 0xff;
  for (let i = 0; i < 2000; i++) {
    const body = Uint8Array.from({ length: 4 + (rand() % 60) }, rand);
    body[0] = 0;
    body[1] = rand() % 8;
    decodeUpdate(body, EBGP);
  }
});
