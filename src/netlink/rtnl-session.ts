// Follows linux/rtnetlink.h (RTM_*, RTNLGRP_*) and linux/netlink.h (NLM_F_DUMP, NLM_F_DUMP_INTR).
// The rtnetlink side of the observer: runs only in the child process, because the `netlink` package's
// native code aborts the process when a socket's receive queue overflows (DESIGN.md, measured facts).
import {
  AttrStream,
  createNetlink,
  Flags,
  FlagsGet,
  Protocol,
  putU32,
  rt,
  type NetlinkMessage,
  type NetlinkSocket,
} from 'netlink';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../shared/index.js';
import { DumpBaseline, RacedKeys, type DumpComparison } from './dump-delta.js';
import { decodeAddressNotification, decodeAddressPayload, parseLinkMessage } from './parse.js';
import type { LogLevel } from './protocol.js';
import type { Address, KernelChange, Link, ObserverBatch } from './types.js';

// linux/rtnetlink.h message types, as plain numbers: netlink headers carry them untyped.
const RTM_NEWLINK: number = rt.MessageType.NEWLINK;
const RTM_DELLINK: number = rt.MessageType.DELLINK;
const RTM_GETLINK: number = rt.MessageType.GETLINK;
const RTM_NEWADDR: number = rt.MessageType.NEWADDR;
const RTM_DELADDR: number = rt.MessageType.DELADDR;
const RTM_GETADDR: number = rt.MessageType.GETADDR;
const DUMP_INTR: number = Flags.DUMP_INTR;

/** Asked for; the kernel caps SO_RCVBUF at net.core.rmem_max (and doubles it for bookkeeping). */
const RECV_BUFFER_BYTES = 64 * 1024 * 1024;
/** A dump of 100k addresses takes well under a second; a minute means the kernel or we are stuck. */
const DUMP_TIMEOUT_MS = 60_000;
/** A dump that raced with changes (NLM_F_DUMP_INTR) may have skipped entries: try again, a few times. */
const MAX_DUMP_ATTEMPTS = 4;
/** The package's native layer reads at most this many datagrams from a socket per turn of the loop. */
const NATIVE_READ_BURST = 32;
/** Turns of the loop a finished dump waits at most for the notification socket to be drained. */
const MAX_SETTLE_TURNS = 200;
/**
 * A dump of 100k addresses is decoded and compared in slices of about this much CPU, with a turn of the
 * loop between them: the notifications read meanwhile are forwarded, not kept waiting behind the dump.
 */
const SLICE_MS = 4;

/**
 * ifinfomsg + IFLA_EXT_MASK RTEXT_FILTER_SKIP_STATS (linux/rtnetlink.h): the counters are of no use here
 * and would be a good part of every link in the dump.
 */
const LINK_DUMP_REQUEST: Buffer = (() => {
  const out = new AttrStream();
  rt.formatLinkMessage(
    { kind: 'link', data: {}, attrs: { extMask: putU32(rt.formatRtExtFilter({ skipStats: true })) } },
    out,
  );
  return Buffer.concat(out.bufs);
})();

/** What the session reports to its owner (the child's entry point). */
export interface SessionHooks {
  readonly batch: (batch: ObserverBatch) => void;
  readonly log: (level: LogLevel, msg: string, data?: Record<string, unknown>) => void;
  /** The session cannot go on (socket error, failed dump); the owner exits so the parent restarts it. */
  readonly fatal: (msg: string, err: unknown) => void;
  /**
   * Whether earlier batches still wait to be written to the owner's channel. A periodic scan is then
   * skipped: each is a full snapshot, and piling them up behind a parent that cannot keep up (a flood)
   * costs memory on both sides and delays the notifications behind them. The next tick tries again.
   */
  readonly backlogged?: () => boolean;
}

/** How the session runs: scan period, clock for receivedAt, and where it reports. */
export interface SessionOptions {
  readonly scanIntervalMs: number;
  readonly clock: Clock;
  readonly hooks: SessionHooks;
  /** Opens a socket (tests pass fakes); default the `netlink` package's rtnetlink socket. */
  readonly openSocket?: (role: 'events' | 'dumps') => NetlinkSocket;
}

