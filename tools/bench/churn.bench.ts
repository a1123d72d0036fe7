// Issue 10.5: address churn at 1000 operations/s for 60 s on 100 veths (a pool of 10 addresses each,
// so every address is added or removed once a second), scans every second: reconcile corrections
// (target 0), vanish events whose reason is not address-removed, prefixes whose journaled story differs
// from what was done, observer restarts.
// Run: node --import tsx --expose-gc tools/bench/churn.bench.ts   (as root; CHURN_SECONDS, CHURN_RATE)
import { pino } from 'pino';
import { parseConfig } from '../../src/config/index.js';
import type { Envelope } from '../../src/events/index.js';
import { startDaemon } from '../../src/main.js';
import { churn } from '../../test/helpers/churn.js';
import { inChurnLab } from './churn-lab.js';

const DEVICES = 100;
const PER_DEVICE = Number(process.env['CHURN_PER_DEVICE'] ?? '10');
const RATE = Number(process.env['CHURN_RATE'] ?? '1000');
const SECONDS = Number(process.env['CHURN_SECONDS'] ?? '60');

await inChurnLab('churn', DEVICES, async (ns, dir) => {
  const { config } = parseConfig(
    '[netlink]\nscan-interval = 1\n[netlink.import]\nenabled = true\ninterface-list = ["dev*"]\n',
  );
  const seen: Envelope[] = [];
  const daemon = await startDaemon({
    config,
    journalDir: dir,
    log: pino({ level: 'silent' }),
    netns: ns.name,
    onJournalOpen: (j) => j.onCommit((b) => seen.push(...b)),
  });
  const done = await churn(ns, { devices: DEVICES, perDevice: PER_DEVICE, rate: RATE, seconds: SECONDS });
  const settleStart = Date.now();
  while (daemon.rib.size() !== done.present.size && Date.now() - settleStart < 30_000)
    await new Promise((r) => setTimeout(r, 50));
  const finalCorrections = await daemon.reconcile();
  const restarts = daemon.observer.restarts;
  await daemon.stop();

  let reconciled = 0;
  let otherReason = 0;
  const story = new Map<string, string[]>();
  for (const { event: e } of seen) {
    if (e.type !== 'RouteDiscovered' && e.type !== 'RouteVanished') continue;
    if (e.type === 'RouteVanished' && e.reason === 'reconcile') reconciled++;
    else if (e.type === 'RouteVanished' && e.reason !== 'address-removed') otherReason++;
    let l = story.get(e.prefix);
    if (l === undefined) story.set(e.prefix, (l = []));
    l.push(e.type === 'RouteDiscovered' ? '+' : '-');
  }
  let mismatched = 0;
  for (const [prefix, ops] of done.byPrefix) {
    if ((story.get(prefix) ?? []).join('') !== ops.join('')) mismatched++;
  }
  console.log(
    `churn ${done.ops} address operations in ${done.seconds.toFixed(1)} s (${(done.ops / done.seconds).toFixed(0)}/s) on ${DEVICES} veths, scans every 1 s:`,
  );
  console.log(`  reconcile corrections (vanished with reason reconcile): ${reconciled} (target 0)`);
  console.log(`  vanish events with another wrong reason: ${otherReason}`);
  console.log(`  prefixes whose journal differs from what was done: ${mismatched} of ${done.byPrefix.size}`);
  console.log(
    `  corrections by a reconcile after the churn: ${finalCorrections}; observer restarts: ${restarts}`,
  );
  console.log(`  RIB = kernel ${((Date.now() - settleStart) / 1000).toFixed(1)} s after the last operation`);
});
