// A BGP lab for tests and benchmarks: a network namespace holding a real gobgpd (Debian's 3.10), joined
// to our own namespace by a veth pair on fresh random subnets, so the daemon under test (in-process,
// in this namespace) peers with it over a real link. gobgpd is killed and the namespace removed when
// the test ends, pass or fail.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, run, type AfterHook, type Netns } from '../../helpers/netns.js';

/** The link between us (root side) and the peer namespace. */
export interface PeerLink {
  readonly ns: Netns;
  /** Our side, in this process's namespace. */
  readonly localDev: string;
  readonly local4: string;
  readonly peer4: string;
  readonly local6: string;
  readonly peer6: string;
  /** The peer side's name inside `ns`. */
  readonly peerDev: string;
}

/** A namespace for the peer and a veth pair to it with an IPv4 /30 and an IPv6 /64 (nodad). */
export async function createPeerLink(t: AfterHook): Promise<PeerLink> {
  const ns = await createNetns(t, { prefix: 'rjbgp' });
  const tag = randomBytes(3).toString('hex');
  const localDev = `rjb-${tag}`;
  const peerDev = 'peer0';
  const r = randomBytes(4);
  const a = 64 + (r[0]! & 63);
  const b = r[1]!;
  const c = r[2]! & 0xfc;
  const local4 = `100.${a}.${b}.${c + 1}`;
  const peer4 = `100.${a}.${b}.${c + 2}`;
  const h = r.readUInt16BE(2).toString(16);
  const local6 = `fd6a:${a.toString(16)}${b.toString(16).padStart(2, '0')}:${h}::1`;
  const peer6 = `fd6a:${a.toString(16)}${b.toString(16).padStart(2, '0')}:${h}::2`;
  await run([
    'ip',
    'link',
    'add',
    'name',
    localDev,
    'type',
    'veth',
    'peer',
    'name',
    peerDev,
    'netns',
    ns.name,
  ]);
  // Deleting the namespace deletes the pair; this covers a failure before that.
  ns.cleanup(() => run(['ip', 'link', 'del', 'dev', localDev]).catch(() => undefined));
  await run(['ip', 'addr', 'add', `${local4}/30`, 'dev', localDev]);
  await run(['ip', 'addr', 'add', `${local6}/64`, 'dev', localDev, 'nodad']);
  await run(['ip', 'link', 'set', 'dev', localDev, 'up']);
  await ns.ip('addr', 'add', `${peer4}/30`, 'dev', peerDev);
  await ns.ip('addr', 'add', `${peer6}/64`, 'dev', peerDev, 'nodad');
  await ns.ip('link', 'set', 'dev', peerDev, 'up');
  await ns.waitOperUp(peerDev);
  // The link-local address of our side comes with the link; wait for it (next hops use it).
  await waitFor(
    async () => (await run(['ip', '-6', 'addr', 'show', 'dev', localDev, 'scope', 'link'])).includes('fe80'),
    `link-local address on ${localDev}`,
  );
  return { ns, localDev, local4, peer4, local6, peer6, peerDev };
}

import { waitFor } from '../../helpers/deadline.js';
export { waitFor };

export type Family = 'ipv4-unicast' | 'ipv6-unicast' | 'l3vpn-ipv4-unicast' | 'l3vpn-ipv6-unicast';
export const ALL_FAMILIES: readonly Family[] = [
  'ipv4-unicast',
  'ipv6-unicast',
  'l3vpn-ipv4-unicast',
  'l3vpn-ipv6-unicast',
];

export interface GobgpNeighbor {
  readonly address: string;
  readonly peerAs: number;
  readonly passive?: boolean;
  readonly families?: readonly Family[];
  /** Graceful restart helper for this neighbor (needed to see End-of-RIB received). */
  readonly gracefulRestart?: boolean;
  /** Port gobgpd connects to (when not passive). */
  readonly remotePort?: number;
  /** TCP-MD5 password (`[neighbors.config] auth-password`). */
  readonly authPassword?: string;
  /** `[neighbors.ebgp-multihop.config]` multihop-ttl. */
  readonly multihopTtl?: number;
}

