// Binary encoding of envelopes. A record is [u32 body length][u32 CRC-32C of body][body], little endian;
// records are concatenated into blocks (one LevelDB value holds one or more records).
// body := u8 schema version, u8 type, f64 seq, f64 time, then the type's fields.
// Strings are u16 length + UTF-8; ConfigApplied carries its body as u32 length + JSON.
import { RibjournalError, crc32c } from '../shared/index.js';
import type { Envelope, JournalEvent, VanishReason, Family } from './types.js';
import { VANISH_REASONS } from './types.js';
import { upcast } from './upcast.js';

const T_DISCOVERED = 1;
const T_VANISHED = 2;
const T_CONFIG = 3;
const T_STARTED = 4;
const T_STOPPED = 5;

const RECORD_HEADER = 8;

/** A growable byte writer reused across appends to keep the hot path free of per-event allocation. */
export class BlockWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initial = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  get length(): number {
    return this.pos;
  }

  reset(): void {
    this.pos = 0;
  }

  /** A copy of the bytes written since the last reset. */
  take(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private str(s: string): void {
    const max = s.length * 3;
    this.ensure(2 + max);
    const n = this.buf.write(s, this.pos + 2, 'utf8');
    if (n > 0xffff) throw new RibjournalError('BAD_ARGUMENT', `string field too long (${n} bytes)`);
    this.buf.writeUInt16LE(n, this.pos);
    this.pos += 2 + n;
  }

  /** Appends one record for an envelope. */
  write(env: Envelope): void {
    this.ensure(RECORD_HEADER + 18);
    const start = this.pos;
    this.pos += RECORD_HEADER;
    const e = env.event;
    const b = this.buf;
    b[this.pos++] = env.version;
    const typeAt = this.pos++;
    b.writeDoubleLE(env.seq, this.pos);
    b.writeDoubleLE(env.time, this.pos + 8);
    this.pos += 16;
    switch (e.type) {
      case 'RouteDiscovered':
        this.buf[typeAt] = T_DISCOVERED;
        this.str(e.vrf);
        this.ensure(1);
        this.buf[this.pos++] = e.family === 'ipv4' ? 4 : 6;
        this.str(e.prefix);
        this.str(e.interface);
        this.ensure(4);
        this.buf.writeUInt32LE(e.ifindex, this.pos);
        this.pos += 4;
        this.str(e.address);
        break;
      case 'RouteVanished':
        this.buf[typeAt] = T_VANISHED;
        this.str(e.vrf);
        this.ensure(2);
        this.buf[this.pos++] = e.family === 'ipv4' ? 4 : 6;
        this.buf[this.pos++] = VANISH_REASONS.indexOf(e.reason);
        this.str(e.prefix);
        this.str(e.interface);
        break;
      case 'ConfigApplied':
      case 'DaemonStarted':
      case 'DaemonStopped': {
        // Rare events: their body is JSON (u32 length + UTF-8), so adding a field needs no new layout.
        this.buf[typeAt] =
          e.type === 'ConfigApplied' ? T_CONFIG : e.type === 'DaemonStarted' ? T_STARTED : T_STOPPED;
        const { type: _t, ...rest } = e;
        const json = Buffer.from(JSON.stringify(rest), 'utf8');
        this.ensure(4 + json.length);
        this.buf.writeUInt32LE(json.length, this.pos);
        json.copy(this.buf, this.pos + 4);
        this.pos += 4 + json.length;
        break;
      }
      default: {
        const never: never = e;
        throw new TypeError(`cannot encode ${JSON.stringify(never)}`);
      }
    }
    const bodyLen = this.pos - start - RECORD_HEADER;
    this.buf.writeUInt32LE(bodyLen, start);
    this.buf.writeUInt32LE(crc32c(this.buf, start + RECORD_HEADER, this.pos), start + 4);
  }
}

/** Encodes envelopes into one block. */
export function encodeBlock(envs: readonly Envelope[]): Buffer {
  const w = new BlockWriter(Math.max(256, envs.length * 96));
  for (const e of envs) w.write(e);
  return w.take();
}

