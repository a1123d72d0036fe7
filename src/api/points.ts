// Points in history: a seq, or a time (RFC 3339 with a zone, or relative to now like "-15m").
// "At X" means the state after every event with seq <= X (time <= X); a diff covers (from, to].
import { apiError } from './errors.js';
import type { ApiContext } from './context.js';

export type Point = { readonly seq: number } | { readonly time: number };

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;
const RELATIVE = /^-(\d+(?:\.\d+)?)(us|µs|ms|s|m|h|d)$/;
const UNIT_MICROS: Record<string, number> = { us: 1, µs: 1, ms: 1e3, s: 1e6, m: 60e6, h: 3600e6, d: 86400e6 };

/** Epoch microseconds of an RFC 3339 timestamp (with zone); undefined when it is not one. */
export function parseTimestamp(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2]}${m[4]!.toUpperCase()}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = Number((m[3] ?? '').padEnd(6, '0').slice(0, 6));
  return ms * 1000 + frac;
}

/** Parses a seq: a non-negative safe integer, given as a number or a decimal string. */
export function parseSeq(value: unknown, what = 'seq'): number {
  const n = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw apiError(
      'BAD_ARGUMENT',
      `${what} must be a non-negative integer (a seq), got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** Parses a SeqOrTime input: an integer or digit string is a seq; else RFC 3339 or relative ("-15m"). */
export function parsePoint(value: unknown, nowMicros: () => number): Point {
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value)))
    return { seq: parseSeq(value) };
  if (typeof value === 'string') {
    const time = parseTimestamp(value);
    if (time !== undefined) return { time };
    const rel = RELATIVE.exec(value);
    if (rel) return { time: Math.round(nowMicros() - Number(rel[1]) * UNIT_MICROS[rel[2]!]!) };
  }
  throw apiError(
    'BAD_ARGUMENT',
    `expected a seq (integer) or a time (RFC 3339 with zone, e.g. 2026-11-24T19:43:39.123456Z, or relative, e.g. -15m), got ${JSON.stringify(value)}`,
  );
}

/** The seq a point names, clamped to the journal head: a time maps to the last seq at or before it. */
export async function resolvePoint(api: ApiContext, point: Point): Promise<number> {
  const head = api.journal.head();
  if ('seq' in point) return Math.min(point.seq, head);
  return Math.min(await api.journal.seqAtTime(point.time), head);
}
