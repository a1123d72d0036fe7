import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AS_TRANS,
  BgpProtocolError,
  decodeOpen,
  encodeOpen,
  negotiateSession,
  standardCapabilities,
  validateOpen,
  type Capability,
  type OpenParams,
} from '../../../../src/bgp/codec/index.js';
import { isRibjournalError } from '../../../../src/shared/index.js';
import { fixture } from './fixtures.js';

const body = (name: string): Buffer => fixture(name).subarray(19);

function notificationOf(fn: () => unknown): [number, number, string] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof BgpProtocolError, String(err));
    return [
      err.notification.code,
      err.notification.subcode,
      Buffer.from(err.notification.data).toString('hex'),
    ];
  }
  assert.fail('expected a BgpProtocolError');
}

const ebgpParams: OpenParams = {
  as: 65001,
  holdTime: 90,
  bgpId: '192.0.2.1',
  capabilities: standardCapabilities({ as: 65001, families: ['ipv4-unicast', 'l3vpn-ipv4-unicast'] }),
};

test('encodeOpen matches the hand-made fixture (2-octet AS)', () => {
  assert.equal(encodeOpen(ebgpParams).toString('hex'), fixture('open-ebgp').toString('hex'));
});

test('encodeOpen with a 4-octet AS, graceful restart and every option matches its fixture', () => {
  const as = 4200000000;
  const families = ['ipv4-unicast', 'ipv6-unicast', 'l3vpn-ipv4-unicast', 'l3vpn-ipv6-unicast'] as const;
  const open = encodeOpen({
    as,
    holdTime: 180,
    bgpId: '10.0.0.1',
    capabilities: standardCapabilities({
      as,
      families,
      gracefulRestart: { restarting: true, restartTime: 120 },
      extendedNextHop: ['ipv4-unicast'],
      extendedMessage: true,
      enhancedRouteRefresh: true,
    }),
  });
  assert.equal(open.toString('hex'), fixture('open-as4-gr').toString('hex'));
});

test('decodeOpen reads version, AS_TRANS with the 4-octet AS, hold time, identifier and capabilities', () => {
  const o = decodeOpen(body('open-as4-gr'));
  assert.equal(o.version, 4);
  assert.equal(o.myAs, AS_TRANS);
  assert.equal(o.peerAs, 4200000000);
  assert.equal(o.holdTime, 180);
  assert.equal(o.bgpId, '10.0.0.1');
  const gr = o.capabilities.find((c) => c.kind === 'graceful-restart');
  assert.deepEqual(gr, {
    kind: 'graceful-restart',
    restarting: true,
    notification: false,
    restartTime: 120,
    families: [
      { afi: 1, safi: 1, forwarding: false },
      { afi: 2, safi: 1, forwarding: false },
      { afi: 1, safi: 128, forwarding: false },
      { afi: 2, safi: 128, forwarding: false },
    ],
  });
  assert.deepEqual(
    o.capabilities.find((c) => c.kind === 'extended-next-hop'),
    { kind: 'extended-next-hop', entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] },
  );
  assert.ok(o.capabilities.some((c) => c.kind === 'extended-message'));
  assert.ok(o.capabilities.some((c) => c.kind === 'enhanced-route-refresh'));
});

test('RFC 9072 extended optional parameters are decoded, and used when capabilities exceed 255 octets', () => {
  const o = decodeOpen(body('open-rfc9072'));
  assert.equal(o.peerAs, 65002);
  assert.deepEqual(o.capabilities, [{ kind: 'route-refresh' }, { kind: 'four-octet-as', as: 65002 }]);

  const big: Capability[] = Array.from({ length: 30 }, (_, i) => ({
    kind: 'unknown',
    code: 200 + (i % 50),
    value: Uint8Array.from({ length: 10 }, (_, j) => (i + j) & 0xff),
  }));
  const caps: Capability[] = [...big, { kind: 'four-octet-as', as: 65001 }];
  const encoded = encodeOpen({ as: 65001, holdTime: 90, bgpId: '192.0.2.1', capabilities: caps });
  assert.equal(encoded[19 + 9], 255, 'Non-Ext OP Len');
  assert.equal(encoded[19 + 10], 255, 'Non-Ext OP Type');
  assert.deepEqual(decodeOpen(encoded.subarray(19)).capabilities, caps);
});

test('unknown capabilities are preserved byte for byte', () => {
  const caps: Capability[] = [
    { kind: 'unknown', code: 73, value: Uint8Array.from(Buffer.from('04686f7374', 'hex')) }, // FQDN-like
    { kind: 'unknown', code: 128, value: new Uint8Array(0) }, // Cisco route refresh
    { kind: 'four-octet-as', as: 65001 },
  ];
  const o = decodeOpen(
    encodeOpen({ as: 65001, holdTime: 0, bgpId: '192.0.2.1', capabilities: caps }).subarray(19),
  );
  assert.deepEqual(o.capabilities, caps);
  assert.equal(o.holdTime, 0);
});

