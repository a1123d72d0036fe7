import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BgpProtocolError,
  CEASE_ADMIN_RESET,
  CEASE_ADMIN_SHUTDOWN,
  ROUTE_REFRESH_BORR,
  decodeNotification,
  decodeRouteRefresh,
  describeNotification,
  encodeKeepalive,
  encodeNotification,
  encodeRouteRefresh,
  shutdownNotification,
} from '../../../../src/bgp/codec/index.js';
import { fixture } from './fixtures.js';

test('KEEPALIVE is the 19-octet header', () => {
  assert.equal(encodeKeepalive().toString('hex'), fixture('keepalive').toString('hex'));
});

test('Cease / Administrative Shutdown with a shutdown communication matches its fixture', () => {
  const msg = encodeNotification(shutdownNotification(CEASE_ADMIN_SHUTDOWN, 'maintenance'));
  assert.equal(msg.toString('hex'), fixture('notification-cease-shutdown').toString('hex'));
  const n = decodeNotification(msg.subarray(19));
  assert.equal(n.code, 6);
  assert.equal(n.subcode, 2);
  assert.equal(n.communication, 'maintenance');
});

test('a NOTIFICATION with data round-trips', () => {
  const n = decodeNotification(fixture('notification-bad-length').subarray(19));
  assert.deepEqual([n.code, n.subcode, Buffer.from(n.data).toString('hex')], [1, 2, '1388']);
  assert.equal(n.communication, undefined);
  const again = encodeNotification(n);
  assert.equal(again.toString('hex'), fixture('notification-bad-length').toString('hex'));
});

test('shutdown communications are cut to 255 octets at a character boundary (RFC 9003)', () => {
  const text = 'ä'.repeat(200); // 400 octets of UTF-8
  const data = shutdownNotification(CEASE_ADMIN_RESET, text).data;
  assert.equal(data[0], 254); // 127 whole characters; 255 would split one
  const n = decodeNotification(
    encodeNotification({ code: 6, subcode: CEASE_ADMIN_RESET, data }).subarray(19),
  );
  assert.equal(n.communication, 'ä'.repeat(127));
});

test('a shutdown communication that is not valid UTF-8 or overruns is kept as raw data only', () => {
  const bad = decodeNotification(Uint8Array.of(6, 2, 2, 0xc3, 0x28));
  assert.equal(bad.communication, undefined);
  const overrun = decodeNotification(Uint8Array.of(6, 2, 9, 0x61));
  assert.equal(overrun.communication, undefined);
  assert.deepEqual(Array.from(overrun.data), [9, 0x61]);
});

test('describeNotification names codes and subcodes for logs', () => {
  assert.equal(describeNotification(2, 2), 'OPEN Message Error / Bad Peer AS (2/2)');
  assert.equal(describeNotification(3, 11), 'UPDATE Message Error / Malformed AS_PATH (3/11)');
  assert.equal(describeNotification(6, 2), 'Cease / Administrative Shutdown (6/2)');
  assert.equal(describeNotification(99, 1), 'Unknown error code / Unknown subcode (99/1)');
});

test('ROUTE-REFRESH encodes and decodes (RFC 2918, RFC 7313 subtypes)', () => {
  assert.equal(
    encodeRouteRefresh('l3vpn-ipv4-unicast').toString('hex'),
    fixture('route-refresh-vpnv4').toString('hex'),
  );
  assert.equal(
    encodeRouteRefresh('ipv6-unicast', ROUTE_REFRESH_BORR).toString('hex'),
    fixture('route-refresh-borr-ipv6').toString('hex'),
  );
  assert.deepEqual(decodeRouteRefresh(fixture('route-refresh-vpnv4').subarray(19)), {
    afi: 1,
    safi: 128,
    subtype: 0,
    family: 'l3vpn-ipv4-unicast',
  });
  assert.deepEqual(decodeRouteRefresh(Uint8Array.of(0, 25, 0, 70)), { afi: 25, safi: 70, subtype: 0 });
});

test('a BoRR longer than 4 octets is ROUTE-REFRESH Message Error 7/1 with the message as data', () => {
  try {
    decodeRouteRefresh(Uint8Array.of(0, 1, 1, 1, 0));
    assert.fail('expected an error');
  } catch (err) {
    assert.ok(err instanceof BgpProtocolError);
    assert.equal(err.notification.code, 7);
    assert.equal(err.notification.subcode, 1);
    assert.equal(
      Buffer.from(err.notification.data).toString('hex'),
      'ffffffffffffffffffffffffffffffff0018050001010100',
    );
  }
});
