// The projection runner in the running daemon: a damaged persisted RIB checkpoint is ignored (start-up
// replays the journal, no hang), and a projection that throws drops readiness, is logged once with its
// name and seq, and is rebuilt while the daemon carries on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { parseConfig } from '../../../src/config/index.js';
import { openLevelJournal } from '../../../src/journal/index.js';
import { startDaemon } from '../../../src/main.js';
import type { Daemon } from '../../../src/main.js';
import {
  RIB_CHECKPOINT_KEY,
  loadRibCheckpoint,
  readStoredCheckpoint,
} from '../../../src/projections/index.js';
import type { Projection } from '../../../src/projections/index.js';
import { createNetns } from '../../helpers/netns.js';
import type { Netns } from '../../helpers/netns.js';
import { tempJournalDir } from '../../helpers/daemon.js';
import { scaled, waitFor } from '../../helpers/deadline.js';

const CONFIG = parseConfig(`
[netlink.import]
  enabled = true
  interface-list = ["kubelb0"]
`).config;

type Line = Record<string, unknown>;

async function start(t: { after(fn: () => unknown): unknown }, ns: Netns, dir: string) {
  const lines: Line[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Line) });
  const daemon = await Promise.race([
    startDaemon({ config: CONFIG, journalDir: dir, log, netns: ns.name }),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('start-up hung')), scaled(15_000)).unref(),
    ),
  ]);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (!stopped) await daemon.stop();
    stopped = true;
  };
  t.after(stop);
  return { daemon, lines, stop };
}

const prefixes = (d: Daemon): string[] => [...d.rib.allPaths()].map((p) => p.prefix).sort();

test('a damaged, truncated or stale persisted RIB checkpoint is ignored: the RIB is rebuilt from the journal, no hang', async (t) => {
  const ns = await createNetns(t);
  await ns.addVeth('kubelb0', 'kubelb0-p');
  await ns.waitOperUp('kubelb0');
  await ns.batch(Array.from({ length: 20 }, (_, i) => `addr add 192.0.2.${i + 1}/32 dev kubelb0`));
  const dir = await tempJournalDir(t);
  const first = await start(t, ns, dir);
  const expected = prefixes(first.daemon);
  assert.equal(expected.length, 20);
  await first.stop();

  let good: Buffer | undefined;
  const damage: [string, (b: Buffer) => Buffer][] = [
    ['one byte short', (b) => b.subarray(0, b.length - 1)],
    ['truncated', (b) => b.subarray(0, Math.floor(b.length / 2))],
    ['damaged', (b) => Buffer.from(b).fill(0x20, b.length - 6, b.length - 2)],
    [
      // The header is plain JSON, the VRFs' texts compressed: latin1 keeps every byte.
      'stale (from another journal)',
      (b) => Buffer.from(b.toString('latin1').replace(/"time":(\d+)/, '"time":1'), 'latin1'),
    ],
  ];
  for (const [what, spoil] of damage) {
    const j = await openLevelJournal(dir);
    good ??= await readStoredCheckpoint(j, RIB_CHECKPOINT_KEY);
    assert.ok(good, 'a checkpoint was written at stop');
    await j.putMeta(RIB_CHECKPOINT_KEY, spoil(good));
    await j.close();
    const d = await start(t, ns, dir);
    assert.deepEqual(prefixes(d.daemon), expected, `${what}: the same RIB`);
    assert.equal(d.daemon.ready || (await waitFor(() => d.daemon.ready, 'ready')), true);
    await d.stop();
    const after = await openLevelJournal(dir);
    // The stop wrote a sound checkpoint again (of a later seq: each start and stop is journaled).
    const rewritten = await loadRibCheckpoint(after);
    assert.ok(rewritten, `${what}: a checkpoint written again`);
    assert.ok(rewritten.seq > 0 && rewritten.seq === after.head(), `${what}: at the head`);
    assert.deepEqual(
      [...rewritten.allPaths()].map((p) => p.prefix).sort(),
      expected,
      `${what}: a sound checkpoint written again`,
    );
    await after.close();
  }
});

test('a projection that throws drops readiness with the reason, is logged once with its name and seq, and is rebuilt', async (t) => {
  const ns = await createNetns(t);
  await ns.addVeth('kubelb0', 'kubelb0-p');
  await ns.waitOperUp('kubelb0');
  await ns.addAddress('kubelb0', '192.0.2.1/32');
  const d = await start(t, ns, await tempJournalDir(t));
  await waitFor(() => d.daemon.ready, 'ready with the API indexes caught up');

  // A bug in the history index: its evolve throws on the next event.
  const broken = d.daemon.indexes.history as Projection;
  const apply = broken.apply.bind(broken);
  let thrown = 0;
  let atFailure: { ok: boolean; reasons: readonly string[]; ready: boolean } | undefined;
  broken.apply = (env) => {
    if (thrown++ === 0) {
      // Readiness as the runner leaves it right after the throw (before the rebuild can run).
      queueMicrotask(() => (atFailure = { ...d.daemon.health(), ready: d.daemon.ready }));
      throw new TypeError('history evolve bug');
    }
    apply(env);
  };
  await ns.addAddress('kubelb0', '192.0.2.2/32');
  await waitFor(
    () => d.lines.some((l) => l.projection === 'history' && l.level === 50),
    'the failure logged',
  );
  const failed = d.lines.filter((l) => l.projection === 'history' && l.level === 50);
  assert.equal(failed.length, 1);
  assert.equal(typeof failed[0]!.seq, 'number');
  assert.match(JSON.stringify(failed[0]!.err), /history evolve bug/);
  assert.equal(atFailure?.ready, false, 'readiness dropped');
  assert.match(atFailure.reasons.join(), /history: failed at seq \d+, rebuilding/);
  await waitFor(() => d.daemon.ready, 'ready again once the history index is rebuilt');
  // The API indexes rebuild in place from the journal (their derived data cleared first).
  assert.equal(d.daemon.indexes.history.seq, d.daemon.journal.head());
  assert.ok(d.lines.some((l) => l.msg === 'projection rebuilt' && l.projection === 'history'));
  await ns.addAddress('kubelb0', '192.0.2.3/32');
  await waitFor(() => d.daemon.rib.size() === 3, 'the daemon carries on');

  // The timeline runs in the same runner under the same policy.
  const timeline = d.daemon.indexes.timeline as Projection;
  const step = timeline.apply.bind(timeline);
  let timelineCalls = 0;
  timeline.apply = (env) => {
    if (timelineCalls++ === 0) throw new TypeError('timeline evolve bug');
    step(env);
  };
  await ns.addAddress('kubelb0', '192.0.2.4/32');
  await waitFor(
    () => d.lines.some((l) => l.projection === 'timeline' && l.level === 50),
    'the timeline failure logged',
  );
  assert.equal(d.lines.filter((l) => l.projection === 'timeline' && l.level === 50).length, 1);
  await waitFor(() => d.daemon.ready, 'ready again once the timeline is rebuilt');
  assert.equal(d.daemon.indexes.timeline.seq, d.daemon.journal.head());
  const now = await d.daemon.indexes.timeline.ribAt(d.daemon.journal.head());
  assert.equal(now.size(), 4, 'time travel to the head answers with every route');
});
