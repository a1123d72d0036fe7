import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  crc32c,
  isExcludedAddress,
  maskedPrefix,
  parsePrefix,
  parseRdRt,
  prefixContains,
} from '../../../src/shared/index.js';

test('connected prefixes are masked addresses, host routes included', () => {
  assert.equal(maskedPrefix('10.1.2.3', 24), '10.1.2.0/24');
  assert.equal(maskedPrefix('10.1.2.3', 32), '10.1.2.3/32');
  assert.equal(maskedPrefix('10.1.2.3', 0), '0.0.0.0/0');
  assert.equal(maskedPrefix('2001:db8:1:2::5', 64), '2001:db8:1:2::/64');
  assert.equal(maskedPrefix('2001:db8::5', 128), '2001:db8::5/128');
  assert.equal(maskedPrefix('10.255.255.255', 9), '10.128.0.0/9');
});

test('loopback, link-local, multicast and unspecified are never routes', () => {
  for (const a of ['127.0.0.1', '169.254.1.1', 'fe80::1', '224.0.0.5', 'ff02::1', '0.0.0.0', '::', '::1']) {
    assert.equal(isExcludedAddress(a), true, a);
  }
  for (const a of ['10.0.0.1', '192.0.2.1', '2001:db8::1', 'fd00::1'])
    assert.equal(isExcludedAddress(a), false, a);
});

test('prefix parsing canonicalises and rejects garbage', () => {
  assert.deepEqual(parsePrefix('10.1.2.3/24')?.canonical, '10.1.2.0/24');
  assert.equal(parsePrefix('2001:DB8::/32')?.canonical, '2001:db8::/32');
  for (const bad of ['10.1.2.3', '10.1.2/24', '10.1.2.3/33', '::/129', 'x/1', '10.1.2.3/'])
    assert.equal(parsePrefix(bad), null, bad);
});

test('prefix containment', () => {
  assert.equal(prefixContains('10.0.0.0/8', '10.1.0.0/16'), true);
  assert.equal(prefixContains('10.0.0.0/8', '10.0.0.0/8'), true);
  assert.equal(prefixContains('10.1.0.0/16', '10.0.0.0/8'), false);
  assert.equal(prefixContains('10.0.0.0/8', '11.0.0.0/16'), false);
  assert.equal(prefixContains('2001:db8::/32', '2001:db8:5::/48'), true);
  assert.equal(prefixContains('2001:db8::/32', '10.0.0.0/8'), false);
});

test('CRC-32C matches the RFC 3720 check value', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa);
});

test('RD/RT forms: type 0, 1 and 2, with range errors', () => {
  assert.deepEqual(parseRdRt('64551:100'), { type: 0, admin: 64551, assigned: 100, text: '64551:100' });
  assert.deepEqual(parseRdRt('192.0.2.1:7'), {
    type: 1,
    admin: '192.0.2.1',
    assigned: 7,
    text: '192.0.2.1:7',
  });
  assert.deepEqual(parseRdRt('4200000000:7'), {
    type: 2,
    admin: 4200000000,
    assigned: 7,
    text: '4200000000:7',
  });
  for (const bad of [
    '64551',
    ':1',
    '1:',
    'a:1',
    '192.0.2.1:70000',
    '4200000000:70000',
    '4294967296:1',
    '1.2.3:4',
  ]) {
    assert.ok('error' in parseRdRt(bad), bad);
  }
});
