// What "at X" means for a state query (DESIGN: "at X" is the state after every event with seq <= X):
// a time before the journal's first event is BEFORE_JOURNAL, naming the first event's time, rather than
// an empty table; a seq or time after the newest event is the present (the head).
import { formatMicros } from '../shared/index.js';
import type { ApiContext } from './context.js';
import { apiError } from './errors.js';
import type { Point } from './points.js';

/** The seq of the state an `at` point names; BEFORE_JOURNAL for a time before the first event. */
export async function resolveAt(api: ApiContext, point: Point): Promise<number> {
  const head = api.journal.head();
  if ('seq' in point) return Math.min(point.seq, head);
  const seq = await api.journal.seqAtTime(point.time);
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
