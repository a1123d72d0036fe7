// CPU per event on the hot path from the kernel's bytes to the BGP encoder (issue 9.4), in-process:
// N RTM_NEWADDR payloads (half IPv4 /30, half IPv6 /64, on 10 interfaces, half of them in a VPN VRF)
// decoded as the observer child decodes them and cloned as the IPC channel does (v8.serialize),
// applied one change per batch to the import state, the route events applied to the Rib and the BGP
// outbound projection, and the peer's queue drained into UPDATEs after each event (the latency path);
// then the same N addresses deleted (withdrawals). The figures are process CPU (user + system) per
// route event, for the whole and for each stage. A reference tree (PREFIX_BENCH_BASE=/path/to/src
// of another build, e.g. `git archive main src | tar -x -C /tmp/base`) runs in the same process,
// rounds interleaved so that machine load hits both alike.
// Run: node --import tsx --expose-gc tools/bench/prefix-path.bench.ts
//   (PREFIX_BENCH_N=20000 PREFIX_BENCH_ROUNDS=7 PREFIX_BENCH_BASE=/tmp/base/src)
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { ifaddrPayload } from '../../test/helpers/ifaddr.js';

const N = Number(process.env.PREFIX_BENCH_N ?? 20_000);
const ROUNDS = Number(process.env.PREFIX_BENCH_ROUNDS ?? 7);
const IFACES = 10;
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

function payloads(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < N; i++) {
    const index = 10 + (i % IFACES);
    if (i % 2 === 0)
      out.push(ifaddrPayload([10, (i >> 14) & 255, (i >> 6) & 255, ((i << 2) & 255) | 1], 30, index));
    else
      out.push(
        ifaddrPayload(
          [
            0x20,
            0x01,
            0x0d,
            0xb8,
            (i >> 24) & 255,
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            1,
          ],
          64,
          index,
        ),
      );
  }
  return out;
}

interface Tree {
  name: string;
  run: () => Promise<Record<string, number>>;
}

