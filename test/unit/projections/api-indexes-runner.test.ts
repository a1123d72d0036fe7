// The API's history index and timeline run in the projection runner (issue 9.1): each commit reaches them
// once, in PROJECTION_ORDER, during a catch-up too; a throw in either is logged once with its name and
// seq, drops readiness with the reason, and both are restored and answer again; deleting their derived
// data changes no answer; a catch-up holds a bounded number of unwritten events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Envelope, JournalEvent } from '../../../src/events/index.js';
import { MemoryJournal } from '../../../src/journal/index.js';
import { PROJECTION_ORDER, ProjectionRunner, Rib, createApiIndexes } from '../../../src/projections/index.js';
import type { ApiIndexes, Projection, ProjectionName, RunnerLog } from '../../../src/projections/index.js';
import { waitFor } from '../../helpers/deadline.js';
import { TestClock, config, discovered, vanished } from '../api/fixture.js';

/** `n` route events over VRFs a and b, flapping 40 prefixes, after one ConfigApplied. */
function events(n: number, from = 0): JournalEvent[] {
  const out: JournalEvent[] = from === 0 ? [config(1, [{ name: 'a', rd: '1:1', rt: '1:1' }])] : [];
  for (let i = from; i < from + n; i++) {
    const vrf = i % 3 === 0 ? 'a' : 'b';
    const prefix = `10.${i % 2}.${i % 20}.0/24`;
    out.push(
      Math.floor(i / 40) % 2 === 0 ? discovered(vrf, prefix, 'eth1', 3) : vanished(vrf, prefix, 'eth1'),
    );
  }
  return out;
}

async function appendInBatches(
  journal: MemoryJournal,
  evs: readonly JournalEvent[],
  size = 7,
): Promise<void> {
  for (let i = 0; i < evs.length; i += size) await journal.append(evs.slice(i, i + size));
}

/** A log that records each line (level, message, fields) and, optionally, readiness at that moment. */
function recordingLog(readiness?: () => string | undefined): {
  log: RunnerLog;
  lines: { level: string; msg: string; obj: Record<string, unknown>; reason?: string }[];
} {
  const lines: { level: string; msg: string; obj: Record<string, unknown>; reason?: string }[] = [];
  const at =
    (level: string) =>
    (obj: object, msg: string): void => {
      const reason = readiness?.();
      lines.push({ level, msg, obj: obj as Record<string, unknown>, ...(reason ? { reason } : {}) });
    };
  const log: RunnerLog = { info: at('info'), warn: at('warn'), error: at('error') };
  return { log, lines };
}

/** A RIB as a comparable value (a VRF without config or paths left out: restored RIBs drop it). */
function dump(rib: Rib): unknown {
  return rib
    .vrfNames()
    .map((vrf) => ({
      vrf,
      config: rib.vrfConfig(vrf) ?? null,
      paths: [...rib.entries(vrf)].sort(([a], [b]) => (a < b ? -1 : 1)),
    }))
    .filter((v) => v.config !== null || v.paths.length > 0);
}

const ALL = { after: 0, through: Number.MAX_SAFE_INTEGER };

/** What the API asks the indexes, as one value; `truth` computes the same from the journal alone. */
async function answers(ix: ApiIndexes, head: number): Promise<unknown> {
  const out: unknown[] = [];
  for (const seq of [1, 50, Math.floor(head / 2), head - 1, head])
    out.push(dump(await ix.timeline.ribAt(seq)));
  out.push((await ix.history.prefixEvents('b', '10.1.1.0/24', ALL)).map((e) => e.seq));
  out.push((await ix.history.vrfEvents('a', ALL)).map((e) => e.seq));
  out.push((await ix.history.configEvents(ALL)).map((e) => e.seq));
  return out;
}

async function truth(journal: MemoryJournal): Promise<unknown> {
  const all: Envelope[] = [];
  for await (const batch of journal.read()) all.push(...batch);
  const head = journal.head();
  const ribAt = (seq: number): Rib => {
    const rib = new Rib();
    for (const env of all) if (env.seq <= seq) rib.apply(env);
    return rib;
  };
  const route = (env: Envelope, vrf: string, prefix?: string): boolean => {
    const e = env.event;
    return (
      (e.type === 'RouteDiscovered' || e.type === 'RouteVanished') &&
      e.vrf === vrf &&
      (prefix === undefined || e.prefix === prefix)
    );
  };
  const out: unknown[] = [];
  for (const seq of [1, 50, Math.floor(head / 2), head - 1, head]) out.push(dump(ribAt(seq)));
  out.push(all.filter((e) => route(e, 'b', '10.1.1.0/24')).map((e) => e.seq));
  out.push(all.filter((e) => route(e, 'a')).map((e) => e.seq));
  out.push(all.filter((e) => e.event.type === 'ConfigApplied').map((e) => e.seq));
  return out;
}

