// Issue 10.6: memory and convergence under a flood of address changes. 100 veths; as fast as iproute2
// goes: 100k addresses added (1000 per veth, round robin), all removed, added again, then 85k removed,
// leaving 15k. Figures: peak RSS of the daemon's process and of its observer child (and of both at
// once), RSS one minute after the flood, time from the last operation until the RIB equals the kernel,
// observer restarts. The daemon runs as deployed: compiled (dist/, `npm run build` first), in a process
// of its own without tsx (flood-daemon.mjs), with the node flags in FLOOD_NODE_FLAGS (default none).
// Run: npm run build && node --import tsx tools/bench/flood.bench.ts   (as root; FLOOD_AFTER_S=60)
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { churnDevice } from '../../test/helpers/churn.js';
import { inChurnLab } from './churn-lab.js';

const DEVICES = 100;
const PER_DEVICE = Number(process.env['FLOOD_PER_DEVICE'] ?? '1000');
const KEEP = Math.round(DEVICES * PER_DEVICE * 0.15);
const AFTER_S = Number(process.env['FLOOD_AFTER_S'] ?? '60');
const NODE_FLAGS = (process.env['FLOOD_NODE_FLAGS'] ?? '').split(' ').filter((f) => f !== '');
const mb = (n: number): string => `${(n / 2 ** 20).toFixed(0)} MB`;

interface Sample {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly childRss: number;
  readonly paths: number;
  readonly seq: number;
  readonly restarts: number;
  /** Events the history index has applied but not yet written. */
  readonly unwritten: number;
}

if (!existsSync(new URL('../../dist/src/main.js', import.meta.url)))
  throw new Error('flood.bench runs the compiled daemon: run "npm run build" first');

await inChurnLab('flood', DEVICES, async (ns, dir) => {
  const daemon = fork(new URL('./flood-daemon.mjs', import.meta.url), [ns.name, dir], {
    execArgv: NODE_FLAGS,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let last: Sample | undefined;
  let peak = 0;
  let peakChild = 0;
  let peakSum = 0;
  let samples = 0;
  const firstSample = new Promise<void>((resolve) => {
    daemon.on('message', (msg: Sample & { t: string }) => {
      if (msg.t !== 'sample') return;
      last = msg;
      peak = Math.max(peak, msg.rss);
      peakChild = Math.max(peakChild, msg.childRss);
      peakSum = Math.max(peakSum, msg.rss + msg.childRss);
      // Where the memory is, every second, on stderr (FLOOD_TRACE=1).
      if (process.env['FLOOD_TRACE'] !== undefined && samples++ % 4 === 0)
        console.error(
          `rss ${mb(msg.rss)} heap ${mb(msg.heapUsed)}/${mb(msg.heapTotal)} external ${mb(msg.external)} child ${mb(msg.childRss)} seq ${msg.seq} rib ${msg.paths} restarts ${msg.restarts} history unwritten ${msg.unwritten}`,
        );
      resolve();
    });
  });
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  await firstSample;
  const before = last!;
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
    if (last!.paths === KEEP) {
      convergedS = (performance.now() - ended) / 1000;
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, AFTER_S * 1000));
  const after = last!;
  // Where the memory is (FLOOD_HEAPSNAPSHOT=file): the daemon's heap at the end.
  const snapshotTo = process.env['FLOOD_HEAPSNAPSHOT'];
  if (snapshotTo !== undefined) daemon.send({ t: 'snapshot', file: snapshotTo });
  daemon.send({ t: 'stop' });
  await exited;
  console.log(
    `flood of ${ops} address operations on ${DEVICES} veths in ${floodS.toFixed(1)} s (${(ops / floodS).toFixed(0)}/s), ${after.seq} events journaled; daemon node flags: ${NODE_FLAGS.join(' ') || '(none)'}`,
  );
  console.log(
    `  peak RSS: daemon process ${mb(peak)} (before the flood ${mb(before.rss)}), observer child ${mb(peakChild)} (before ${mb(before.childRss)}), both at once ${mb(peakSum)} (target ≤ 300 MB)`,
  );
  console.log(
    `  RSS ${AFTER_S} s after the flood: daemon process ${mb(after.rss)} (heap used ${mb(after.heapUsed)}), observer child ${mb(after.childRss)}, both ${mb(after.rss + after.childRss)}`,
  );
  console.log(
    `  RIB = kernel (${KEEP} paths) ${convergedS.toFixed(1)} s after the last operation (target ≤ 10 s); observer restarts ${after.restarts}`,
  );
});
