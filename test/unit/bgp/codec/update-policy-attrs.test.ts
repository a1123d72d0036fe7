// The attributes export policy adds, byte for byte: MULTI_EXIT_DISC, LOCAL_PREF, COMMUNITIES,
// EXTENDED_COMMUNITIES after the route targets, LARGE_COMMUNITIES, prepends (4-octet and with AS4_PATH).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpdateBuilder, type BgpRoute } from '../../../../src/bgp/codec/index.js';
import { isRdRtError, parseRdRt, type RdRt } from '../../../../src/shared/index.js';

function rd(text: string): RdRt {
  const r = parseRdRt(text);
  if (isRdRtError(r)) throw new Error(r.error);
  return r;
}

const route: BgpRoute = { family: 'ipv4-unicast', prefix: '192.0.2.10/32' };
/** Path attributes of a single-route IPv4 UPDATE (between the attribute length and the NLRI). */
function attrsHex(msg: Buffer): string {
  const attrLen = msg.readUInt16BE(21);
  return msg.subarray(23, 23 + attrLen).toString('hex');
}

test('eBGP, 4-octet AS: prepends, MED, communities, route targets + route origin, large communities', () => {
  const b = new UpdateBuilder({ localAs: 65001, peerAs: 65002, as4: true, nextHop: { ipv4: '192.0.2.1' } });
  const [msg] = b.announce('ipv4-unicast', [route], {
    routeTargets: [rd('64551:100')],
    extCommunities: [{ subtype: 'route-origin', value: rd('65001:9') }],
    communities: [0xfde90064, 0xffffff01],
    largeCommunities: [[65001, 1, 2]],
    med: 50,
    localPref: 200, // never toward eBGP
    asPathPrepend: [65005, 65005],
  });
  assert.equal(
    attrsHex(msg!),
    [
      '400101' + '00', // ORIGIN IGP
      '40020e' + '0203' + '0000fded' + '0000fded' + '0000fde9', // AS_PATH 65005 65005 65001
      '400304' + 'c0000201', // NEXT_HOP
      '800404' + '00000032', // MED 50
      'c00808' + 'fde90064' + 'ffffff01', // COMMUNITIES 65001:100 no-export
      'c01010' + '0002fc270000' + '0064' + '0003fde90000' + '0009', // RT 64551:100, SoO 65001:9
      'c0200c' + '0000fde9' + '00000001' + '00000002', // LARGE 65001:1:2
    ].join(''),
  );
  assert.equal(msg!.subarray(-5).toString('hex'), '20c000020a');
});

test('iBGP: the policy LOCAL_PREF replaces 100; prepends only; 2-octet session gets AS_TRANS and AS4_PATH', () => {
  const i = new UpdateBuilder({ localAs: 65001, peerAs: 65001, as4: true, nextHop: { ipv4: '192.0.2.1' } });
  assert.equal(
    attrsHex(i.announce('ipv4-unicast', [route], { localPref: 250 })[0]!),
    '40010100' + '400200' + '400304c0000201' + '400504000000fa',
  );
  const old = new UpdateBuilder({
    localAs: 65001,
    peerAs: 65002,
    as4: false,
    nextHop: { ipv4: '192.0.2.1' },
  });
  assert.equal(
    attrsHex(old.announce('ipv4-unicast', [route], { asPathPrepend: [4200000000] })[0]!),
    '40010100' +
      '400206' +
      '0202' +
      '5ba0' +
      'fde9' + // AS_PATH AS_TRANS 65001
      '400304c0000201' +
      'c0110a' +
      '0202' +
      'fa56ea00' +
      '0000fde9', // AS4_PATH 4200000000 65001
  );
});
