// Runs the real daemon in-process with its kernel observer inside a test's network namespace, and
// collects what it journals, so tests can wait on events instead of sleeping.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfig } from '../../src/config/index.js';
import type { Envelope, JournalEvent } from '../../src/events/index.js';
import { startDaemon } from '../../src/main.js';
import type { Daemon } from '../../src/main.js';
import type { AfterHook, Netns } from './netns.js';
import { scaled } from './deadline.js';

export interface TestDaemon {
  readonly daemon: Daemon;
  readonly dir: string;
  /** Every envelope committed while this daemon ran, in seq order. */
  readonly seen: Envelope[];
  /** Waits until `pred` holds over the committed envelopes; fails with what was seen after `ms`. */
  until(pred: (seen: readonly Envelope[]) => boolean, what: string, ms?: number): Promise<void>;
  stop(): Promise<void>;
}

/** A fresh journal directory removed when the test ends. */
export async function tempJournalDir(t: AfterHook): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rjt-journal-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function runDaemon(
  t: AfterHook,
  ns: Netns,
  toml: string,
  opts: { dir?: string; logLevel?: string } = {},
): Promise<TestDaemon> {
  const dir = opts.dir ?? (await tempJournalDir(t));
  const { config } = parseConfig(toml);
  const seen: Envelope[] = [];
  const log = pino({ level: opts.logLevel ?? process.env.RIBJOURNAL_TEST_LOG ?? 'silent' });
  // The listener must see the start-up reconcile too: hook the journal before the observer starts.
  const daemon = await startDaemon({
    config,
    journalDir: dir,
    log,
    netns: ns.name,
    onJournalOpen: (j) => j.onCommit((b) => seen.push(...b)),
  });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await daemon.stop();
  };
  ns.cleanup(stop);
  return {
    daemon,
    dir,
    seen,
    stop,
    async until(pred, what, ms = 10_000) {
      const deadline = Date.now() + scaled(ms);
      for (;;) {
        if (pred(seen)) return;
        if (Date.now() > deadline) {
          throw new Error(
            `timed out waiting for ${what}; journaled:\n${seen.map((e) => brief(e.event)).join('\n')}`,
          );
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

/** "+ vrf prefix dev" / "- vrf prefix dev reason" / "config N": compact lines for assertions. */
export function brief(e: JournalEvent): string {
  switch (e.type) {
    case 'RouteDiscovered':
      return `+ ${e.vrf || 'global'} ${e.prefix} ${e.interface}`;
    case 'RouteVanished':
      return `- ${e.vrf || 'global'} ${e.prefix} ${e.interface} ${e.reason}`;
    case 'ConfigApplied':
      return `config ${e.configVersion}`;
    case 'DaemonStarted':
      return `started ${e.previousStopClean === false ? 'after an unclean stop' : ''}`.trim();
    case 'DaemonStopped':
      return `stopped ${e.reason}`;
  }
}

export function briefs(seen: readonly Envelope[]): string[] {
  return seen.map((e) => brief(e.event));
}

export function has(line: string): (seen: readonly Envelope[]) => boolean {
  return (seen) => seen.some((e) => brief(e.event) === line);
}
