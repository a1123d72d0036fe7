// A link flapping down and up as fast as `ip -batch` goes, in a test's namespace, until stopped: the
// kernel churn of issue 10.4 (an unrelated link toggling during the daemon's start-up dump).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Netns } from './netns.js';

/** Starts flapping `dev`; the returned stop() ends the loop (idempotent, safe to register as cleanup). */
export async function flapLink(ns: Netns, dev: string): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'rjt-flap-'));
  const stopFile = join(dir, 'stop');
  const lines = Array.from({ length: 100 }, () => `link set ${dev} down\nlink set ${dev} up\n`).join('');
  await writeFile(join(dir, 'batch'), lines);
  const running = ns.exec(`while [ ! -e ${stopFile} ]; do ip -batch ${join(dir, 'batch')}; done`, {
    timeoutMs: 120_000,
  });
  let stopped: Promise<void> | undefined;
  return () =>
    (stopped ??= (async () => {
      await writeFile(stopFile, '');
      await running.catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    })());
}
