// CRC-32C: the RFC 3720 (B.4) check values, and the eight-bytes-a-step loop equal to the byte-a-step
// definition at every length and offset (a mistake in one table shows as a different sum).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c } from '../../../src/shared/index.js';

function reference(buf: Uint8Array, start: number, end: number): number {
  let crc = -1;
  for (let i = start; i < end; i++) {
    crc ^= buf[i]!;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ -1) >>> 0;
}

test('CRC-32C matches the RFC 3720 B.4 check values', () => {
  assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa);
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
  assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i))), 0x113fdb5c);
});

test('CRC-32C of any slice equals the bit-by-bit definition', () => {
  let x = 7;
  const buf = Buffer.from(Array.from({ length: 300 }, () => (x = (x * 1103515245 + 12345) % 2 ** 31) & 0xff));
  for (let start = 0; start < 12; start++)
    for (let end = start; end <= buf.length; end += 1 + (end % 7))
      assert.equal(crc32c(buf, start, end), reference(buf, start, end), `[${start}, ${end})`);
});
