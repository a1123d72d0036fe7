// Forced kernel scans: callers that want a full scan now and the number of corrections it journaled.
// A waiter is answered by the first batch holding a full scan (or a resync) that began after it asked;
// the composition root resolves it once that batch's events are committed.
import { RibjournalError } from '../shared/index.js';
import type { ObserverBatch } from './types.js';

/** How long a forced scan waits for its batch before it gives up. */
export const SCAN_TIMEOUT_MS = 30_000;

/** One caller waiting for a scan. */
export interface ScanWaiter {
  /** Epoch µs the caller asked at. */
  readonly requestedAt: number;
  resolve(corrections: number): void;
  reject(err: unknown): void;
}

export interface ScanWaitersOptions {
  /** Asks the observer for a full scan (KernelObserver.requestScan). */
  readonly requestScan: () => void;
  /** Epoch µs, the clock batches' receivedAt is in. */
  readonly nowMicros: () => number;
  readonly timeoutMs?: number;
  /** setTimeout/clearTimeout-like (tests). */
  readonly setTimer?: (fn: () => void, ms: number) => unknown;
  readonly clearTimer?: (handle: unknown) => void;
}

/** The callers waiting for a forced scan. */
export class ScanWaiters {
  private waiters: ScanWaiter[] = [];
  private readonly timeoutMs: number;

  constructor(private readonly o: ScanWaitersOptions) {
    this.timeoutMs = o.timeoutMs ?? SCAN_TIMEOUT_MS;
  }

  get size(): number {
    return this.waiters.length;
  }

  /** Forces a full scan; resolves with the corrections it journaled, once they are committed. */
  requestScan(): Promise<number> {
    const setTimer = this.o.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms).unref());
    const clearTimer = this.o.clearTimer ?? ((h: unknown) => clearTimeout(h as NodeJS.Timeout));
    return new Promise<number>((resolve, reject) => {
      const timer = setTimer(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new RibjournalError(
            'NETLINK_FAILED',
            `no kernel scan arrived within ${this.timeoutMs / 1000} s (is the observer restarting?)`,
          ),
        );
      }, this.timeoutMs);
      const waiter: ScanWaiter = {
        requestedAt: this.o.nowMicros(),
        resolve: (n) => {
          clearTimer(timer);
          resolve(n);
        },
        reject: (err) => {
          clearTimer(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      };
      this.waiters.push(waiter);
      this.o.requestScan();
    });
  }

  /** Takes the waiters `batch` answers: it holds a full scan (or resync) that began after they asked. */
  answeredBy(batch: ObserverBatch): ScanWaiter[] {
    if (this.waiters.length === 0) return [];
    // A periodic scan's delta does not answer: a forced scan is whole (the view may have been rebuilt).
    if (!batch.changes.some((c) => c.kind === 'snapshot' && c.reason !== 'start' && c.gone === undefined))
      return [];
    const answered = this.waiters.filter((w) => w.requestedAt <= batch.receivedAt);
    this.waiters = this.waiters.filter((w) => w.requestedAt > batch.receivedAt);
    return answered;
  }

  /** Fails every waiter (the daemon stops). */
  rejectAll(err: unknown): void {
    for (const w of this.waiters.splice(0)) w.reject(err);
  }
}
