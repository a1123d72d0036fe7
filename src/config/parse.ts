// TOML text -> validated, frozen Config. GoBGP's nesting and defaults (pkg/config/oc/default.go) plus the
// keys DESIGN.md adds ([netlink] scan-interval and linux-vrf, [vrfs.config] label and linux-vrf-device,
// [api]). Every problem
// is collected and reported at once, each with its key path and line; keys we do not use are warnings.
import ipaddr from 'ipaddr.js';
import { parse, TomlError } from 'smol-toml';
import { RibjournalError, isRdRtError, parseRdRt, type RdRt } from '../shared/index.js';
import { interfaceMatcher, interfacePatternProblem, isGlob } from './glob.js';
import { readFleet } from './fleet.js'; // [fleet] (issue 11)
import { readJournalConfig } from './journal.js'; // [journal] (issue 9.5)
import { formatPath, type KeyPath } from './path.js';
import { Report, TableReader, isTable, type Located } from './reader.js';
import { readBmpServers } from './bmp.js';
import { applyPeerGroups } from './peer-groups.js';
import { EMPTY_POLICY_CONFIG, readApplyPolicy, readPolicyConfig } from './policy.js';
import { readAuthPassword, readTransportTtl, readTtlSections } from './session-security.js';
import { scanKeyLines } from './toml-lines.js';
import type {
  Config,
  ConfigProblem,
  ConfigWarning,
  GlobalConfig,
  LoadedConfig,
  NeighborConfig,
  NeighborFamily,
  VrfConfig,
} from './types.js';

const DEFAULT_SCAN_INTERVAL_S = 5;
// setTimeout holds at most 2^31-1 ms; a longer interval would silently fire after 1 ms.
const MAX_SCAN_INTERVAL_S = Math.floor(0x7fffffff / 1000);
const BGP_PORT = 179;
// GoBGP's DEFAULT_HOLDTIME and DEFAULT_CONNECT_RETRY; keepalive defaults to hold-time / 3 as there.
const DEFAULT_HOLD_TIME_S = 90;
const DEFAULT_CONNECT_RETRY_S = 120;
const MAX_AS = 4294967295;
const MAX_LABEL = 1048575; // 20 bits (RFC 3032)
const FIRST_UNRESERVED_LABEL = 16; // 0..15 are reserved; 0 is what GoBGP sends and means "none chosen"
/** The global table's name in outputs (DESIGN.md Decisions), hence no VRF may take it. */
const GLOBAL_NAME = 'global';

const SUPPORTED_FAMILIES: readonly NeighborFamily[] = [
  'ipv4-unicast',
  'ipv6-unicast',
  'l3vpn-ipv4-unicast',
  'l3vpn-ipv6-unicast',
];
// GoBGP's other AfiSafiType names: valid in a GoBGP config, so a warning here rather than an error.
const OTHER_GOBGP_FAMILIES = new Set([
  'ipv4-labelled-unicast',
  'ipv6-labelled-unicast',
  'l3vpn-ipv4-multicast',
  'l3vpn-ipv6-multicast',
  'l2vpn-vpls',
  'l2vpn-evpn',
  'route-target-constraint',
  'ipv4-flowspec',
  'l3vpn-ipv4-flowspec',
  'ipv6-flowspec',
  'l3vpn-ipv6-flowspec',
  'l2vpn-flowspec',
  'ipv4-srpolicy',
  'ipv6-srpolicy',
  'opaque',
  'ls',
  'ipv4-mup',
  'ipv6-mup',
  'ipv4-multicast',
  'ipv6-multicast',
  'ipv4-encap',
  'ipv6-encap',
]);

// Sections and keys of GoBGP's BgpConfigSet that ribjournal reads past ("ignored" warnings).
const GOBGP_TOP_LEVEL = ['dynamic-neighbors', 'rpki-servers', 'mrt-dump', 'zebra', 'collector'];
const GOBGP_GLOBAL = [
  'route-selection-options',
  'default-route-distance',
  'confederation',
  'use-multiple-paths',
  'graceful-restart',
  'afi-safis',
  'mpls-label-range',
];
const GOBGP_NEIGHBOR = [
  'error-handling',
  'logging-options',
  'route-reflector',
  'as-path-options',
  'add-paths',
  'use-multiple-paths',
  'route-server',
  'bfd',
];
const GOBGP_NEIGHBOR_CONFIG = [
  'peer-type',
  'remove-private-as',
  'route-flap-damping',
  'send-community',
  'description',
  'vrf',
];
const GOBGP_TRANSPORT_CONFIG = ['tcp-mss', 'mtu-discovery', 'bind-interface'];
// GoBGP's GracefulRestartConfig keys beyond enabled and restart-time: the helper side (we keep no
// routes of peers) and the restarting-speaker procedures ribjournal does not carry out.
const GOBGP_GRACEFUL_RESTART_CONFIG = [
  'stale-routes-time',
  'helper-only',
  'deferral-time',
  'notification-enabled',
  'long-lived-enabled',
];
/** RFC 4724 3: the Restart Time field has 12 bits. */
const MAX_RESTART_TIME_S = 4095;
const GOBGP_TIMERS_CONFIG = ['minimum-advertisement-interval', 'idle-hold-time-after-reset'];
const GOBGP_AFI_SAFI = [
  'mp-graceful-restart',
  'add-paths',
  'apply-policy',
  'prefix-limit',
  'route-selection-options',
  'use-multiple-paths',
  'route-target-membership',
  'long-lived-graceful-restart',
  'ipv4-unicast',
  'ipv6-unicast',
  'ipv4-labelled-unicast',
  'ipv6-labelled-unicast',
  'l3vpn-ipv4-unicast',
  'l3vpn-ipv6-unicast',
  'l3vpn-ipv4-multicast',
  'l3vpn-ipv6-multicast',
  'l2vpn-vpls',
  'l2vpn-evpn',
];

