import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BGP_MSG_KEEPALIVE,
  BGP_MSG_OPEN,
  BGP_MSG_UPDATE,
  BgpProtocolError,
  MessageReader,
  frameMessage,
} from '../../../../src/bgp/codec/index.js';
import { fixture } from './fixtures.js';

function rejects(fn: () => unknown, code: number, subcode: number, data?: string): BgpProtocolError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof BgpProtocolError, `expected a BgpProtocolError, got ${String(err)}`);
    assert.equal(err.code, 'BGP_MALFORMED');
    assert.deepEqual([err.notification.code, err.notification.subcode], [code, subcode]);
    if (data !== undefined) assert.equal(Buffer.from(err.notification.data).toString('hex'), data);
    return err;
  }
  assert.fail('expected a BgpProtocolError');
}

const stream = Buffer.concat([
  fixture('open-ebgp'),
  fixture('keepalive'),
  fixture('update-vpnv4'),
  fixture('eor-vpnv6'),
  fixture('notification-cease-shutdown'),
]);

test('a stream fed one octet at a time yields the same messages as in one chunk', () => {
  const whole = new MessageReader().push(stream);
  assert.deepEqual(
    whole.map((m) => m.type),
    [BGP_MSG_OPEN, BGP_MSG_KEEPALIVE, BGP_MSG_UPDATE, BGP_MSG_UPDATE, 3],
  );
  const reader = new MessageReader();
  const bytewise = [];
  for (let i = 0; i < stream.length; i++) bytewise.push(...reader.push(stream.subarray(i, i + 1)));
  assert.deepEqual(
    bytewise.map((m) => [m.type, m.body.toString('hex')]),
    whole.map((m) => [m.type, m.body.toString('hex')]),
  );
  assert.equal(reader.buffered, 0);
  assert.equal(whole[0]!.body.length, fixture('open-ebgp').length - 19);
});

test('chunks cut at every position reassemble', () => {
  for (let cut = 1; cut < stream.length; cut += 7) {
    const reader = new MessageReader();
    const got = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
    assert.equal(got.length, 5, `cut at ${cut}`);
  }
});

test('a partial message stays buffered until the rest arrives', () => {
  const reader = new MessageReader();
  const ka = fixture('keepalive');
  assert.deepEqual(reader.push(ka.subarray(0, 10)), []);
  assert.equal(reader.buffered, 10);
  assert.equal(reader.push(ka.subarray(10)).length, 1);
});

test('a body is not corrupted when the caller reuses its chunk buffer', () => {
  const reader = new MessageReader();
  const u = fixture('update-ipv4-ebgp');
  const chunk = Buffer.from(u.subarray(0, 30));
  reader.push(chunk);
  chunk.fill(0);
  const [m] = reader.push(u.subarray(30));
  assert.equal(m!.body.toString('hex'), u.subarray(19).toString('hex'));
});

test('a bad marker is rejected as soon as its octets arrive (1/1)', () => {
  const reader = new MessageReader();
  rejects(() => reader.push(Buffer.from('ffff00', 'hex')), 1, 1, '');
});

test('length above 4096 is 1/2 with the length as data, before the body arrives', () => {
  const reader = new MessageReader();
  const header = Buffer.from('ffffffffffffffffffffffffffffffff100102', 'hex'); // length 4097
  rejects(() => reader.push(header), 1, 2, '1001');
});

test('after an error the reader stays failed', () => {
  const reader = new MessageReader();
  const first = rejects(() => reader.push(fixture('malformed/header-bad-type')), 1, 3, '09');
  assert.throws(
    () => reader.push(fixture('keepalive')),
    (err) => err === first,
  );
});

test('extended messages (RFC 8654) allow long UPDATEs but not long OPENs', () => {
  const body = Buffer.alloc(5000);
  const update = frameMessage(BGP_MSG_UPDATE, body);
  rejects(() => new MessageReader().push(update), 1, 2, '139b');
  const reader = new MessageReader({ extendedMessages: true });
  const [m] = reader.push(update);
  assert.equal(m!.body.length, 5000);
  const open = frameMessage(BGP_MSG_OPEN, body);
  rejects(() => new MessageReader({ extendedMessages: true }).push(open), 1, 2, '139b');
});

test('type-specific minimum lengths (RFC 4271 6.1)', () => {
  // OPEN needs 29, NOTIFICATION 21, ROUTE-REFRESH 23.
  rejects(() => new MessageReader().push(frameMessage(BGP_MSG_OPEN, Buffer.alloc(9))), 1, 2, '001c');
  rejects(() => new MessageReader().push(frameMessage(3, Buffer.alloc(1))), 1, 2, '0014');
  rejects(() => new MessageReader().push(frameMessage(5, Buffer.alloc(3))), 1, 2, '0016');
});
