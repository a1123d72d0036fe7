// Messages between the observer (parent) and its child process over the IPC channel (Node's 'advanced'
// serialization, i.e. the structured clone of v8.serialize: plain objects and typed arrays).
import { RibjournalError } from '../shared/index.js';
import type { Address, KernelChange, Link } from './types.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LOG_LEVELS: readonly unknown[] = ['debug', 'info', 'warn', 'error'] satisfies LogLevel[];

function isLogLevel(x: unknown): x is LogLevel {
  return LOG_LEVELS.includes(x);
}

/**
 * A snapshot's addresses in columns. 100k Address objects cost the parent ~100 ms of structured-clone
 * decoding on the daemon's main thread; columns cost ~20 ms and a fifth of the bytes.
 */
export interface PackedAddresses {
  readonly count: number;
  readonly index: Uint32Array;
  /** Per address: prefixLength, scope, bits (1 ipv6, 2 tentative, 4 dadFailed). */
  readonly meta: Uint8Array;
  /** The address texts joined by single spaces (no address text contains one). */
  readonly text: string;
}

/** A KernelChange as it crosses the IPC channel. */
export type WireChange =
  | Exclude<KernelChange, { kind: 'snapshot' }>
  | {
      readonly kind: 'snapshot';
      readonly reason: 'start' | 'scan' | 'resync';
      readonly links: readonly Link[];
      readonly addresses: PackedAddresses;
      readonly gone?: { readonly links: readonly number[]; readonly addresses: PackedAddresses };
    };

/** Child -> parent. */
export type ChildMessage =
  /** First message: the child is alive; pid is its own (after `ip netns exec` replaced itself). */
  | { readonly t: 'hello'; readonly pid: number; readonly recvBufferSize: number }
  /** A snapshot's reason is 'start' for the child's first dump; the parent turns it into 'resync'. */
  | { readonly t: 'batch'; readonly receivedAt: number; readonly changes: readonly WireChange[] }
  | {
      readonly t: 'log';
      readonly level: LogLevel;
      readonly msg: string;
      readonly data?: Record<string, unknown>;
    };

/** Parent -> child. */
export type ParentMessage = { readonly t: 'scan' };

/** Exit codes of the child, so the parent can say why it restarts it. */
export const EXIT_SOCKET_ERROR = 70;
export const EXIT_BAD_ARGS = 64;

const BIT_IPV6 = 1;
const BIT_TENTATIVE = 2;
const BIT_DADFAILED = 4;

export function packAddresses(addresses: readonly Address[]): PackedAddresses {
  const count = addresses.length;
  const index = new Uint32Array(count);
  const meta = new Uint8Array(count * 3);
  const texts = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const a = addresses[i]!;
    index[i] = a.index;
    meta[3 * i] = a.prefixLength;
    meta[3 * i + 1] = a.scope;
    meta[3 * i + 2] =
      (a.family === 'ipv6' ? BIT_IPV6 : 0) |
      (a.tentative ? BIT_TENTATIVE : 0) |
      (a.dadFailed ? BIT_DADFAILED : 0);
    texts[i] = a.address;
  }
  return { count, index, meta, text: texts.join(' ') };
}

export function unpackAddresses(p: PackedAddresses): Address[] {
  const { count, index, meta } = p;
  const texts = count === 0 ? [] : p.text.split(' ');
  if (
    !(index instanceof Uint32Array) ||
    !(meta instanceof Uint8Array) ||
    index.length !== count ||
    meta.length !== 3 * count ||
    texts.length !== count
  ) {
    throw new RibjournalError('NETLINK_FAILED', 'malformed packed addresses from the observer child', {
      details: { count },
    });
  }
  const out = new Array<Address>(count);
  for (let i = 0; i < count; i++) {
    const bits = meta[3 * i + 2]!;
    out[i] = {
      index: index[i]!,
      family: bits & BIT_IPV6 ? 'ipv6' : 'ipv4',
      address: texts[i]!,
      prefixLength: meta[3 * i]!,
      scope: meta[3 * i + 1]!,
      tentative: (bits & BIT_TENTATIVE) !== 0,
      dadFailed: (bits & BIT_DADFAILED) !== 0,
    };
  }
  return out;
}

/** Wire changes as listeners see them. Throws RibjournalError NETLINK_FAILED on a malformed snapshot. */
export function fromWire(changes: readonly WireChange[]): KernelChange[] {
  return changes.map((c): KernelChange => {
    if (c.kind !== 'snapshot') return c;
    const { gone, ...rest } = c;
    const addresses = unpackAddresses(c.addresses);
    if (gone === undefined) return { ...rest, addresses };
    if (!Array.isArray(gone.links)) {
      throw new RibjournalError('NETLINK_FAILED', 'malformed snapshot delta from the observer child');
    }
    return { ...rest, addresses, gone: { links: gone.links, addresses: unpackAddresses(gone.addresses) } };
  });
}

export function toWire(changes: readonly KernelChange[]): WireChange[] {
  return changes.map((c): WireChange => {
    if (c.kind !== 'snapshot') return c;
    const { gone, ...rest } = c;
    const addresses = packAddresses(c.addresses);
    if (gone === undefined) return { ...rest, addresses };
    return { ...rest, addresses, gone: { links: gone.links, addresses: packAddresses(gone.addresses) } };
  });
}

export function isChildMessage(x: unknown): x is ChildMessage {
  if (typeof x !== 'object' || x === null) return false;
  const t = (x as { t?: unknown }).t;
  switch (t) {
    case 'hello':
      return typeof (x as { pid?: unknown }).pid === 'number';
    case 'batch':
      return (
        Array.isArray((x as { changes?: unknown }).changes) &&
        typeof (x as { receivedAt?: unknown }).receivedAt === 'number'
      );
    case 'log':
      return typeof (x as { msg?: unknown }).msg === 'string' && isLogLevel((x as { level?: unknown }).level);
    default:
      return false;
  }
}

export function isParentMessage(x: unknown): x is ParentMessage {
  return typeof x === 'object' && x !== null && (x as { t?: unknown }).t === 'scan';
}
