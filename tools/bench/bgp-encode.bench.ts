// UPDATE encode throughput (issue 6, "encode throughput of UPDATEs in routes/s"): 100k VPN-IPv4 routes
// in 10 VRFs (each with its RD and two export RTs, one announce call per VRF as the speaker makes
// them) and 100k IPv4 unicast routes, toward an eBGP peer with 4-octet AS. Prints the median routes/s
// over 15 runs after warm-up, with the UPDATE count and octets; decode throughput for comparison.
// Run: node --import tsx --expose-gc tools/bench/bgp-encode.bench.ts
import {
  UpdateBuilder,
  decodeUpdate,
  type BgpFamily,
  type BgpRoute,
  type RouteAttributes,
} from '../../src/bgp/codec/index.js';
import { isRdRtError, maskedPrefix, parseRdRt, type RdRt } from '../../src/shared/index.js';

const ROUTES = 100_000;
const VRFS = 10;
const RUNS = 15;

function rd(text: string): RdRt {
  const r = parseRdRt(text);
  if (isRdRtError(r)) throw new Error(r.error);
  return r;
}
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

interface Batch {
  readonly family: BgpFamily;
  readonly routes: BgpRoute[];
  readonly attrs: RouteAttributes;
}

function ipv4Prefix(i: number): string {
  return `${10 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}.0/24`;
}

// VRF v gets RD type 0, 1 or 2 in turn, and two RTs.
const vpnBatches: Batch[] = Array.from({ length: VRFS }, (_, v) => {
  const d = rd(v % 3 === 0 ? `65001:${v}` : v % 3 === 1 ? `192.0.2.${v}:${v}` : `4200000000:${v}`);
  const routes: BgpRoute[] = [];
  for (let i = v; i < ROUTES; i += VRFS)
    routes.push({ family: 'l3vpn-ipv4-unicast', prefix: ipv4Prefix(i), rd: d, labels: [0] });
  return {
    family: 'l3vpn-ipv4-unicast',
    routes,
    attrs: { routeTargets: [rd(`65001:${v}`), rd(`65001:${1000 + v}`)] },
  };
});
const v4Batches: Batch[] = [
  {
    family: 'ipv4-unicast',
    routes: Array.from({ length: ROUTES }, (_, i) => ({ family: 'ipv4-unicast', prefix: ipv4Prefix(i) })),
    attrs: {},
  },
];
const v6Batches: Batch[] = Array.from({ length: VRFS }, (_, v) => {
  const d = rd(`65001:${v}`);
  const routes: BgpRoute[] = [];
  for (let i = v; i < ROUTES; i += VRFS) {
    routes.push({
      family: 'l3vpn-ipv6-unicast',
      prefix: maskedPrefix(`2001:db8:${(i >> 8).toString(16)}:${(i & 0xff).toString(16)}00::`, 56),
      rd: d,
    });
  }
  return { family: 'l3vpn-ipv6-unicast', routes, attrs: { routeTargets: [rd(`65001:${v}`)] } };
});

const builder = new UpdateBuilder({
  localAs: 65001,
  peerAs: 65002,
  as4: true,
  nextHop: { ipv4: '192.0.2.1', ipv6: '2001:db8::1' },
});

function encodeAll(batches: Batch[]): Buffer[] {
  const out: Buffer[] = [];
  for (const b of batches) for (const m of builder.announce(b.family, b.routes, b.attrs)) out.push(m);
  return out;
}

function bench(name: string, batches: Batch[]): Buffer[] {
  let msgs: Buffer[] = [];
  for (let i = 0; i < 3; i++) msgs = encodeAll(batches); // warm-up
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    gc();
    const t0 = process.hrtime.bigint();
    msgs = encodeAll(batches);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const ms = median(times);
  const bytes = msgs.reduce((n, m) => n + m.length, 0);
  console.log(
    `${name}: median ${ms.toFixed(1)} ms for ${ROUTES} routes = ${Math.round(ROUTES / (ms / 1000)).toLocaleString('en-US')} routes/s; ` +
      `${msgs.length} UPDATEs, ${bytes.toLocaleString('en-US')} octets (min ${Math.min(...times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms)`,
  );
  return msgs;
}

bench('encode VPN-IPv4, 10 VRFs with RTs', vpnBatches);
bench('encode IPv4 unicast', v4Batches);
const v6 = bench('encode VPN-IPv6, 10 VRFs with RTs', v6Batches);

// Decode, for scale: what a peer's UPDATEs of the same size cost us.
const vpn = encodeAll(vpnBatches);
for (const [name, msgs] of [
  ['decode VPN-IPv4', vpn],
  ['decode VPN-IPv6', v6],
] as const) {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    gc();
    const t0 = process.hrtime.bigint();
    let n = 0;
    for (const m of msgs) {
      const r = decodeUpdate(m.subarray(19), { as4: true, ibgp: false });
      if (r.action !== 'session-reset') n += r.update.announced.length;
    }
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (n !== ROUTES) throw new Error(`decoded ${n} routes`);
  }
  const ms = median(times);
  console.log(
    `${name}: median ${ms.toFixed(1)} ms = ${Math.round(ROUTES / (ms / 1000)).toLocaleString('en-US')} routes/s`,
  );
}
