import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { CheckpointPolicy } from '../../../src/projections/index.js';

const log = pino({ level: 'silent' });

function policy(every: number, lastSeq = 0) {
  const saves: (() => void)[] = [];
  let rib = 0;
  const p = new CheckpointPolicy({
    lastSeq,
    every,
    log,
    // Like saveRibCheckpoint: the checkpoint holds the RIB as it was when the write began.
    save: () => {
      const seq = rib;
      return new Promise<number>((resolve) => saves.push(() => resolve(seq)));
    },
  });
  return {
    p,
    saves,
    at: (seq: number): void => {
      rib = seq;
      p.committed(seq);
    },
  };
}

test('a checkpoint is written every `every` events after the last one, never two at once', async () => {
  const { p, saves, at } = policy(100);
  at(99);
  assert.equal(saves.length, 0);
  at(100);
  assert.equal(saves.length, 1);
  at(250); // still writing the first: none more
  assert.equal(saves.length, 1);
  saves[0]!();
  await new Promise((r) => setImmediate(r));
  assert.equal(p.lastSeq, 100, 'the checkpoint holds the RIB as it was when its write began');
  at(199);
  assert.equal(saves.length, 1);
  at(200);
  assert.equal(saves.length, 2);
});

test('the count starts at the checkpoint start-up loaded', () => {
  const { saves, at } = policy(100, 1000);
  at(1050);
  assert.equal(saves.length, 0);
  at(1100);
  assert.equal(saves.length, 1);
});

test('stop waits for a write in progress, then writes a final checkpoint unless the last one is current', async () => {
  const { p, saves, at } = policy(100);
  at(100);
  at(130);
  const closing = p.close(130);
  assert.equal(saves.length, 1);
  saves[0]!();
  await new Promise((r) => setImmediate(r));
  assert.equal(saves.length, 2, 'a final one: the first holds seq 100 only');
  saves[1]!();
  await closing;
  assert.equal(p.lastSeq, 130);
  at(1000);
  assert.equal(saves.length, 2, 'nothing after close');

  const idle = policy(100, 500);
  await idle.p.close(500);
  assert.equal(idle.saves.length, 0, 'nothing new since the last one: no write at stop');
});
