// Address text -> network-order bytes without allocating (RFC 791 dotted quads, RFC 4291 2.2 IPv6 text
// forms): the BGP encoder's fallback for prefixes it has no value of, and the import state's prefix of
// an address known only as text (dumps). ipaddr.js allocates several objects per call.

/**
 * Parses dotted-quad IPv4 text in s[start, end) into out[off..off+4). Returns false when it is not one.
 */
export function parseIpv4Into(s: string, start: number, end: number, out: Uint8Array, off: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return false;
    } else if (c === 46 /* . */) {
      if (digits === 0 || part === 3) return false;
      out[off + part++] = value;
      value = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  if (digits === 0 || part !== 3) return false;
  out[off + 3] = value;
  return true;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parses IPv6 text (with "::" and an optional dotted-quad tail) in s[start, end) into out[off..off+16).
 * Returns false when it is not an IPv6 address.
 */
export function parseIpv6Into(s: string, start: number, end: number, out: Uint8Array, off: number): boolean {
  // Groups are written left to right; at "::" we remember where the gap goes and close it at the end.
  let group = 0; // groups written so far
  let gapAt = -1;
  let i = start;
  if (i < end && s.charCodeAt(i) === 58 /* : */) {
    if (i + 1 >= end || s.charCodeAt(i + 1) !== 58) return false;
    gapAt = 0;
    i += 2;
  }
  while (i < end) {
    // One group: up to 4 hex digits, or a dotted quad as the last 32 bits.
    let value = 0;
    let digits = 0;
    let j = i;
    for (; j < end; j++) {
      const h = hexValue(s.charCodeAt(j));
      if (h < 0) break;
      value = (value << 4) | h;
      digits++;
    }
    if (j < end && s.charCodeAt(j) === 46 /* . */) {
      if (group > 6) return false;
      if (!parseIpv4Into(s, i, end, out, off + group * 2)) return false;
      group += 2;
      i = end;
      break;
    }
    if (digits === 0 || digits > 4 || group >= 8) return false;
    out[off + group * 2] = value >>> 8;
    out[off + group * 2 + 1] = value & 0xff;
    group++;
    i = j;
    if (i === end) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < end && s.charCodeAt(i) === 58) {
      if (gapAt >= 0) return false;
      gapAt = group;
      i++;
    } else if (i === end) {
      return false; // trailing single colon
    }
  }
  if (gapAt < 0) return group === 8;
  if (group >= 8) return false;
  // Shift the groups after the gap to the end and zero the gap.
  const tail = group - gapAt;
  const shift = 8 - group;
  for (let g = tail - 1; g >= 0; g--) {
    out[off + (gapAt + shift + g) * 2] = out[off + (gapAt + g) * 2]!;
    out[off + (gapAt + shift + g) * 2 + 1] = out[off + (gapAt + g) * 2 + 1]!;
  }
  for (let g = gapAt; g < gapAt + shift; g++) {
    out[off + g * 2] = 0;
    out[off + g * 2 + 1] = 0;
  }
  return true;
}
