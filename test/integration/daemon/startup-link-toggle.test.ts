// Issue 10.4: "ready" (and so the BGP speaker's End-of-RIB) only after the complete initial table is
// committed, whatever the kernel does meanwhile: here an unrelated link flaps through the whole start-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNetns } from '../../helpers/netns.js';
import { flapLink } from '../../helpers/flap.js';
import { runDaemon } from '../../helpers/daemon.js';

const CONFIG = `
[netlink.import]
  enabled = true
  interface-list = ["kubelb0"]
`;

test('start-up with an unrelated link flapping: the paths in the RIB at "ready" are the kernel\'s', async (t) => {
  const ns = await createNetns(t);
  await ns.addVeth('kubelb0', 'kubelb0-p');
  await ns.addVeth('flap0', 'flap0-p');
  await ns.waitOperUp('kubelb0');
  const addresses = Array.from({ length: 60 }, (_, i) => `addr add 192.0.2.${i + 1}/32 dev kubelb0`);
  await ns.batch(addresses);
  for (let round = 0; round < 3; round++) {
    const stop = await flapLink(ns, 'flap0');
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