function corrupt(message: string, details: Record<string, unknown>): RibjournalError {
  return new RibjournalError('JOURNAL_CORRUPT', message, { details });
}

class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }
  need(n: number): void {
    if (this.pos + n > this.end) throw corrupt('event body truncated', { offset: this.pos });
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  str(): string {
    this.need(2);
    const n = this.buf[this.pos]! | (this.buf[this.pos + 1]! << 8);
    this.pos += 2;
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}

function family(code: number): Family {
  if (code === 4) return 'ipv4';
  if (code === 6) return 'ipv6';
  throw corrupt(`unknown family code ${code}`, {});
}

/** Decodes one body (without the record header). */
export function decodeBody(buf: Buffer, start: number, end: number): Envelope {
  const r = new Reader(buf, start, end);
  r.need(18);
  const version = buf[r.pos]!;
  const type = buf[r.pos + 1]!;
  const seq = buf.readDoubleLE(r.pos + 2);
  const time = buf.readDoubleLE(r.pos + 10);
  r.pos += 18;
  let event: JournalEvent;
  switch (type) {
    case T_DISCOVERED: {
      const vrf = r.str();
      const fam = family(r.u8());
      const prefix = r.str();
      const iface = r.str();
      r.need(4);
      const ifindex = buf.readUInt32LE(r.pos);
      r.pos += 4;
      const address = r.str();
      event = { type: 'RouteDiscovered', vrf, family: fam, prefix, interface: iface, ifindex, address };
      break;
    }
    case T_VANISHED: {
      const vrf = r.str();
      const fam = family(r.u8());
      const reason: VanishReason | undefined = VANISH_REASONS[r.u8()];
      if (reason === undefined) throw corrupt('unknown vanish reason', { seq });
      const prefix = r.str();
      const iface = r.str();
      event = { type: 'RouteVanished', vrf, family: fam, prefix, interface: iface, reason };
      break;
    }
    case T_CONFIG:
    case T_STARTED:
    case T_STOPPED: {
      r.need(4);
      const n = buf.readUInt32LE(r.pos);
      r.pos += 4;
      r.need(n);
      let body: unknown;
      try {
        body = JSON.parse(buf.toString('utf8', r.pos, r.pos + n));
      } catch (cause) {
        throw new RibjournalError('JOURNAL_CORRUPT', `body of seq ${seq} is not JSON`, { cause });
      }
      r.pos += n;
      const name =
        type === T_CONFIG ? 'ConfigApplied' : type === T_STARTED ? 'DaemonStarted' : 'DaemonStopped';
      event = { type: name, ...(body as object) } as JournalEvent;
      break;
    }
    default:
      throw corrupt(`unknown event type ${type} at seq ${seq}`, { seq });
  }
  if (r.pos !== end) throw corrupt(`trailing bytes in event seq ${seq}`, { seq });
  // Bodies of every schema version decode to the shape above (a version that changes the binary layout
  // branches on `version` here); what the fields mean is brought up to date in one place.
  return upcast({ seq, time, version, event });
}

/**
 * Decodes every record of a block, verifying each checksum. Throws JOURNAL_CORRUPT naming the offset
 * (and the seq, once it is known) of the first bad record.
 */
export function decodeBlock(buf: Buffer, out: Envelope[] = []): Envelope[] {
  let pos = 0;
  while (pos < buf.length) {
    if (pos + RECORD_HEADER > buf.length) throw corrupt('record header truncated', { offset: pos });
    const len = buf.readUInt32LE(pos);
    const sum = buf.readUInt32LE(pos + 4);
    const start = pos + RECORD_HEADER;
    const end = start + len;
    if (end > buf.length) throw corrupt('record body truncated', { offset: pos });
    if (crc32c(buf, start, end) !== sum) {
      const seq = len >= 10 ? buf.readDoubleLE(start + 2) : undefined;
      throw corrupt(`checksum mismatch${seq !== undefined ? ` near seq ${seq}` : ''}`, { offset: pos, seq });
    }
    out.push(decodeBody(buf, start, end));
    pos = end;
  }
  return out;
}