/** Indexes in a runner of their own as the daemon wires them, started; log lines carry readiness. */
async function started(journal: MemoryJournal): Promise<{
  indexes: ApiIndexes;
  runner: ProjectionRunner;
  lines: ReturnType<typeof recordingLog>['lines'];
}> {
  const holder: { ix?: ApiIndexes } = {};
  const { log, lines } = recordingLog(() => holder.ix?.readiness().reason);
  const runner = new ProjectionRunner({ journal, log });
  const indexes = createApiIndexes(journal, { runner, log, timeline: { interval: 100 } });
  holder.ix = indexes;
  await indexes.start();
  return { indexes, runner, lines };
}

for (const name of ['history', 'timeline'] as const) {
  test(`a ${name} apply that throws is logged once with its name and seq, drops readiness, and both are restored and answer again`, async () => {
    const journal = new MemoryJournal(new TestClock());
    await appendInBatches(journal, events(600));
    const { indexes, runner, lines } = await started(journal);
    assert.deepEqual(indexes.readiness(), { ready: true, reason: undefined });
    assert.equal(runner.health().ok, true);

    // A bug in its evolve: it throws on the next event (once).
    const target: Projection = indexes[name];
    const apply = target.apply.bind(target);
    let calls = 0;
    target.apply = (env) => {
      if (calls++ === 0) throw new TypeError(`${name} evolve bug`);
      apply(env);
    };
    const [failedAt] = await journal.append(events(3, 600));
    const seq = failedAt!.seq;
    const health = runner.health();
    assert.equal(health.ok, false, 'readiness dropped');
    assert.ok(
      health.reasons.includes(`${name}: failed at seq ${seq}, rebuilding`),
      health.reasons.join('; '),
    );
    const ready = indexes.readiness();
    assert.equal(ready.ready, false);
    assert.match(
      ready.reason ?? '',
      new RegExp(`^API indexes rebuilding \\(${name}: failed at seq ${seq}\\)`),
    );
    // Commits while it is restored are not lost.
    await appendInBatches(journal, events(30, 603));
    await indexes.start(); // resolves once both are live again
    await waitFor(() => runner.health().ok, 'both live again');
    assert.deepEqual(indexes.readiness(), { ready: true, reason: undefined });

    const errors = lines.filter((l) => l.level === 'error');
    assert.equal(errors.length, 1, 'logged once');
    assert.equal(errors[0]!.obj['projection'], name);
    assert.equal(errors[0]!.obj['seq'], seq);
    assert.match(String(errors[0]!.obj['err']), new RegExp(`${name} evolve bug`));
    assert.ok(lines.some((l) => l.msg === 'projection rebuilt' && l.obj['projection'] === name));
    assert.deepEqual(await answers(indexes, journal.head()), await truth(journal));
    await appendInBatches(journal, events(40, 633));
    assert.deepEqual(await answers(indexes, journal.head()), await truth(journal), 'and carries on');
    await indexes.stop();
    await runner.stop();
  });
}

test('deleting the derived data changes no answer: the restart rebuilds it while readiness says so', async () => {
  const journal = new MemoryJournal(new TestClock());
  await appendInBatches(journal, events(900));
  const run = async (): Promise<{ indexes: ApiIndexes; runner: ProjectionRunner; reasons: string[] }> => {
    const { indexes, runner, lines } = await started(journal);
    return { indexes, runner, reasons: lines.flatMap((l) => (l.reason === undefined ? [] : [l.reason])) };
  };
  const first = await run();
  const truthNow = await truth(journal);
  assert.deepEqual(await answers(first.indexes, journal.head()), truthNow);
  await first.indexes.stop();
  await first.runner.stop();

  const loaded = await run();
  assert.ok(!loaded.reasons.some((r) => r.includes('rebuilding')), loaded.reasons.join('; '));
  assert.deepEqual(await answers(loaded.indexes, journal.head()), truthNow);
  await loaded.indexes.stop();
  await loaded.runner.stop();

  await journal.derived.clear();
  const rebuilt = await run();
  assert.match(rebuilt.reasons[0] ?? '', /^API indexes rebuilding \(no derived data\)/);
  assert.deepEqual(await answers(rebuilt.indexes, journal.head()), truthNow);
  await rebuilt.indexes.stop();
  await rebuilt.runner.stop();
});

