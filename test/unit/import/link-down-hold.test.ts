import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LINK_DOWN_HOLD_MS, LinkDownHold } from '../../../src/import/index.js';
import type { KernelChange, Link } from '../../../src/netlink/index.js';

const link = (name: string, index: number, up: boolean): Link => ({
  index,
  name,
  up,
  adminUp: up,
  master: undefined,
  kind: 'veth',
  vrfTable: undefined,
});
const linkNew = (name: string, index: number, up: boolean): KernelChange => ({
  kind: 'link',
  op: 'new',
  link: link(name, index, up),
});
const linkDel = (name: string, index: number): KernelChange => ({
  kind: 'link',
  op: 'del',
  link: link(name, index, false),
});
const start: KernelChange = {
  kind: 'snapshot',
  reason: 'start',
  links: [link('eth1', 3, true)],
  addresses: [],
};

/** A hold driven by a fake scheduler: the test fires the timers. */
function setup() {
  const applied: { changes: readonly KernelChange[]; receivedAt: number; tags: readonly string[] }[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const hold = new LinkDownHold<string>({
    apply: (changes, receivedAt, tags) => applied.push({ changes, receivedAt, tags }),
    schedule: (fn, ms) => {
      timers.push({ fn, ms });
      return {};
    },
  });
  return { hold, applied, timers };
}

test('changes without a link going down are applied at once', () => {
  const { hold, applied, timers } = setup();
  hold.offer({ changes: [linkNew('eth1', 3, true)], receivedAt: 1 }, ['w']);
  assert.equal(applied.length, 1);
  assert.deepEqual(applied[0]!.tags, ['w']);
  assert.equal(timers.length, 0);
});

test('a link going down holds its changes and everything after them until the hold ends, in kernel order', () => {
  const { hold, applied, timers } = setup();
  hold.offer({ changes: [linkNew('eth1', 3, false)], receivedAt: 10 }, ['a']);
  hold.offer({ changes: [linkDel('eth1', 3)], receivedAt: 11 }, ['b']);
  assert.equal(applied.length, 0);
  assert.equal(hold.holding, true);
  assert.equal(timers.length, 1);
  assert.equal(timers[0]!.ms, LINK_DOWN_HOLD_MS);
  timers[0]!.fn();
  assert.equal(applied.length, 1, 'one batch: the deletion names the cause');
  assert.deepEqual(applied[0]!.changes, [linkNew('eth1', 3, false), linkDel('eth1', 3)]);
  assert.equal(applied[0]!.receivedAt, 10);
  assert.deepEqual(applied[0]!.tags, ['a', 'b']);
  hold.offer({ changes: [linkNew('eth2', 4, true)], receivedAt: 12 });
  assert.equal(applied.length, 2, 'after the hold, changes flow again');
});

test('the start-up dump is never held, even when a link goes down in the same batch', () => {
  const { hold, applied } = setup();
  hold.offer({ changes: [start, linkNew('unrelated', 9, false)], receivedAt: 1 });
  assert.equal(applied.length, 1, 'the initial table is applied at once');
  assert.deepEqual(applied[0]!.changes, [start]);
  assert.equal(hold.holding, true, 'the link-down after it is held as usual');
});

test('a start-up dump releases what a link-down before it holds', () => {
  const { hold, applied, timers } = setup();
  hold.offer({ changes: [linkNew('unrelated', 9, false)], receivedAt: 1 });
  hold.offer({ changes: [start], receivedAt: 2 });
  assert.equal(applied.length, 1);
  assert.deepEqual(applied[0]!.changes, [linkNew('unrelated', 9, false), start]);
  assert.equal(hold.holding, false);
  timers[0]!.fn(); // the timer finds nothing left
  assert.equal(applied.length, 1);
});

test('flush applies what is held now (stop)', () => {
  const { hold, applied } = setup();
  hold.offer({ changes: [linkNew('eth1', 3, false)], receivedAt: 1 });
  hold.flush();
  assert.equal(applied.length, 1);
  hold.flush();
  assert.equal(applied.length, 1);
});
