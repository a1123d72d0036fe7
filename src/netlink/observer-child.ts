// Entry point of the observer's child process (spawned by observer.ts with an IPC channel, possibly
// through `ip netns exec`). It owns the rtnetlink sockets so that the package's native abort on receive
// buffer overflow takes down only this process; the parent restarts it and it resynchronises.
import { exitWhenTrimIdle, tuneProcessMemory, type Clock } from '../shared/index.js';
import {
  EXIT_BAD_ARGS,
  EXIT_SOCKET_ERROR,
  isParentMessage,
  toWire,
  type ChildMessage,
  type LogLevel,
} from './protocol.js';
import { Outbox } from './outbox.js';
import { RtnlSession } from './rtnl-session.js';

/**
 * Epoch µs from performance.timeOrigin (taken with µs resolution at process start) rather than the
 * shared systemClock, whose origin is Date.now()'s whole milliseconds: receivedAt is compared with the
 * parent's clock, and a per-process error of up to 1 ms would dwarf the latency being measured.
 */
const preciseClock: Clock = {
  nowMicros: () => Math.round((performance.timeOrigin + performance.now()) * 1000),
};

function send(msg: ChildMessage, done?: () => void): void {
  if (process.send === undefined || !process.connected) {
    done?.();
    return;
  }
  process.send(msg, undefined, undefined, () => done?.());
}

function log(level: LogLevel, msg: string, data?: Record<string, unknown>): void {
  send(data === undefined ? { t: 'log', level, msg } : { t: 'log', level, msg, data });
}

function describe(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { err: { type: err.name, message: err.message, code, stack: err.stack } };
  }
  return { err: String(err) };
}

function parseScanInterval(argv: readonly string[]): number | undefined {
  for (const arg of argv) {
    const m = /^--scan-interval-ms=(\d+)$/.exec(arg);
    if (m !== null) return Number(m[1]);
  }
  return undefined;
}

function main(): void {
  const scanIntervalMs = parseScanInterval(process.argv.slice(2));
  if (process.send === undefined || scanIntervalMs === undefined) {
    process.stderr.write(
      'observer-child: must be spawned by the kernel observer (IPC channel, --scan-interval-ms=N)\n',
    );
    process.exit(EXIT_BAD_ARGS);
  }
  // Its live heap is small (one dump, the outbox): a flood's garbage is collected and returned early.
  tuneProcessMemory();
  // The parent is gone (or stopped us): nothing left to report to.
  process.on('disconnect', () => exitWhenTrimIdle(0));

  let exiting = false;
  const fatal = (msg: string, err: unknown): void => {
    if (exiting) return;
    exiting = true;
    // Exit only once the parent has the reason; a timer covers a parent that no longer reads.
    const timer = setTimeout(() => exitWhenTrimIdle(EXIT_SOCKET_ERROR), 1000);
    send({ t: 'log', level: 'error', msg, data: describe(err) }, () => {
      clearTimeout(timer);
      exitWhenTrimIdle(EXIT_SOCKET_ERROR);
    });
  };
  // Batches wait in the outbox while the parent has not read the previous one (backpressure, bounded).
  const outbox: Outbox = new Outbox({
    send: (batch, written) =>
      send({ t: 'batch', receivedAt: batch.receivedAt, changes: toWire(batch.changes) }, written),
    resync: () => session.scan(),
    warn: (msg, data) => log('warn', msg, data),
  });
  const session: RtnlSession = new RtnlSession({
    scanIntervalMs,
    clock: preciseClock,
    hooks: {
      batch: (batch) => outbox.offer(batch),
      backlogged: () => outbox.backlogged,
      log,
      fatal,
    },
  });
  process.on('message', (msg) => {
    if (isParentMessage(msg)) session.scan();
  });
  try {
    const { recvBufferSize } = session.start();
    send({ t: 'hello', pid: process.pid, recvBufferSize });
  } catch (err) {
    // socket(), bind() or setsockopt() refused (no CAP_NET_ADMIN? no such namespace?): nothing to watch.
    session.close();
    fatal('cannot open rtnetlink sockets', err);
  }
}

main();
