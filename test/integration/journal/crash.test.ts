// Crash safety: a writer process is killed with SIGKILL at random moments, 25 times over one journal.
// After each kill: every acknowledged event is there, no event is torn or duplicated (each event's
// content names its own seq), seqs are gapless, verify passes, and the next writer goes on from there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openLevelJournal, verifyJournal } from '../../../src/journal/index.js';

const WRITER = new URL('./writer.ts', import.meta.url).pathname;
const KILLS = 25;

/** Starts a writer; resolves once it has acknowledged `acks` appends, with the highest acked seq. */
function runWriter(
  dir: string,
  acks: number,
): { child: ChildProcess; acked: Promise<number>; exited: Promise<NodeJS.Signals | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );
  const acked = new Promise<number>((resolve, reject) => {
    let max = 0;
    let count = 0;
    const rl = createInterface({ input: child.stdout });
    rl.on('line', (line) => {
      if (!line.startsWith('ack ')) return;
      max = Math.max(max, Number(line.slice(4)));
      if (++count === acks) resolve(max);
    });
    // Acks printed before the kill keep arriving until the pipe closes: take the last one seen.
    rl.on('close', () => resolve(max));
    child.once('error', reject);
  });
  return { child, acked, exited };
}

test(
  `a journal survives ${KILLS} SIGKILLs at random moments without losing, tearing or duplicating an event`,
  { timeout: 300_000 },
  async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'ribjournal-crash-'));
    const children: ChildProcess[] = [];
    t.after(async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await rm(root, { recursive: true, force: true });
    });
    const dir = join(root, 'journal');
    let lastHead = 0;
    for (let round = 0; round < KILLS; round++) {
      // Kill after a random number of acknowledged appends: sometimes almost at once, sometimes deep
      // into a compaction pass.
      const acks = 1 + Math.floor(Math.random() ** 2 * 3000);
      const w = runWriter(dir, acks);
      children.push(w.child);
      let maxAcked = await Promise.race([w.acked, w.exited.then(() => -1)]);
      w.child.kill('SIGKILL');
      assert.equal(await w.exited, 'SIGKILL', `round ${round}: the writer died only from the kill`);
      maxAcked = Math.max(maxAcked, await w.acked);

      const report = await verifyJournal(dir);
      assert.equal(report.ok, true, `round ${round}: ${JSON.stringify(report.problems)}`);
      const j = await openLevelJournal(dir, { create: false, compaction: false });
      try {
        const head = j.head();
        assert.ok(head >= maxAcked, `round ${round}: head ${head} lost acknowledged seq ${maxAcked}`);
        assert.ok(head >= lastHead, `round ${round}: head went back from ${lastHead} to ${head}`);
        let expect = 1;
        for await (const batch of j.read()) {
          for (const env of batch) {
            assert.equal(env.seq, expect, 'gapless');
            const e = env.event;
            assert.ok(
              e.type === 'RouteDiscovered' && e.ifindex === env.seq,
              `round ${round}: seq ${env.seq} holds event ${JSON.stringify(e)}`,
            );
            expect++;
          }
        }
        assert.equal(expect - 1, head);
        lastHead = head;
      } finally {
        await j.close();
      }
    }
    assert.ok(lastHead > KILLS, `the writers got somewhere (${lastHead} events)`);
    // The background compaction ran (and was killed) along the way: far fewer blocks than appends.
    const final = await verifyJournal(dir);
    t.diagnostic(`${lastHead} events in ${final.blocks} blocks after ${KILLS} kills`);
    assert.ok(final.blocks < lastHead / 20, `${final.blocks} blocks for ${lastHead} events`);
  },
);
