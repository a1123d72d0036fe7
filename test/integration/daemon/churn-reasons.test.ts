// Issue 10.5: under steady address churn (1000 operations/s, scans every second, no overflow) the
// journal tells what was done: each added address a RouteDiscovered, each removed one a RouteVanished
// with reason address-removed, in order, and no periodic scan ever "corrects" anything.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Envelope } from '../../../src/events/index.js';
import { isRouteEvent } from '../../../src/events/index.js';
import { churn, churnDevice, makeChurnLinks } from '../../helpers/churn.js';
import { runDaemon } from '../../helpers/daemon.js';
import { scaled, waitFor } from '../../helpers/deadline.js';
import { createNetns } from '../../helpers/netns.js';

const DEVICES = 20;
const PER_DEVICE = 50;
const RATE = 1000;
const SECONDS = Number(process.env['RIBJOURNAL_CHURN_SECONDS'] ?? '10');

const CONFIG = `
[netlink]
  scan-interval = 1
  [netlink.import]
    enabled = true
    interface-list = ["dev*"]
`;

/** What the journal says happened to each prefix, in order. */
function storyOf(seen: readonly Envelope[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { event: e } of seen) {
    if (!isRouteEvent(e)) continue;
    let list = out.get(e.prefix);
    if (list === undefined) out.set(e.prefix, (list = []));
    list.push(e.type === 'RouteDiscovered' ? `+ ${e.interface}` : `- ${e.interface} ${e.reason}`);
  }
  return out;
}

test(`churn at ${RATE} address operations/s for ${SECONDS} s: every event says what was done, no scan corrects anything`, async (t) => {
  const ns = await createNetns(t);
  await makeChurnLinks(ns, DEVICES);
  for (let i = 0; i < DEVICES; i++) await ns.waitOperUp(churnDevice(i));
  const d = await runDaemon(t, ns, CONFIG);

  const done = await churn(ns, { devices: DEVICES, perDevice: PER_DEVICE, rate: RATE, seconds: SECONDS });
  assert.ok(
    done.seconds * 1000 < scaled(SECONDS * 1500),
    `the churn kept its rate (${done.ops} operations took ${done.seconds.toFixed(1)} s)`,
  );
  await waitFor(
    () => d.daemon.rib.size() === done.present.size,
    `the RIB to hold the ${done.present.size} addresses left`,
    10_000,
  );
  // One more full scan after the churn: nothing to correct.
  assert.equal(await d.daemon.reconcile(), 0, 'a reconcile after the churn corrects nothing');
  assert.equal(d.daemon.observer.restarts, 0, 'no overflow, no observer restart');

  const story = storyOf(d.seen);
  const reconciled = d.seen.filter((e) => e.event.type === 'RouteVanished' && e.event.reason === 'reconcile');
  assert.equal(reconciled.length, 0, `no reconcile corrections (got ${reconciled.length})`);
  let mismatches = 0;
  const examples: string[] = [];
  for (const [prefix, ops] of done.byPrefix) {
    const dev = done.deviceOf.get(prefix)!;
    const want = ops.map((op) => (op === '+' ? `+ ${dev}` : `- ${dev} address-removed`));
    const got = story.get(prefix) ?? [];
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      mismatches++;
      if (examples.length < 5) examples.push(`${prefix}: did ${want.join(', ')}; journal ${got.join(', ')}`);
    }
  }
  assert.equal(mismatches, 0, `every prefix's journal matches what was done:\n${examples.join('\n')}`);
});
