// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as LevelDB and iSCSI use (RFC 3720 B.4).
// Node 20 has no CRC-32C; a slicing-by-1 table is ample for event bodies of ~60 bytes.
const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  TABLE[n] = c;
}

/** CRC-32C of buf[start, end) as an unsigned 32-bit integer. */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = -1;
  for (let i = start; i < end; i++) crc = (TABLE[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8)) | 0;
  return (crc ^ -1) >>> 0;
}
