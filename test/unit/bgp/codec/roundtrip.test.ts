import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BGP_FAMILIES,
  MessageReader,
  UpdateBuilder,
  decodeOpen,
  decodeUpdate,
  encodeOpen,
  encodeRd,
  encodeRouteTarget,
  readRd,
  readRouteTarget,
  standardCapabilities,
  type BgpFamily,
  type BgpRoute,
  type NextHopSelf,
} from '../../../../src/bgp/codec/index.js';
import { isRdRtError, parseRdRt, type RdRt } from '../../../../src/shared/index.js';

function rd(text: string): RdRt {
  const r = parseRdRt(text);
  if (isRdRtError(r)) throw new Error(r.error);
  return r;
}

const RDS = [rd('65001:4294967295'), rd('198.51.100.7:65535'), rd('4294967295:1')]; // types 0, 1, 2
const RTS = [rd('65001:100'), rd('192.0.2.1:5'), rd('4200000000:7')];

test('RD and RT wire forms round-trip for types 0, 1 and 2', () => {
  for (const x of [...RDS, ...RTS]) {
    assert.deepEqual(readRd(encodeRd(x), 0), x);
    assert.deepEqual(readRouteTarget(encodeRouteTarget(x), 0), x);
  }
  assert.equal(Buffer.from(encodeRd(RDS[0]!)).toString('hex'), '0000fde9ffffffff');
  assert.equal(Buffer.from(encodeRd(RDS[1]!)).toString('hex'), '0001c6336407ffff');
  assert.equal(Buffer.from(encodeRd(RDS[2]!)).toString('hex'), '0002ffffffff0001');
  assert.equal(Buffer.from(encodeRouteTarget(RTS[1]!)).toString('hex'), '0102c00002010005');
});

const PREFIXES: Readonly<Record<BgpFamily, readonly string[]>> = {
  'ipv4-unicast': ['0.0.0.0/0', '10.0.0.0/8', '10.1.128.0/17', '192.0.2.77/32'],
  'ipv6-unicast': ['::/0', '2001:db8::/32', '2001:db8:1:2::/64', '2001:db8::1/128', 'fd00:1:2:3:4:5:6:0/113'],
  'l3vpn-ipv4-unicast': ['0.0.0.0/0', '10.0.0.0/8', '10.1.128.0/17', '192.0.2.77/32'],
  'l3vpn-ipv6-unicast': ['::/0', '2001:db8::/32', '2001:db8:1:2::/64', '2001:db8::1/128'],
};

const SESSIONS: { name: string; nextHop: NextHopSelf; v4: string; v6: string; ll?: string }[] = [
  { name: 'IPv4 session', nextHop: { ipv4: '192.0.2.1' }, v4: '192.0.2.1', v6: '::ffff:192.0.2.1' },
  {
    name: 'dual-stack on-link session',
    nextHop: { ipv4: '192.0.2.1', ipv6: '2001:db8::1', ipv6LinkLocal: 'fe80::1' },
    v4: '192.0.2.1',
    v6: '2001:db8::1',
    ll: 'fe80::1',
  },
];

for (const family of BGP_FAMILIES) {
  for (const session of SESSIONS) {
    for (const [ibgp, as4] of [
      [false, true],
      [true, true],
      [false, false],
    ] as const) {
      test(`${family} over a ${session.name}, ${ibgp ? 'iBGP' : 'eBGP'}, ${as4 ? '4' : '2'}-octet AS: encode -> decode is the same`, () => {
        const vpn = family.startsWith('l3vpn');
        const routes: BgpRoute[] = [];
        for (const [i, prefix] of PREFIXES[family].entries()) {
          for (const [j, d] of RDS.entries()) {
            if (!vpn && j > 0) break;
            routes.push(
              vpn ? { family, prefix, rd: d, labels: [(i * 3 + j) * 1000 + 16] } : { family, prefix },
            );
          }
        }
        const localAs = 4200000000;
        const b = new UpdateBuilder({
          localAs,
          peerAs: ibgp ? localAs : 65002,
          as4,
          nextHop: session.nextHop,
          localPref: 250,
        });
        const msgs = b.announce(family, routes, { routeTargets: RTS });
        const reader = new MessageReader();
        const [raw] = reader.push(Buffer.concat(msgs));
        const r = decodeUpdate(raw!.body, { as4, ibgp });
        if (r.action !== 'accept') assert.fail(`${r.action}: ${JSON.stringify(r.problems)}`);
        const u = r.update;
        const v6 = family.includes('ipv6');
        const nextHop = v6 ? session.v6 : session.v4;
        const ll = v6 && session.nextHop.ipv6 ? session.ll : undefined;
        assert.deepEqual(
          u.announced,
          routes.map((route) => ({ ...route, nextHop, ...(ll ? { linkLocalNextHop: ll } : {}) })),
        );
        assert.deepEqual(u.attributes.routeTargets, RTS);
        assert.equal(u.attributes.origin, 'igp');
        assert.deepEqual(u.attributes.asPath, ibgp ? [] : [{ type: 'sequence', asns: [localAs] }]);
        assert.equal(u.attributes.localPref, ibgp ? 250 : undefined);

        for (const withdrawLabel of ['route', 'compat'] as const) {
          const wb = new UpdateBuilder({
            localAs,
            peerAs: 65002,
            as4,
            nextHop: session.nextHop,
            withdrawLabel,
          });
          const [w] = reader.push(Buffer.concat(wb.withdraw(family, routes)));
          const wr = decodeUpdate(w!.body, { as4, ibgp });
          if (wr.action !== 'accept') assert.fail(`${wr.action}: ${JSON.stringify(wr.problems)}`);
          const expected = routes.map((route) =>
            vpn && withdrawLabel === 'compat' ? { family, prefix: route.prefix, rd: route.rd! } : route,
          );
          assert.deepEqual(wr.update.withdrawn, expected);
        }
      });
    }
  }
}

test('OPEN round-trips through encode and decode', () => {
  const caps = standardCapabilities({
    as: 65001,
    families: [...BGP_FAMILIES],
    gracefulRestart: { restarting: false, restartTime: 4095, forwarding: true },
  });
  const o = decodeOpen(
    encodeOpen({ as: 65001, holdTime: 65535, bgpId: '255.255.255.254', capabilities: caps }).subarray(19),
  );
  assert.deepEqual(o, {
    version: 4,
    myAs: 65001,
    holdTime: 65535,
    bgpId: '255.255.255.254',
    capabilities: caps,
    peerAs: 65001,
  });
});
