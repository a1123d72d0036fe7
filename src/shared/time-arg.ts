// The one parser of --at, --from and --to (DESIGN: decisions): a bare integer is a seq; anything else is
// a time, either RFC 3339 (a local time when it has no zone) or relative to now ("-15m", "-2h", "-1h30m").
// "At X" means the state after every event with seq <= X (time <= X); a diff covers (from, to].
import { RibjournalError } from './errors.js';
import { formatMicros } from './clock.js';

/** A point in the journal's history as a user names it. */
export type TimePoint =
  { readonly kind: 'seq'; readonly seq: number } | { readonly kind: 'time'; readonly time: number };

const UNIT_MICROS: Readonly<Record<string, number>> = {
  us: 1,
  µs: 1,
  ms: 1e3,
  s: 1e6,
  m: 60e6,
  h: 3600e6,
  d: 86400e6,
  w: 7 * 86400e6,
};
const RELATIVE = /^-((?:\d+(?:\.\d+)?(?:us|µs|ms|s|m|h|d|w))+)$/;
const RELATIVE_PART = /(\d+(?:\.\d+)?)(us|µs|ms|s|m|h|d|w)/g;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

function bad(text: string, option: string, why?: string): RibjournalError {
  return new RibjournalError(
    'BAD_ARGUMENT',
    `${option} ${JSON.stringify(text)}: ${why ? `${why}; ` : ''}expected a seq (integer), an RFC 3339 time ` +
      '(2026-11-24T02:14:00Z, or local time 2026-11-24 02:14) or a relative time (-15m, -2h, -1h30m)',
  );
}

/**
 * Parses a point argument. `nowMicros` anchors relative times (default: the wall clock). `option` names
 * the argument in errors. Throws BAD_ARGUMENT naming what is accepted.
 */
export function parseTimeArg(text: string, options: { nowMicros?: number; option?: string } = {}): TimePoint {
  const option = options.option ?? '--at';
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const seq = Number(t);
    if (!Number.isSafeInteger(seq)) throw bad(text, option, 'seq too large');
    return { kind: 'seq', seq };
  }
  if (t === 'now') return { kind: 'time', time: options.nowMicros ?? Date.now() * 1000 };
  const rel = RELATIVE.exec(t);
  if (rel) {
    let micros = 0;
    for (const m of rel[1]!.matchAll(RELATIVE_PART)) micros += Number(m[1]) * UNIT_MICROS[m[2]!]!;
    return { kind: 'time', time: Math.round((options.nowMicros ?? Date.now() * 1000) - micros) };
  }
  if (/^-\d+$/.test(t)) throw bad(text, option, 'a relative time needs a unit');
  const m = DATE_TIME.exec(t);
  if (!m) throw bad(text, option);
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', z, sign, oh, om] = m;
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
  if (
    fields[1] > 11 ||
    fields[2] < 1 ||
    fields[2] > 31 ||
    fields[3] > 23 ||
    fields[4] > 59 ||
    fields[5] > 60
  ) {
    throw bad(text, option, 'no such date or time');
  }
  let ms: number;
  if (z !== undefined || sign !== undefined) {
    ms = Date.UTC(...fields);
    if (sign !== undefined) ms -= (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000;
  } else {
    // No zone: the local time of this machine (as `date` prints it).
    ms = new Date(...fields).getTime();
  }
  const probe = new Date(Date.UTC(fields[0], fields[1], fields[2]));
  if (Number.isNaN(ms) || probe.getUTCDate() !== fields[2]) throw bad(text, option, 'no such date or time');
  return { kind: 'time', time: ms * 1000 + Number(frac.padEnd(6, '0').slice(0, 6)) };
}

/** A point as text for the API's SeqOrTime: a decimal seq, or RFC 3339 UTC with microseconds. */
export function formatTimePoint(p: TimePoint): string {
  return p.kind === 'seq' ? String(p.seq) : formatMicros(p.time);
}

/**
 * The seq a point names, clamped to `head`: a time maps to the last seq at or before it (0 when the
 * journal has nothing that early). `seqAtTime` is the journal's.
 */
export async function resolveTimePoint(
  p: TimePoint,
  head: number,
  seqAtTime: (timeMicros: number) => Promise<number>,
): Promise<number> {
  if (p.kind === 'seq') return Math.min(p.seq, head);
  return Math.min(await seqAtTime(p.time), head);
}
