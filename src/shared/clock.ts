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
  const ms = Math.floor(micros / 1000);
  const iso = new Date(ms).toISOString(); // 2026-11-24T19:43:39.123Z
  const frac = String(micros % 1_000_000).padStart(6, '0');
  return `${iso.slice(0, 19)}.${frac}Z`;
}
