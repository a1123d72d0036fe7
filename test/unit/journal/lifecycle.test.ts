import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MemoryJournal,
  buildVersion,
  journalStarted,
  journalStopped,
  previousStopClean,
} from '../../../src/journal/index.js';
import { decodeBlock, encodeBlock, envelopeToJson, envelopeToLine } from '../../../src/events/index.js';
import type { Envelope } from '../../../src/events/index.js';

const run = { buildVersion: '1.2.3', configVersion: 4 };

test('a clean stop is journaled and the next start says so; a start without a stop is unclean', async () => {
  const j = new MemoryJournal();
  const first = await journalStarted(j, run);
  assert.equal(first.event.previousStopClean, null, 'the first start knows no previous run');
  await journalStopped(j, { buildVersion: '1.2.3', reason: 'SIGTERM' });
  const second = await journalStarted(j, run);
  assert.equal(second.event.previousStopClean, true);
  // Killed: nothing journaled the stop.
  const third = await journalStarted(j, run);
  assert.equal(third.event.previousStopClean, false);
  // The marker lost (a copied journal): the journal's tail decides.
  await j.deleteMeta('lifecycle');
  assert.equal(await previousStopClean(j), false);
  await journalStopped(j, { buildVersion: '1.2.3', reason: 'SIGINT' });
  await j.deleteMeta('lifecycle');
  assert.equal(await previousStopClean(j), true);
  await j.close();
});

test('a start journaled just before a crash, or a stop journaled just before one, is read right', async () => {
  const j = new MemoryJournal();
  await journalStarted(j, run);
  // A stop journaled, then the process died before the marker said "stopped".
  await j.append([{ type: 'DaemonStopped', buildVersion: '1', reason: 'SIGTERM' }]);
  assert.equal(await previousStopClean(j), true);
  await j.close();
});

test('lifecycle events round-trip through the codec and print as JSON and lines', () => {
  const envs: Envelope[] = [
    {
      seq: 1,
      time: 1_700_000_000_000_000,
      version: 1,
      event: { type: 'DaemonStarted', ...run, previousStopClean: false },
    },
    {
      seq: 2,
      time: 1_700_000_000_000_001,
      version: 1,
      event: { type: 'DaemonStopped', buildVersion: '1.2.3', reason: 'SIGTERM' },
    },
  ];
  assert.deepEqual(decodeBlock(encodeBlock(envs)), envs);
  assert.deepEqual(envelopeToJson(envs[0]!), {
    seq: 1,
    time: '2023-11-14T22:13:20.000000Z',
    type: 'DaemonStarted',
    buildVersion: '1.2.3',
    configVersion: 4,
    previousStopClean: false,
  });
  assert.match(
    envelopeToLine(envs[0]!),
    /DaemonStarted build=1\.2\.3 config-version=4 previous-stop=UNCLEAN/,
  );
  assert.match(envelopeToLine(envs[1]!), /DaemonStopped build=1\.2\.3 reason SIGTERM/);
  assert.match(buildVersion(), /^\d+\.\d+\.\d+/);
});
