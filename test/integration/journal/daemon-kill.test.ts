// Crash safety of the real daemon (issue 5): `ribjournal serve` SIGKILLed at random moments during heavy
// ingestion from a real namespace, 20 times. After each kill the journal verifies, nothing already on
// disk is lost or rewritten, and after the last restart the RIB equals the kernel's truth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNetns } from '../../helpers/netns.js';
import { tempJournalDir } from '../../helpers/daemon.js';
import { envelopeToJson } from '../../../src/events/index.js';
import { describeDamage, openLevelJournal, verifyJournal } from '../../../src/journal/index.js';
import { startServe } from '../ops/harness.js';

const KILLS = 20;
const IFACES = ['k0', 'k1', 'k2', 'k3'];
/** Address commands per 10 ms: heavy, yet bounded so the journal (and the test's time) stays small. */
const PER_TICK = 40;

/** Every event of the journal as its JSON line (what `journal dump --json` prints). */
async function dumpLines(dir: string): Promise<string[]> {
  const j = await openLevelJournal(dir, { create: false });
  const out: string[] = [];
  try {
    for await (const batch of j.read())
      for (const env of batch) out.push(JSON.stringify(envelopeToJson(env)));
  } finally {
    await j.close();
  }
  return out;
}

test(`the daemon SIGKILLed ${KILLS} times during ingestion loses nothing committed and converges on the kernel`, async (t) => {
  const ns = await createNetns(t);
  for (const i of IFACES) await ns.addVeth(i, `${i}p`);
  for (const i of IFACES) await ns.waitOperUp(i);
  const dir = await tempJournalDir(t);
  const journal = join(dir, 'j');
  const file = join(dir, 'ribjournal.toml');
  await writeFile(
    file,
    `[netlink]\n  scan-interval = 1\n  [netlink.import]\n    enabled = true\n    interface-list = ["k*"]\n`,
  );

  // Heavy ingestion: a long-lived `ip -batch -` adding and removing addresses as fast as it can.
  const ipb = spawn('ip', ['-n', ns.name, '-force', '-batch', '-'], { stdio: ['pipe', 'ignore', 'ignore'] });
  ipb.stdin.on('error', () => undefined); // EPIPE once the namespace is gone
  ns.cleanup(() => ipb.kill('SIGKILL'));
  let n = 0;
  let ingesting = true;
  const pump = (): void => {
    let chunk = '';
    for (let k = 0; k < PER_TICK; k++, n++) {
      const iface = IFACES[n % IFACES.length]!;
      const a = `10.${n % 4}.${(n >> 2) % 250}.1/24`;
      chunk += (n >> 10) % 2 === 0 ? `addr add ${a} dev ${iface}\n` : `addr del ${a} dev ${iface}\n`;
    }
    if (!ingesting) return;
    if (ipb.stdin.write(chunk)) setTimeout(pump, 10);
    else ipb.stdin.once('drain', pump);
  };
  pump();

  let before: string[] = [];
  for (let round = 0; round < KILLS; round++) {
    const serve = startServe(ns, ['-f', file, '--journal', journal, '--api', '127.0.0.1:0'], {
      inside: false,
    });
    await serve.waitLog((l) => l.msg === 'ready', 'ready');
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 400));
    process.kill(serve.pid, 'SIGKILL');
    await serve.exited;

    const report = await verifyJournal(journal);
    assert.ok(report.ok, `round ${round}: verify failed: ${describeDamage(report)}`);
    const after = await dumpLines(journal);
    assert.ok(
      after.length >= before.length,
      `round ${round}: the journal shrank from ${before.length} to ${after.length}`,
    );
    assert.deepEqual(
      after.slice(0, before.length),
      before,
      `round ${round}: events already on disk were rewritten`,
    );
    before = after;
  }
  ingesting = false;
  ipb.stdin.end();
  assert.ok(before.length > 1000, `heavy ingestion journaled ${before.length} events`);
  await new Promise((r) => setTimeout(r, 200)); // let the last commands reach the kernel

  // Quiet now: a last start reconciles; its RIB must be the kernel's connected routes exactly.
  const serve = startServe(ns, ['-f', file, '--journal', journal, '--api', '127.0.0.1:0'], { inside: false });
  await serve.waitLog((l) => l.msg === 'ready', 'ready');
  assert.equal(await serve.stop(), 0);
  const rib = new Set<string>();
  const seen: number[] = [];
  for (const line of await dumpLines(journal)) {
    const e = JSON.parse(line) as { seq: number; type: string; prefix: string; interface: string };
    seen.push(e.seq);
    const key = `${e.prefix} ${e.interface}`;
    if (e.type === 'RouteDiscovered') {
      assert.ok(!rib.has(key), `seq ${e.seq}: ${key} discovered twice without vanishing (a duplicate)`);
      rib.add(key);
    } else if (e.type === 'RouteVanished') {
      assert.ok(rib.delete(key), `seq ${e.seq}: ${key} vanished without being there`);
    }
  }
  assert.deepEqual(
    seen,
    seen.map((_, i) => i + 1),
    'gapless seqs',
  );
  const kernel = new Set<string>();
  const addrs = JSON.parse(await ns.ip('-j', 'addr', 'show')) as {
    ifname: string;
    addr_info: { family: string; local: string; prefixlen: number; scope: string }[];
  }[];
  for (const l of addrs) {
    if (!IFACES.includes(l.ifname)) continue;
    for (const a of l.addr_info) {
      if (a.family !== 'inet') continue;
      kernel.add(`${a.local.replace(/\.\d+$/, '.0')}/${a.prefixlen} ${l.ifname}`);
    }
  }
  assert.deepEqual([...rib].sort(), [...kernel].sort(), 'the RIB after reconcile is the kernel truth');
});
