// Journal operations benchmark (issue 5), over 1M-event journals:
//   - migration 0002 of a format-1 journal written one event per LevelDB value (a low-rate daemon),
//   - verify and replay (read() alone, and read() into the Rib) after it: target > 500k events/s,
//   - the same reads of a format-2 journal before block compaction, and the compaction itself,
//   - start-up (open + RIB ready) with and without a persisted RIB checkpoint: target < 0.5 s with one,
//   - `replay --at` at random points with the timeline's checkpoints: target < 100 ms.
// Medians of RUNS runs (single runs for one-off operations). Run:
//   node --import tsx --expose-gc tools/bench/journal-ops.bench.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { encodeBlock } from '../../src/events/index.js';
import type { ConfigApplied, Envelope, JournalEvent } from '../../src/events/index.js';
import { openLevelJournal, verifyJournal } from '../../src/journal/index.js';
import type { LevelJournal } from '../../src/journal/index.js';
import { encodeStoredBlock, eventKey, formatValue, timeKey, timeValue } from '../../src/journal/storage.js';
import { Rib, createApiIndexes, encodeVrfPaths, restoreVrfPaths } from '../../src/projections/index.js';

const EVENTS = 1_000_000;
const RUNS = 5;
const VRFS = ['', 'customer-a', 'customer-b', 'kube-lb', 'mgmt'];
const PREFIXES = 100_000;
const T0 = 1_764_000_000_000_000;

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number): string => `${n.toFixed(1)} ms`;
async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const r = await fn();
  return [r, Number(process.hrtime.bigint() - start) / 1e6];
}

function config(version: number): ConfigApplied {
  return {
    type: 'ConfigApplied',
    configVersion: version,
    vrfs: VRFS.map((name, i) => ({
      name,
      rd: name === '' ? '' : `65000:${100 + i}`,
      importRts: name === '' ? [] : [`65000:${100 + i}`],
      exportRts: name === '' ? [] : [`65000:${100 + i}`],
      label: 0,
      interfaces: [`eth${i}`, 'kubelb-*'],
    })),
    neighbors: [
      {
        address: '192.0.2.2',
        peerAs: 65001,
        families: ['ipv4-unicast', 'l3vpn-ipv4-unicast'],
        passive: false,
      },
    ],
    global: { as: 65000, routerId: '192.0.2.1' },
  };
}

/**
 * A realistic stream: 100k prefixes over five VRFs, each hit ten times; the odd ones flap (discovered
 * when absent, vanished when present), the even ones are rediscovered in place (an address change); a
 * ConfigApplied every 100k events. The RIB holds 50k-100k paths along the way, 50k at the end.
 */
function* stream(n: number): Generator<Envelope> {
  const present = new Uint8Array(PREFIXES);
  for (let i = 0; i < n; i++) {
    const seq = i + 1;
    const time = T0 + i * 1000;
    if (i % 100_000 === 0) {
      yield { seq, time, version: 1, event: config(i / 100_000 + 1) };
      continue;
    }
    const p = (i * 7919) % PREFIXES;
    const vrf = VRFS[p % VRFS.length]!;
    const prefix = `10.${(p >> 8) & 255}.${p & 255}.0/24`;
    const ifn = p % 100;
    const iface = vrf === 'kube-lb' ? `kubelb-${ifn}` : `eth${ifn}`;
    let event: JournalEvent;
    if (present[p] && p % 2 === 1) {
      event = { type: 'RouteVanished', vrf, family: 'ipv4', prefix, interface: iface, reason: 'link-down' };
      present[p] = 0;
    } else {
      event = {
        type: 'RouteDiscovered',
        vrf,
        family: 'ipv4',
        prefix,
        interface: iface,
        ifindex: 2 + ifn,
        address: `10.${(p >> 8) & 255}.${p & 255}.1`,
      };
      present[p] = 1;
    }
    yield { seq, time, version: 1, event };
  }
}

