// Replays the journal into projections, then keeps them current from its live tail. For tools and
// tests that need no failure policy; the daemon runs its projections through the ProjectionRunner.
import type { Envelope } from '../events/index.js';
import type { Journal } from '../journal/index.js';
import type { Projection } from './runner.js';

/**
 * Replays the journal into the projections (each from its own seq), then follows new commits.
 * Returns the unsubscribe function. Commits that arrive during the replay are applied once, in order.
 */
export async function replayAndFollow(
  journal: Journal,
  projections: readonly Projection[],
): Promise<() => void> {
  const pending: Envelope[] = [];
  let live = false;
  const apply = (env: Envelope): void => {
    for (const p of projections) if (env.seq > p.seq) p.apply(env);
  };
  const unsubscribe = journal.onCommit((batch) => {
    if (live) for (const env of batch) apply(env);
    else for (const env of batch) pending.push(env);
  });
  const from = Math.min(...projections.map((p) => p.seq));
  for await (const batch of journal.read({ after: from })) for (const env of batch) apply(env);
  for (const env of pending) apply(env);
  pending.length = 0;
  live = true;
  return unsubscribe;
}