test('malformed and unacceptable OPENs produce their NOTIFICATION', () => {
  const local = { localAs: 65001, localBgpId: '192.0.2.1', peerAs: 65002 };
  const check = (name: string, peerAs = 65002): [number, number, string] =>
    notificationOf(() => validateOpen(decodeOpen(body(name)), { ...local, peerAs }));
  assert.deepEqual(check('malformed/open-bad-version'), [2, 1, '0004']);
  assert.deepEqual(check('malformed/open-bad-hold-time'), [2, 6, '']);
  assert.deepEqual(check('malformed/open-bad-bgp-id'), [2, 3, '']);
  assert.deepEqual(check('malformed/open-ibgp-same-id', 65001), [2, 3, '']);
  assert.deepEqual(check('malformed/open-bad-peer-as'), [2, 2, '']);
  assert.deepEqual(check('malformed/open-as4-mismatch', 4200000000), [2, 2, '']);
  assert.deepEqual(check('malformed/open-unsupported-param'), [2, 4, '']);
  assert.deepEqual(check('malformed/open-truncated-capability'), [2, 0, '']);
});

test('validateOpen accepts a good OPEN and an eBGP peer that shares our identifier', () => {
  const local = { localAs: 65001, localBgpId: '192.0.2.1' };
  validateOpen(decodeOpen(body('open-rfc9072')), { ...local, peerAs: 65002 });
  const sameId = encodeOpen({
    as: 65002,
    holdTime: 90,
    bgpId: '192.0.2.1',
    capabilities: [{ kind: 'four-octet-as', as: 65002 }],
  });
  validateOpen(decodeOpen(sameId.subarray(19)), { ...local, peerAs: 65002 }); // RFC 6286: only iBGP must differ
});

test('a missing required capability is 2/7 with the capability as data', () => {
  const open = decodeOpen(body('open-rfc9072')); // route refresh + 4-octet AS, no multiprotocol
  const n = notificationOf(() =>
    validateOpen(open, {
      localAs: 65001,
      localBgpId: '192.0.2.1',
      requiredCapabilities: [{ kind: 'multiprotocol', afi: 1, safi: 128 }, { kind: 'route-refresh' }],
    }),
  );
  assert.deepEqual(n, [2, 7, '010400010080']);
});

test('AS 0 and a 4-octet AS capability of 0 are a bad peer AS (RFC 7607)', () => {
  const zero = encodeOpen({
    as: 65002,
    holdTime: 90,
    bgpId: '192.0.2.2',
    capabilities: [{ kind: 'four-octet-as', as: 0 }],
  });
  assert.deepEqual(
    notificationOf(() =>
      validateOpen(decodeOpen(zero.subarray(19)), { localAs: 65001, localBgpId: '192.0.2.1' }),
    ),
    [2, 2, ''],
  );
});

test('negotiateSession: families, hold time, 4-octet AS, extended next hop', () => {
  const remote = decodeOpen(body('open-as4-gr'));
  const s = negotiateSession(ebgpParams, remote);
  assert.deepEqual(s.families, ['ipv4-unicast', 'l3vpn-ipv4-unicast']);
  assert.equal(s.holdTime, 90);
  assert.equal(s.keepaliveTime, 30);
  assert.equal(s.as4, true);
  assert.equal(s.peerAs, 4200000000);
  assert.equal(s.routeRefresh, true);
  assert.equal(s.extendedMessage, false); // we did not announce it
  assert.deepEqual(s.extendedNextHop, ['ipv4-unicast']);
  assert.equal(s.peerGracefulRestart?.restartTime, 120);

  // A peer without multiprotocol capabilities speaks IPv4 unicast only (RFC 4760 8).
  const plain = decodeOpen(body('open-rfc9072'));
  assert.deepEqual(negotiateSession(ebgpParams, plain).families, ['ipv4-unicast']);
});

test('encodeOpen refuses what it cannot send', () => {
  assert.throws(
    () => encodeOpen({ as: 4200000000, holdTime: 90, bgpId: '192.0.2.1', capabilities: [] }),
    (e) => isRibjournalError(e, 'BAD_ARGUMENT'),
  );
  assert.throws(
    () => encodeOpen({ ...ebgpParams, holdTime: 2 }),
    (e) => isRibjournalError(e, 'BAD_ARGUMENT'),
  );
  assert.throws(
    () => encodeOpen({ ...ebgpParams, bgpId: 'router' }),
    (e) => isRibjournalError(e, 'BAD_ARGUMENT'),
  );
});