/** Formats a problem or warning as "file:line: key.path: message" (file:line:col for syntax errors). */
export function formatConfigProblem(problem: ConfigProblem, file = '<config>'): string {
  const where =
    problem.line === undefined
      ? file
      : `${file}:${problem.line}${problem.column === undefined ? '' : `:${problem.column}`}`;
  return `${where}: ${problem.path === '' ? '' : `${problem.path}: `}${problem.message}`;
}

/** Parses and validates TOML text; throws RibjournalError CONFIG_INVALID listing every problem. */
export function parseConfig(text: string, file?: string): LoadedConfig {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let doc: Record<string, unknown>;
  try {
    doc = parse(source);
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    // smol-toml's message carries a code excerpt after a blank line: keep the sentence, pass the excerpt on.
    const sentence = (err.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '');
    const problem: ConfigProblem = {
      path: '',
      line: err.line,
      column: err.column,
      message: `TOML syntax error: ${sentence}`,
    };
    throw invalid([problem], file, { cause: err, excerpt: err.codeblock });
  }

  const lines = scanKeyLines(source);
  const report = new Report(lines);
  const root = new TableReader(report, [], doc);
  const netlink = readNetlink(root);
  const vrfs = readVrfs(root);
  const policy =
    doc['policy-definitions'] || doc['defined-sets'] ? readPolicyConfig(root) : EMPTY_POLICY_CONFIG;
  const policyNames: ReadonlySet<string> = new Set(policy.definitions.map((d) => d.name));
  applyPeerGroups(root, doc, lines, report);
  const global = readGlobal(root, policyNames);
  const neighbors = readNeighbors(root, global !== undefined, policyNames);
  const api = readApi(root);
  const bmpServers = readBmpServers(root);
  const fleet = readFleet(root); // [fleet] (issue 11)
  const journal = readJournalConfig(root); // [journal] (issue 9.5)
  root.ignore(GOBGP_TOP_LEVEL);
  root.finish();

  const importVrf = resolveImportVrf(report, netlink.vrf, vrfs);
  checkLinuxVrfDevices(report, netlink.linuxVrf, vrfs);
  checkInterfaceOverlap(report, [
    { target: importVrf, where: 'netlink.import', section: netlink.import },
    // A VRF without a usable name is already an error; leaving it out keeps it from passing for the global table.
    ...vrfs.flatMap((v, i) =>
      v.name === '' ? [] : [{ target: v.name, where: `vrfs[${i}]`, section: v.import }],
    ),
  ]);

  if (report.errors.length > 0)
    throw invalid(byLine(report.errors), file, { warnings: byLine(report.warnings) });

  const config: Config = {
    netlink: {
      scanIntervalMs: netlink.scanIntervalMs,
      linuxVrf: netlink.linuxVrf,
      import: { enabled: netlink.import.enabled, interfaces: patterns(netlink.import), vrf: importVrf },
    },
    vrfs: vrfs.map((v): VrfConfig => ({
      name: v.name,
      // No errors means every VRF has its RD; the fallback only satisfies the type checker.
      rd: v.rd ?? { type: 0, admin: 0, assigned: 0, text: '0:0' },
      importRts: v.importRts,
      exportRts: v.exportRts,
      label: v.label,
      id: v.id,
      netlinkImport: { enabled: v.import.enabled, interfaces: patterns(v.import) },
      ...(v.linuxVrfDevice !== undefined ? { linuxVrfDevice: v.linuxVrfDevice.value } : {}),
    })),
    global,
    neighbors,
    api,
    policy,
    bmpServers,
    ...(fleet !== undefined ? { fleet } : {}), // [fleet] (issue 11)
    ...(journal !== undefined ? { journal } : {}), // [journal] (issue 9.5)
  };
  return deepFreeze({ config, warnings: byLine(report.warnings) });
}

