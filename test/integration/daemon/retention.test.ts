// Retention in the running daemon (issue 9.5): after a trim of its journal, the daemon starts from the
// RIB at the horizon, holds the same routes, and gets ready (its projections start from the horizon).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { parseConfig } from '../../../src/config/index.js';
import { openLevelJournal } from '../../../src/journal/index.js';
import { trimJournal } from '../../../src/journal/retention.js';
import { startDaemon } from '../../../src/main.js';
import type { Daemon } from '../../../src/main.js';
import { checkpointForHorizon } from '../../../src/projections/index.js';
import { createNetns } from '../../helpers/netns.js';
import { tempJournalDir } from '../../helpers/daemon.js';
import { waitFor } from '../../helpers/deadline.js';

const CONFIG = parseConfig(`
[netlink.import]
  enabled = true
  interface-list = ["kubelb0"]
`).config;

const prefixes = (d: Daemon): string[] => [...d.rib.allPaths()].map((p) => p.prefix).sort();

test('after a trim the daemon starts from the horizon with the same routes and gets ready', async (t) => {
  const ns = await createNetns(t);
  await ns.addVeth('kubelb0', 'kubelb0-p');
  await ns.waitOperUp('kubelb0');
  for (let i = 1; i <= 10; i++) await ns.batch([`addr add 192.0.2.${i}/32 dev kubelb0`]);
  const dir = await tempJournalDir(t);
  const log = pino({ level: 'silent' });
  const first = await startDaemon({ config: CONFIG, journalDir: dir, log, netns: ns.name });
  await waitFor(() => prefixes(first).length === 10, 'ten routes');
  for (let i = 1; i <= 3; i++) await ns.batch([`addr del 192.0.2.${i}/32 dev kubelb0`]);
  await waitFor(() => prefixes(first).length === 7, 'seven routes');
  const expected = prefixes(first);
  await first.stop();

  const journal = await openLevelJournal(dir);
  const head = journal.head();
  const r = await trimJournal(journal, head - 3, { checkpoint: (seq) => checkpointForHorizon(journal, seq) });
  assert.ok(r && r.horizon.seq > 0, 'something was removed');
  await journal.close();

  const again = await startDaemon({ config: CONFIG, journalDir: dir, log, netns: ns.name });
  t.after(() => again.stop());
  assert.deepEqual(prefixes(again), expected);
  await waitFor(() => again.ready, 'ready after the trim');
});
