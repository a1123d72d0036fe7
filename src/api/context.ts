// What the API reads: the journal, the live RIB, and the indexes it keeps for history and time travel.
import type { Journal } from '../journal/index.js';
import { HistoryIndex, Timeline, replayAndFollow } from '../projections/index.js';
import type { Projection, Rib, TimelineOptions } from '../projections/index.js';

/** The per-prefix history index and the RIB timeline: projections the API needs beside the live Rib. */
export interface ApiIndexes {
  readonly history: HistoryIndex;
  readonly timeline: Timeline;
  /** Both, in the order to hand them to replayAndFollow (after the Rib). */
  readonly projections: readonly Projection[];
}

/** Everything the GraphQL API reads. The composition root builds it. */
export interface ApiContext {
  readonly journal: Journal;
  /** The live RIB projection (kept current from the journal's live tail). */
  readonly rib: Rib;
  readonly indexes: ApiIndexes;
  /** True once the daemon has replayed the journal and journaled the first kernel reconcile (/readyz). */
  ready(): boolean;
}

/** Creates empty indexes; feed them by passing `projections` to replayAndFollow with the Rib. */
export function createApiIndexes(journal: Journal, options: { timeline?: TimelineOptions } = {}): ApiIndexes {
  const history = new HistoryIndex();
  const timeline = new Timeline(journal, history, options.timeline);
  return { history, timeline, projections: [history, timeline] };
}

/** Creates the indexes and replays the journal into them, then follows it. For tests and tools. */
export async function followApiIndexes(
  journal: Journal,
  options: { timeline?: TimelineOptions } = {},
): Promise<ApiIndexes & { unfollow(): void }> {
  const indexes = createApiIndexes(journal, options);
  const unfollow = await replayAndFollow(journal, indexes.projections);
  return { ...indexes, unfollow };
}