function invalid(
  problems: readonly ConfigProblem[],
  file: string | undefined,
  extra: { cause?: unknown; excerpt?: string; warnings?: readonly ConfigWarning[] } = {},
): RibjournalError {
  const message = problems.map((p) => formatConfigProblem(p, file)).join('\n');
  // Warnings ride along so that a dry run can show them next to the errors.
  return new RibjournalError('CONFIG_INVALID', message, {
    cause: extra.cause,
    details: deepFreeze({
      file,
      problems: [...problems],
      warnings: [...(extra.warnings ?? [])],
      excerpt: extra.excerpt,
    }),
  });
}

/** Problems in reading order; those without a line (none today) last. */
function byLine<T extends ConfigWarning>(items: readonly T[]): T[] {
  return items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => (a.item.line ?? Infinity) - (b.item.line ?? Infinity) || a.i - b.i)
    .map(({ item }) => item);
}

// ---------------------------------------------------------------------------------------------------
// [netlink], [netlink.import], [vrfs.netlink-import]

interface ImportDraft {
  readonly path: KeyPath;
  readonly enabled: boolean;
  /** Valid patterns, each once, with where they are written. */
  readonly interfaces: readonly Located<string>[];
}

function patterns(section: ImportDraft): string[] {
  return section.interfaces.map((i) => i.value);
}

const DISABLED_IMPORT = (path: KeyPath): ImportDraft => ({ path, enabled: false, interfaces: [] });

function readImportSection(t: TableReader): ImportDraft {
  const enabled = t.boolean('enabled');
  const list = t.stringList('interface-list');
  const interfaces: Located<string>[] = [];
  const seen = new Set<string>();
  for (const item of list ?? []) {
    const problem = interfacePatternProblem(item.value);
    if (problem !== undefined) t.report.error(item.path, problem);
    else if (seen.has(item.value))
      t.report.warn(item.path, `"${item.value}" is listed twice; once is enough`);
    else {
      seen.add(item.value);
      interfaces.push(item);
    }
  }
  // An empty enabled list is an error only when the list itself was readable: a wrong type says enough.
  if (enabled === true && list !== undefined && list.length === 0)
    t.report.error(t.at('interface-list'), 'import is enabled but interface-list is empty');
  else if (enabled === true && list === undefined && !t.has('interface-list'))
    t.report.error(t.path, 'import is enabled but interface-list is missing');
  else if (enabled === undefined && !t.has('enabled') && interfaces.length > 0)
    t.report.warn(
      t.path,
      'interface-list is set but enabled is not (it defaults to false): nothing is imported',
    );
  return { path: t.path, enabled: enabled ?? false, interfaces };
}

interface NetlinkDraft {
  readonly scanIntervalMs: number;
  readonly linuxVrf: boolean;
  readonly import: ImportDraft;
  /** `vrf` of [netlink.import] as written (string or table form), if any. */
  readonly vrf: Located<string> | undefined;
}

function readNetlink(root: TableReader): NetlinkDraft {
  const t = root.table('netlink');
  if (t === undefined)
    return {
      scanIntervalMs: DEFAULT_SCAN_INTERVAL_S * 1000,
      linuxVrf: false,
      import: DISABLED_IMPORT(['netlink', 'import']),
      vrf: undefined,
    };
  const scan = t.number('scan-interval', {
    min: 0.001,
    max: MAX_SCAN_INTERVAL_S,
    fractional: true,
    range: `a positive number of seconds, 0.001..${MAX_SCAN_INTERVAL_S}`,
  });
  const linuxVrf = t.boolean('linux-vrf') ?? false;
  const imp = t.table('import');
  let section = DISABLED_IMPORT(t.at('import'));
  let vrf: Located<string> | undefined;
  if (imp !== undefined) {
    section = readImportSection(imp);
    vrf = readImportVrf(imp);
    imp.finish();
  }
  t.ignore(['export'], 'GoBGP netlink export (BGP routes into the kernel) is not part of ribjournal');
  t.finish();
  return {
    scanIntervalMs: Math.round((scan ?? DEFAULT_SCAN_INTERVAL_S) * 1000),
    linuxVrf,
    import: section,
    vrf,
  };
}

/** `vrf = "name"` or the table form `[netlink.import.vrf]` with `name = "..."`. */
function readImportVrf(imp: TableReader): Located<string> | undefined {
  if (!isTable(imp.peek('vrf'))) {
    const name = imp.string('vrf');
    return name === undefined ? undefined : { value: name, path: imp.at('vrf') };
  }
  const t = imp.table('vrf');
  if (t === undefined) return undefined;
  const name = t.string('name');
  t.finish();
  if (name === undefined) {
    if (!t.has('name')) imp.report.error(t.path, '[netlink.import.vrf] needs name = "<vrf name>"');
    return undefined;
  }
  return { value: name, path: t.at('name') };
}

/** '' for the global table; a VRF named in [netlink.import] must be one of the [[vrfs]]. */
function resolveImportVrf(
  report: Report,
  vrf: Located<string> | undefined,
  vrfs: readonly VrfDraft[],
): string {
  if (vrf === undefined || vrf.value === '' || vrf.value === GLOBAL_NAME) return '';
  if (!vrfs.some((v) => v.name === vrf.value)) {
    const known = [...new Set(vrfs.map((v) => v.name))].filter((n) => n !== '' && n !== GLOBAL_NAME);
    report.error(
      vrf.path,
      `unknown VRF "${vrf.value}" (${known.length === 0 ? 'no [[vrfs]] are configured' : `configured: ${known.join(', ')}`})`,
    );
  }
  return vrf.value;
}

