// Fleet-only answers as folds over the nodes' replicas (node status, whereIs, the fleet event feed); what
// a node answers itself is answered by the node schema's own resolvers per node (schema.ts).
import type { PathView } from '../api/index.js';
import { pathViews } from '../api/index.js';
import { resolvePoint } from '../api/index.js';
import type { Point } from '../api/index.js';
import { apiError } from '../api/index.js';
import type { Envelope } from '../events/index.js';
import type { Rib } from '../projections/index.js';
import type { NodeReplica, ReplicaListener } from './collector.js';

/** What the fleet queries read: the collector, or anything holding replicas the same way. */
export interface FleetSource {
  nodes(): NodeReplica[];
  node(name: string): NodeReplica | undefined;
  streamHeadSeqs(): Promise<ReadonlyMap<string, number>>;
  onApplied(listener: ReplicaListener): () => void;
}

export interface NodeStatus {
  readonly name: string;
  /** Last node seq held here. */
  readonly headSeq: number;
  /** Time of that event (epoch µs), undefined when none. */
  readonly lastEventTime: number | undefined;
  /** Events of the node in the stream and not yet here. */
  readonly lag: number;
  readonly paths: number;
  /** Node seq from which the stream lacked events (retention), if it did. */
  readonly gapAt: number | undefined;
}

export type FleetPath = PathView & { readonly node: string };

/** The nodes a `node` argument selects: that one (NOT_FOUND when unknown) or, absent, every node. */
export function selectNodes(src: FleetSource, node: string | null | undefined): NodeReplica[] {
  if (node === null || node === undefined) return src.nodes();
  const n = src.node(node);
  if (n === undefined) throw apiError('NOT_FOUND', `node "${node}" is not known to this collector`, { node });
  return [n];
}

export async function nodeStatuses(src: FleetSource, node?: string | null): Promise<NodeStatus[]> {
  const heads = await src.streamHeadSeqs().catch(() => new Map<string, number>());
  return selectNodes(src, node).map((n) => {
    const head = n.journal.head();
    return {
      name: n.name,
      headSeq: head,
      lastEventTime: head > 0 ? n.rib.time || undefined : undefined,
      lag: Math.max(0, (heads.get(n.name) ?? head) - head),
      paths: n.rib.size(),
      gapAt: n.gapAt,
    };
  });
}

/** A node's RIB at a point (the live one when absent or not in the past), only `vrfs` when given. */
async function ribAt(n: NodeReplica, at: Point | null | undefined, vrfs?: readonly string[]): Promise<Rib> {
  if (at === null || at === undefined) return n.rib;
  const seq = await resolvePoint(n.api, at);
  if (seq >= n.rib.seq) return n.rib;
  return n.indexes.timeline.ribAt(seq, vrfs);
}

/**
 * The nodes that held `prefix` at `at` (now when absent), with their paths, best first per node; in one
 * VRF ("" = global) or, when `vrf` is undefined, in any.
 */
export async function whereIs(
  src: FleetSource,
  prefix: string,
  vrf: string | undefined,
  at: Point | null | undefined,
  node?: string | null,
): Promise<FleetPath[]> {
  const out: FleetPath[] = [];
  for (const n of selectNodes(src, node)) {
    const rib = await ribAt(n, at, vrf === undefined ? undefined : [vrf]);
    const vrfs = vrf === undefined ? new Set(['', ...rib.vrfNames()]) : [vrf];
    for (const v of vrfs) {
      const paths = rib.lookup(v, prefix);
      if (paths.length === 0) continue;
      for (const p of pathViews(paths, rib.vrfConfig(v))) out.push({ ...p, node: n.name });
    }
  }
  return out;
}

/** A batch of one node's events, in seq order, for a fleet subscription. */
export interface FleetBatch {
  readonly node: string;
  readonly events: readonly Envelope[];
  /** Every event of this node up to here was considered: resume with this as the node's cursor. */
  readonly throughSeq: number;
}

/**
 * Every node's committed events in seq order, per node, from a per-node cursor (`after`; a node without
 * one starts at its head when subscribing, a node first seen later starts at seq 1), with no gap and no
 * duplicate: a live batch that does not follow what was sent is preceded by a read of the gap.
 */
export async function* fleetFeed(
  src: FleetSource,
  after: ReadonlyMap<string, number>,
  node?: string | null,
  signal?: AbortSignal,
): AsyncGenerator<FleetBatch> {
  const wanted = node === null || node === undefined ? undefined : node;
  if (wanted !== undefined) selectNodes(src, wanted);
  const sent = new Map<string, number>();
  for (const n of src.nodes()) sent.set(n.name, after.get(n.name) ?? n.journal.head());
  const queue: { n: NodeReplica; batch: readonly Envelope[] }[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = src.onApplied((n, batch) => {
    if (wanted !== undefined && n.name !== wanted) return;
    queue.push({ n, batch });
    wake?.();
  });
  const onAbort = (): void => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    // Catch up every node with a cursor behind its head.
    for (const n of src.nodes()) {
      if (wanted !== undefined && n.name !== wanted) continue;
      const from = sent.get(n.name)!;
      if (from < n.journal.head()) queue.unshift({ n, batch: [] });
    }
    while (signal?.aborted !== true) {
      const item = queue.shift();
      if (item === undefined) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const { n, batch } = item;
      const done = sent.get(n.name) ?? 0;
      const last = batch.length > 0 ? batch[batch.length - 1]!.seq : n.journal.head();
      if (last <= done) continue;
      const first = batch[0]?.seq ?? Infinity;
      const events: Envelope[] = [];
      if (first > done + 1) {
        for await (const b of n.journal.read({ after: done, through: Math.min(first - 1, last) }))
          events.push(...b);
      }
      for (const env of batch) if (env.seq > done) events.push(env);
      const through = events.length > 0 ? events[events.length - 1]!.seq : done;
      sent.set(n.name, through);
      if (events.length > 0) yield { node: n.name, events, throughSeq: through };
    }
  } finally {
    unsubscribe();
    signal?.removeEventListener('abort', onAbort);
  }
}
