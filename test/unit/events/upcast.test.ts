// Upcasting lives in one place (src/events/upcast.ts) and every decode goes through it. Version 1 is the
// only schema so far, so these tests drive the mechanism with a synthetic version 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EVENT_SCHEMA_VERSION,
  UPCASTERS,
  createUpcast,
  decodeBlock,
  encodeBlock,
  upcast,
} from '../../../src/events/index.js';
import type { Envelope, RouteVanished, Upcaster } from '../../../src/events/index.js';
import { isRibjournalError } from '../../../src/shared/index.js';

const vanished = (version: number, reason: RouteVanished['reason'] = 'link-down'): Envelope => ({
  seq: 7,
  time: 1_764_000_000_000_007,
  version,
  event: {
    type: 'RouteVanished',
    vrf: 'a',
    family: 'ipv4',
    prefix: '10.0.0.0/24',
    interface: 'eth1',
    reason,
  },
});

test('version 1 is current and upcasting it is the identity (same object)', () => {
  assert.equal(EVENT_SCHEMA_VERSION, 1);
  assert.deepEqual(UPCASTERS, {});
  const env = vanished(1);
  assert.equal(upcast(env), env);
});

test('a synthetic version 2 upcasts version-1 events, chained, keeping seq and time', () => {
  // Suppose version 2 renamed reason "link-down" to "reconcile" (a change of meaning: read time only).
  const v1to2: Upcaster = (env) => {
    const e = env.event;
    const event =
      e.type === 'RouteVanished' && e.reason === 'link-down' ? { ...e, reason: 'reconcile' as const } : e;
    return { ...env, version: 2, event };
  };
  const up = createUpcast({ 1: v1to2 }, 2);
  const out = up(vanished(1));
  assert.equal(out.version, 2);
  assert.equal(out.seq, 7);
  assert.equal(out.time, 1_764_000_000_000_007);
  assert.equal((out.event as RouteVanished).reason, 'reconcile');
  const current = vanished(2);
  assert.equal(up(current), current, 'current events pass untouched');
  // Two steps chain.
  const up3 = createUpcast({ 1: v1to2, 2: (env) => ({ ...env, version: 3 }) }, 3);
  assert.equal(up3(vanished(1)).version, 3);
  assert.throws(
    () => createUpcast({ 1: (env) => ({ ...env, version: 3 }) }, 3)(vanished(1)),
    TypeError,
    'an upcaster must raise by one',
  );
});

test('every decode goes through upcast: an unknown old version and a newer one are refused with stable codes', () => {
  const old = encodeBlock([vanished(0)]);
  assert.throws(
    () => decodeBlock(old),
    (err) => isRibjournalError(err, 'JOURNAL_CORRUPT') && /schema version 0/.test(err.message),
  );
  const newer = encodeBlock([vanished(2)]);
  assert.throws(
    () => decodeBlock(newer),
    (err) =>
      isRibjournalError(err, 'JOURNAL_VERSION_NEWER') &&
      /seq 7 has schema version 2, newer/.test(err.message),
  );
  assert.deepEqual(decodeBlock(encodeBlock([vanished(1)])), [vanished(1)]);
});
