// Memory per peer is bounded (issue 10.7): received prefixes are counted exactly up to a bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReceivedPrefixes } from '../../../src/bgp/received-count.js';

test('counts advertised prefixes exactly, re-advertisements once, withdrawals down, and stops at the bound', () => {
  const r = new ReceivedPrefixes(3);
  r.add('ipv4|10.0.0.0/24');
  r.add('ipv4|10.0.0.0/24');
  r.add('ipv4|10.0.1.0/24');
  r.withdraw('ipv4|10.9.9.0/24');
  assert.equal(r.count, 2);
  r.withdraw('ipv4|10.0.0.0/24');
  assert.equal(r.count, 1);
  assert.equal(r.add('a'), false);
  assert.equal(r.add('b'), false);
  assert.equal(r.add('c'), true, 'the first prefix beyond the bound is reported once');
  assert.equal(r.add('d'), false);
  assert.equal(r.count, 3, 'the count stops at the bound');
  assert.equal(r.saturated, true);
  for (let i = 0; i < 100_000; i++) r.add(`x${i}`);
  assert.equal(r.count, 3, 'memory does not grow with what the peer sends');
  r.clear();
  assert.equal(r.count, 0);
  assert.equal(r.saturated, false);
});
