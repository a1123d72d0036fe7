// The payload of an RTM_NEWADDR as the kernel sends it: struct ifaddrmsg + IFA_ADDRESS (+ IFA_LOCAL for
// IPv4), in host byte order (little-endian here), flagged IFA_F_PERMANENT. For unit tests and benches of
// the parsing path that need the kernel's bytes without a kernel.

export function ifaddrPayload(octets: ArrayLike<number>, prefixLength: number, index: number): Uint8Array {
  const v6 = octets.length === 16;
  const attrs = v6 ? [1] : [1, 2];
  const attrLen = 4 + octets.length;
  const out = new Uint8Array(8 + attrs.length * attrLen);
  const view = new DataView(out.buffer);
  out[0] = v6 ? 10 : 2;
  out[1] = prefixLength;
  out[2] = 0x80; // IFA_F_PERMANENT
  view.setUint32(4, index, true);
  let at = 8;
  for (const type of attrs) {
    view.setUint16(at, attrLen, true);
    view.setUint16(at + 2, type, true);
    out.set(octets, at + 4);
    at += attrLen;
  }
  return out;
}
