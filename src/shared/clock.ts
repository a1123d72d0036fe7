/** A source of wall-clock time in epoch microseconds; passed in so tests can drive it. */
export interface Clock {
  nowMicros(): number;
}

/**
 * Microsecond wall clock: Date.now() has only millisecond resolution. performance.timeOrigin is
 * sub-millisecond, so two processes (daemon and observer child) agree to within microseconds.
 */
export const systemClock: Clock = {
  nowMicros: () => Math.floor((performance.timeOrigin + performance.now()) * 1000),
};

/** RFC 3339 UTC with microseconds: 2026-11-24T19:43:39.123456Z. */
export function formatMicros(micros: number): string {
  // Whole, non-negative µs (every journal time): the day's text is cached and the rest is arithmetic,
  // one flat string and no Date per call (an API answer formats a time per history entry or path: 4×
  // faster than through Date, and a quarter of the garbage of a template literal's concatenations).
  if (!Number.isSafeInteger(micros) || micros < 0) return formatMicrosByDate(micros);
  const day = Math.floor(micros / MICROS_PER_DAY);
  if (day !== cachedDay) {
    const text = new Date(day * 86_400_000).toISOString(); // 2026-11-24T00:00:00.000Z
    for (let i = 0; i < 11; i++) dayCodes[i] = text.charCodeAt(i); // 2026-11-24T
    cachedDay = day;
  }
  const c = dayCodes;
  const inDay = micros - day * MICROS_PER_DAY;
  const f = inDay % 1_000_000;
  const secs = (inDay - f) / 1_000_000;
  const h = Math.floor(secs / 3600);
  const m = Math.floor(secs / 60) % 60;
  const s = secs % 60;
  // prettier-ignore
  return String.fromCharCode(
    c[0]!, c[1]!, c[2]!, c[3]!, c[4]!, c[5]!, c[6]!, c[7]!, c[8]!, c[9]!, c[10]!,
    D0 + Math.floor(h / 10), D0 + (h % 10), COLON, D0 + Math.floor(m / 10), D0 + (m % 10), COLON,
    D0 + Math.floor(s / 10), D0 + (s % 10), DOT,
    D0 + Math.floor(f / 100_000), D0 + (Math.floor(f / 10_000) % 10), D0 + (Math.floor(f / 1000) % 10),
    D0 + (Math.floor(f / 100) % 10), D0 + (Math.floor(f / 10) % 10), D0 + (f % 10), Z,
  );
}

const MICROS_PER_DAY = 86_400_000_000;
const [D0, COLON, DOT, Z] = [0x30, 0x3a, 0x2e, 0x5a]; // '0' ':' '.' 'Z'
const dayCodes: number[] = [];
let cachedDay = -1;

/** formatMicros through Date: any number Date accepts (and the reference of formatMicros's test). */
export function formatMicrosByDate(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const iso = new Date(ms).toISOString(); // 2026-11-24T19:43:39.123Z
  const frac = String(micros % 1_000_000).padStart(6, '0');
  return `${iso.slice(0, 19)}.${frac}Z`;
}
