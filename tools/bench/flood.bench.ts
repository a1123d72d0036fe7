// Issue 10.6: memory and convergence under a flood of address changes. 100 veths; as fast as iproute2
// goes: 100k addresses added (1000 per veth, round robin), all removed, added again, then 85k removed,
// leaving 15k. Figures: peak RSS of the daemon's process and of its observer child, RSS one minute after
// the flood, time from the last operation until the RIB equals the kernel, observer restarts.
// Run: node --import tsx --expose-gc tools/bench/flood.bench.ts   (as root; FLOOD_AFTER_S=60)
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeHeapSnapshot } from 'node:v8';
import { pino } from 'pino';
import { parseConfig } from '../../src/config/index.js';
import { startDaemon } from '../../src/main.js';
import { churnDevice } from '../../test/helpers/churn.js';
import { inChurnLab } from './churn-lab.js';

const DEVICES = 100;
const PER_DEVICE = Number(process.env['FLOOD_PER_DEVICE'] ?? '1000');
const KEEP = Math.round(DEVICES * PER_DEVICE * 0.15);
const AFTER_S = Number(process.env['FLOOD_AFTER_S'] ?? '60');
const mb = (n: number): string => `${(n / 2 ** 20).toFixed(0)} MB`;

async function childRss(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  try {
    const { stdout } = await promisify(execFile)('ps', ['-o', 'rss=', '-p', String(pid)]);
    return Number(stdout.trim()) * 1024;
  } catch {
    return 0;
  }
}

await inChurnLab('flood', DEVICES, async (ns, dir) => {
  const { config } = parseConfig('[netlink.import]\nenabled = true\ninterface-list = ["dev*"]\n');
  const daemon = await startDaemon({
    config,
    journalDir: dir,
    log: pino({ level: 'silent' }),
    netns: ns.name,
  });
  let peak = 0;
  let peakChild = 0;
  let samples = 0;
  const sample = async (): Promise<void> => {
    const m = process.memoryUsage();
    const child = await childRss(daemon.observer.pid);
    peak = Math.max(peak, m.rss);
    peakChild = Math.max(peakChild, child);
    // Where the memory is, every 5 s, on stderr (FLOOD_TRACE=1).
    if (process.env['FLOOD_TRACE'] !== undefined && ++samples % 10 === 0)
      console.error(
        `rss ${mb(m.rss)} heap ${mb(m.heapUsed)} external ${mb(m.external)} buffers ${mb(m.arrayBuffers)} child ${mb(child)} seq ${daemon.journal.head()} rib ${daemon.rib.size()} restarts ${daemon.observer.restarts}`,
      );
  };
  const sampler = setInterval(() => void sample(), 500);
  const rssBefore = process.memoryUsage.rss();

  const prefix = (d: number, k: number): string => `10.${d}.${k >> 8}.${k & 255}/32`;
  const lines = (op: 'add' | 'del', count: number): string[] => {
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      const d = i % DEVICES;
      const k = Math.floor(i / DEVICES);
      out.push(`addr ${op} ${prefix(d, k)} dev ${churnDevice(d)}`);
    }
    return out;
  };
  // In pieces: the helper gives one `ip -batch` a minute at most, and this machine is shared.
  const run = async (all: string[]): Promise<void> => {
    for (let i = 0; i < all.length; i += 10_000) await ns.batch(all.slice(i, i + 10_000));
  };
  const total = DEVICES * PER_DEVICE;
  const t0 = performance.now();
  let ops = 0;
  for (const [op, count] of [
    ['add', total],
    ['del', total],
    ['add', total],
  ] as const) {
    await run(lines(op, count));
    ops += count;
  }
  // Remove all but the first KEEP (in round-robin order, so they stay spread over every veth).
  const dels = lines('del', total).slice(KEEP);
  await run(dels);
  ops += dels.length;
  const floodS = (performance.now() - t0) / 1000;
  const ended = performance.now();
  let convergedS = Number.NaN;
  while (performance.now() - ended < 120_000) {
    if (daemon.rib.size() === KEEP) {
      convergedS = (performance.now() - ended) / 1000;
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  // Where the memory is (FLOOD_HEAPSNAPSHOT=file): a heap snapshot right after the flood.
  const snapshotTo = process.env['FLOOD_HEAPSNAPSHOT'];
  if (snapshotTo !== undefined) writeHeapSnapshot(snapshotTo);
  await new Promise((r) => setTimeout(r, AFTER_S * 1000));
  const rssAfter = process.memoryUsage.rss();
  const childAfter = await childRss(daemon.observer.pid);
  const restarts = daemon.observer.restarts;
  clearInterval(sampler);
  const head = daemon.journal.head();
  await daemon.stop();
  console.log(
    `flood of ${ops} address operations on ${DEVICES} veths in ${floodS.toFixed(1)} s (${(ops / floodS).toFixed(0)}/s), ${head} events journaled:`,
  );
  console.log(
    `  peak RSS: daemon process ${mb(peak)} (before the flood ${mb(rssBefore)}), observer child ${mb(peakChild)} (target ≤ 300 MB)`,
  );
  console.log(
    `  RSS ${AFTER_S} s after the flood: daemon process ${mb(rssAfter)}, observer child ${mb(childAfter)}`,
  );
  console.log(
    `  RIB = kernel (${KEEP} paths) ${convergedS.toFixed(1)} s after the last operation (target ≤ 10 s); observer restarts ${restarts}`,
  );
});
