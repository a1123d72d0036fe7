// The observer child's outbox (issue 10.6): one message in flight, later batches merged in order, and a
// bounded wait: past the bound the changes are dropped for a dump, never piled up in the child.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KernelChange, ObserverBatch } from '../../../src/netlink/index.js';
import { Outbox } from '../../../src/netlink/outbox.js';

const addr = (n: number, op: 'new' | 'del' = 'new'): KernelChange => ({
  kind: 'address',
  op,
  address: {
    index: 2,
    family: 'ipv4',
    address: `10.0.${n >> 8}.${n & 255}`,
    prefixLength: 32,
    scope: 0,
    tentative: false,
    dadFailed: false,
  },
});
const snapshot = (reason: 'start' | 'scan'): KernelChange => ({
  kind: 'snapshot',
  reason,
  links: [],
  addresses: [],
});
const batch = (receivedAt: number, ...changes: KernelChange[]): ObserverBatch => ({ changes, receivedAt });
const names = (b: ObserverBatch): string[] =>
  b.changes.map((c) =>
    c.kind === 'address' ? c.address.address : c.kind === 'snapshot' ? c.reason : c.kind,
  );

function setup(maxQueued = 100, maxMessage = 4) {
  const sent: ObserverBatch[] = [];
  const pending: (() => void)[] = [];
  let resyncs = 0;
  const outbox = new Outbox({
    send: (b, written) => {
      sent.push(b);
      pending.push(written);
    },
    resync: () => resyncs++,
    warn: () => undefined,
    maxQueued,
    maxMessage,
  });
  /** The parent read the message in flight. */
  const drain = (): void => pending.shift()?.();
  return { outbox, sent, drain, resyncs: () => resyncs };
}

test('one message in flight; what comes meanwhile is merged, in order, up to the message size', () => {
  const { outbox, sent, drain } = setup();
  outbox.offer(batch(1, addr(1)));
  outbox.offer(batch(2, addr(2), addr(3)));
  outbox.offer(batch(3, addr(4)));
  outbox.offer(batch(4, addr(5), addr(6)));
  assert.equal(sent.length, 1, 'nothing more is written before the parent read the first');
  assert.equal(outbox.backlogged, true);
  drain();
  assert.deepEqual(names(sent[1]!), ['10.0.0.2', '10.0.0.3', '10.0.0.4'], 'merged up to 4 changes');
  assert.equal(sent[1]!.receivedAt, 2, 'a merged batch is as old as its oldest part');
  drain();
  drain();
  assert.deepEqual(sent.slice(2).map(names), [['10.0.0.5', '10.0.0.6']]);
  assert.equal(outbox.backlogged, false);
});

test('a snapshot is never merged with the notifications before it', () => {
  const { outbox, sent, drain } = setup();
  outbox.offer(batch(1, addr(1)));
  outbox.offer(batch(2, addr(2)));
  outbox.offer(batch(3, snapshot('scan'), addr(3)));
  drain();
  drain();
  assert.deepEqual(sent.map(names), [['10.0.0.1'], ['10.0.0.2'], ['scan', '10.0.0.3']]);
});

test('past the bound the waiting changes are dropped for a dump; older notifications until its snapshot too', () => {
  const { outbox, sent, drain, resyncs } = setup(10, 1000);
  outbox.offer(batch(1, addr(1)));
  for (let i = 2; i <= 12; i++) outbox.offer(batch(i, addr(i)));
  assert.equal(resyncs(), 1, 'one dump asked for');
  assert.equal(outbox.overflows, 1);
  outbox.offer(batch(20, addr(20, 'del')));
  drain();
  assert.equal(sent.length, 1, 'nothing waits: dropped, and notifications older than the dump are not sent');
  outbox.offer(batch(21, snapshot('scan'), addr(21)));
  assert.deepEqual(names(sent[1]!), ['scan', '10.0.0.21'], 'the snapshot and what raced with it');
  drain();
  outbox.offer(batch(22, addr(22)));
  assert.deepEqual(names(sent[2]!), ['10.0.0.22'], 'then notifications flow again');
});

test('the start-up snapshot is never dropped', () => {
  const { outbox, sent, drain, resyncs } = setup(2, 1000);
  outbox.offer(batch(1, addr(1)));
  outbox.offer(batch(2, snapshot('start'), addr(2), addr(3), addr(4)));
  assert.equal(resyncs(), 0);
  drain();
  assert.deepEqual(names(sent[1]!), ['start', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
});
