// KEEPALIVE (RFC 4271 4.4) and NOTIFICATION (RFC 4271 4.5) messages, with the Cease subcodes of
// RFC 4486 and the shutdown communication of RFC 8203 as extended to 255 octets by RFC 9003.
import {
  BGP_HEADER_LENGTH,
  BGP_MSG_KEEPALIVE,
  BGP_MSG_NOTIFICATION,
  CEASE_ADMIN_RESET,
  CEASE_ADMIN_SHUTDOWN,
  ERR_CEASE,
  ERR_HEADER,
  ERR_HEADER_BAD_LENGTH,
} from './constants.js';
import { BgpProtocolError, u16Data, type NotificationData } from './errors.js';
import { frameMessage, writeHeader } from './reader.js';

/** RFC 9003: the shutdown communication is at most 255 octets of UTF-8. */
export const SHUTDOWN_COMMUNICATION_MAX = 255;

/** The 19-octet KEEPALIVE message. */
export function encodeKeepalive(): Buffer {
  const out = Buffer.allocUnsafe(BGP_HEADER_LENGTH);
  writeHeader(out, 0, BGP_MSG_KEEPALIVE, BGP_HEADER_LENGTH);
  return out;
}

/** A decoded NOTIFICATION; `communication` is the RFC 8203/9003 text of Cease 2 and 4 when present. */
export interface Notification extends NotificationData {
  readonly communication?: string;
}

export function encodeNotification(n: NotificationData): Buffer {
  const body = new Uint8Array(2 + n.data.length);
  body[0] = n.code;
  body[1] = n.subcode;
  body.set(n.data, 2);
  return frameMessage(BGP_MSG_NOTIFICATION, body);
}

/**
 * The NOTIFICATION data of a Cease administrative shutdown (subcode 2) or reset (subcode 4) with a
 * shutdown communication: one length octet, then UTF-8 cut at a character boundary to 255 octets.
 */
export function shutdownNotification(
  subcode: typeof CEASE_ADMIN_SHUTDOWN | typeof CEASE_ADMIN_RESET,
  text: string,
): NotificationData {
  let bytes = Buffer.from(text, 'utf8');
  if (bytes.length > SHUTDOWN_COMMUNICATION_MAX) {
    let end = SHUTDOWN_COMMUNICATION_MAX;
    while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--; // do not split a multi-octet character
    bytes = bytes.subarray(0, end);
  }
  const data = new Uint8Array(1 + bytes.length);
  data[0] = bytes.length;
  data.set(bytes, 1);
  return { code: ERR_CEASE, subcode, data };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a NOTIFICATION body (after the header). */
export function decodeNotification(body: Uint8Array): Notification {
  if (body.length < 2) {
    const length = BGP_HEADER_LENGTH + body.length;
    throw new BgpProtocolError(
      `NOTIFICATION of ${length} octets`,
      ERR_HEADER,
      ERR_HEADER_BAD_LENGTH,
      u16Data(length),
    );
  }
  const code = body[0]!;
  const subcode = body[1]!;
  const data = body.subarray(2);
  if (
    code === ERR_CEASE &&
    (subcode === CEASE_ADMIN_SHUTDOWN || subcode === CEASE_ADMIN_RESET) &&
    data.length > 0
  ) {
    // RFC 8203 section 2: a length octet and that many octets of UTF-8; anything else is not a text.
    const n = data[0]!;
    if (n > 0 && n + 1 <= data.length) {
      try {
        return { code, subcode, data, communication: utf8.decode(data.subarray(1, 1 + n)) };
      } catch {
        // invalid UTF-8: keep the raw data only
      }
    }
  }
  return { code, subcode, data };
}

const CODE_NAMES: Readonly<Record<number, readonly [string, readonly string[]]>> = {
  1: [
    'Message Header Error',
    ['Unspecific', 'Connection Not Synchronized', 'Bad Message Length', 'Bad Message Type'],
  ],
  2: [
    'OPEN Message Error',
    [
      'Unspecific',
      'Unsupported Version Number',
      'Bad Peer AS',
      'Bad BGP Identifier',
      'Unsupported Optional Parameter',
      'Authentication Failure (deprecated)',
      'Unacceptable Hold Time',
      'Unsupported Capability',
    ],
  ],
  3: [
    'UPDATE Message Error',
    [
      'Unspecific',
      'Malformed Attribute List',
      'Unrecognized Well-known Attribute',
      'Missing Well-known Attribute',
      'Attribute Flags Error',
      'Attribute Length Error',
      'Invalid ORIGIN Attribute',
      'AS Routing Loop (deprecated)',
      'Invalid NEXT_HOP Attribute',
      'Optional Attribute Error',
      'Invalid Network Field',
      'Malformed AS_PATH',
    ],
  ],
  4: ['Hold Timer Expired', ['Unspecific']],
  5: [
    'Finite State Machine Error',
    [
      'Unspecified Error',
      'Receive Unexpected Message in OpenSent State',
      'Receive Unexpected Message in OpenConfirm State',
      'Receive Unexpected Message in Established State',
    ],
  ],
  6: [
    'Cease',
    [
      'Unspecific',
      'Maximum Number of Prefixes Reached',
      'Administrative Shutdown',
      'Peer De-configured',
      'Administrative Reset',
      'Connection Rejected',
      'Other Configuration Change',
      'Connection Collision Resolution',
      'Out of Resources',
      'Hard Reset',
    ],
  ],
  7: ['ROUTE-REFRESH Message Error', ['Reserved', 'Invalid Message Length']],
};

/** Human text for a code/subcode pair, for logs: "OPEN Message Error / Bad Peer AS (2/2)". */
export function describeNotification(code: number, subcode: number): string {
  const entry = CODE_NAMES[code];
  const codeName = entry?.[0] ?? `Unknown error code`;
  const subName = entry?.[1][subcode] ?? 'Unknown subcode';
  return `${codeName} / ${subName} (${code}/${subcode})`;
}
