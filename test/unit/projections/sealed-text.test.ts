// A checkpoint's text sealed in one buffer (issue 10.6) is byte for byte what sealing its UTF-8 copy
// gives, and reads back unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sealed, sealedText, unseal } from '../../../src/projections/derived/index.js';

test('a text sealed in place equals the sealed copy of its bytes and unseals to the same text', () => {
  for (const text of [
    '',
    '10.0.0.1/32\t0\t7\tdev1\t12\t1700000000000000\n',
    'vrf-é\t2001:db8::/64\n'.repeat(1000),
  ]) {
    const value = sealedText(text);
    assert.deepEqual(value, sealed(Buffer.from(text, 'utf8')));
    assert.equal(unseal('test', value).toString('utf8'), text);
  }
});