/** Records the seqs it applied (the RIB's and route counts' places in the order). */
class Recorder implements Projection {
  constructor(
    readonly name: ProjectionName,
    readonly order: string[],
    public seq: number,
  ) {}
  apply(env: Envelope): void {
    this.order.push(`${this.name}:${env.seq}`);
    this.seq = env.seq;
  }
}

test('the runner delivers each commit to history and timeline exactly once, in PROJECTION_ORDER, across a catch-up too', async () => {
  const journal = new MemoryJournal(new TestClock());
  await appendInBatches(journal, events(2500), 50);
  const { log } = recordingLog();
  const runner = new ProjectionRunner({ journal, log });
  const order: string[] = [];
  await runner.add({ name: 'rib', projection: new Recorder('rib', order, journal.head()) });
  await runner.add({ name: 'route-counts', projection: new Recorder('route-counts', order, journal.head()) });
  const indexes = createApiIndexes(journal, { runner, log, timeline: { interval: 300 } });
  const seen = { history: [] as number[], timeline: [] as number[] };
  const during: Promise<unknown>[] = [];
  let next = 2500;
  for (const name of ['history', 'timeline'] as const) {
    const target: Projection = indexes[name];
    const apply = target.apply.bind(target);
    target.apply = (env) => {
      seen[name].push(env.seq);
      order.push(`${name}:${env.seq}`);
      // Commits in the middle of its replay (no derived data yet: both replay from seq 1).
      if (env.seq === 1200 || env.seq === 2300) {
        during.push(journal.append(events(5, next)));
        next += 5;
      }
      apply(env);
    };
  }
  // Both replay from seq 1 in one read of the journal.
  const read = journal.read.bind(journal);
  let reads = 0;
  journal.read = (options) => {
    reads++;
    return read(options);
  };
  const starting = indexes.start();
  // A commit while they load (before their replay reads the journal: it reaches them twice, applied once).
  during.push(journal.append(events(5, next)));
  next += 5;
  await starting;
  await Promise.all(during);
  assert.equal(during.length, 5, 'commits while loading and during both replays');
  const every = (): number[] => Array.from({ length: journal.head() }, (_, i) => i + 1);
  assert.deepEqual(seen.history, every(), 'history: each seq once, in order');
  assert.deepEqual(seen.timeline, every(), 'timeline: each seq once, in order');
  assert.equal(reads, 1, 'one read of the journal for both');
  const at = new Map(order.map((o, i) => [o, i]));
  for (const seq of every())
    assert.ok(at.get(`history:${seq}`)! < at.get(`timeline:${seq}`)!, `seq ${seq}: history before timeline`);

  // Live: each batch reaches them in PROJECTION_ORDER (the RIB first, the route counts after them).
  order.length = 0;
  const batches: Envelope[][] = [];
  for (let i = 0; i < 3; i++) {
    batches.push([...(await journal.append(events(4, next)))]);
    next += 4;
  }
  const ranks = ['rib', 'history', 'timeline', 'route-counts'] as const;
  assert.deepEqual(
    ranks.map((n) => PROJECTION_ORDER.indexOf(n)),
    [...ranks.map((n) => PROJECTION_ORDER.indexOf(n))].sort((a, b) => a - b),
  );
  assert.deepEqual(
    order,
    batches.flatMap((b) => ranks.flatMap((n) => b.map((env) => `${n}:${env.seq}`))),
  );
  assert.deepEqual(seen.history, every());
  assert.deepEqual(seen.timeline, every());
  assert.deepEqual(await answers(indexes, journal.head()), await truth(journal));
  await indexes.stop();
  await runner.stop();
});

test('a catch-up waits for the history index writes: unwritten events stay bounded, not the journal length', async () => {
  const journal = new MemoryJournal(new TestClock());
  await appendInBatches(journal, events(6000), 100);
  // A disk slower than the replay: without waiting for it, the catch-up would hold the whole journal.
  const derived = journal.derived;
  const write = derived.write.bind(derived);
  derived.write = async (puts, dels) => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    return write(puts, dels);
  };
  const indexes = createApiIndexes(journal, { catchUpWriteEvery: 200 });
  const history = indexes.history;
  const apply = history.apply.bind(history);
  let most = 0;
  history.apply = (env) => {
    most = Math.max(most, history.unwritten());
    apply(env);
  };
  await indexes.start();
  // One read batch (1000 events) beyond the threshold at most.
  assert.ok(most <= 1200, `at most ${most} events unwritten`);
  assert.deepEqual(await answers(indexes, journal.head()), await truth(journal));
  await indexes.stop();
});