// ---------------------------------------------------------------------------------------------------
// [[vrfs]]

interface VrfDraft {
  /** `vrfs[i].config`, or undefined when that table is missing. */
  readonly configPath: KeyPath | undefined;
  readonly name: string;
  readonly rd: RdRt | undefined;
  readonly importRts: readonly RdRt[];
  readonly exportRts: readonly RdRt[];
  readonly label: number;
  /** `[vrfs.config] id`: GoBGP's VRF id (0: none), shown by `vrf` like gobgp does. */
  readonly id: number;
  readonly import: ImportDraft;
  readonly linuxVrfDevice: Located<string> | undefined;
}

function readVrfs(root: TableReader): VrfDraft[] {
  const out: VrfDraft[] = [];
  const names = new Map<string, KeyPath>();
  const rds = new Map<string, { name: string; path: KeyPath }>();
  const ids = new Map<number, { name: string; path: KeyPath }>();
  for (const v of root.tableArray('vrfs') ?? []) {
    const c = v.table('config');
    const netlinkImport = v.table('netlink-import');
    const section =
      netlinkImport === undefined
        ? DISABLED_IMPORT(v.at('netlink-import'))
        : readImportSection(netlinkImport);
    netlinkImport?.finish();
    v.finish();
    if (c === undefined) {
      if (!v.has('config')) v.report.error(v.path, '[vrfs.config] is missing (name and rd are required)');
      out.push({
        configPath: undefined,
        name: '',
        rd: undefined,
        importRts: [],
        exportRts: [],
        label: 0,
        id: 0,
        import: section,
        linuxVrfDevice: undefined,
      });
      continue;
    }

    const name = c.string('name');
    if (name === undefined && !c.has('name')) c.report.error(c.path, 'name is required');
    else if (name === '') c.report.error(c.at('name'), 'a VRF name cannot be empty');
    else if (name === GLOBAL_NAME)
      c.report.error(
        c.at('name'),
        `"${GLOBAL_NAME}" is reserved: it names the global table in ribjournal's output`,
      );
    else if (name !== undefined) {
      const first = names.get(name);
      if (first !== undefined)
        c.report.error(c.at('name'), `duplicate VRF name "${name}" (also at ${formatPath(first)})`);
      else names.set(name, c.at('name'));
    }

    const rd = readRdRt(c, 'rd');
    if (rd === undefined && !c.has('rd')) c.report.error(c.path, 'rd is required');
    if (rd !== undefined) {
      const first = rds.get(rd.text);
      if (first !== undefined)
        c.report.error(
          c.at('rd'),
          `duplicate RD ${rd.text}: already used by VRF "${first.name}" (${formatPath(first.path)})`,
        );
      else rds.set(rd.text, { name: name ?? '', path: c.at('rd') });
    }

    const importList = readRtList(c, 'import-rt-list');
    const exportList = readRtList(c, 'export-rt-list');
    const bothList = readRtList(c, 'both-rt-list');
    // GoBGP (setDefaultVrfConfigValues) uses both-rt-list for a list left empty, never adds it to a set one.
    if (bothList.length > 0 && importList.length > 0 && exportList.length > 0)
      c.report.warn(
        c.at('both-rt-list'),
        'not used: import-rt-list and export-rt-list are both set (GoBGP uses both-rt-list only for an empty list)',
      );
    else if (bothList.length > 0 && (importList.length > 0 || exportList.length > 0))
      c.report.warn(
        c.at('both-rt-list'),
        `used only for ${importList.length > 0 ? 'export' : 'import'}: ${importList.length > 0 ? 'import' : 'export'}-rt-list is set (GoBGP uses both-rt-list only for an empty list)`,
      );

    const label = c.number('label', {
      min: 0,
      max: MAX_LABEL,
      range: `0 (none) or ${FIRST_UNRESERVED_LABEL}..${MAX_LABEL}`,
    });
    if (label !== undefined && label > 0 && label < FIRST_UNRESERVED_LABEL)
      c.report.error(
        c.at('label'),
        `label ${label} is reserved (RFC 3032 special-purpose labels 0..15): use 0 (none) or ${FIRST_UNRESERVED_LABEL}..${MAX_LABEL}`,
      );

    const linuxVrfDevice = readLinuxVrfDevice(c);

    const id = c.number('id', { min: 0, max: 0xffffffff, range: '0 (none) or 1..4294967295' });
    if (id !== undefined && id > 0) {
      const first = ids.get(id);
      if (first !== undefined)
        c.report.error(
          c.at('id'),
          `duplicate VRF id ${id}: already used by VRF "${first.name}" (${formatPath(first.path)})`,
        );
      else ids.set(id, { name: name ?? '', path: c.at('id') });
    }
    c.finish();
    out.push({
      configPath: c.path,
      linuxVrfDevice,
      name: name ?? '',
      rd,
      importRts: importList.length > 0 ? importList : bothList,
      exportRts: exportList.length > 0 ? exportList : bothList,
      label: label !== undefined && label >= FIRST_UNRESERVED_LABEL ? label : 0,
      id: id ?? 0,
      import: section,
    });
  }
  return out;
}