export interface GobgpdOptions {
  readonly as: number;
  readonly routerId: string;
  readonly neighbors: readonly GobgpNeighbor[];
}

/** A route as `gobgp -j global rib` prints it, flattened to what tests compare. */
export interface GobgpRoute {
  readonly prefix: string;
  readonly rd: string | undefined;
  readonly labels: readonly number[];
  readonly nextHop: string | undefined;
  readonly asPath: readonly number[];
  readonly localPref: number | undefined;
  /** Route targets as gobgp prints them (`65000:1`, `192.0.2.1:7`, `64086.59904:9` for 4200000000:9). */
  readonly routeTargets: readonly string[];
  readonly stale: boolean;
}

const AFI_FLAG: Readonly<Record<Family, string>> = {
  'ipv4-unicast': 'ipv4',
  'ipv6-unicast': 'ipv6',
  'l3vpn-ipv4-unicast': 'vpnv4',
  'l3vpn-ipv6-unicast': 'vpnv6',
};

export function gobgpdToml(o: GobgpdOptions): string {
  const lines = [`[global.config]`, `  as = ${o.as}`, `  router-id = "${o.routerId}"`];
  for (const n of o.neighbors) {
    lines.push(
      `[[neighbors]]`,
      `  [neighbors.config]`,
      `    neighbor-address = "${n.address}"`,
      `    peer-as = ${n.peerAs}`,
      ...(n.authPassword !== undefined ? [`    auth-password = "${n.authPassword}"`] : []),
      ...(n.multihopTtl !== undefined
        ? [`  [neighbors.ebgp-multihop.config]`, `    enabled = true`, `    multihop-ttl = ${n.multihopTtl}`]
        : []),
      `  [neighbors.transport.config]`,
      `    passive-mode = ${n.passive ?? true}`,
      ...(n.remotePort !== undefined ? [`    remote-port = ${n.remotePort}`] : []),
      `  [neighbors.timers.config]`,
      `    connect-retry = 1`,
    );
    if (n.gracefulRestart) {
      lines.push(`  [neighbors.graceful-restart.config]`, `    enabled = true`, `    restart-time = 120`);
    }
    for (const f of n.families ?? ALL_FAMILIES) {
      lines.push(
        `  [[neighbors.afi-safis]]`,
        `    [neighbors.afi-safis.config]`,
        `      afi-safi-name = "${f}"`,
      );
      if (n.gracefulRestart)
        lines.push(`    [neighbors.afi-safis.mp-graceful-restart.config]`, `      enabled = true`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** A gobgpd running in a namespace, with its CLI. */
export class Gobgpd {
  readonly ns: Netns;
  private readonly dir: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(ns: Netns, dir: string) {
    this.ns = ns;
    this.dir = dir;
  }

  /** Writes the config and starts gobgpd inside `ns`; killed when the namespace goes. */
  static async start(ns: Netns, options: GobgpdOptions): Promise<Gobgpd> {
    const dir = await mkdtemp(join(tmpdir(), 'rjt-gobgpd-'));
    const g = new Gobgpd(ns, dir);
    ns.cleanup(async () => {
      await g.stop('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    });
    await writeFile(join(dir, 'gobgpd.toml'), gobgpdToml(options));
    await g.launch();
    return g;
  }

  private async launch(): Promise<void> {
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.ns.name,
        'gobgpd',
        '-f',
        join(this.dir, 'gobgpd.toml'),
        '--api-hosts',
        '127.0.0.1:50051',
        '--pprof-disable',
        '-p',
        '-l',
        'info',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    let log = '';
    const collect = (s: string): void => {
      log += s;
      if (log.length > 1_000_000) log = log.slice(-500_000);
    };
    child.stdout?.setEncoding('utf8').on('data', collect);
    child.stderr?.setEncoding('utf8').on('data', collect);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    this.logText = () => log;
    await waitFor(async () => (await this.cli(['global'])).includes('AS:'), 'gobgpd API', 10_000, 50);
  }

  /** What gobgpd logged. */
  logText: () => string = () => '';

  /** Runs `gobgp ARGS` against this gobgpd; resolves with stdout. */
  cli(args: readonly string[]): Promise<string> {
    return this.ns.exec(['gobgp', '-u', '127.0.0.1', '-p', '50051', ...args], { timeoutMs: 20_000 });
  }

  async json<T>(args: readonly string[]): Promise<T> {
    return JSON.parse(await this.cli(['-j', ...args])) as T;
  }

  /** The routes of one family in gobgpd's global RIB, by "rd:prefix" (or prefix). */
  async rib(family: Family): Promise<Map<string, GobgpRoute>> {
    const raw = await this.json<Record<string, RawPath[]>>(['global', 'rib', '-a', AFI_FLAG[family]]);
    const out = new Map<string, GobgpRoute>();
    for (const [key, paths] of Object.entries(raw)) {
      const p = paths.find((x) => x.best) ?? paths[0];
      if (p) out.set(key, flatten(p));
    }
    return out;
  }

  /** gobgp's neighbor JSON. */
  async neighbor(address: string): Promise<RawNeighbor> {
    return this.json<RawNeighbor>(['neighbor', address]);
  }

  /** Session state number (6 = Established) of a neighbor. */
  async sessionState(address: string): Promise<number> {
    return (await this.neighbor(address)).state?.session_state ?? 0;
  }

  /** Whether End-of-RIB arrived for each family (needs gracefulRestart on the neighbor). */
  async endOfRibReceived(address: string): Promise<Family[]> {
    const n = await this.neighbor(address);
    const names: Record<string, Family> = {
      '1/1': 'ipv4-unicast',
      '2/1': 'ipv6-unicast',
      '1/128': 'l3vpn-ipv4-unicast',
      '2/128': 'l3vpn-ipv6-unicast',
    };
    return (n.afi_safis ?? [])
      .filter((a) => a.mp_graceful_restart?.state?.end_of_rib_received === true)
      .map((a) => names[`${a.config?.family?.afi}/${a.config?.family?.safi}`]!)
      .filter((f) => f !== undefined);
  }

  /** Stops gobgpd (SIGTERM: it closes its sessions; SIGKILL: the kernel resets them). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** The config file gobgpd reads (tests may rewrite it before restart). */
  async config(): Promise<string> {
    return readFile(join(this.dir, 'gobgpd.toml'), 'utf8');
  }
}

interface RawPath {
  readonly nlri: {
    prefix: string;
    labels?: number[];
    rd?: { type: number; admin: number | string; assigned: number };
  };
  readonly best?: boolean;
  readonly stale?: boolean;
  readonly attrs: readonly {
    type: number;
    value?: unknown;
    nexthop?: string;
    as_paths?: { asns: number[] }[];
  }[];
}

export interface RawNeighbor {
  readonly state?: {
    session_state?: number;
    messages?: { received?: Record<string, number>; sent?: Record<string, number> };
  };
  readonly afi_safis?: readonly {
    config?: { family?: { afi?: number; safi?: number } };
    mp_graceful_restart?: { state?: { end_of_rib_received?: boolean } };
  }[];
}

function flatten(p: RawPath): GobgpRoute {
  const rd = p.nlri.rd ? `${p.nlri.rd.admin}:${p.nlri.rd.assigned}` : undefined;
  let nextHop: string | undefined;
  let asPath: number[] = [];
  let localPref: number | undefined;
  let routeTargets: string[] = [];
  for (const a of p.attrs) {
    if (a.type === 3 || a.type === 14) nextHop = a.nexthop;
    if (a.type === 2) asPath = (a.as_paths ?? []).flatMap((s) => s.asns);
    if (a.type === 5) localPref = a.value as number;
    if (a.type === 16)
      routeTargets = (a.value as { subtype: number; value: string }[])
        .filter((e) => e.subtype === 2)
        .map((e) => e.value);
  }
  return {
    prefix: p.nlri.prefix,
    rd,
    labels: p.nlri.labels ?? [],
    nextHop,
    asPath,
    localPref,
    routeTargets,
    stale: p.stale === true,
  };
}
