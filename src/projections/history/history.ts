// The per-prefix history index: for every (vrf, prefix) the seqs of the events that touched it, for
// every VRF the seqs of its route events, and the seqs of ConfigApplied. The events themselves stay in
// the journal; this index only says where to look, so `history` and per-VRF replays read a handful of
// events instead of scanning the journal. Derived data: rebuilt by replaying the journal.
import type { Envelope } from '../../events/index.js';
import { PrefixOrder, prefixSortKey } from './prefix-order.js';

const EMPTY: readonly number[] = [];

function prefixKey(vrf: string, prefix: string): string {
  return `${vrf}\u0000${prefix}`;
}

/** First index in ascending `seqs` whose seq is > `seq`. */
export function upperBoundSeq(seqs: readonly number[], seq: number): number {
  let lo = 0;
  let hi = seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (seqs[mid]! <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Seqs in (after, through] of an ascending list. */
export function seqsBetween(seqs: readonly number[], after: number, through: number): readonly number[] {
  const from = upperBoundSeq(seqs, after);
  const to = upperBoundSeq(seqs, through);
  return from === 0 && to === seqs.length ? seqs : seqs.slice(from, to);
}

/** Where each prefix's and each VRF's events are in the journal. A Projection (seq + apply). */
export class HistoryIndex {
  /** Seq of the last event applied. */
  seq = 0;
  private readonly byPrefix = new Map<string, number[]>();
  private readonly byVrf = new Map<string, number[]>();
  private readonly orders = new Map<string, PrefixOrder>();
  private readonly configs: number[] = [];

  apply(env: Envelope): void {
    this.seq = env.seq;
    const e = env.event;
    switch (e.type) {
      case 'RouteDiscovered':
      case 'RouteVanished': {
        const key = prefixKey(e.vrf, e.prefix);
        let seqs = this.byPrefix.get(key);
        if (seqs === undefined) {
          seqs = [];
          this.byPrefix.set(key, seqs);
          let order = this.orders.get(e.vrf);
          if (order === undefined) {
            order = new PrefixOrder();
            this.orders.set(e.vrf, order);
          }
          order.add(e.prefix, prefixSortKey(e.prefix));
        }
        seqs.push(env.seq);
        let vrfSeqs = this.byVrf.get(e.vrf);
        if (vrfSeqs === undefined) {
          vrfSeqs = [];
          this.byVrf.set(e.vrf, vrfSeqs);
        }
        vrfSeqs.push(env.seq);
        return;
      }
      case 'ConfigApplied':
        this.configs.push(env.seq);
        return;
      default: {
        const never: never = e;
        throw new TypeError(`unhandled event ${JSON.stringify(never)}`);
      }
    }
  }

  /** Seqs of the route events of one prefix in one VRF ("" = global), ascending. */
  prefixSeqs(vrf: string, prefix: string): readonly number[] {
    return this.byPrefix.get(prefixKey(vrf, prefix)) ?? EMPTY;
  }

  /** Seqs of every route event of a VRF, ascending. */
  vrfSeqs(vrf: string): readonly number[] {
    return this.byVrf.get(vrf) ?? EMPTY;
  }

  /** Seqs of every ConfigApplied, ascending. */
  configSeqs(): readonly number[] {
    return this.configs;
  }

  /** VRFs that have ever held a route. */
  vrfsWithRoutes(): string[] {
    return [...this.byVrf.keys()];
  }

  /** Every prefix the VRF has ever held, in address order (see prefix-order.ts). */
  prefixOrder(vrf: string): PrefixOrder {
    let order = this.orders.get(vrf);
    if (order === undefined) {
      order = new PrefixOrder();
      this.orders.set(vrf, order);
    }
    return order;
  }
}
