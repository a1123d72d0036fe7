import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Envelope, JournalEvent } from '../../../src/events/index.js';
import { MemoryJournal } from '../../../src/journal/index.js';
import { ProjectionRunner, Rib } from '../../../src/projections/index.js';
import type { Projection, ProjectionName } from '../../../src/projections/index.js';
import { waitFor } from '../../helpers/deadline.js';
import { discovered } from '../api/fixture.js';

const d = (prefix: string): JournalEvent => discovered('a', prefix, 'eth1', 3);

/** A pino logger whose JSON lines the test reads. */
function capturedLog(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'debug' },
    { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { log, lines };
}

/** Records the seqs it applied; throws at `failAt` (once). */
class Recorder implements Projection {
  seq = 0;
  seen: number[] = [];
  constructor(
    readonly order: string[] = [],
    readonly tag = '',
    public failAt = -1,
  ) {}
  apply(env: Envelope): void {
    if (env.seq === this.failAt) {
      this.failAt = -1;
      throw new TypeError(`boom at ${env.seq}`);
    }
    this.seen.push(env.seq);
    this.order.push(`${this.tag}:${env.seq}`);
    this.seq = env.seq;
  }
}

test('every commit reaches the projections in the fixed order, whatever order they were added in', async () => {
  const journal = new MemoryJournal();
  const { log } = capturedLog();
  const runner = new ProjectionRunner({ journal, log });
  const order: string[] = [];
  const names: ProjectionName[] = ['events-by-type', 'timeline', 'rib', 'history', 'bgp-outbound'];
  for (const name of names) await runner.add({ name, projection: new Recorder(order, name) });
  await journal.append([d('10.0.0.0/24')]);
  assert.deepEqual(order, ['rib:1', 'bgp-outbound:1', 'history:1', 'timeline:1', 'events-by-type:1']);
  await runner.stop();
});

test('a projection added behind the head catches up: each seq once, in order, commits during the replay included', async () => {
  const journal = new MemoryJournal();
  for (let i = 0; i < 50; i++) await journal.append([d(`10.0.${i}.0/24`)]);
  const { log } = capturedLog();
  const runner = new ProjectionRunner({ journal, log });
  const p = new Recorder();
  const added = runner.add({ name: 'history', projection: p });
  assert.equal(runner.health().ok, false);
  assert.match(runner.health().reasons[0]!, /history: catching up/);
  const more = journal.append([d('10.1.0.0/24')]);
  await added;
  await more;
  await journal.append([d('10.1.1.0/24')]);
  assert.deepEqual(
    p.seen,
    Array.from({ length: 52 }, (_, i) => i + 1),
  );
  assert.deepEqual(runner.health(), { ok: true, reasons: [] });
  await runner.stop();
});

test('a projection that throws is logged once with its name and seq, drops readiness, and is rebuilt while the others carry on', async () => {
  const journal = new MemoryJournal();
  const { log, lines } = capturedLog();
  const runner = new ProjectionRunner({ journal, log });
  const rib = new Rib();
  await runner.add({ name: 'rib', projection: rib });
  const failing = new Recorder([], 'history', 3);
  let restored = 0;
  let releaseRestore: () => void = () => undefined;
  const restoreGate = new Promise<void>((r) => (releaseRestore = r));
  await runner.add({
    name: 'history',
    projection: failing,
    restore: async () => {
      restored++;
      await restoreGate;
      return new Recorder();
    },
  });
  for (let i = 0; i < 5; i++) await journal.append([d(`10.0.${i}.0/24`)]);

  const errors = lines.filter((l) => l.level === 50);
  assert.equal(errors.length, 1, 'logged once, not once per later event');
  assert.equal(errors[0]!.projection, 'history');
  assert.equal(errors[0]!.seq, 3);
  assert.match(JSON.stringify(errors[0]!.err), /boom at 3/);
  const h = runner.health();
  assert.equal(h.ok, false);
  assert.match(h.reasons.join(), /history: failed at seq 3, rebuilding/);
  assert.equal(rib.size(), 5, 'the RIB carried on');
  assert.deepEqual(failing.seen, [1, 2], 'the failed projection got nothing more');

  releaseRestore();
  await waitFor(() => runner.health().ok, 'the rebuilt projection goes live');
  await journal.append([d('10.0.9.0/24')]);
  const rebuilt = runner.get('history') as Recorder;
  assert.equal(restored, 1);
  assert.deepEqual(rebuilt.seen, [1, 2, 3, 4, 5, 6], 'rebuilt from seq 0: every seq once');
  assert.ok(lines.some((l) => l.msg === 'projection rebuilt' && l.projection === 'history'));
  await runner.stop();
});

test('a rebuild starts from the last good checkpoint and replays only what follows it', async () => {
  const journal = new MemoryJournal();
  const { log } = capturedLog();
  const runner = new ProjectionRunner({ journal, log });
  for (let i = 0; i < 4; i++) await journal.append([d(`10.0.${i}.0/24`)]);
  const p = new Recorder([], '', 6);
  p.seq = 4;
  await runner.add({
    name: 'timeline',
    projection: p,
    restore: () => Object.assign(new Recorder(), { seq: 4 }),
  });
  for (let i = 4; i < 8; i++) await journal.append([d(`10.0.${i}.0/24`)]);
  await waitFor(() => runner.health().ok, 'rebuilt');
  assert.deepEqual((runner.get('timeline') as Recorder).seen, [5, 6, 7, 8]);
  await runner.stop();
});

