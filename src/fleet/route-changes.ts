// The fleet's `routeChanges`: each selected node's own route-change subscription (the node's ChangeFeed
// over its replica: the same code and semantics as on the node), merged into one stream of batches
// tagged with their node. Per node in seq order with no gap or duplicate, resumable from per-node
// cursors; a node first seen after subscribing is followed from its seq 1.
import type { ChangeFeed, ChangeFilter, FeedItem } from '../api/index.js';
import type { NodeReplica } from './collector.js';
import type { FleetSource } from './queries.js';
import { selectNodes } from './queries.js';

export interface FleetFeedItem {
  readonly node: string;
  readonly item: FeedItem;
}

export interface FleetChangeRequest {
  readonly filter: ChangeFilter;
  /** `node`: only that one; absent: every node. */
  readonly node?: string | null | undefined;
  /** Per-node resume points; a node without one starts now (or at 1 when first seen later). */
  readonly after: ReadonlyMap<string, number>;
  readonly heartbeatMs?: number | undefined;
}

/** Batches a consumer may leave unread before the per-node subscriptions are paused. */
const MAX_QUEUED = 64;

export async function* fleetRouteChanges(
  src: FleetSource,
  feedOf: (node: NodeReplica) => ChangeFeed,
  req: FleetChangeRequest,
): AsyncGenerator<FleetFeedItem> {
  const wanted = req.node ?? undefined;
  const queue: FleetFeedItem[] = [];
  const subs = new Map<string, AsyncIterableIterator<FeedItem>>();
  let wake: (() => void) | undefined;
  let drained: (() => void)[] = [];
  let closed = false;
  const follow = (n: NodeReplica, after: number | undefined): void => {
    const sub = feedOf(n).subscribe(req.filter, after, req.heartbeatMs);
    subs.set(n.name, sub);
    void (async () => {
      for await (const item of sub) {
        queue.push({ node: n.name, item });
        wake?.();
        if ('error' in item) break;
        while (queue.length >= MAX_QUEUED && !closed) await new Promise<void>((r) => drained.push(r));
      }
    })();
  };
  for (const n of selectNodes(src, wanted)) follow(n, req.after.get(n.name));
  const unsubscribe =
    wanted === undefined
      ? src.onApplied((n) => {
          if (!closed && !subs.has(n.name)) follow(n, req.after.get(n.name) ?? 0);
        })
      : () => undefined;
  try {
    for (;;) {
      const next = queue.shift();
      if (next === undefined) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      if (queue.length < MAX_QUEUED) {
        const waiting = drained;
        drained = [];
        for (const r of waiting) r();
      }
      yield next;
      // As on a node, an error (too slow, damage, the live feed restarting) ends the subscription: the
      // client resumes every node from the cursors it holds.
      if ('error' in next.item) return;
    }
  } finally {
    closed = true;
    unsubscribe();
    for (const r of drained) r();
    for (const sub of subs.values()) await sub.return?.();
  }
}
