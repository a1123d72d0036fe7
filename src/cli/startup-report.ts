// What `serve` tells the operator at start, on reload and in `--dry-run`: for each table, which of its
// configured interfaces exist on this machine and which do not (the daemon waits for those), and the
// BGP side (off, or AS, router ID, port and peers). Pure, apart from listing the machine's interfaces.
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { interfaceMatcher, isGlob } from '../config/index.js';
import type { Config, ImportSection } from '../config/index.js';

/** One table's configured interfaces against the machine's. */
export interface TableInterfaces {
  /** `global` or the VRF name. */
  readonly table: string;
  /** Interfaces of this machine that the table's list names or matches. */
  readonly present: readonly string[];
  /** Exact names that do not exist, and globs that match nothing. */
  readonly missing: readonly string[];
}

/** The interface names of this machine (or of network namespace `netns`). */
export async function listInterfaces(netns?: string): Promise<string[]> {
  if (netns === undefined) return (await readdir('/sys/class/net')).sort();
  const { stdout } = await promisify(execFile)('ip', ['-n', netns, '-o', 'link', 'show']);
  // "2: eth0@if3: <BROADCAST,...> ..." → eth0
  return stdout
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1])
    .filter((n): n is string => n !== undefined)
    .sort();
}

function matchSection(table: string, section: ImportSection, names: readonly string[]): TableInterfaces {
  const present = new Set<string>();
  const missing: string[] = [];
  for (const pattern of section.interfaces) {
    const matches = names.filter(interfaceMatcher(pattern));
    if (matches.length === 0) missing.push(pattern);
    for (const m of matches) present.add(m);
  }
  return { table, present: [...present].sort(), missing };
}

/** Every enabled import table of `config` against the interface `names` of the machine. */
export function interfaceReport(config: Config, names: readonly string[]): TableInterfaces[] {
  const out: TableInterfaces[] = [];
  const g = config.netlink.import;
  if (g.enabled) out.push(matchSection(g.vrf === '' ? 'global' : g.vrf, g, names));
  for (const vrf of config.vrfs) {
    if (vrf.netlinkImport.enabled) out.push(matchSection(vrf.name, vrf.netlinkImport, names));
  }
  return out;
}

/** One warning line for a table's missing interfaces (undefined when none is missing). */
export function missingWarning(t: TableInterfaces): string | undefined {
  if (t.missing.length === 0) return undefined;
  const what = t.missing.map((p) => (isGlob(p) ? `${p} (matches nothing)` : p)).join(', ');
  return `table ${t.table}: ${what} not on this machine; its routes come when the interface appears`;
}

/** One line about BGP: off, or AS, router ID, listening port and addresses, and the peers. */
export function bgpLine(config: Config): string {
  const g = config.global;
  if (g === undefined) return 'BGP off (no [global.config])';
  const listen = g.port < 0 ? 'not listening' : `port ${g.port} on ${g.localAddresses.join(', ')}`;
  const peers = config.neighbors.map((n) => `${n.address} (AS ${n.peerAs}${n.passive ? ', passive' : ''})`);
  return `BGP AS ${g.as} router-id ${g.routerId}, ${listen}; peers: ${peers.length > 0 ? peers.join(', ') : 'none'}`;
}

/** Logs the report: one info line per table, a warning for missing interfaces, one line about BGP. */
export function logStartupReport(log: Logger, config: Config, names: readonly string[]): void {
  const clog = log.child({ topic: 'config' });
  for (const t of interfaceReport(config, names)) {
    clog.info(
      { vrf: t.table, interfaces: t.present },
      `table ${t.table}: importing from ${t.present.length > 0 ? t.present.join(', ') : 'no interface yet'}`,
    );
    const warning = missingWarning(t);
    if (warning !== undefined) clog.warn({ vrf: t.table, missing: t.missing }, warning);
  }
  const g = config.global;
  log
    .child({ topic: 'bgp' })
    .info(
      g === undefined
        ? { enabled: false }
        : { as: g.as, routerId: g.routerId, port: g.port, peers: config.neighbors.map((n) => n.address) },
      bgpLine(config),
    );
}