test('a projection that cannot be rebuilt stays failed and keeps readiness down with the reason', async () => {
  const journal = new MemoryJournal();
  const { log } = capturedLog();
  const runner = new ProjectionRunner({ journal, log });
  await runner.add({ name: 'events-by-type', projection: new Recorder([], '', 1) });
  await journal.append([d('10.0.0.0/24')]);
  await journal.append([d('10.0.1.0/24')]);
  assert.equal(runner.health().ok, false);
  assert.match(runner.health().reasons[0]!, /events-by-type: failed at seq 1 and cannot be rebuilt/);
  await runner.stop();
});

test('a rebuild that fails again is retried after a delay, and logged each time', async () => {
  const journal = new MemoryJournal();
  const { log, lines } = capturedLog();
  const timers: (() => void)[] = [];
  const runner = new ProjectionRunner({
    journal,
    log,
    setTimer: (fn) => {
      timers.push(fn);
      return {};
    },
  });
  let attempts = 0;
  await runner.add({
    name: 'history',
    projection: new Recorder([], '', 1),
    restore: () => {
      attempts++;
      if (attempts === 1) throw new Error('checkpoint unreadable');
      return new Recorder();
    },
  });
  await journal.append([d('10.0.0.0/24')]);
  await waitFor(() => timers.length === 1, 'a retry is scheduled');
  assert.ok(lines.some((l) => l.msg === 'projection rebuild failed'));
  assert.equal(runner.health().ok, false);
  timers[0]!();
  await waitFor(() => runner.health().ok, 'the retry rebuilds it');
  assert.equal(attempts, 2);
  await runner.stop();
});

test('a group is restored together: one member failing restores all in one round, and they catch up in one read', async () => {
  const journal = new MemoryJournal();
  for (let i = 0; i < 5; i++) await journal.append([d(`10.0.${i}.0/24`)]);
  const { log, lines } = capturedLog();
  const runner = new ProjectionRunner({ journal, log });
  const order: string[] = [];
  const rounds: Record<string, number[]> = { history: [], timeline: [] };
  const live: string[] = [];
  const pauses: number[] = [];
  const member = (name: 'history' | 'timeline'): Parameters<ProjectionRunner['add']>[0] => ({
    name,
    group: 'indexes',
    projection: new Recorder(order, name),
    restore: (ctx) => {
      rounds[name]!.push(ctx.round);
      if (rounds[name]!.length === 1) ctx.rebuilding('no derived data');
      return new Recorder(order, name);
    },
    onLive: () => live.push(name),
    catchUpPause: (p) => {
      pauses.push(p.seq);
      return Promise.resolve();
    },
  });
  const added = Promise.all([
    runner.add(member('history'), { restore: true }),
    runner.add(member('timeline'), { restore: true }),
  ]);
  assert.deepEqual(runner.health().reasons, [
    'history: rebuilding (no derived data)',
    'timeline: rebuilding (no derived data)',
  ]);
  await added;
  assert.deepEqual(live, ['history', 'timeline']);
  assert.deepEqual(rounds, { history: [1], timeline: [1] }, 'one round for both');
  assert.deepEqual(pauses, [5, 5], 'a pause after the read batch, for each');
  // Each batch to each in the fixed order (one read batch here).
  const seqs = [1, 2, 3, 4, 5];
  assert.deepEqual(order, [...seqs.map((s) => `history:${s}`), ...seqs.map((s) => `timeline:${s}`)]);

  // The timeline throws at seq 7: logged once, both are restored (history too), in a new round.
  await journal.append([d('10.1.0.0/24')]);
  const failed = runner.get('timeline') as Recorder;
  failed.failAt = 7;
  await journal.append([d('10.1.1.0/24')]);
  assert.deepEqual(runner.health().reasons, [
    'history: rebuilding (timeline: failed at seq 7)',
    'timeline: failed at seq 7, rebuilding',
  ]);
  await runner.whenLive('history');
  await runner.whenLive('timeline');
  assert.deepEqual(rounds, { history: [1, 2], timeline: [1, 2] });
  assert.equal(lines.filter((l) => l.level === 50).length, 1, 'logged once');
  assert.deepEqual((runner.get('timeline') as Recorder).seen, [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual((runner.get('history') as Recorder).seen, [1, 2, 3, 4, 5, 6, 7]);
  await runner.stop();
});

test('a projection that fails the same way while it is rebuilt waits longer before each next rebuild', async () => {
  const journal = new MemoryJournal();
  const { log, lines } = capturedLog();
  const timers: { fn: () => void; ms: number }[] = [];
  const runner = new ProjectionRunner({ journal, log, setTimer: (fn, ms) => (timers.push({ fn, ms }), {}) });
  let restores = 0;
  // A bug on seq 2: every rebuild replays it and throws again.
  const buggy = (): Recorder => Object.assign(new Recorder(), { apply: failsAt2 });
  function failsAt2(this: Recorder, env: Envelope): void {
    if (env.seq === 2) throw new TypeError('bug at 2');
    this.seq = env.seq;
  }
  await runner.add({ name: 'history', projection: buggy(), restore: () => (restores++, buggy()) });
  await journal.append([d('10.0.0.0/24')]);
  await journal.append([d('10.0.1.0/24')]);
  await waitFor(() => timers.length === 1, 'the second failure (in the rebuild) waits');
  assert.equal(restores, 1, 'rebuilt at once after the first failure, not again yet');
  const failures = (): number =>
    lines.filter((l) => l.level === 50 && String(l.msg).startsWith('projection failed')).length;
  assert.equal(failures(), 2, 'each failure logged once');
  assert.equal(runner.health().ok, false);
  timers[0]!.fn();
  await waitFor(() => timers.length === 2, 'the next wait');
  assert.equal(restores, 2);
  assert.ok(timers[1]!.ms > timers[0]!.ms, `${timers[1]!.ms} ms after ${timers[0]!.ms} ms`);
  await runner.stop();
});
