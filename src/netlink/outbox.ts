// The observer child's way out to the daemon: one message on the IPC channel at a time, with the
// batches produced meanwhile waiting here, merged into fewer, larger messages. A daemon that cannot keep
// up (a flood of address changes) would otherwise find every change serialized and buffered in the
// child (hundreds of MB). The wait is bounded: past `maxQueued` changes they are dropped and a fresh
// dump resynchronises the daemon instead, as after a receive buffer overflow (its corrections carry
// reason `reconcile`). Notifications that arrive until that dump's snapshot are older than it: also
// dropped. Pure: the channel and the dump are passed in.
import type { KernelChange, ObserverBatch } from './types.js';

/** Changes waiting for the channel before they are dropped for a resync (~150 B each in the child). */
export const OUTBOX_MAX_QUEUED = 20_000;
/** Notifications merged into one message at most (the daemon applies one message in one turn). */
export const OUTBOX_MAX_MESSAGE = 1024;

export interface OutboxOptions {
  /** Writes one batch to the channel; `written` once it left the process (or cannot be sent). */
  readonly send: (batch: ObserverBatch, written: () => void) => void;
  /** Asks for a full dump; its snapshot ends the overflow. */
  readonly resync: () => void;
  readonly warn: (msg: string, data: Record<string, unknown>) => void;
  readonly maxQueued?: number;
  readonly maxMessage?: number;
}

function hasSnapshot(b: ObserverBatch): boolean {
  return b.changes.some((c) => c.kind === 'snapshot');
}

function hasStart(b: ObserverBatch): boolean {
  return b.changes.some((c) => c.kind === 'snapshot' && c.reason === 'start');
}

/** Bounded, order-keeping queue between the rtnetlink session and the IPC channel. */
export class Outbox {
  private readonly o: OutboxOptions;
  private readonly maxQueued: number;
  private readonly maxMessage: number;
  private queue: ObserverBatch[] = [];
  private queued = 0;
  private sending = false;
  private overflowed = false;
  /** Times the queue was dropped for a resync. */
  overflows = 0;

  constructor(o: OutboxOptions) {
    this.o = o;
    this.maxQueued = o.maxQueued ?? OUTBOX_MAX_QUEUED;
    this.maxMessage = o.maxMessage ?? OUTBOX_MAX_MESSAGE;
  }

  /** Whether anything waits for the channel (a periodic scan would only add to it). */
  get backlogged(): boolean {
    return this.sending || this.queue.length > 0 || this.overflowed;
  }

  offer(batch: ObserverBatch): void {
    if (batch.changes.length === 0) return;
    if (this.overflowed) {
      // Older than the dump asked for: its snapshot shows their outcome.
      if (!hasSnapshot(batch)) return;
      this.overflowed = false;
    }
    this.queue.push(batch);
    this.queued += batch.changes.length;
    // The start-up snapshot is never dropped: the daemon waits for it, and it is sent first anyway.
    if (this.queued > this.maxQueued && !this.queue.some(hasStart)) {
      this.overflows++;
      this.o.warn('the daemon is not reading kernel changes fast enough: dropped them; a dump resyncs', {
        dropped: this.queued,
        overflows: this.overflows,
      });
      this.queue = [];
      this.queued = 0;
      this.overflowed = true;
      this.o.resync();
      return;
    }
    this.pump();
  }

  private pump(): void {
    while (!this.sending && this.queue.length > 0) {
      const batch = this.take();
      this.sending = true;
      let sync = true;
      let writtenSync = false;
      this.o.send(batch, () => {
        this.sending = false;
        if (sync) writtenSync = true;
        else this.pump();
      });
      sync = false;
      if (!writtenSync) return;
    }
  }

  /** The first waiting batch, with the notification-only batches after it merged in (up to maxMessage). */
  private take(): ObserverBatch {
    const first = this.queue.shift()!;
    let count = first.changes.length;
    if (hasSnapshot(first) || this.queue.length === 0 || count >= this.maxMessage) {
      this.queued -= count;
      return first;
    }
    const changes: KernelChange[] = [...first.changes];
    let receivedAt = first.receivedAt;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (hasSnapshot(next) || count + next.changes.length > this.maxMessage) break;
      this.queue.shift();
      changes.push(...next.changes);
      count += next.changes.length;
      receivedAt = Math.min(receivedAt, next.receivedAt);
    }
    this.queued -= count;
    return { changes, receivedAt };
  }
}
