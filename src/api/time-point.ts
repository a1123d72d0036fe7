// What "at X" means for a state query (DESIGN: "at X" is the state after every event with seq <= X):
// a time before the journal's first event is BEFORE_JOURNAL, naming the first event's time, rather than
// an empty table; a point at or before the retention horizon (issue 9.5) is BEFORE_RETENTION, naming it;
// a seq or time after the newest event is the present (the head).
import { formatMicros } from '../shared/index.js';
import type { ApiContext } from './context.js';
import { apiError } from './errors.js';
import type { Point } from './points.js';

/** The seq of the state an `at` point names; BEFORE_JOURNAL for a time before the first event. */
export async function resolveAt(api: ApiContext, point: Point): Promise<number> {
  const head = api.journal.head();
  const horizon = api.journal.horizon?.() ?? { seq: 0, time: 0 };
  const at = 'seq' in point ? Math.min(point.seq, head) : await api.journal.seqAtTime(point.time);
  // Retention removed the events through the horizon: no state at or before it can be rebuilt here.
  if (horizon.seq > 0 && at <= horizon.seq) {
    const what = 'seq' in point ? `seq ${point.seq}` : formatMicros(point.time);
    const when = formatMicros(horizon.time);
    throw apiError(
      'BEFORE_RETENTION',
      `${what} is at or before the retention horizon (seq ${horizon.seq} at ${when}): the journal keeps ` +
        `seq ${horizon.seq + 1} onwards`,
      { horizonSeq: horizon.seq, horizonTime: when },
    );
  }
  if ('seq' in point) return at;
  const seq = at;
  if (seq === 0 && head > 0) {
    const firstTime = (await api.journal.get(1))?.time ?? (await api.journal.stats()).firstTime;
    const first = firstTime !== undefined ? formatMicros(firstTime) : 'unknown';
    throw apiError(
      'BEFORE_JOURNAL',
      `${formatMicros(point.time)} is before the journal's first event (seq 1 at ${first})`,
      { firstSeq: 1, firstTime: first },
    );
  }
  return Math.min(seq, head);
}
