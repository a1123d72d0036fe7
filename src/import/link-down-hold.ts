// The link-down hold: a link going down is often the first notice of its deletion (the kernel sends
// NEWLINK without IFF_UP, then DELADDRs, then DELLINK). Changes from such a notification on are held
// briefly, so that the withdrawal names the real cause; everything after them waits too, so order is
// kept. What comes before the link-down in its batch (the start-up dump included) is never held, and
// a start-up dump releases whatever is held: the initial table is never pushed behind the hold.
import type { KernelChange, ObserverBatch } from '../netlink/index.js';

/** How long changes from a link going down wait for the deletion that may follow it. */
export const LINK_DOWN_HOLD_MS = 15;

/** setTimeout-like; injected so tests drive time. */
export type HoldScheduler = (fn: () => void, ms: number) => { unref?(): unknown };

export interface LinkDownHoldOptions<T> {
  /** Receives changes in kernel order, with the tags offered with them (e.g. reconcile waiters). */
  readonly apply: (changes: readonly KernelChange[], receivedAt: number, tags: readonly T[]) => void;
  readonly schedule?: HoldScheduler;
  readonly holdMs?: number;
}

function linkDown(c: KernelChange): boolean {
  return c.kind === 'link' && c.op === 'new' && !c.link.up;
}

/** Coalesces kernel batches around a link going down; see the file comment. */
export class LinkDownHold<T = never> {
  private held: { changes: KernelChange[]; receivedAt: number; tags: T[] } | undefined;
  private readonly schedule: HoldScheduler;
  private readonly holdMs: number;

  constructor(private readonly o: LinkDownHoldOptions<T>) {
    this.schedule = o.schedule ?? ((fn, ms) => setTimeout(fn, ms));
    this.holdMs = o.holdMs ?? LINK_DOWN_HOLD_MS;
  }

  /** Whether changes are being held. */
  get holding(): boolean {
    return this.held !== undefined;
  }

  /** One batch from the observer, with its tags (handed to `apply` with the changes they came with). */
  offer(batch: ObserverBatch, tags: readonly T[] = []): void {
    const { changes, receivedAt } = batch;
    if (this.held !== undefined) {
      this.held.changes.push(...changes);
      this.held.tags.push(...tags);
      if (changes.some((c) => c.kind === 'snapshot' && c.reason === 'start')) this.flush();
      return;
    }
    const at = changes.findIndex(linkDown);
    if (at < 0) {
      this.o.apply(changes, receivedAt, tags);
      return;
    }
    if (at > 0) this.o.apply(changes.slice(0, at), receivedAt, []);
    this.held = { changes: changes.slice(at), receivedAt, tags: [...tags] };
    this.schedule(() => this.flush(), this.holdMs).unref?.();
  }

  /** Applies what is held now (start-up, stop); a pending timer then finds nothing to do. */
  flush(): void {
    const h = this.held;
    this.held = undefined;
    if (h !== undefined) this.o.apply(h.changes, h.receivedAt, h.tags);
  }
}