/** `linux-vrf-device = "name"`: one exact interface name (a VRF device), never a pattern. */
function readLinuxVrfDevice(c: TableReader): Located<string> | undefined {
  const device = c.string('linux-vrf-device');
  if (device === undefined) return undefined;
  const path = c.at('linux-vrf-device');
  const problem = interfacePatternProblem(device);
  if (problem !== undefined) c.report.error(path, problem);
  else if (isGlob(device))
    c.report.error(path, `"${device}" is a pattern; linux-vrf-device names one Linux VRF device exactly`);
  else return { value: device, path };
  return undefined;
}

/**
 * In linux-vrf mode each VRF takes the members of one Linux VRF device: the one named by linux-vrf-device,
 * else the one named like the VRF. Two VRFs cannot take one device (its members would be in both).
 */
function checkLinuxVrfDevices(report: Report, linuxVrf: boolean, vrfs: readonly VrfDraft[]): void {
  if (!linuxVrf) {
    for (const v of vrfs)
      if (v.linuxVrfDevice !== undefined)
        report.warn(
          v.linuxVrfDevice.path,
          'has no effect unless [netlink] linux-vrf = true (interfaces are then mapped by their Linux VRF device)',
        );
    return;
  }
  const taken = new Map<string, { vrf: string; path: KeyPath }>();
  for (const v of vrfs) {
    if (v.name === '' || v.configPath === undefined) continue; // already an error
    let device: string;
    let path: KeyPath;
    if (v.linuxVrfDevice !== undefined) {
      device = v.linuxVrfDevice.value;
      path = v.linuxVrfDevice.path;
    } else {
      device = v.name;
      path = [...v.configPath, 'name'];
      const problem = interfacePatternProblem(v.name);
      if (problem !== undefined || isGlob(v.name)) {
        report.warn(
          path,
          `${problem ?? `"${v.name}" reads as a pattern`}: no Linux VRF device can have this VRF's name; set linux-vrf-device to the device whose interfaces feed it`,
        );
        continue;
      }
    }
    const first = taken.get(device);
    if (first !== undefined)
      report.error(
        path,
        `Linux VRF device "${device}" already feeds VRF "${first.vrf}" (${formatPath(first.path)}); a device's interfaces can feed one VRF only`,
      );
    else taken.set(device, { vrf: v.name, path });
  }
}

function readRdRt(t: TableReader, key: string): RdRt | undefined {
  const text = t.string(key);
  if (text === undefined) return undefined;
  const parsed = parseRdRt(text);
  if (isRdRtError(parsed)) {
    t.report.error(t.at(key), parsed.error);
    return undefined;
  }
  return parsed;
}

