// Protocol errors that end a BGP session carry the NOTIFICATION (RFC 4271 4.5) the speaker must send.
import { RibjournalError } from '../../shared/index.js';

/** The error code, subcode and data of a NOTIFICATION message (RFC 4271 4.5). */
export interface NotificationData {
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

/**
 * A peer sent something the codec cannot accept: `notification` is what to send before closing.
 * Code `BGP_MALFORMED`; thrown by the framing reader and the OPEN/NOTIFICATION/ROUTE-REFRESH decoders.
 */
export class BgpProtocolError extends RibjournalError {
  readonly notification: NotificationData;

  constructor(message: string, code: number, subcode: number, data: Uint8Array = new Uint8Array(0)) {
    super('BGP_MALFORMED', message, { details: { code, subcode } });
    this.name = 'BgpProtocolError';
    this.notification = { code, subcode, data };
  }
}

export function isBgpProtocolError(err: unknown): err is BgpProtocolError {
  return err instanceof BgpProtocolError;
}

/** Two-octet big-endian data, as several NOTIFICATIONs carry (bad length, unsupported version). */
export function u16Data(value: number): Uint8Array {
  return Uint8Array.of((value >>> 8) & 0xff, value & 0xff);
}
