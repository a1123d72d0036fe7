// Retention (issue 9.5): trims a generated 1M-event journal (100 VRFs x 1000 prefixes, then flaps) to its
// last 100k events with an archive directory; prints size on disk before/after, the time of the trim
// (RIB checkpoint at the horizon + gzip JSONL archive + deletes + LevelDB compaction), the archive's size,
// and checks that the RIB at a seq inside the horizon is the same before and after. The journal carries
// the API's derived data as a daemon's does (history index, timeline checkpoints: built before the trim,
// pruned by it), so the sizes are a daemon's; time travel inside the horizon is checked too, restarted.
// Run: npm run bench -- retention   (RETENTION_EVENTS=... to change the size)
import { mkdtemp, rm, stat, readdir } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { JournalEvent } from '../../src/events/index.js';
import { openLevelJournal } from '../../src/journal/index.js';
import type { LevelJournal } from '../../src/journal/index.js';
import { dirSize } from '../../src/journal/db.js';
import { trimJournal } from '../../src/journal/retention.js';
import { Rib, createApiIndexes, loadHorizonCheckpoint, trimHooks } from '../../src/projections/index.js';
import { benchConfig, routeEvent, vrfName } from './route-events.js';

const EVENTS = Number(process.env['RETENTION_EVENTS'] ?? 1_000_000);
const KEEP = Math.floor(EVENTS / 10);
const VRFS = 100;
const PREFIXES = 1000;

let rng = 12345;
const rnd = (n: number): number => {
  rng = (rng * 1103515245 + 12345) % 2 ** 31;
  return rng % n;
};

async function generate(dir: string): Promise<void> {
  let now = Date.UTC(2026, 0, 1) * 1000;
  const journal = await openLevelJournal(dir, { clock: { nowMicros: () => (now += 1000) } });
  await journal.append([benchConfig(VRFS)]);
  const up = Array.from({ length: VRFS }, () => new Uint8Array(PREFIXES));
  let written = 1;
  let batch: JournalEvent[] = [];
  while (written < EVENTS) {
    const v = rnd(VRFS);
    const p = written < VRFS * PREFIXES ? written % PREFIXES : rnd(PREFIXES);
    const vv = written < VRFS * PREFIXES ? Math.floor(written / PREFIXES) % VRFS : v;
    const isUp = up[vv]![p] === 1;
    up[vv]![p] = isUp ? 0 : 1;
    batch.push(routeEvent(vv, `10.${p >> 8}.${p & 255}.0/24`, !isUp, vrfName(vv)));
    written++;
    if (batch.length === 2000 || written === EVENTS) {
      await journal.append(batch);
      batch = [];
    }
  }
  await journal.compact({ final: true });
  await journal.close();
}

/** The RIB at `seq`, by replay from `base` (a checkpoint) or the origin. */
async function ribAt(journal: LevelJournal, seq: number, base?: Rib): Promise<unknown> {
  const rib = base ?? new Rib();
  for await (const batch of journal.read({ after: rib.seq, through: seq }))
    for (const e of batch) rib.apply(e);
  return rib.vrfNames().map((vrf) => [vrf, [...rib.entries(vrf)].sort(([a], [b]) => (a < b ? -1 : 1))]);
}

const root = await mkdtemp(join(tmpdir(), 'ribjournal-retention-bench-'));
try {
  const dir = join(root, 'journal');
  const archiveDir = join(root, 'archive');
  let t = performance.now();
  await generate(dir);
  console.log(
    `generated ${EVENTS.toLocaleString('en')} events in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  const journal = await openLevelJournal(dir);
  const head = journal.head();
  const through = head - KEEP;
  const probe = through + Math.floor(KEEP / 2);
  const truth = await ribAt(journal, probe);
  t = performance.now();
  let indexes = createApiIndexes(journal);
  await indexes.start();
  const dump = (rib: Rib): unknown =>
    rib.vrfNames().map((vrf) => [vrf, [...rib.entries(vrf)].sort(([a], [b]) => (a < b ? -1 : 1))]);
  const travelled = dump(await indexes.timeline.ribAt(probe));
  await indexes.stop();
  await journal.compact({ final: true });
  console.log(`API indexes built in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const before = await dirSize(dir);
  t = performance.now();
  const r = await trimJournal(journal, through, {
    archiveDir,
    ...trimHooks(journal, (err) => console.error('prune failed', err)),
    // The reference: the events trimmed, the derived data left as it was (what the trim did before).
    ...(process.env['RETENTION_NO_PRUNE'] === '1' ? { afterRemove: undefined } : {}),
  });
  const ms = performance.now() - t;
  const after = await dirSize(dir);
  indexes = createApiIndexes(journal);
  await indexes.start();
  const travelledAfter = dump(await indexes.timeline.ribAt(probe));
  await indexes.stop();
  const files = await readdir(archiveDir);
  const archived = files.length === 1 ? (await stat(join(archiveDir, files[0]!))).size : NaN;
  const same =
    isDeepStrictEqual(await ribAt(journal, probe, await loadHorizonCheckpoint(journal)), truth) &&
    isDeepStrictEqual(travelledAfter, travelled) &&
    isDeepStrictEqual(travelled, truth);
  console.log(
    `trim to the last ${KEEP.toLocaleString('en')} events: horizon seq ${r?.horizon.seq}, removed ` +
      `${r?.removed.toLocaleString('en')} events in ${(ms / 1000).toFixed(2)} s`,
  );
  console.log(
    `size on disk ${(before / 2 ** 20).toFixed(1)} MiB -> ${(after / 2 ** 20).toFixed(1)} MiB ` +
      `(${((100 * after) / before).toFixed(1)}% of before) [target <= 15%]; archive ${(archived / 2 ** 20).toFixed(1)} MiB gzip JSONL`,
  );
  console.log(
    `RIB at seq ${probe} (inside the horizon), by replay and by the API's time travel after a restart, the same after the trim: ${same}`,
  );
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  await journal.close();
  if (!same) process.exitCode = 1;
} finally {
  await rm(root, { recursive: true, force: true });
}
