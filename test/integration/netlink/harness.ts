// Runs a kernel observer in a test's own namespace and keeps what it reported: every change in order,
// and the picture they add up to (as the import module would rebuild it). Tests wait on that picture
// or on a change, with a deadline; never on a sleep.
import { pino, type Logger } from 'pino';
import {
  createKernelObserver,
  type Address,
  type KernelChange,
  type KernelObserver,
  type Link,
  type ObserverBatch,
} from '../../../src/netlink/index.js';
import { createNetns, type AfterHook, type Netns } from '../../helpers/netns.js';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly topic?: string;
  readonly [key: string]: unknown;
}

/** A pino logger whose lines are kept for assertions (and echoed to stderr when DEBUG_NETLINK is set). */
export function capturingLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const echo = process.env.DEBUG_NETLINK !== undefined;
  const stream = {
    write(s: string): void {
      lines.push(JSON.parse(s) as LogLine);
      if (echo) process.stderr.write(s);
    },
  };
  return { log: pino({ level: 'debug' }, stream).child({ topic: 'netlink' }), lines };
}

export const addressKey = (a: Pick<Address, 'index' | 'address' | 'prefixLength'>): string =>
  `${a.index} ${a.address}/${a.prefixLength}`;

interface Waiter {
  readonly check: () => boolean;
  readonly resolve: () => void;
}

/** Everything an observer delivered, and the state it implies. */
export class Recorder {
  readonly batches: ObserverBatch[] = [];
  readonly changes: { change: KernelChange; batch: ObserverBatch; deliveredAt: number }[] = [];
  readonly links = new Map<number, Link>();
  readonly addresses = new Map<string, Address>();
  private waiters: Waiter[] = [];

  constructor(observer: KernelObserver) {
    observer.onBatch((batch) => this.apply(batch));
  }

  /** Position in `changes`; pass it to waitForChange to look only at what came after. */
  mark(): number {
    return this.changes.length;
  }

  private apply(batch: ObserverBatch): void {
    const deliveredAt = (performance.timeOrigin + performance.now()) * 1000;
    this.batches.push(batch);
    for (const change of batch.changes) {
      this.changes.push({ change, batch, deliveredAt });
      switch (change.kind) {
        case 'snapshot':
          // A periodic scan's delta names only what changed (and what is gone); a whole one replaces.
          if (change.gone !== undefined) {
            for (const i of change.gone.links) this.links.delete(i);
            for (const a of change.gone.addresses) this.addresses.delete(addressKey(a));
          } else {
            this.links.clear();
            this.addresses.clear();
          }
          for (const l of change.links) this.links.set(l.index, l);
          for (const a of change.addresses) this.addresses.set(addressKey(a), a);
          break;
        case 'link':
          if (change.op === 'new') this.links.set(change.link.index, change.link);
          else this.links.delete(change.link.index);
          break;
        case 'address':
          if (change.op === 'new') this.addresses.set(addressKey(change.address), change.address);
          else this.addresses.delete(addressKey(change.address));
          break;
      }
    }
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves when `check` holds (checked now and after every batch); rejects after the deadline. */
  waitUntil(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; last changes: ${this.describeTail()}`,
          ),
        );
      }, timeoutMs);
      const waiter: Waiter = {
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** The first change at or after `since` that matches; waits for it with a deadline. */
  async waitForChange<C extends KernelChange>(
    what: string,
    match: (c: KernelChange) => c is C,
    since: number,
    timeoutMs = 5000,
  ): Promise<{ change: C; batch: ObserverBatch; deliveredAt: number }> {
    const find = (): { change: C; batch: ObserverBatch; deliveredAt: number } | undefined => {
      for (let i = since; i < this.changes.length; i++) {
        const entry = this.changes[i]!;
        if (match(entry.change))
          return { change: entry.change, batch: entry.batch, deliveredAt: entry.deliveredAt };
      }
      return undefined;
    };
    await this.waitUntil(what, () => find() !== undefined, timeoutMs);
    return find()!;
  }

  private describeTail(): string {
    return JSON.stringify(
      this.changes
        .slice(-5)
        .map(({ change }) =>
          change.kind === 'snapshot'
            ? { snapshot: change.reason, links: change.links.length, addresses: change.addresses.length }
            : change,
        ),
    );
  }
}

/** Change matchers. */
export const isSnapshot =
  (reason?: 'start' | 'scan' | 'resync') =>
  (c: KernelChange): c is Extract<KernelChange, { kind: 'snapshot' }> =>
    c.kind === 'snapshot' && (reason === undefined || c.reason === reason);

export const isAddress =
  (
    op: 'new' | 'del',
    index: number,
    address: string,
    prefixLength: number,
    extra: (a: Address) => boolean = () => true,
  ) =>
  (c: KernelChange): c is Extract<KernelChange, { kind: 'address' }> =>
    c.kind === 'address' &&
    c.op === op &&
    c.address.index === index &&
    c.address.address === address &&
    c.address.prefixLength === prefixLength &&
    extra(c.address);

export const isLink =
  (op: 'new' | 'del', index: number, extra: (l: Link) => boolean = () => true) =>
  (c: KernelChange): c is Extract<KernelChange, { kind: 'link' }> =>
    c.kind === 'link' && c.op === op && c.link.index === index && extra(c.link);

export interface Lab {
  readonly ns: Netns;
  readonly observer: KernelObserver;
  readonly recorder: Recorder;
  readonly logs: LogLine[];
}

/**
 * A namespace with a veth pair a <-> b (both operationally up) and, unless `start` is false, a started
 * observer inside it. The observer is stopped before the namespace is removed, after the test.
 */
export async function lab(
  t: AfterHook,
  opts: { scanIntervalMs?: number; start?: boolean; before?: (ns: Netns) => Promise<void> } = {},
): Promise<Lab> {
  const ns = await createNetns(t);
  await ns.addVeth('a', 'b');
  await ns.waitOperUp('a');
  await ns.waitOperUp('b');
  await opts.before?.(ns);
  const { log, lines } = capturingLogger();
  // Long enough that no periodic scan lands in the middle of a test unless it asks for one.
  const observer = createKernelObserver({
    log,
    scanIntervalMs: opts.scanIntervalMs ?? 60_000,
    netns: ns.name,
  });
  ns.cleanup(() => observer.stop());
  const recorder = new Recorder(observer);
  if (opts.start ?? true) await observer.start();
  return { ns, observer, recorder, logs: lines };
}

/** The kernel's addresses (from `ip -j addr`) in the recorder's key form. */
export async function kernelAddressKeys(ns: Netns): Promise<string[]> {
  return (await ns.addresses())
    .map((a) => addressKey({ index: a.ifindex, address: a.address, prefixLength: a.prefixLength }))
    .sort();
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