/** Writes the stream one event per LevelDB value, in `format` (1: bare records; 2: headers). */
async function writeOnePerValue(dir: string, format: 1 | 2): Promise<void> {
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  try {
    let batch = db.batch();
    batch.put(Buffer.from('sformat'), formatValue(format));
    for (const env of stream(EVENTS)) {
      const records = encodeBlock([env]);
      batch.put(eventKey(env.seq), format === 1 ? records : encodeStoredBlock(records, 1, env.time));
      batch.put(timeKey(env.time, env.seq), format === 1 ? Buffer.alloc(0) : timeValue(1));
      if (batch.length >= 20_000) {
        await batch.write();
        batch = db.batch();
      }
    }
    await batch.write({ sync: true });
    await db.compactRange(Buffer.from([0]), Buffer.from([0xff]));
  } finally {
    await db.close();
  }
}

async function readRate(j: LevelJournal, into?: Rib): Promise<number> {
  gc();
  let n = 0;
  const [, t] = await timed(async () => {
    for await (const batch of j.read()) {
      if (into) for (const env of batch) into.apply(env);
      n += batch.length;
    }
  });
  if (n !== EVENTS) throw new Error(`read ${n} events`);
  return (n / t) * 1000;
}

async function verifyRate(dir: string): Promise<number> {
  gc();
  const [r, t] = await timed(() => verifyJournal(dir));
  if (!r.ok || r.events !== EVENTS) throw new Error(`verify: ${JSON.stringify(r.problems.slice(0, 3))}`);
  return (r.events / t) * 1000;
}

const CHECKPOINT_KEY = 'bench-rib-checkpoint';

/** A persisted RIB checkpoint built with the timeline module's Rib serialisation. */
function encodeCheckpoint(rib: Rib): Buffer {
  const vrfs: Record<string, string> = {};
  for (const vrf of rib.vrfNames()) vrfs[vrf] = encodeVrfPaths(rib, vrf);
  return Buffer.from(JSON.stringify({ seq: rib.seq, time: rib.time, config: rib.config ?? null, vrfs }));
}

function decodeCheckpoint(buf: Buffer): Rib {
  const cp = JSON.parse(buf.toString('utf8')) as {
    seq: number;
    time: number;
    config: ConfigApplied | null;
    vrfs: Record<string, string>;
  };
  const rib = new Rib();
  if (cp.config) rib.apply({ seq: 0, time: 0, version: 1, event: cp.config });
  for (const [vrf, text] of Object.entries(cp.vrfs)) restoreVrfPaths(rib, vrf, text);
  rib.seq = cp.seq;
  rib.time = cp.time;
  return rib;
}

