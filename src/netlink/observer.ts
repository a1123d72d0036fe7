// The kernel observer as the daemon sees it: a supervisor of the child process that owns the rtnetlink
// sockets (observer-child.ts). A crash of the child (native abort on receive buffer overflow, socket
// error, bug) never reaches the daemon: the child is restarted with a backoff and resynchronises.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { RibjournalError } from '../shared/index.js';
import {
  EXIT_BAD_ARGS,
  EXIT_SOCKET_ERROR,
  fromWire,
  isChildMessage,
  type ChildMessage,
  type ParentMessage,
} from './protocol.js';
import type { KernelChange, KernelObserver, ObserverBatch, ObserverOptions } from './types.js';

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;
/** A child that ran this long was healthy: the next restart starts again from the shortest backoff. */
const STABLE_MS = 10_000;
/** Consecutive deaths before any snapshot after which start() gives up (no such netns, no privilege). */
const MAX_START_ATTEMPTS = 5;
const STOP_GRACE_MS = 2000;
/** A child silent for this many scan intervals is hung (or stopped): kill it, the restart resyncs. */
const WATCHDOG_INTERVALS = 4;
const WATCHDOG_MIN_MS = 20_000;
/** V8's young generation of the child: 2 MB semi-spaces instead of up to 16 MB. */
const CHILD_SEMI_SPACE = '--max-semi-space-size=2';

/** Creates the observer; nothing runs until start(). */
export function createKernelObserver(opts: ObserverOptions): KernelObserver {
  if (!Number.isInteger(opts.scanIntervalMs) || opts.scanIntervalMs < 0) {
    throw new RibjournalError(
      'BAD_ARGUMENT',
      `netlink scan interval must be a whole number of ms >= 0, got ${opts.scanIntervalMs}`,
    );
  }
  return new SupervisedObserver(opts);
}

/** The command that runs the child: node with our own loader flags (tsx under tests), maybe in a netns. */
export function childCommand(opts: Pick<ObserverOptions, 'netns' | 'scanIntervalMs'>): {
  command: string;
  args: string[];
} {
  const here = fileURLToPath(import.meta.url);
  // observer.ts under tsx, observer.js from dist: the child is the sibling with the same extension.
  const script = join(dirname(here), `observer-child${extname(here)}`);
  // Inherit loaders (--import tsx) and memory flags only: not a debugger port nor test-runner flags,
  // some of which take their value as the next argument (`--test-name-pattern X`).
  const execArgv = inheritedExecArgv(process.execArgv);
  // A small young generation: the child's garbage is dumps and messages, short-lived and promoted
  // into the old space anyway under a flood (issue 10.6); after the inherited flags, so it wins.
  const nodeArgs = [...execArgv, CHILD_SEMI_SPACE, script, `--scan-interval-ms=${opts.scanIntervalMs}`];
  if (opts.netns !== undefined) {
    // `ip netns exec` execs node in place: same pid, and the IPC fd (no close-on-exec) survives.
    return { command: 'ip', args: ['netns', 'exec', opts.netns, process.execPath, ...nodeArgs] };
  }
  return { command: process.execPath, args: nodeArgs };
}

type State = 'new' | 'running' | 'stopped';

class SupervisedObserver implements KernelObserver {
  private readonly opts: ObserverOptions;
  private readonly log: Logger;
  private readonly listeners = new Set<(batch: ObserverBatch) => void>();
  private state: State = 'new';
  private child: ChildProcess | undefined;
  private childPid: number | undefined;
  private childStartedAt = 0;
  private lastHeardAt = 0;
  private restartCount = 0;
  private backoffMs = MIN_BACKOFF_MS;
  private restartTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  /** Whether any snapshot reached the listeners: later first snapshots of a child are resyncs. */
  private delivered = false;
  private failuresBeforeFirstSnapshot = 0;
  private startWaiter: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private stopping: Promise<void> | undefined;

  constructor(opts: ObserverOptions) {
    this.opts = opts;
    this.log = opts.log;
  }

  get restarts(): number {
    return this.restartCount;
  }

  get pid(): number | undefined {
    return this.childPid;
  }

