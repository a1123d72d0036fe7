// The interned prefix values are a bounded cache: memory stays bounded by PREFIX_INTERN_MAX however many
// prefixes pass, and a forgotten prefix is still encoded right (parsed from its text).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePrefixInto, prefixInto } from '../../../src/bgp/codec/index.js';
import { PREFIX_INTERN_MAX, prefixFromBytes, prefixValueOf } from '../../../src/shared/index.js';

test('interned prefix values are bounded; a forgotten one is parsed from text again', () => {
  const first = prefixFromBytes('ipv4', Uint8Array.of(198, 51, 100, 7), 0, 32);
  assert.equal(prefixValueOf('198.51.100.7/32'), first);
  assert.equal(prefixFromBytes('ipv4', Uint8Array.of(198, 51, 100, 7), 0, 32), first, 'interned: one value');
  const b = new Uint8Array(16);
  b[0] = 0x20;
  b[1] = 0x01;
  for (let i = 0; i < PREFIX_INTERN_MAX; i++) {
    b[12] = (i >> 24) & 255;
    b[13] = (i >> 16) & 255;
    b[14] = (i >> 8) & 255;
    b[15] = i & 255;
    prefixFromBytes('ipv6', b, 0, 128);
  }
  assert.equal(prefixValueOf('198.51.100.7/32'), undefined, 'the oldest were forgotten');
  assert.ok(prefixValueOf('2001::7fff/128'), 'recent ones are held');
  const parsed = new Uint8Array(16);
  const found = new Uint8Array(16);
  assert.equal(
    prefixInto('198.51.100.7/32', false, found),
    parsePrefixInto('198.51.100.7/32', false, parsed),
  );
  assert.deepEqual(found, parsed);
});
