// Live reload (issue 4): 100 VRFs and 10k routes on a real kernel in a network namespace made here; a
// new config that moves every interface to another VRF and changes every RD is applied with
// daemon.reload() (the SIGHUP and mutation path): time until every resulting event is committed.
// Target < 1 s. Run: node --import tsx --expose-gc tools/bench/reload.bench.ts   (as root)
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfig } from '../../src/config/index.js';
import { startDaemon } from '../../src/main.js';

const ns = `rjt-reload-${process.pid}`;
const root = await mkdtemp(join(tmpdir(), 'rjt-bench-'));
const VRFS = 100;
const PER_IF = 100;

function config(shift: number, rdBase: number): string {
  let toml = '';
  for (let v = 0; v < VRFS; v++) {
    const iface = `r${(v + shift) % VRFS}`;
    toml += `[[vrfs]]\n[vrfs.config]\nname = "vrf${v}"\nrd = "65000:${rdBase + v}"\nimport-rt-list = ["65000:${v}"]\nexport-rt-list = ["65000:${v}"]\n[vrfs.netlink-import]\nenabled = true\ninterface-list = ["${iface}"]\n`;
  }
  return toml;
}

execFileSync('ip', ['netns', 'add', ns]);
try {
  const lines: string[] = [];
  for (let n = 0; n < VRFS; n++)
    lines.push(`link add name r${n} type veth peer name q${n}`, `link set r${n} up`, `link set q${n} up`);
  for (let n = 0; n < VRFS; n++)
    for (let k = 0; k < PER_IF; k++) lines.push(`addr add 10.${n}.${k}.1/24 dev r${n}`);
  execFileSync('ip', ['-n', ns, '-force', '-batch', '-'], { input: lines.join('\n') + '\n' });
  const daemon = await startDaemon({
    config: parseConfig(config(0, 0)).config,
    journalDir: join(root, 'j'),
    log: pino({ level: 'silent' }),
    netns: ns,
  });
  const runs: number[] = [];
  let events = 0;
  for (let r = 1; r <= 5; r++) {
    const next = parseConfig(config(r, r * 1000)).config;
    const head = daemon.journal.head();
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = performance.now();
    await daemon.reload(next);
    runs.push(performance.now() - t0);
    events = daemon.journal.head() - head;
  }
  await daemon.stop();
  runs.sort((a, b) => a - b);
  console.log(
    `reload moving 10k routes across 100 VRFs (+ new RDs): median ${runs[2]!.toFixed(0)} ms (runs ${runs.map((x) => x.toFixed(0)).join(', ')}), ${events} events journaled per reload (target < 1000 ms)`,
  );
} finally {
  execFileSync('ip', ['netns', 'del', ns]);
  await rm(root, { recursive: true, force: true });
}