  start(): Promise<void> {
    if (this.state !== 'new') {
      return Promise.reject(new RibjournalError('NETLINK_FAILED', 'the kernel observer was already started'));
    }
    this.state = 'running';
    const started = new Promise<void>((resolve, reject) => {
      this.startWaiter = { resolve, reject };
    });
    this.spawnChild();
    const watchdogMs = Math.max(WATCHDOG_MIN_MS, WATCHDOG_INTERVALS * this.opts.scanIntervalMs);
    if (this.opts.scanIntervalMs > 0) {
      this.watchdog = setInterval(() => this.checkAlive(watchdogMs), Math.min(watchdogMs, 5000));
      this.watchdog.unref();
    }
    return started;
  }

  onBatch(listener: (batch: ObserverBatch) => void): () => void {
    // Wrapped so that the same function registered twice is two registrations, removed one at a time.
    const entry = (batch: ObserverBatch): void => listener(batch);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  requestScan(): void {
    this.sendToChild({ t: 'scan' });
  }

  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.state = 'stopped';
    clearTimeout(this.restartTimer);
    clearInterval(this.watchdog);
    this.startWaiter?.reject(
      new RibjournalError('NETLINK_FAILED', 'the kernel observer was stopped before its first snapshot'),
    );
    this.startWaiter = undefined;
    const child = this.child;
    if (child === undefined) return;
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.kill('SIGTERM');
    if (!(await within(closed, STOP_GRACE_MS))) {
      this.log.warn({ childPid: child.pid }, 'observer child ignored SIGTERM; killing it');
      child.kill('SIGKILL');
      await within(closed, STOP_GRACE_MS);
    }
    this.child = undefined;
    this.childPid = undefined;
  }

