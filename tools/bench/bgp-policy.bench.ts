// Export policy and BMP benchmarks (issue 12):
//  1. encoding with policy: 100k IPv4 routes through a 10-statement export policy (prefix-sets with
//     masklength-range; communities, large communities, MED, prepends; one reject), grouped by the
//     interned attribute sets and encoded as UPDATEs — routes/s, median of 15 runs, against the same
//     encoding without policy (target >= 1M routes/s);
//  2. 100k routes (100 interfaces x 1000 addresses, global table) through that policy to a real gobgpd
//     in a namespace: daemon start to all accepted routes held by gobgpd (target <= 5 s);
//  3. BMP: a pmbmpd collector added by reload with route-monitoring-policy local-rib: reload to all
//     100k Loc-RIB routes logged by pmbmpd (target <= 5 s).
// Run (as root): node --import tsx --expose-gc tools/bench/bgp-policy.bench.ts [--encode-only]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { UpdateBuilder, type BgpRoute } from '../../src/bgp/codec/index.js';
import { exportPolicyFor } from '../../src/bgp/policy/index.js';
import { routeAttributes } from '../../src/bgp/session.js';
import { parseConfig } from '../../src/config/index.js';
import { startDaemon } from '../../src/main.js';
import {
  NO_POLICY_ATTRIBUTES,
  type PolicyAttributes,
  type VrfAdvertisement,
} from '../../src/projections/bgp-outbound/index.js';
import { createNetns } from '../../test/helpers/netns.js';
import { Gobgpd, createPeerLink, waitFor } from '../../test/integration/bgp/harness.js';
import { freePort } from '../../test/integration/bgp/scripted-peer.js';

const ROUTES = 100_000;
const IFS = 100;
const PER_IF = ROUTES / IFS;
const RUNS = 15;
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Address k of interface n, as a /28 (the same layout as tools/bench/bgp.bench.ts). */
const prefixOf = (n: number, k: number): string =>
  `10.${100 + (n >> 2)}.${(n & 3) * 64 + (k >> 4)}.${(k & 15) * 16}/28`;

/** Ten statements over ten prefix-sets (one /16 each, 28..28), the last one a reject. */
function policyToml(): string {
  const out: string[] = [];
  for (let s = 0; s < 10; s++)
    out.push(`[[defined-sets.prefix-sets]]
  prefix-set-name = "ps${s}"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "10.${100 + s * 2}.0.0/15"
    masklength-range = "28..28"`);
  out.push(`[global.apply-policy.config]
  export-policy-list = ["p"]
[[policy-definitions]]
  name = "p"`);
  for (let s = 0; s < 10; s++) {
    const reject = s === 9;
    out.push(`  [[policy-definitions.statements]]
    name = "s${s}"
    [policy-definitions.statements.conditions.match-prefix-set]
      prefix-set = "ps${s}"
    [policy-definitions.statements.actions]
      route-disposition = "${reject ? 'reject-route' : 'accept-route'}"
    [policy-definitions.statements.actions.bgp-actions]
      set-med = "${s * 10}"
      [policy-definitions.statements.actions.bgp-actions.set-as-path-prepend]
        as = "65001"
        repeat-n = ${1 + (s % 3)}
      [policy-definitions.statements.actions.bgp-actions.set-community]
        options = "add"
        [policy-definitions.statements.actions.bgp-actions.set-community.set-community-method]
          communities-list = ["65001:${s}", "no-export"]
      [policy-definitions.statements.actions.bgp-actions.set-large-community]
        options = "add"
        [policy-definitions.statements.actions.bgp-actions.set-large-community.set-large-community-method]
          communities-list = ["65001:${s}:1"]`);
  }
  return out.join('\n');
}

function daemonToml(peer: string, extra = '', policy = true): string {
  const ifs = Array.from({ length: IFS }, (_, n) => `"b${n}"`).join(', ');
  return `
[global.config]
  as = 65001
  router-id = "192.0.2.1"
  port = -1
[netlink.import]
  enabled = true
  interface-list = [${ifs}]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${peer}"
    peer-as = 65002
  [neighbors.timers.config]
    connect-retry = 0.5
${policy ? policyToml() : ''}
${extra}`;
}

// 1. Encoding with policy ------------------------------------------------------------------------
function encodeBench(): { withPolicy: number; without: number; accepted: number } {
  const { config } = parseConfig(daemonToml('192.0.2.2'));
  const policy = exportPolicyFor(config.policy, config.global!, config.neighbors[0]!)!;
  const prefixes: string[] = [];
  for (let n = 0; n < IFS; n++) for (let k = 0; k < PER_IF; k++) prefixes.push(prefixOf(n, k));
  const adv: VrfAdvertisement = { vrf: '', rd: undefined, routeTargets: [], labels: [], configVersion: 1 };
  const builder = new UpdateBuilder({
    localAs: 65001,
    peerAs: 65002,
    as4: true,
    nextHop: { ipv4: '192.0.2.1' },
  });
  let accepted = 0;
  const run = (withPolicy: boolean): number => {
    gc();
    const t = performance.now();
    const groups = new Map<PolicyAttributes, BgpRoute[]>();
    for (const prefix of prefixes) {
      let attrs = NO_POLICY_ATTRIBUTES;
      if (withPolicy) {
        const d = policy.evaluate(prefix);
        if (!d.accepted) continue;
        attrs = d.attributes;
      }
      let g = groups.get(attrs);
      if (!g) groups.set(attrs, (g = []));
      g.push({ family: 'ipv4-unicast', prefix });
    }
    accepted = 0;
    for (const [attrs, routes] of groups) {
      builder.announce('ipv4-unicast', routes, routeAttributes(adv, attrs));
      accepted += routes.length;
    }
    return prefixes.length / ((performance.now() - t) / 1000);
  };
  for (let i = 0; i < 3; i++) {
    run(true);
    run(false);
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    a.push(run(true));
    b.push(run(false));
  }
  run(true);
  return { withPolicy: median(a), without: median(b), accepted };
}

