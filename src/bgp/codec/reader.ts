// Message framing per RFC 4271 4.1 (header) and 6.1 (Message Header error handling), with the larger
// limit of RFC 8654 (extended messages) once negotiated. OPEN and KEEPALIVE stay within 4096 octets
// even then (RFC 8654 section 3).
import {
  BGP_HEADER_LENGTH,
  BGP_MARKER_LENGTH,
  BGP_MAX_EXTENDED_MESSAGE_LENGTH,
  BGP_MAX_MESSAGE_LENGTH,
  BGP_MIN_LENGTH,
  BGP_MSG_KEEPALIVE,
  BGP_MSG_OPEN,
  ERR_HEADER,
  ERR_HEADER_BAD_LENGTH,
  ERR_HEADER_BAD_TYPE,
  ERR_HEADER_NOT_SYNCHRONIZED,
} from './constants.js';
import { BgpProtocolError, u16Data } from './errors.js';

/** One whole message: its type and the bytes after the 19-octet header. */
export interface RawMessage {
  readonly type: number;
  /** A view into the received bytes (not a copy): do not keep it across pushes if chunks are reused. */
  readonly body: Buffer;
}

/** Options of a MessageReader. */
export interface MessageReaderOptions {
  /** RFC 8654 extended messages negotiated: UPDATE/NOTIFICATION/ROUTE-REFRESH may be up to 65535. */
  readonly extendedMessages?: boolean;
}

/**
 * Splits a TCP byte stream into BGP messages. `push` takes chunks of any size and returns the messages
 * they complete; a header error throws a BgpProtocolError carrying the NOTIFICATION to send, after
 * which the reader stays failed (the stream cannot be resynchronised).
 */
export class MessageReader {
  /** RFC 8654: set once both OPENs carried the extended message capability. */
  extendedMessages: boolean;
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private failure: BgpProtocolError | undefined;

  constructor(options: MessageReaderOptions = {}) {
    this.extendedMessages = options.extendedMessages ?? false;
  }

  /** Bytes received but not yet part of a whole message. */
  get buffered(): number {
    return this.pendingLength;
  }

  push(chunk: Uint8Array): RawMessage[] {
    if (this.failure) throw this.failure;
    const piece = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let buf: Buffer;
    if (this.pendingLength === 0) {
      buf = piece;
    } else {
      this.pending.push(piece);
      this.pendingLength += piece.length;
      if (!this.enoughPending()) return [];
      buf = Buffer.concat(this.pending, this.pendingLength);
      this.pending = [];
      this.pendingLength = 0;
    }
    const out: RawMessage[] = [];
    let pos = 0;
    while (pos < buf.length) {
      const available = buf.length - pos;
      try {
        checkMarker(buf, pos, Math.min(available, BGP_MARKER_LENGTH));
        if (available < BGP_HEADER_LENGTH) break;
        const length = this.checkHeader(buf, pos);
        if (available < length) break;
        out.push({ type: buf[pos + 18]!, body: buf.subarray(pos + BGP_HEADER_LENGTH, pos + length) });
        pos += length;
      } catch (err) {
        if (err instanceof BgpProtocolError) this.failure = err;
        throw err;
      }
    }
    if (pos < buf.length) {
      // Copy the tail: the caller may reuse `chunk`, and a view would pin a large buffer.
      const tail = Buffer.from(buf.subarray(pos));
      this.pending.push(tail);
      this.pendingLength = tail.length;
    }
    return out;
  }

  /** Whether the pending bytes hold a whole message, or enough to reject the header. */
  private enoughPending(): boolean {
    if (this.pendingLength < BGP_HEADER_LENGTH) {
      // Reject a bad marker as soon as its bytes are here.
      let seen = 0;
      for (const p of this.pending) {
        for (let i = 0; i < p.length && seen < BGP_MARKER_LENGTH; i++, seen++) {
          if (p[i] !== 0xff) return true;
        }
      }
      return false;
    }
    const head = Buffer.concat(this.pending, BGP_HEADER_LENGTH);
    try {
      checkMarker(head, 0, BGP_MARKER_LENGTH);
      return this.pendingLength >= this.checkHeader(head, 0);
    } catch {
      return true; // the parse below throws the same error
    }
  }

  private checkHeader(buf: Buffer, pos: number): number {
    const length = buf.readUInt16BE(pos + 16);
    const type = buf[pos + 18]!;
    const max =
      this.extendedMessages && type !== BGP_MSG_OPEN && type !== BGP_MSG_KEEPALIVE
        ? BGP_MAX_EXTENDED_MESSAGE_LENGTH
        : BGP_MAX_MESSAGE_LENGTH;
    if (length < BGP_HEADER_LENGTH || length > max) {
      throw new BgpProtocolError(
        `bad message length ${length}`,
        ERR_HEADER,
        ERR_HEADER_BAD_LENGTH,
        u16Data(length),
      );
    }
    const min = BGP_MIN_LENGTH[type];
    if (min === undefined) {
      throw new BgpProtocolError(
        `bad message type ${type}`,
        ERR_HEADER,
        ERR_HEADER_BAD_TYPE,
        Uint8Array.of(type),
      );
    }
    if (length < min || (type === BGP_MSG_KEEPALIVE && length !== BGP_HEADER_LENGTH)) {
      throw new BgpProtocolError(
        `bad message length ${length} for message type ${type}`,
        ERR_HEADER,
        ERR_HEADER_BAD_LENGTH,
        u16Data(length),
      );
    }
    return length;
  }
}

function checkMarker(buf: Buffer, pos: number, n: number): void {
  for (let i = 0; i < n; i++) {
    if (buf[pos + i] !== 0xff) {
      throw new BgpProtocolError(
        'connection not synchronized: marker is not all ones',
        ERR_HEADER,
        ERR_HEADER_NOT_SYNCHRONIZED,
      );
    }
  }
}

/** Writes the 19-octet header (RFC 4271 4.1) for a message of `length` octets at `pos`. */
export function writeHeader(buf: Uint8Array, pos: number, type: number, length: number): void {
  buf.fill(0xff, pos, pos + BGP_MARKER_LENGTH);
  buf[pos + 16] = length >>> 8;
  buf[pos + 17] = length & 0xff;
  buf[pos + 18] = type;
}

/** A whole message: header + body. */
export function frameMessage(type: number, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(BGP_HEADER_LENGTH + body.length);
  writeHeader(out, 0, type, out.length);
  out.set(body, BGP_HEADER_LENGTH);
  return out;
}
