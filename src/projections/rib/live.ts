// The live path for subscribers: the runner runs the RIB as a LiveRib, which, while someone listens,
// records each route event's paths before and after it; the feed projection (later in the runner's
// order, so after the RIB applied the batch) hands them on in seq order. Subscriptions are thus fed by
// the RIB's own live tail, not by an index that may be replaying in the background.
import type { Envelope } from '../../events/index.js';
import { isRouteEvent } from '../../events/index.js';
import type { PathSet, Rib } from './rib.js';

/** One route event as the live RIB applied it. */
export interface AppliedRouteEvent {
  readonly env: Envelope;
  /** The prefix's paths just before and just after the event (copies). */
  readonly before: PathSet;
  readonly after: PathSet;
}

/** The Rib as the runner runs it: applies each event, and records route events while asked to. */
export class LiveRib {
  /** Recorded events of the current batch, in seq order. */
  private log: AppliedRouteEvent[] = [];
  private logHead = 0;
  /** Whether to record (set by the feed while it has someone to tell). */
  recording = false;

  constructor(readonly rib: Rib) {}

  get seq(): number {
    return this.rib.seq;
  }

  apply(env: Envelope): void {
    const e = env.event;
    if (!this.recording || !isRouteEvent(e)) {
      this.rib.apply(env);
      return;
    }
    const before = this.rib.lookup(e.vrf, e.prefix).slice();
    this.rib.apply(env);
    this.log.push({ env, before, after: this.rib.lookup(e.vrf, e.prefix).slice() });
  }

  /** Drops what the previous batch recorded (the runner calls it before each live batch). */
  startBatch(): void {
    this.log = [];
    this.logHead = 0;
  }

  /** The recorded event with this seq; older ones are dropped. Undefined when it was not recorded. */
  take(seq: number): AppliedRouteEvent | undefined {
    while (this.logHead < this.log.length) {
      const r = this.log[this.logHead]!;
      if (r.env.seq > seq) return undefined;
      this.logHead++;
      if (this.logHead === this.log.length) this.startBatch(); // all taken: keep nothing
      if (r.env.seq === seq) return r;
    }
    return undefined;
  }
}

/** Told of each route event the live RIB applied: its paths before and after, and the RIB. */
export type LiveListener = (env: Envelope, before: PathSet, after: PathSet, rib: Rib) => void;

interface Follower {
  readonly listener: LiveListener;
  readonly active: () => boolean;
  readonly onGap: (() => void) | undefined;
}

/**
 * The subscription feed's projection: an exhaustive evolve over the live RIB's recorded route events.
 * When a follower is active (has subscribers) and an event was not recorded (the RIB was failing or
 * rebuilding meanwhile), apply throws, so the runner's failure policy takes over.
 */
export class LiveChanges {
  seq: number;
  private followers: readonly Follower[] = [];

  constructor(readonly live: LiveRib) {
    this.seq = live.seq;
  }

  private listening(): boolean {
    return this.followers.some((f) => f.active());
  }

  apply(env: Envelope): void {
    const e = env.event;
    switch (e.type) {
      case 'RouteDiscovered':
      case 'RouteVanished': {
        const r = this.live.take(env.seq);
        if (r === undefined) {
          if (this.listening())
            throw new Error(`the live RIB did not record seq ${env.seq} (it was not applying events)`);
        } else {
          for (const f of this.followers) f.listener(env, r.before, r.after, this.live.rib);
        }
        break;
      }
      case 'ConfigApplied':
      case 'DaemonStarted':
      case 'DaemonStopped':
        break;
      default: {
        const never: never = e;
        throw new TypeError(`unhandled event ${JSON.stringify(never)}`);
      }
    }
    this.seq = env.seq;
  }

  /**
   * Restarts at the live RIB's seq after a failure: followers are told of the gap first. Returns this
   * projection (the runner's `restore`).
   */
  restart(): this {
    for (const f of this.followers) f.onGap?.();
    this.seq = this.live.seq;
    return this;
  }

  /**
   * Follows every route event from now on; returns the unsubscribe function. `active`: whether the
   * follower needs events now (a missed one is then a failure); default always. `onGap`: events were
   * missed (the feed restarts after a failure); whoever relies on every seq must resume from the journal.
   */
  onApply(listener: LiveListener, active: () => boolean = () => true, onGap?: () => void): () => void {
    const f: Follower = { listener, active, onGap };
    this.followers = [...this.followers, f];
    this.live.recording = true;
    return () => {
      this.followers = this.followers.filter((x) => x !== f);
      this.live.recording = this.followers.length > 0;
    };
  }
}