const enc = encodeBench();
console.log(
  `encoding with a 10-statement export policy: ${(enc.withPolicy / 1e6).toFixed(2)}M routes/s (median of ${RUNS}; target >= 1M), ` +
    `without policy ${(enc.without / 1e6).toFixed(2)}M routes/s, ratio ${(enc.withPolicy / enc.without).toFixed(2)}; ${enc.accepted} of ${ROUTES} accepted`,
);

// 2 and 3: against gobgpd and pmbmpd -------------------------------------------------------------
if (process.argv.includes('--encode-only')) process.exit(0);
const cleanups: (() => unknown)[] = [];
const hook = { after: (fn: () => unknown) => cleanups.push(fn) };
const root = await mkdtemp(join(tmpdir(), 'rjt-policy-bench-'));
try {
  const link = await createPeerLink(hook);
  const kernel = await createNetns(hook, { prefix: 'rjbench' });
  const setup: string[] = [];
  for (let n = 0; n < IFS; n++)
    setup.push(`link add name b${n} type veth peer name p${n}`, `link set b${n} up`, `link set p${n} up`);
  await kernel.batch(setup);
  for (let n = 0; n < IFS; n++) {
    const addrs: string[] = [];
    for (let k = 0; k < PER_IF; k++)
      addrs.push(`addr add ${prefixOf(n, k).replace(/0\/28$/, '1/28')} dev b${n}`);
    await kernel.batch(addrs);
  }
  const gobgpd = await Gobgpd.start(link.ns, {
    as: 65002,
    routerId: link.peer4,
    neighbors: [{ address: link.local4, peerAs: 65001, families: ['ipv4-unicast'] }],
  });
  const held = async (): Promise<number> =>
    Number(
      /Destination:\s*(\d+)/.exec(await gobgpd.cli(['global', 'rib', 'summary', '-a', 'ipv4']))?.[1] ?? 0,
    );
  // Reference in the same run: the same start without policy (all 100k routes).
  const start = async (policy: boolean, dir: string) => {
    const t0 = performance.now();
    const d = await startDaemon({
      config: parseConfig(daemonToml(link.peer4, '', policy)).config,
      journalDir: join(root, dir),
      log: pino({ level: 'silent' }),
      netns: kernel.name,
    });
    const want = policy ? enc.accepted : ROUTES;
    await waitFor(async () => (await held()) === want, `${want} routes at gobgpd`, 120_000, 20);
    return { daemon: d, ms: performance.now() - t0 };
  };
  const reference = await start(false, 'journal-ref');
  await reference.daemon.stop();
  await gobgpd.restart();
  const withPolicy = await start(true, 'journal');
  const daemon = withPolicy.daemon;
  cleanups.push(() => daemon.stop());
  console.log(
    `100k routes through the 10-statement policy at start: gobgpd holds all ${enc.accepted} accepted ${withPolicy.ms.toFixed(0)} ms after daemon start (target <= 5000 ms); ` +
      `without policy (reference, same run) ${reference.ms.toFixed(0)} ms, ratio ${(withPolicy.ms / reference.ms).toFixed(2)}`,
  );

  // 3. BMP Loc-RIB of 100k routes to pmbmpd.
  const port = await freePort();
  const logFile = join(root, 'bmp.log');
  await writeFile(
    join(root, 'pmbmpd.conf'),
    `bmp_daemon_ip: 127.0.0.1\nbmp_daemon_port: ${port}\nbmp_daemon_msglog_file: ${logFile}\nbmp_daemon_msglog_output: json\n`,
  );
  const pm = spawn('pmbmpd', ['-f', join(root, 'pmbmpd.conf')], { stdio: 'ignore' });
  cleanups.push(() => pm.kill('SIGKILL'));
  await waitFor(
    () => execFileSync('ss', ['-ltn']).toString().includes(`127.0.0.1:${port}`),
    'pmbmpd listening',
  );
  const bmp = `[[bmp-servers]]\n  [bmp-servers.config]\n    address = "127.0.0.1"\n    port = ${port}\n    route-monitoring-policy = "local-rib"\n    statistics-timeout = 0`;
  const count = (): number => {
    try {
      return Number(execFileSync('grep', ['-c', '"ip_prefix"', logFile]).toString().trim());
    } catch {
      return 0;
    }
  };
  const t1 = performance.now();
  await daemon.reload(parseConfig(daemonToml(link.peer4, bmp)).config);
  await waitFor(() => count() >= ROUTES, `${ROUTES} Loc-RIB routes at pmbmpd`, 120_000, 100);
  console.log(
    `BMP route monitoring (Loc-RIB) of ${ROUTES} routes: reload to all logged by pmbmpd ${(performance.now() - t1).toFixed(0)} ms (target <= 5000 ms)`,
  );
} finally {
  for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
}
console.log(`load average: ${execFileSync('uptime').toString().trim()}`);
