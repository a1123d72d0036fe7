// Kernel observer benchmark (needs root): a namespace with IFACES interfaces x PER_IFACE IPv4 addresses
// (spread out: adding many addresses to one interface is superlinear in the kernel), then
//   - start(): spawn the child, dump, deliver the start snapshot
//   - requestScan(): full dump delivered as a snapshot
//   - notification latency: `ip addr add` written to a running `ip -batch -`, until the listener has it
// Usage: node --import tsx tools/bench/netlink.bench.ts   (NETLINK_BENCH_IFACES=100 NETLINK_BENCH_PER_IFACE=1000)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { pino } from 'pino';
import { createKernelObserver, type KernelChange, type ObserverBatch } from '../../src/netlink/index.js';
import { createNetns } from '../../test/helpers/netns.js';

const IFACES = Number(process.env.NETLINK_BENCH_IFACES ?? 100);
const PER_IFACE = Number(process.env.NETLINK_BENCH_PER_IFACE ?? 1000);
const LATENCY_SAMPLES = Number(process.env.NETLINK_BENCH_SAMPLES ?? 200);

const nowUs = (): number => (performance.timeOrigin + performance.now()) * 1000;
const ms = (us: number): string => (us / 1000).toFixed(1);

function stats(samplesUs: number[]): string {
  const s = [...samplesUs].sort((x, y) => x - y);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return `median ${ms(at(0.5))} ms, p95 ${ms(at(0.95))} ms, max ${ms(s[s.length - 1]!)} ms (n=${s.length})`;
}

async function main(): Promise<void> {
  const ns = await createNetns();
  try {
    const pairs = Math.ceil(IFACES / 2);
    const names = Array.from({ length: pairs }, (_, i) => [`v${i}a`, `v${i}b`] as const)
      .flat()
      .slice(0, IFACES);
    await ns.batch(
      Array.from({ length: pairs }, (_, i) => `link add name v${i}a type veth peer name v${i}b`),
    );
    await ns.batch(names.map((n) => `link set dev ${n} up`));
    let t = nowUs();
    await ns.batch(
      names.flatMap((dev, d) =>
        Array.from(
          { length: PER_IFACE },
          (_, j) => `addr add 10.${d >> 2}.${((d & 3) << 6) | (j >> 8)}.${j & 255}/32 dev ${dev}`,
        ),
      ),
    );
    console.log(`setup: ${IFACES} interfaces x ${PER_IFACE} addresses added in ${ms(nowUs() - t)} ms`);

    const log = pino({ level: 'warn' }).child({ topic: 'netlink' });
    const observer = createKernelObserver({ log, scanIntervalMs: 0, netns: ns.name });
    ns.cleanup(() => observer.stop());
    let waiting: { match: (c: KernelChange) => boolean; resolve: (b: ObserverBatch) => void } | undefined;
    const deliveries: { batch: ObserverBatch; at: number }[] = [];
    observer.onBatch((batch) => {
      const at = nowUs();
      deliveries.push({ batch, at });
      if (waiting !== undefined && batch.changes.some(waiting.match)) {
        const w = waiting;
        waiting = undefined;
        w.resolve(batch);
      }
    });
    const next = (match: (c: KernelChange) => boolean): Promise<ObserverBatch> =>
      new Promise((resolve) => {
        waiting = { match, resolve };
      });

    t = nowUs();
    await observer.start();
    const startDone = nowUs();
    const first = deliveries[0]!;
    const snapshot = first.batch.changes[0];
    const count = snapshot?.kind === 'snapshot' ? snapshot.addresses.length : 0;
    console.log(
      `start(): ${ms(startDone - t)} ms to the first snapshot (${count} addresses); ` +
        `dump start -> delivered ${ms(first.at - first.batch.receivedAt)} ms`,
    );

    const scans: number[] = [];
    const scansChild: number[] = [];
    for (let i = 0; i < 5; i++) {
      const p = next((c) => c.kind === 'snapshot');
      t = nowUs();
      observer.requestScan();
      const batch = await p;
      const at = nowUs();
      scans.push(at - t);
      scansChild.push(at - batch.receivedAt);
    }
    console.log(`requestScan() -> snapshot delivered: ${stats(scans)}`);
    console.log(`  dump start -> delivered: ${stats(scansChild)}`);

    // One long-lived `ip -batch -`: each line is applied when written, without a process spawn.
    const ip = spawn('ip', ['-n', ns.name, '-batch', '-'], { stdio: ['pipe', 'ignore', 'inherit'] });
    const endToEnd: number[] = [];
    const kernelToListener: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const address = `10.250.${i >> 8}.${i & 255}`;
      const p = next((c) => c.kind === 'address' && c.op === 'new' && c.address.address === address);
      t = nowUs();
      ip.stdin.write(`addr add ${address}/32 dev v0a\n`);
      const batch = await p;
      const at = nowUs();
      endToEnd.push(at - t);
      kernelToListener.push(at - batch.receivedAt);
    }
    ip.stdin.end();
    await once(ip, 'close');
    console.log(`notification, command written -> listener: ${stats(endToEnd)}`);
    console.log(
      `notification, child received -> listener: ${stats(kernelToListener)} (clocks of two processes)`,
    );
  } finally {
    await ns.remove();
  }
}

await main();
