// Helper of import.bench.ts: starts the compiled daemon (dist/, as `ribjournal serve` runs it) on an
// existing journal with its observer in namespace argv[2], and prints the resident memory of the daemon
// and of its observer child as JSON once it is ready and garbage-collected. Run with --expose-gc.
import { execFileSync } from 'node:child_process';
import { pino } from 'pino';
import { parseConfig } from '../../dist/src/config/index.js';
import { startDaemon } from '../../dist/src/main.js';

const [ns, journalDir, patterns] = process.argv.slice(2);
const { config } = parseConfig(`[netlink.import]\nenabled = true\ninterface-list = ${patterns}\n`);
const daemon = await startDaemon({ config, journalDir, log: pino({ level: 'silent' }), netns: ns });
for (let i = 0; i < 3; i++) {
  globalThis.gc?.();
  await new Promise((r) => setTimeout(r, 300));
}
const childKb = Number(
  execFileSync('ps', ['-o', 'rss=', '-p', String(daemon.observer.pid)])
    .toString()
    .trim(),
);
const m = process.memoryUsage();
console.log(
  JSON.stringify({ paths: daemon.rib.size(), rss: m.rss, heapUsed: m.heapUsed, observerRss: childKb * 1024 }),
);
await daemon.stop();
