// Issue 10.4: "ready" (and so the BGP speaker's End-of-RIB) only after the complete initial table is
// committed, whatever the kernel does meanwhile: here an unrelated link flaps through the whole start-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns } from '../../helpers/netns.js';
import type { Netns } from '../../helpers/netns.js';
import { runDaemon } from '../../helpers/daemon.js';

const CONFIG = `
[netlink.import]
  enabled = true
  interface-list = ["kubelb0"]
`;

/** Flaps `dev` down and up as fast as `ip -batch` goes until the returned stop() is called. */
async function flap(ns: Netns, dev: string): Promise<() => Promise<void>> {
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

test('start-up with an unrelated link flapping: the paths in the RIB at "ready" are the kernel\'s', async (t) => {
  const ns = await createNetns(t);
  await ns.addVeth('kubelb0', 'kubelb0-p');
  await ns.addVeth('flap0', 'flap0-p');
  await ns.waitOperUp('kubelb0');
  const addresses = Array.from({ length: 60 }, (_, i) => `addr add 192.0.2.${i + 1}/32 dev kubelb0`);
  await ns.batch(addresses);
  for (let round = 0; round < 3; round++) {
    const stop = await flap(ns, 'flap0');
    t.after(stop);
    const d = await runDaemon(t, ns, CONFIG);
    // startDaemon resolves right after it logs "ready": this is the RIB "ready" reported.
    const atReady = d.daemon.rib.size();
    await stop();
    assert.equal(atReady, 60, `round ${round}: paths at ready = addresses in the kernel`);
    assert.equal(d.daemon.ready, true);
    await d.stop();
  }
});