/**
 * How a dump reaches the daemon. 'whole': a full snapshot, with the notifications that raced with the
 * dump held back and sent after it in the same batch (the first dump, resyncs and scans asked for: the
 * daemon's view may be anything then). 'delta': periodic scans; notifications are forwarded as they
 * come, and the snapshot is the difference from the previous dump without the keys they touched.
 */
type DumpMode = 'whole' | 'delta';

function openRtnl(role: 'events' | 'dumps'): NetlinkSocket {
  // (The package types both buffer sizes as required; 0 leaves the kernel default.)
  return role === 'events'
    ? createNetlink(Protocol.ROUTE, { ref: true, recvBufferSize: RECV_BUFFER_BYTES, sendBufferSize: 0 })
    : createNetlink(Protocol.ROUTE, { recvBufferSize: 0, sendBufferSize: 0 });
}

/** Runs `fn` over `items` in slices of about SLICE_MS, yielding a turn of the event loop between them. */
async function inSlices<T>(items: readonly T[], fn: (item: T) => void): Promise<void> {
  let i = 0;
  while (i < items.length) {
    const until = performance.now() + SLICE_MS;
    do fn(items[i++]!);
    while (i < items.length && ((i & 255) !== 0 || performance.now() < until));
    if (i < items.length) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * Two sockets: one subscribed to the link and address groups, one for dumps. They are separate because
 * the package groups multipart replies per socket, and a notification arriving between two parts of a
 * dump would cut the dump short.
 */
export class RtnlSession {
  private readonly opts: SessionOptions;
  private events: NetlinkSocket | undefined;
  private dumps: NetlinkSocket | undefined;
  private scanTimer: NodeJS.Timeout | undefined;
  /** Notifications not yet sent; held back while a 'whole' dump runs so they follow its snapshot. */
  private pending: KernelChange[] = [];
  private pendingSince = 0;
  private flushQueued = false;
  /** The mode of the dump running, if one is. */
  private dumping: DumpMode | undefined;
  /** A dump asked for while one runs ('whole' wins over 'delta'). */
  private queued: DumpMode | undefined;
  /** Keys notifications touched since the running 'delta' dump began. */
  private raced: RacedKeys | undefined;
  private readonly baseline = new DumpBaseline();
  private firstDump = true;
  private closed = false;
  /** Notifications received since the last look of settle(). */
  private received = 0;

  constructor(opts: SessionOptions) {
    this.opts = opts;
  }

  /** Opens the sockets, subscribes, then dumps: subscribing first means nothing falls between the two. */
  start(): { recvBufferSize: number } {
    const open = this.opts.openSocket ?? openRtnl;
    const events = open('events');
    this.events = events;
    // An 'error' without a listener would be thrown inside the package's native callback, which aborts.
    events.on('error', (err) => this.fail('rtnetlink notification socket failed', err));
    events.on('invalid', (err) =>
      this.opts.hooks.log('warn', 'invalid rtnetlink notification ignored', { err: String(err) }),
    );
    events.on('message', (msgs) => this.guard(() => this.onNotifications(msgs)));
    events.addMembership(rt.MulticastGroups.LINK);
    events.addMembership(rt.MulticastGroups.IPV4_IFADDR);
    events.addMembership(rt.MulticastGroups.IPV6_IFADDR);

    const dumps = open('dumps');
    this.dumps = dumps;
    dumps.on('error', (err) => this.fail('rtnetlink dump socket failed', err));

    this.dump('whole');
    if (this.opts.scanIntervalMs > 0)
      this.scanTimer = setInterval(() => {
        if (this.opts.hooks.backlogged?.() !== true) this.scan('delta');
      }, this.opts.scanIntervalMs);
    return { recvBufferSize: events.getRecvBufferSize() };
  }

  /**
   * A dump now (or right after the one running), delivered as a snapshot with reason 'scan': whole (the
   * default: a scan asked for, a resync after dropped changes), or as a delta (the periodic scan).
   */
  scan(mode: DumpMode = 'whole'): void {
    if (this.closed) return;
    if (this.dumping !== undefined) {
      if (this.queued !== 'whole') this.queued = mode;
    } else this.dump(mode);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.scanTimer);
    this.events?.close();
    this.dumps?.close();
  }

  // Runs inside the package's native callback: an exception escaping here would abort the process
  // without a word, so report it (a bug, never swallowed) and let the owner exit.
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.fail('bug in the rtnetlink receive path', err);
    }
  }

  private fail(msg: string, err: unknown): void {
    if (this.closed) return;
    this.close();
    this.opts.hooks.fatal(msg, err);
  }

  private onNotifications(msgs: NetlinkMessage[]): void {
    if (this.closed) return;
    if (this.pending.length === 0) this.pendingSince = this.opts.clock.nowMicros();
    this.received += msgs.length;
    for (const msg of msgs) {
      const change = this.toChange(msg);
      if (change === undefined) continue;
      this.pending.push(change);
      this.raced?.note(change);
    }
    // Everything the native layer hands over in this turn of the loop (up to 32 datagrams) goes out as
    // one batch: setImmediate runs after the poll phase that delivered them.
    if (!this.flushQueued && this.dumping !== 'whole' && this.pending.length > 0) {
      this.flushQueued = true;
      setImmediate(() => {
        this.flushQueued = false;
        if (this.dumping !== 'whole') this.flush();
      });
    }
  }

  private toChange(msg: NetlinkMessage): KernelChange | undefined {
    switch (msg.type) {
      case RTM_NEWLINK:
      case RTM_DELLINK: {
        const link = this.decode(msg, decodeLink);
        if (link === undefined) return undefined;
        return { kind: 'link', op: msg.type === RTM_NEWLINK ? 'new' : 'del', link };
      }
      case RTM_NEWADDR:
      case RTM_DELADDR: {
        const decoded = this.decode(msg, decodeAddressNotification);
        if (decoded === undefined) return undefined;
        const op = msg.type === RTM_NEWADDR ? 'new' : 'del';
        return { kind: 'address', op, address: decoded.address, octets: decoded.octets };
      }
      default:
        return undefined;
    }
  }

  /** A message the package cannot decode is bad input from outside: say so and go on. */
  private decode<T>(msg: NetlinkMessage, fn: (data: Buffer) => T | undefined): T | undefined {
    try {
      return fn(msg.data);
    } catch (err) {
      if (err instanceof TypeError) throw err;
      this.opts.hooks.log('warn', 'undecodable rtnetlink message ignored', {
        type: msg.type,
        err: String(err),
      });
      return undefined;
    }
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const changes = this.pending;
    this.pending = [];
    this.opts.hooks.batch({ changes, receivedAt: this.pendingSince });
  }

  private dump(mode: DumpMode): void {
    // Notifications received before the dump started are older than anything it will show: send them
    // first, so that only notifications that raced with the dump follow its snapshot (or, for a delta,
    // are the ones whose keys it leaves alone).
    this.flush();
    this.dumping = mode;
    this.raced = mode === 'delta' ? new RacedKeys() : undefined;
    const reason = this.firstDump ? 'start' : 'scan';
    this.firstDump = false;
    const startedAt = this.opts.clock.nowMicros();
    this.readAll(mode).then(
      (read) => this.settle(() => this.sendSnapshot(reason, startedAt, read)),
      (err: unknown) => this.fail('rtnetlink dump failed', err),
    );
  }

  /**
   * Runs `then` once the notification socket has been drained after a dump. A notification the kernel
   * queued before the dump's last part may still sit unread there (the native layer reads a bounded
   * burst per turn of the loop, and the dump socket may have been read first): sent after the snapshot
   * in a later batch, it would look newer than the dump when it is older, and the snapshot would
   * "correct" that address with reason reconcile before its notification arrived. So the loop turns
   * until a whole turn, after the dump ended, read less than a full burst: everything queued before
   * then is among the notifications that raced with the dump and follow its snapshot in one batch.
   */
  private settle(then: () => void): void {
    let turns = 0;
    this.received = 0;
    const step = (): void => {
      if (this.closed) return;
      turns++;
      // The first look runs in the turn the dump ended in, which may have read before it ended.
      const drained = turns >= 2 && this.received < NATIVE_READ_BURST;
      this.received = 0;
      if (drained || turns >= MAX_SETTLE_TURNS) then();
      else setImmediate(step);
    };
    setImmediate(step);
  }

  private sendSnapshot(reason: 'start' | 'scan', startedAt: number, read: DumpRead): void {
    if (this.closed) return;
    const mode = this.dumping;
    this.dumping = undefined;
    if (mode === 'delta') {
      // The notifications read so far went out (or go now, first); the delta leaves their keys to them.
      this.flush();
      const delta = read.comparison.finish(this.raced);
      this.raced = undefined;
      this.opts.hooks.batch({
        receivedAt: startedAt,
        changes: [
          {
            kind: 'snapshot',
            reason,
            links: delta.links,
            addresses: delta.addresses,
            gone: { links: delta.goneLinks, addresses: delta.goneAddresses },
          },
        ],
      });
    } else {
      read.comparison.finish();
      const raced = this.pending;
      const receivedAt = raced.length > 0 ? Math.min(startedAt, this.pendingSince) : startedAt;
      this.pending = [];
      this.opts.hooks.batch({
        receivedAt,
        changes: [{ kind: 'snapshot', reason, links: read.links, addresses: read.addresses }, ...raced],
      });
    }
    const next = this.queued;
    this.queued = undefined;
    if (next !== undefined) this.dump(next);
  }

  /**
   * Both dumps, decoded and compared with the previous ones in slices. A 'delta' dump keeps no array of
   * its addresses: the comparison holds them as the next baseline.
   */
  private async readAll(mode: DumpMode): Promise<DumpRead> {
    const linkMsgs = await this.dumpOf(RTM_GETLINK, LINK_DUMP_REQUEST);
    const links = this.decodeAll(linkMsgs, RTM_NEWLINK, decodeLink);
    const addressMsgs = await this.dumpOf(RTM_GETADDR, rt.formatAddress({}));
    const comparison = this.baseline.begin(links);
    const addresses: Address[] = [];
    await inSlices(addressMsgs, (msg) => {
      if (msg.type !== RTM_NEWADDR) return;
      const a = this.decode(msg, decodeAddress);
      if (a === undefined) return;
      comparison.add(a);
      if (mode === 'whole') addresses.push(a);
    });
    return { links, addresses, comparison };
  }

  private decodeAll<T>(
    msgs: readonly NetlinkMessage[],
    replyType: number,
    fn: (data: Buffer) => T | undefined,
  ): T[] {
    const out: T[] = [];
    for (const msg of msgs) {
      if (msg.type !== replyType) continue;
      const item = this.decode(msg, fn);
      if (item !== undefined) out.push(item);
    }
    return out;
  }

  /** The messages of one dump; tried again while the kernel says it was interrupted (NLM_F_DUMP_INTR). */
  private async dumpOf(request: number, payload: Buffer): Promise<NetlinkMessage[]> {
    const socket = this.dumps;
    if (socket === undefined) throw new Error('session not started');
    for (let attempt = 1; ; attempt++) {
      const [msgs] = await socket.request(request, payload, {
        flags: FlagsGet.DUMP,
        timeout: DUMP_TIMEOUT_MS,
      });
      let interrupted = false;
      // In slices too: a pass over 100k messages is ~4 ms.
      await inSlices(msgs, (msg) => {
        if (msg.flags & DUMP_INTR) interrupted = true;
      });
      if (!interrupted) return msgs;
      if (attempt >= MAX_DUMP_ATTEMPTS) {
        // Keep what we have: the notifications that raced with it follow the snapshot, and the next
        // periodic scan repairs whatever the interrupted dump skipped.
        this.opts.hooks.log('warn', 'rtnetlink dump kept changing; using the last inconsistent dump', {
          request,
          attempt,
        });
        return msgs;
      }
    }
  }
}

/** A dump as read: links, addresses (for a whole snapshot) and its comparison with the previous one. */
interface DumpRead {
  readonly links: Link[];
  readonly addresses: Address[];
  readonly comparison: DumpComparison;
}

function decodeLink(data: Buffer): Link | undefined {
  return parseLinkMessage(rt.parseLinkMessage(data));
}

/** The direct decoder: address dumps are the hot path (100k addresses at start and at every scan). */
function decodeAddress(data: Buffer): Address | undefined {
  return decodeAddressPayload(data);
}