  private spawnChild(): void {
    const { command, args } = childCommand(this.opts);
    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'advanced',
      });
    } catch (err) {
      this.log.error({ err, command }, 'cannot spawn the observer child');
      this.childGone(undefined, null, null);
      return;
    }
    this.child = child;
    // With `ip netns exec` the pid is node's own after exec; 'hello' confirms it.
    this.childPid = child.pid;
    this.childStartedAt = Date.now();
    this.lastHeardAt = this.childStartedAt;
    child.on('message', (msg: unknown) => this.onChildMessage(child, msg));
    child.on('error', (err) => {
      // Spawn failures leave no pid and may never emit 'close'; other errors (a failed send or kill)
      // do not mean the child is gone.
      this.log.warn({ err }, 'observer child error');
      if (child.pid === undefined) this.childGone(child, null, null);
    });
    // 'close' (not 'exit') comes after the IPC channel is drained: no message of this child is lost.
    child.on('close', (code, signal) => this.childGone(child, code, signal));
  }

  private childGone(
    child: ChildProcess | undefined,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): void {
    if (child !== undefined && child !== this.child) return;
    const childPid = this.childPid;
    this.child = undefined;
    this.childPid = undefined;
    if (this.state !== 'running') return;
    const uptimeMs = Date.now() - this.childStartedAt;
    if (!this.delivered) {
      this.failuresBeforeFirstSnapshot++;
      if (this.failuresBeforeFirstSnapshot >= MAX_START_ATTEMPTS) {
        const err = new RibjournalError(
          'NETLINK_FAILED',
          `the kernel observer died ${this.failuresBeforeFirstSnapshot} times before its first snapshot`,
          {
            details: { code, signal, netns: this.opts.netns },
          },
        );
        this.log.error({ code, signal, netns: this.opts.netns }, err.message);
        this.startWaiter?.reject(err);
        this.startWaiter = undefined;
        void this.stop();
        return;
      }
    }
    if (uptimeMs >= STABLE_MS) this.backoffMs = MIN_BACKOFF_MS;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    this.restartCount++;
    this.log.warn(
      {
        code,
        signal,
        why: whyDied(code, signal),
        childPid,
        uptimeMs,
        delayMs: delay,
        restarts: this.restartCount,
      },
      'observer child died; restarting it',
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.state === 'running') this.spawnChild();
    }, delay);
  }

  private onChildMessage(child: ChildProcess, msg: unknown): void {
    if (child !== this.child || this.state !== 'running') return;
    this.lastHeardAt = Date.now();
    if (!isChildMessage(msg)) {
      this.log.warn({ msg }, 'unexpected message from the observer child ignored');
      return;
    }
    switch (msg.t) {
      case 'hello':
        this.childPid = msg.pid;
        this.log.debug({ childPid: msg.pid, recvBufferSize: msg.recvBufferSize }, 'observer child running');
        return;
      case 'log':
        this.log[msg.level](msg.data ?? {}, msg.msg);
        return;
      case 'batch':
        this.onChildBatch(child, msg);
        return;
    }
  }

  private onChildBatch(child: ChildProcess, msg: Extract<ChildMessage, { t: 'batch' }>): void {
    let changes: KernelChange[];
    try {
      changes = fromWire(msg.changes);
    } catch (err) {
      // Our own child sent garbage: a bug there. A fresh child resyncs; never pass on a partial picture.
      this.log.error({ err }, 'malformed batch from the observer child; restarting it');
      child.kill('SIGKILL');
      return;
    }
    const hasSnapshot = changes.some((c) => c.kind === 'snapshot');
    if (hasSnapshot && this.delivered) {
      // The child calls its first dump 'start'; after a restart, that is a resync for the listeners.
      changes = changes.map((c): KernelChange =>
        c.kind === 'snapshot' && c.reason === 'start' ? { ...c, reason: 'resync' } : c,
      );
    }
    const batch: ObserverBatch = { changes, receivedAt: msg.receivedAt };
    if (hasSnapshot) {
      this.delivered = true;
      this.failuresBeforeFirstSnapshot = 0;
    }
    this.deliver(batch);
    if (hasSnapshot && this.startWaiter !== undefined) {
      this.startWaiter.resolve();
      this.startWaiter = undefined;
    }
  }

  private deliver(batch: ObserverBatch): void {
    let failure: Error | undefined;
    for (const listener of [...this.listeners]) {
      try {
        listener(batch);
      } catch (err) {
        // One listener's bug must not starve the others nor break supervision; it is raised again
        // below, outside the IPC callback, so it is not swallowed.
        this.log.error({ err }, 'kernel observer listener threw');
        failure ??= err instanceof Error ? err : new Error(`kernel observer listener threw ${String(err)}`);
      }
    }
    if (failure !== undefined) {
      process.nextTick(() => {
        throw failure;
      });
    }
  }

  private sendToChild(msg: ParentMessage): void {
    const child = this.child;
    if (child === undefined || !child.connected) return; // a child being restarted resyncs anyway
    child.send(msg, (err) => {
      if (err !== null && err !== undefined) this.log.warn({ err }, 'cannot reach the observer child');
    });
  }

  private checkAlive(limitMs: number): void {
    const child = this.child;
    if (child === undefined || this.state !== 'running') return;
    const silentMs = Date.now() - this.lastHeardAt;
    if (silentMs > limitMs) {
      this.log.warn({ childPid: this.childPid, silentMs }, 'observer child is silent; killing it');
      child.kill('SIGKILL');
    }
  }
}

function whyDied(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal === 'SIGABRT') return 'aborted (likely rtnetlink receive buffer overflow, ENOBUFS)';
  if (signal !== null) return `killed by ${signal}`;
  if (code === EXIT_SOCKET_ERROR) return 'rtnetlink socket error or failed dump';
  if (code === EXIT_BAD_ARGS) return 'bad arguments';
  return `exited with code ${code}`;
}

async function within(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const WITH_VALUE = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);
const KEPT =
  /^(--import=|--require=|--loader=|--experimental-|--max-old-space-size|--max-semi-space-size|--expose-gc|--enable-source-maps|--no-warnings|--stack-size)/;

/** The node options an observer child needs from its parent's: loaders and memory settings. */
export function inheritedExecArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (WITH_VALUE.has(a) && i + 1 < argv.length) out.push(a, argv[++i]!);
    else if (KEPT.test(a)) out.push(a);
  }
  return out;
}