async function tree(name: string, src: string): Promise<Tree> {
  const m = (p: string): Promise<Record<string, unknown>> => import(resolve(src, p));
  /* eslint-disable @typescript-eslint/no-explicit-any -- two builds' modules, typed alike only at run time */
  const parse: any = await m('netlink/parse.ts');
  const proto: any = await m('netlink/protocol.ts');
  const imp: any = await m('import/index.ts');
  const cfg: any = await m('config/index.ts');
  const proj: any = await m('projections/index.ts');
  const out: any = await m('projections/bgp-outbound/index.ts');
  const codec: any = await m('bgp/codec/index.ts');
  const importConfig = cfg.parseConfig(
    [
      '[netlink.import]\nenabled = true\ninterface-list = ["e0", "e1", "e2", "e3", "e4"]',
      '[[vrfs]]\n[vrfs.config]\nname = "blue"\nrd = "65001:10"\nimport-rt-list = ["65001:10"]\nexport-rt-list = ["65001:10"]',
      '[vrfs.netlink-import]\nenabled = true\ninterface-list = ["e5", "e6", "e7", "e8", "e9"]',
    ].join('\n'),
  ).config;
  const configEvent = imp.configSnapshot ? imp.configSnapshot(importConfig, 1) : undefined;
  /* eslint-enable @typescript-eslint/no-explicit-any */
  const raw = payloads();
  return {
    name,
    async run() {
      const state = new imp.ImportState(importConfig);
      const rib = new proj.Rib();
      let seq = 0;
      const env = (event: unknown): unknown => ({ seq: ++seq, time: seq, version: 1, event });
      if (configEvent !== undefined) rib.apply(env(configEvent));
      const outbound = new out.BgpOutbound(rib);
      const peer = outbound.createPeer();
      peer.start(['ipv4-unicast', 'ipv6-unicast', 'l3vpn-ipv4-unicast', 'l3vpn-ipv6-unicast']);
      const builder = new codec.UpdateBuilder({
        localAs: 65001,
        peerAs: 65002,
        as4: true,
        nextHop: { ipv4: '192.0.2.1', ipv6: '2001:db8::1' },
      });
      const drain = (): number => {
        let bytes = 0;
        while (peer.hasWork)
          for (const c of peer.next(1000)) {
            const msgs =
              c.kind === 'announce'
                ? builder.announce(c.family, c.routes, { routeTargets: c.advertisement.routeTargets })
                : c.kind === 'withdraw'
                  ? builder.withdraw(c.family, c.routes)
                  : [builder.endOfRib(c.family)];
            for (const b of msgs) bytes += b.length;
          }
        return bytes;
      };
      state.applyKernel([
        {
          kind: 'snapshot',
          reason: 'start',
          links: Array.from({ length: IFACES }, (_, k) => ({
            index: 10 + k,
            name: `e${k}`,
            up: true,
            adminUp: true,
            master: undefined,
            kind: 'veth',
            vrfTable: undefined,
          })),
          addresses: [],
        },
      ]);
      drain();
      // Stage by stage over all N changes (each stage long enough for process CPU time to resolve it):
      // the child's decoding and the IPC clone; the import state, one change per batch; then per
      // change the Rib and outbound projection and the peer's queue drained into UPDATEs.
      const t = { decode: 0, import: 0, encode: 0, events: 0, bytes: 0, cpu: 0 };
      const cpuMs = (since: NodeJS.CpuUsage): number => {
        const c = process.cpuUsage(since);
        return (c.user + c.system) / 1000;
      };
      for (const op of ['new', 'del'] as const) {
        let c0 = process.cpuUsage();
        const received = new Array<unknown>(N);
        for (let i = 0; i < N; i++) {
          // As rtnl-session builds it (the reference: no octets).
          const d = parse.decodeAddressNotification?.(raw[i]!);
          const change =
            d !== undefined
              ? { kind: 'address', op, address: d.address, octets: d.octets }
              : { kind: 'address', op, address: parse.decodeAddressPayload(raw[i]!) };
          const wire = proto.toWire ? proto.toWire([change]) : [change];
          received[i] = proto.fromWire(deserialize(serialize(wire)) as unknown[])[0];
        }
        t.decode += cpuMs(c0);
        c0 = process.cpuUsage();
        const events = new Array<unknown[]>(N);
        for (let i = 0; i < N; i++) events[i] = state.applyKernel([received[i]]);
        t.import += cpuMs(c0);
        c0 = process.cpuUsage();
        for (let i = 0; i < N; i++) {
          for (const e of events[i]!) {
            const en = env(e);
            rib.apply(en);
            outbound.apply(en);
          }
          t.bytes += drain();
          t.events += events[i]!.length;
        }
        t.encode += cpuMs(c0);
      }
      t.cpu = t.decode + t.import + t.encode;
      return t;
    },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const trees = [await tree('this build', resolve(import.meta.dirname, '../../src'))];
if (process.env.PREFIX_BENCH_BASE) trees.push(await tree('reference', process.env.PREFIX_BENCH_BASE));
const results = new Map<string, Record<string, number>[]>(trees.map((t) => [t.name, []]));
for (let r = -1; r < ROUNDS; r++) {
  for (const t of trees) {
    gc();
    const res = await t.run();
    if (r >= 0) results.get(t.name)!.push(res); // round -1 warms up the JIT
  }
}
console.log(
  `prefix path: ${N} addresses added then deleted (${N / 2} IPv4 /30, ${N / 2} IPv6 /64; half in a VPN VRF), ${ROUNDS} rounds, load ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
const stages = ['decode', 'import', 'encode'] as const;
const STAGE = { decode: 'child decode + IPC', import: 'import state', encode: 'RIB + outbound + UPDATE' };
const totals = new Map<string, number>();
for (const [name, rs] of results) {
  const events = rs[0]!.events!;
  const perEvent = (k: (r: Record<string, number>) => number): number => (median(rs.map(k)) * 1000) / events;
  const total = perEvent((r) => r.cpu!);
  totals.set(name, total);
  console.log(
    `  ${name.padEnd(10)}: ${total.toFixed(2)} µs CPU per route event (process CPU, median of rounds; ${events} events, ${rs[0]!.bytes} UPDATE octets) = ` +
      stages.map((k) => `${STAGE[k]} ${perEvent((r) => r[k]!).toFixed(2)}`).join(' + '),
  );
}
const ref = totals.get('reference');
if (ref !== undefined)
  console.log(`  ratio this build / reference: ${(totals.get('this build')! / ref).toFixed(2)}`);