/** Start-up as the daemon does it: open the journal and bring the RIB to its head. */
async function startUp(dir: string, withCheckpoint: boolean): Promise<[number, number]> {
  gc();
  const [size, t] = await timed(async () => {
    const j = await openLevelJournal(dir, { create: false, compaction: false });
    try {
      const stored = withCheckpoint ? await j.getMeta(CHECKPOINT_KEY) : undefined;
      const rib = stored ? decodeCheckpoint(stored) : new Rib();
      for await (const batch of j.read({ after: rib.seq })) for (const env of batch) rib.apply(env);
      if (rib.seq !== j.head()) throw new Error('start-up did not reach the head');
      return rib.size();
    } finally {
      await j.close();
    }
  });
  return [t, size];
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'ribjournal-ops-bench-'));
  try {
    console.log(
      `journal-ops: ${fmt(EVENTS)} events, ${fmt(PREFIXES)} prefixes over ${VRFS.length} VRFs, medians of ${RUNS} runs`,
    );

    // 1. A format-1 journal written one event per value, migrated by the first open.
    const v1 = join(root, 'v1');
    await writeOnePerValue(v1, 1);
    gc();
    const [migrated, migrateMs] = await timed(() =>
      openLevelJournal(v1, { create: false, compaction: false }),
    );
    console.log(
      `migration 0002: ${fmt(EVENTS)} one-event blocks -> ${fmt(await migrated.blockCount())} blocks in ${ms(migrateMs)} (${fmt((EVENTS / migrateMs) * 1000)} events/s)`,
    );

    // 2. Verify and replay the migrated journal.
    const reads: number[] = [];
    const replays: number[] = [];
    for (let r = 0; r < RUNS; r++) reads.push(await readRate(migrated));
    let rib = new Rib();
    for (let r = 0; r < RUNS; r++) {
      rib = new Rib();
      replays.push(await readRate(migrated, rib));
    }
    await migrated.close();
    const verifies: number[] = [];
    for (let r = 0; r < RUNS; r++) verifies.push(await verifyRate(v1));
    console.log(
      `verify:            median ${fmt(median(verifies))} events/s (runs ${verifies.map(fmt).join(', ')})  [target > 500,000]`,
    );
    console.log(
      `replay read():     median ${fmt(median(reads))} events/s (runs ${reads.map(fmt).join(', ')})  [target > 500,000]`,
    );
    console.log(
      `replay into Rib:   median ${fmt(median(replays))} events/s (runs ${replays.map(fmt).join(', ')}); RIB ${fmt(rib.size())} paths`,
    );

    // 3. A format-2 journal of one-event blocks: what compaction saves.
    const v2 = join(root, 'v2');
    await writeOnePerValue(v2, 2);
    let j = await openLevelJournal(v2, { create: false, compaction: false });
    const small = [await readRate(j), await readRate(j), await readRate(j)];
    await j.close();
    const smallVerify = [await verifyRate(v2), await verifyRate(v2), await verifyRate(v2)];
    j = await openLevelJournal(v2, { create: false, compaction: false });
    const [pass, compactMs] = await timed(() => j.compact({ final: true }));
    await j.close();
    console.log(
      `one event per value (uncompacted): read() median ${fmt(median(small))} events/s, verify median ${fmt(median(smallVerify))} events/s; ` +
        `compaction to ${fmt(EVENTS - pass.removedBlocks)} blocks took ${ms(compactMs)}`,
    );

    // 4. Start-up with and without a checkpoint 10,000 events behind the head (the daemon would write
    // one every N events; the replay after it is what a start-up pays on top).
    const cpRib = new Rib();
    j = await openLevelJournal(v1, { create: false, compaction: false });
    for await (const batch of j.read({ through: EVENTS - 10_000 })) for (const env of batch) cpRib.apply(env);
    const checkpoint = encodeCheckpoint(cpRib);
    await j.putMeta(CHECKPOINT_KEY, checkpoint);
    await j.close();
    const cold: number[] = [];
    const warm: number[] = [];
    let paths = 0;
    for (let r = 0; r < RUNS; r++) {
      cold.push((await startUp(v1, false))[0]);
      const [t, size] = await startUp(v1, true);
      warm.push(t);
      paths = size;
    }
    console.log(
      `start-up (open + RIB at head, ${fmt(paths)} paths): without checkpoint median ${ms(median(cold))}; ` +
        `with a checkpoint (${(checkpoint.length / 1048576).toFixed(1)} MiB, 10,000 events behind) median ${ms(median(warm))}  [target < 500 ms]`,
    );

    // 5. replay --at: the timeline's checkpoints (every 25,000 events), a random point each time.
    j = await openLevelJournal(v1, { create: false, compaction: false });
    const indexes = createApiIndexes(j);
    const timeline = indexes.timeline;
    const [, buildMs] = await timed(() => indexes.start());
    const all: number[] = [];
    const one: number[] = [];
    for (let r = 0; r < 21; r++) {
      const seq = 1 + Math.floor(Math.random() * EVENTS);
      all.push((await timed(() => timeline.ribAt(seq)))[1]);
      one.push((await timed(() => timeline.ribAt(seq, ['customer-a'])))[1]);
    }
    await indexes.stop();
    await j.close();
    const cps = timeline.checkpointStats();
    console.log(
      `replay --at (timeline built in ${ms(buildMs)}, ${cps.written} checkpoints every ${fmt(cps.interval)} events, on disk): ` +
        `every VRF median ${ms(median(all))} (max ${ms(Math.max(...all))}), one VRF median ${ms(median(one))} (max ${ms(Math.max(...one))})  [target < 100 ms]`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