/** A list of route targets, each once (a repeated RT adds nothing to the extended communities). */
function readRtList(t: TableReader, key: string): RdRt[] {
  const out: RdRt[] = [];
  for (const item of t.stringList(key) ?? []) {
    const parsed = parseRdRt(item.value);
    if (isRdRtError(parsed)) t.report.error(item.path, parsed.error);
    else if (out.some((rt) => rt.text === parsed.text))
      t.report.warn(item.path, `route target ${parsed.text} is listed twice`);
    else out.push(parsed);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Interfaces named for several tables (DESIGN.md "VRF assignment" and Decisions)

interface ImportTarget {
  /** VRF name, '' for the global table. */
  readonly target: string;
  readonly where: string;
  readonly section: ImportDraft;
}

function describeTarget(target: string): string {
  return target === '' ? 'the global table' : `VRF "${target}"`;
}

function checkInterfaceOverlap(report: Report, targets: readonly ImportTarget[]): void {
  const uses = new Map<string, { target: string; where: string; path: KeyPath }[]>();
  for (const { target, where, section } of targets) {
    if (!section.enabled) continue;
    for (const item of section.interfaces) {
      const list = uses.get(item.value) ?? [];
      list.push({ target, where, path: item.path });
      uses.set(item.value, list);
    }
  }

  for (const [pattern, list] of uses) {
    if (list.length < 2) continue;
    const distinct = [...new Set(list.map((u) => u.target))];
    const what = isGlob(pattern) ? `interfaces matching "${pattern}" are` : `interface "${pattern}" is`;
    const second = list[1]!;
    if (distinct.length > 1)
      report.warn(
        second.path,
        `${what} listed for ${distinct.map(describeTarget).join(', ')}: routes are imported into each`,
        `several:${pattern}`,
      );
    else
      report.warn(
        second.path,
        `${what} listed twice for ${describeTarget(distinct[0]!)} (also at ${formatPath(list[0]!.path)}); once is enough`,
        `several:${pattern}`,
      );
  }

  // An exact name beats a glob of another table: it goes where it is named.
  const globs = [...uses]
    .filter(([pattern]) => isGlob(pattern))
    .map(([pattern, list]) => ({ match: interfaceMatcher(pattern), pattern, list }));
  for (const [name, named] of uses) {
    if (isGlob(name)) continue;
    const namedTargets = new Set(named.map((u) => u.target));
    const others = globs.flatMap((g) =>
      g.match(name)
        ? g.list
            .filter((u) => !namedTargets.has(u.target))
            .map((u) => `"${g.pattern}" (${u.where}, ${describeTarget(u.target)})`)
        : [],
    );
    if (others.length === 0) continue;
    report.warn(
      named[0]!.path,
      `interface "${name}" is named for ${[...namedTargets].map(describeTarget).join(', ')} and also matches ${others.join(', ')}: it goes where it is named`,
      `named:${name}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// [global.config], [[neighbors]]

interface ParsedIp {
  readonly family: 'ipv4' | 'ipv6';
  readonly canonical: string;
}

/** An IPv4 (dotted quad only) or IPv6 address in canonical text, as sockets report peers. */
function parseIp(text: string): ParsedIp | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text))
    return { family: 'ipv4', canonical: ipaddr.IPv4.parse(text).toString() };
  if (!text.includes(':') || !ipaddr.IPv6.isValid(text)) return undefined;
  const addr = ipaddr.IPv6.parse(text);
  const canonical = addr.isIPv4MappedAddress()
    ? `::ffff:${addr.toIPv4Address().toString()}`
    : addr.toString();
  return { family: 'ipv6', canonical };
}

function readIp(t: TableReader, key: string, what = 'an IPv4 or IPv6 address'): ParsedIp | undefined {
  const text = t.string(key);
  if (text === undefined) return undefined;
  const ip = parseIp(text);
  if (ip === undefined) t.report.error(t.at(key), `"${text}" is not ${what}`);
  return ip;
}

function readAs(t: TableReader, key: string): number | undefined {
  return t.number(key, { min: 1, max: MAX_AS, range: `an AS number, 1..${MAX_AS}` });
}

function readGlobal(root: TableReader, policyNames: ReadonlySet<string>): GlobalConfig | undefined {
  const g = root.table('global');
  if (g === undefined) return undefined;
  const c = g.table('config');
  const exportPolicy = readApplyPolicy(g, policyNames);
  g.ignore(GOBGP_GLOBAL);
  g.finish();
  if (c === undefined) return undefined;

  const as = readAs(c, 'as');
  if (as === undefined && !c.has('as')) c.report.error(c.path, 'as is required');
  const routerIdText = c.string('router-id');
  let routerId: string | undefined;
  if (routerIdText === undefined) {
    if (!c.has('router-id')) c.report.error(c.path, 'router-id is required');
  } else if (ipaddr.IPv4.isValidFourPartDecimal(routerIdText))
    routerId = ipaddr.IPv4.parse(routerIdText).toString();
  else
    c.report.error(
      c.at('router-id'),
      `"${routerIdText}" is not an IPv4 address (a router-id is written as one)`,
    );
  // GoBGP turns port 0 into 179 and does not listen on a negative port.
  const port = c.number('port', {
    min: -Infinity,
    max: 65535,
    range: 'a TCP port up to 65535, or negative not to listen',
  });
  const localAddresses: string[] = [];
  for (const item of c.stringList('local-address-list') ?? []) {
    const ip = parseIp(item.value);
    if (ip === undefined) c.report.error(item.path, `"${item.value}" is not an IPv4 or IPv6 address`);
    else localAddresses.push(ip.canonical);
  }
  c.finish();
  return {
    as: as ?? 0,
    routerId: routerId ?? '',
    port: port === undefined || port === 0 ? BGP_PORT : port,
    localAddresses: localAddresses.length > 0 ? localAddresses : ['0.0.0.0', '::'],
    ...(exportPolicy ? { exportPolicy } : {}),
  };
}

function readNeighbors(
  root: TableReader,
  bgpOn: boolean,
  policyNames: ReadonlySet<string>,
): NeighborConfig[] {
  const list = root.tableArray('neighbors');
  if (list === undefined) return [];
  if (list.length > 0 && !bgpOn)
    root.report.error(
      root.at('neighbors'),
      '[[neighbors]] need [global.config] with as and router-id (without it BGP is off)',
    );
  const out: NeighborConfig[] = [];
  const addresses = new Map<string, KeyPath>();
  for (const n of list) {
    const neighbor = readNeighbor(n, policyNames);
    if (neighbor === undefined) continue;
    const first = addresses.get(neighbor.address);
    const at = [...n.path, 'config', 'neighbor-address'];
    if (first !== undefined)
      n.report.error(at, `duplicate neighbor ${neighbor.address} (also at ${formatPath(first)})`);
    else addresses.set(neighbor.address, at);
    out.push(neighbor);
  }
  return out;
}

function readNeighbor(n: TableReader, policyNames: ReadonlySet<string>): NeighborConfig | undefined {
  const c = n.table('config');
  const exportPolicy = readApplyPolicy(n, policyNames);
  let peerGroup: string | undefined;
  let authPassword: string | undefined;
  let transportTtl: number | undefined;
  const transport = n.table('transport');
  const timers = n.table('timers');
  const afiSafis = n.tableArray('afi-safis');
  const gracefulRestart = n.table('graceful-restart');
  const ttlSections = readTtlSections(n);
  n.ignore(GOBGP_NEIGHBOR);
  n.finish();
  if (c === undefined && !n.has('config'))
    n.report.error(n.path, '[neighbors.config] is missing (neighbor-address and peer-as are required)');
  let address: ParsedIp | undefined;
  let peerAs: number | undefined;
  let localAs: number | undefined;
  if (c !== undefined) {
    address = readIp(c, 'neighbor-address');
    if (!c.has('neighbor-address'))
      c.report.error(
        c.path,
        c.has('neighbor-interface')
          ? 'neighbor-address is required (unnumbered neighbor-interface peering is not supported)'
          : 'neighbor-address is required',
      );
    peerAs = readAs(c, 'peer-as');
    if (peerAs === undefined && !c.has('peer-as')) c.report.error(c.path, 'peer-as is required');
    localAs = readAs(c, 'local-as');
    peerGroup = c.string('peer-group');
    authPassword = readAuthPassword(c);
    c.ignore(['neighbor-interface'], 'unnumbered peering is not supported');
    c.ignore(['admin-down'], 'ribjournal has no administratively-down neighbors; the session is started');
    c.ignore(GOBGP_NEIGHBOR_CONFIG);
    c.finish();
  }

  let passive = false;
  let localAddress: ParsedIp | undefined;
  let remotePort = BGP_PORT;
  if (transport !== undefined) {
    const tc = transport.table('config');
    transport.finish();
    if (tc !== undefined) {
      passive = tc.boolean('passive-mode') ?? false;
      localAddress = readIp(tc, 'local-address');
      remotePort = tc.number('remote-port', { min: 1, max: 65535 }) ?? BGP_PORT;
      if (localAddress !== undefined && address !== undefined && localAddress.family !== address.family)
        tc.report.error(
          tc.at('local-address'),
          `${localAddress.canonical} is ${localAddress.family === 'ipv4' ? 'IPv4' : 'IPv6'} but neighbor-address ${address.canonical} is not`,
        );
      transportTtl = readTransportTtl(tc);
      tc.ignore(GOBGP_TRANSPORT_CONFIG);
      tc.finish();
    }
  }

  const { holdTime, keepaliveInterval, connectRetry } = readTimers(timers);
  const families = readFamilies(n, afiSafis, address);
  const gr = readGracefulRestart(gracefulRestart, holdTime);
  if (address === undefined || peerAs === undefined) return undefined;
  return {
    address: address.canonical,
    peerAs,
    localAs,
    passive,
    localAddress: localAddress?.canonical,
    remotePort,
    holdTime,
    keepaliveInterval,
    connectRetry,
    families,
    ...(gr !== undefined ? { gracefulRestart: gr } : {}),
    ...(exportPolicy ? { exportPolicy } : {}),
    ...(peerGroup !== undefined ? { peerGroup } : {}),
    ...(authPassword !== undefined ? { authPassword } : {}),
    ...(transportTtl !== undefined ? { ttl: transportTtl } : {}),
    ...ttlSections,
  };
}

/** `[neighbors.graceful-restart.config]` with GoBGP's defaults: enabled false, restart-time hold-time. */
function readGracefulRestart(
  gr: TableReader | undefined,
  holdTime: number,
): NonNullable<NeighborConfig['gracefulRestart']> | undefined {
  const c = gr?.table('config');
  gr?.finish();
  if (c === undefined) return undefined;
  const enabled = c.boolean('enabled');
  const time = c.number('restart-time', { min: 0, max: MAX_RESTART_TIME_S });
  if (enabled === undefined && !c.has('enabled'))
    c.report.warn(
      c.path,
      'enabled is not set: as in GoBGP, graceful restart is then off for this neighbor (not announced)',
    );
  else if (enabled === false && c.has('restart-time'))
    c.report.warn(c.at('restart-time'), 'ignored: graceful restart is not enabled');
  c.ignore(GOBGP_GRACEFUL_RESTART_CONFIG);
  c.finish();
  return { enabled: enabled ?? false, restartTime: time ?? Math.min(holdTime, MAX_RESTART_TIME_S) };
}

function readTimers(timers: TableReader | undefined): {
  holdTime: number;
  keepaliveInterval: number;
  connectRetry: number;
} {
  const tc = timers?.table('config');
  timers?.finish();
  if (tc === undefined)
    return {
      holdTime: DEFAULT_HOLD_TIME_S,
      keepaliveInterval: DEFAULT_HOLD_TIME_S / 3,
      connectRetry: DEFAULT_CONNECT_RETRY_S,
    };
  // The OPEN carries whole seconds; 1 and 2 are refused by RFC 4271 4.2.
  const hold = tc.number('hold-time', { min: 0, max: 65535, range: '0 (no hold timer) or 3..65535 seconds' });
  if (hold !== undefined && hold > 0 && hold < 3)
    tc.report.error(
      tc.at('hold-time'),
      `${hold} is out of range: expected 0 (no hold timer) or 3..65535 seconds (RFC 4271 4.2)`,
    );
  const holdTime = hold !== undefined && (hold === 0 || hold >= 3) ? hold : DEFAULT_HOLD_TIME_S;
  const keepalive = tc.number('keepalive-interval', { min: 0, max: 65535, fractional: true });
  let keepaliveInterval = holdTime / 3;
  if (keepalive !== undefined) {
    if (holdTime === 0) {
      if (keepalive !== 0)
        tc.report.warn(
          tc.at('keepalive-interval'),
          'ignored: with hold-time 0 no KEEPALIVE messages are sent (RFC 4271 4.4)',
        );
      keepaliveInterval = 0;
    } else if (keepalive === 0 || keepalive >= holdTime)
      tc.report.error(
        tc.at('keepalive-interval'),
        `${keepalive} must be greater than 0 and less than hold-time (${holdTime}), else the peer's hold timer expires; hold-time / 3 is usual`,
      );
    else keepaliveInterval = keepalive;
  }
  const retry = tc.number('connect-retry', {
    min: 0.001,
    max: 65535,
    fractional: true,
    range: 'a positive number of seconds up to 65535',
  });
  tc.ignore(GOBGP_TIMERS_CONFIG);
  tc.finish();
  return { holdTime, keepaliveInterval, connectRetry: retry ?? DEFAULT_CONNECT_RETRY_S };
}

function readFamilies(
  n: TableReader,
  afiSafis: TableReader[] | undefined,
  address: ParsedIp | undefined,
): NeighborFamily[] {
  if (afiSafis === undefined || afiSafis.length === 0) {
    // GoBGP's default: the unicast family of the neighbor's own address.
    return [address?.family === 'ipv6' ? 'ipv6-unicast' : 'ipv4-unicast'];
  }
  const families: NeighborFamily[] = [];
  for (const a of afiSafis) {
    const c = a.table('config');
    a.ignore(GOBGP_AFI_SAFI);
    a.finish();
    if (c === undefined) {
      if (!a.has('config'))
        a.report.error(a.path, '[neighbors.afi-safis.config] with afi-safi-name is missing');
      continue;
    }
    const name = c.string('afi-safi-name');
    const enabled = c.boolean('enabled') ?? true; // GoBGP enables a listed family unless told otherwise
    c.finish();
    if (name === undefined) {
      if (!c.has('afi-safi-name')) c.report.error(c.path, 'afi-safi-name is required');
      continue;
    }
    const family = SUPPORTED_FAMILIES.find((f) => f === name);
    if (family === undefined) {
      if (OTHER_GOBGP_FAMILIES.has(name))
        c.report.warn(c.at('afi-safi-name'), `"${name}" is not supported by ribjournal, ignored`);
      else
        c.report.error(
          c.at('afi-safi-name'),
          `unknown afi-safi-name "${name}" (ribjournal speaks ${SUPPORTED_FAMILIES.join(', ')})`,
        );
      continue;
    }
    if (families.includes(family)) c.report.warn(c.at('afi-safi-name'), `"${family}" is listed twice`);
    else if (enabled) families.push(family);
  }
  if (families.length === 0)
    n.report.warn(
      n.at('afi-safis'),
      'no address family that ribjournal supports is enabled: the session will carry no routes',
    );
  return families;
}

// ---------------------------------------------------------------------------------------------------
// [api]

function readApi(root: TableReader): Config['api'] {
  const t = root.table('api');
  if (t === undefined) return { listen: undefined, tokenFile: undefined, anonymousRead: false };
  const listen = t.string('listen');
  if (listen !== undefined && !isHostPort(listen))
    t.report.error(t.at('listen'), `"${listen}" is not host:port (e.g. "127.0.0.1:50080" or "[::1]:50080")`);
  const tokenFile = t.string('token-file');
  if (tokenFile === '') t.report.error(t.at('token-file'), 'token-file cannot be empty');
  const anonymousRead = t.boolean('anonymous-read') ?? false;
  t.finish();
  return {
    listen,
    tokenFile: tokenFile === '' ? undefined : tokenFile,
    tokenFileLine: t.report.lineOf(t.at('token-file')),
    anonymousRead,
  };
}

function isHostPort(text: string): boolean {
  const m = /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
  if (m === null || Number(m[3]) > 65535) return false;
  return m[1] === undefined || ipaddr.IPv6.isValid(m[1]);
}

// ---------------------------------------------------------------------------------------------------

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
