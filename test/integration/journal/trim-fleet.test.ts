// `ribjournal journal trim` on a node that publishes to a fleet: the events after the publisher's stored
// cursor (not yet in the stream) stay unless --past-fleet-cursor, as with the daemon's retention.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { FLEET_CURSOR_KEY } from '../../../src/fleet/publisher.js';
import { openLevelJournal } from '../../../src/journal/index.js';
import { tempDir, writeJournal } from '../../unit/journal/helpers.js';

const root = new URL('../../../', import.meta.url).pathname;

function cli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/run.ts'), ...args], {
      cwd: root,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('journal trim keeps what the fleet publisher has not published, unless --past-fleet-cursor', async (t) => {
  const dir = await tempDir(t, 'ribjournal-trim-fleet-');
  await writeJournal(dir, 300, 10);
  const j = await openLevelJournal(dir);
  await j.putMeta(FLEET_CURSOR_KEY, Buffer.from(JSON.stringify({ seq: 1005 })));
  await j.close();
  const held = await cli(['journal', 'trim', dir, '--before', '2500', '-j']);
  assert.equal(held.code, 0, held.stderr);
  assert.equal((JSON.parse(held.stdout) as { horizon: { seq: number } }).horizon.seq, 1000);
  assert.match(
    held.stderr,
    /held back at seq 1005: the fleet publisher has not published the events after it/,
  );
  const past = await cli(['journal', 'trim', dir, '--before', '2500', '--past-fleet-cursor', '-j']);
  assert.equal(past.code, 0, past.stderr);
  assert.equal((JSON.parse(past.stdout) as { horizon: { seq: number } }).horizon.seq, 2490);
});
