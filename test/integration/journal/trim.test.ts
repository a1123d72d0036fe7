// `ribjournal journal trim` as a user runs it: removes whole blocks before --before, archives them, and
// `journal verify` / `journal stats` report the horizon afterwards; an older point is refused by the API
// with BEFORE_RETENTION (unit test: test/unit/journal/retention.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FLEET_CURSOR_KEY } from '../../../src/fleet/publisher.js';
import { openLevelJournal } from '../../../src/journal/index.js';
import { tempDir, writeJournal } from '../../unit/journal/helpers.js';

const root = new URL('../../../', import.meta.url).pathname;

function cli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/run.ts'), ...args], {
      cwd: root,
      env: { ...process.env, TZ: 'UTC' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('journal trim removes the blocks before --before, archives them, and verify/stats name the horizon', async (t) => {
  const dir = await tempDir(t, 'ribjournal-trim-');
  const archive = await tempDir(t, 'ribjournal-trim-archive-');
  const envs = await writeJournal(dir, 300, 10);
  const trim = await cli(['journal', 'trim', dir, '--before', '1505', '--archive-dir', archive, '-j']);
  assert.equal(trim.code, 0, trim.stderr);
  const out = JSON.parse(trim.stdout) as { removed: number; horizon: { seq: number }; archive: string };
  assert.equal(out.removed, 1500);
  assert.equal(out.horizon.seq, 1500);
  assert.deepEqual(await readdir(archive), [`1-1500-${envs[0]!.time}-${envs[1499]!.time}.jsonl.gz`]);

  const verify = await cli(['journal', 'verify', dir]);
  assert.equal(verify.code, 0, verify.stderr);
  assert.match(verify.stdout, /OK, 1,500 events \(seqs 1501\.\.3000\)/);
  assert.match(verify.stdout, /removed by retention \(horizon seq 1500 at /);
  const stats = await cli(['journal', 'stats', dir, '-j']);
  assert.equal(stats.code, 0, stats.stderr);
  assert.equal((JSON.parse(stats.stdout) as { horizon: { seq: number } }).horizon.seq, 1500);

  const again = await cli(['journal', 'trim', dir, '--before', '1505']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /nothing to remove/);
});

// On a node that publishes to a fleet (issue 11): the events after the publisher's stored cursor (not yet
// in the stream) stay unless --past-fleet-cursor, as with the daemon's retention.
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
