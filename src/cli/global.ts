// `ribjournal global` (AS, router ID, port) and `ribjournal global rib [ADDRESS | PREFIX
// [longer-prefixes|shorter-prefixes] | summary] [-a ipv4|ipv6|vpnv4|vpnv6] [--at X]`, with the columns
// `gobgp global rib` (3.10) prints, and the RIB table helpers `vrf NAME rib` shares.
import type { Command } from 'commander';
import ipaddr from 'ipaddr.js';
import { RibjournalError } from '../shared/index.js';
import { clientFor, jsonShape, onlineOptions, parsePointArg } from './client.js';
import { gobgpRib, gobgpSummary } from './gobgp-json.js';
import type { ApiClient, OnlineOptions } from './client.js';
import { tolerateEpipe, writeOut } from './output.js';

/** The path fields every CLI command asks for. */
export const PATH_FIELDS =
  'vrf family prefix interface ifindex address nlri rd exportRts discovered seq best';

/** A path as the API returns it (PATH_FIELDS). */
export interface ApiPath {
  readonly vrf: string;
  readonly family: 'ipv4' | 'ipv6';
  readonly prefix: string;
  readonly interface: string;
  readonly ifindex: number;
  readonly address: string;
  readonly nlri: string;
  readonly rd: string | null;
  readonly exportRts: readonly string[];
  readonly discovered: string;
  readonly seq: string;
  readonly best: boolean;
}

/** The JSON form of a path in CLI output (DESIGN: names and times as everywhere else). */
export function pathJson(p: ApiPath): Record<string, unknown> {
  return {
    vrf: p.vrf,
    family: p.family,
    prefix: p.prefix,
    nlri: p.nlri,
    interface: p.interface,
    ifindex: p.ifindex,
    address: p.address,
    ...(p.rd !== null ? { rd: p.rd } : {}),
    exportRts: p.exportRts,
    time: p.discovered,
    seq: Number(p.seq),
    best: p.best,
  };
}

/** Epoch µs of an RFC 3339 UTC time with microseconds, as the API prints them. */
export function micros(text: string): number {
  const m = /\.(\d{1,6})Z$/.exec(text);
  const ms = Date.parse(text.replace(/\.\d+Z$/, 'Z'));
  return ms * 1000 + Number((m?.[1] ?? '').padEnd(6, '0'));
}

/** gobgp's Age column: HH:MM:SS, with "Nd " in front past a day. */
export function formatAge(seconds: number): string {
  let s = Math.max(0, Math.floor(seconds));
  const days = Math.floor(s / 86400);
  s -= days * 86400;
  const hms = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
  return days > 0 ? `${days}d ${hms}` : hms;
}

/** gobgp's Attrs column for our paths: ORIGIN IGP, plus the export RTs as extended communities. */
export function formatAttrs(p: ApiPath): string {
  const attrs = ['{Origin: i}'];
  if (p.exportRts.length > 0) attrs.push(`{Extcomms: ${p.exportRts.map((rt) => `[${rt}]`).join(', ')}}`);
  return `[${attrs.join(' ')}]`;
}

/**
 * Formats rows like gobgp's showRoute: "%-3s%-Ns [%-10s ]%-Ns %-Ns %-10s %-s" with 20-wide minimum
 * columns; `labelOf` adds gobgp's Labels column (VPN families).
 */
export function renderRib(
  paths: readonly ApiPath[],
  nowMicros: number,
  labelOf?: (p: ApiPath) => number,
): string {
  const rows = paths.map((p) => [
    p.best ? '*>' : '* ',
    p.nlri,
    labelOf ? `[${labelOf(p)}]` : '',
    p.address,
    '',
    formatAge((nowMicros - micros(p.discovered)) / 1e6),
    formatAttrs(p),
  ]);
  const width = [3, 20, 10, 20, 20, 10, 20];
  for (const r of rows) for (const i of [1, 3, 4]) width[i] = Math.max(width[i]!, r[i]!.length);
  const line = (cols: readonly string[]): string => {
    const [sym, net, labels, nh, asp, age, attrs] = cols;
    const label = labelOf ? `${labels!.padEnd(width[2]!)} ` : '';
    return `${sym!.padEnd(width[0]!)}${net!.padEnd(width[1]!)} ${label}${nh!.padEnd(width[3]!)} ${asp!.padEnd(width[4]!)} ${age!.padEnd(width[5]!)} ${attrs!}`.trimEnd();
  };
  return (
    [line(['', 'Network', 'Labels', 'Next Hop', 'AS_PATH', 'Age', 'Attrs']), ...rows.map(line)].join('\n') +
    '\n'
  );
}

export interface RibArgs {
  readonly vrf: string;
  readonly family?: string | undefined;
  readonly prefix?: string | undefined;
  readonly match?: string | undefined;
  readonly at?: string | undefined;
}

/** gobgp's -a values for the families we carry; `vpn` for vpnv4/vpnv6 (the VRFs' routes). */
export function familyOf(a: string | undefined): { family?: 'ipv4' | 'ipv6'; vpn: boolean } {
  if (a === undefined) return { vpn: false };
  if (['ipv4', 'v4', '4'].includes(a)) return { family: 'ipv4', vpn: false };
  if (['ipv6', 'v6', '6'].includes(a)) return { family: 'ipv6', vpn: false };
  if (a === 'vpnv4') return { family: 'ipv4', vpn: true };
  if (a === 'vpnv6') return { family: 'ipv6', vpn: true };
  throw new RibjournalError(
    'BAD_ARGUMENT',
    `unsupported address family: ${a} (ribjournal carries ipv4, ipv6, vpnv4 and vpnv6)`,
  );
}

/** gobgp's -a values for one table (a VRF's RIB is ipv4 or ipv6). */
export function familyArg(a: string | undefined): 'ipv4' | 'ipv6' | undefined {
  const f = familyOf(a);
  if (f.vpn) throw new RibjournalError('BAD_ARGUMENT', `-a ${a}: a VRF's RIB is ipv4 or ipv6`);
  return f.family;
}

/** gobgp's "longer-prefixes" / "shorter-prefixes" words. */
export function matchArg(word: string | undefined): 'EXACT' | 'LONGER' | 'SHORTER' {
  if (word === undefined) return 'EXACT';
  if (word === 'longer-prefixes') return 'LONGER';
  if (word === 'shorter-prefixes') return 'SHORTER';
  throw new RibjournalError(
    'BAD_ARGUMENT',
    `invalid format for route filtering: "${word}" (longer-prefixes or shorter-prefixes)`,
  );
}

/**
 * gobgp's lookup words: an address without a length is a longest-match lookup (gobgp global rib
 * 192.0.2.10), a prefix is exact unless longer-/shorter-prefixes follows.
 */
export function lookupArgs(
  prefix: string | undefined,
  match: string | undefined,
): { prefix?: string; match: 'EXACT' | 'LONGER' | 'SHORTER'; longest: boolean } {
  if (prefix === undefined) return { match: matchArg(match), longest: false };
  if (!prefix.includes('/') && ipaddr.isValid(prefix)) {
    if (match !== undefined)
      throw new RibjournalError('BAD_ARGUMENT', `"${match}" needs a prefix, not the address ${prefix}`);
    const addr = ipaddr.parse(prefix);
    const bits = addr.kind() === 'ipv4' ? 32 : 128;
    return { prefix: `${addr.toString()}/${bits}`, match: 'SHORTER', longest: true };
  }
  return { prefix, match: matchArg(match), longest: false };
}

/** Of the paths covering an address, those of the longest prefix (what a forwarding lookup picks). */
export function longestMatch(paths: readonly ApiPath[]): ApiPath[] {
  const len = (p: ApiPath): number => Number(p.prefix.split('/')[1]);
  const longest = Math.max(-1, ...paths.map(len));
  return paths.filter((p) => len(p) === longest);
}

const RIB_QUERY = `query Rib($vrf: String!, $family: Family, $prefix: String, $match: PrefixMatch, $after: String, $at: SeqOrTime, $first: Int) {
  rib(vrf: $vrf, family: $family, prefix: $prefix, match: $match, first: $first, after: $after, at: $at) {
    seq time pageInfo { hasNextPage endCursor } nodes { ${PATH_FIELDS} }
  }
}`;

interface RibResult {
  readonly rib: {
    readonly seq: string;
    readonly time: string | null;
    readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null };
    readonly nodes: readonly ApiPath[];
  };
}

/**
 * Every path of a RIB. The first page fixes the point in history (seq); later pages ask for that same
 * seq, so the table is one consistent state even while routes change.
 */
export async function fetchRib(
  client: ApiClient,
  args: RibArgs,
): Promise<{ seq: string; time: string | null; paths: ApiPath[] }> {
  const paths: ApiPath[] = [];
  let at = args.at;
  let after: string | null = null;
  let seq = '0';
  let time: string | null = null;
  for (;;) {
    const { rib }: RibResult = await client.query<RibResult>(RIB_QUERY, {
      vrf: args.vrf,
      family: args.family ?? null,
      prefix: args.prefix ?? null,
      match: args.match ?? 'EXACT',
      after,
      at: at ?? null,
      first: 1000,
    });
    paths.push(...rib.nodes);
    seq = rib.seq;
    time = rib.time;
    at = rib.seq;
    if (!rib.pageInfo.hasNextPage) break;
    after = rib.pageInfo.endCursor;
  }
  return { seq, time, paths };
}

/**
 * The age reference: the --at time when one was given (ages are ages then), the time of the event at
 * an --at seq, else now. A point in the future is now.
 */
export function ageReference(
  at: string | undefined,
  time: string | null,
  nowMicros = Date.now() * 1000,
): number {
  if (at === undefined) return nowMicros;
  if (!/^\d+$/.test(at)) return Math.min(micros(at), nowMicros);
  return time !== null ? micros(time) : nowMicros;
}

/**
 * The note for a point after the newest event (DESIGN: that is the present), or undefined: a seq past
 * the journal's head, or a time in the future.
 */
export function presentNote(
  at: string | undefined,
  seq: string,
  nowMicros = Date.now() * 1000,
): string | undefined {
  if (at === undefined) return undefined;
  if (/^\d+$/.test(at)) {
    return Number(at) > Number(seq)
      ? `--at ${at} is after the newest event (seq ${seq}): showing the present`
      : undefined;
  }
  return micros(at) > nowMicros ? `--at ${at} is in the future: showing the present (seq ${seq})` : undefined;
}

/** gobgp's summary of one table ("Table afi:AFI_IP safi:SAFI_UNICAST / Destination: N, Path: M"). */
function summaryText(family: 'ipv4' | 'ipv6', vpn: boolean, paths: readonly ApiPath[]): string {
  const s = gobgpSummary(paths);
  const afi = family === 'ipv4' ? 'AFI_IP' : 'AFI_IP6';
  return `Table afi:${afi} safi:${vpn ? 'SAFI_MPLS_VPN' : 'SAFI_UNICAST'}\nDestination: ${s.num_destination}, Path: ${s.num_path}\n`;
}

export interface ShowRibOptions extends OnlineOptions {
  readonly at?: string;
  /** `summary`: counts instead of paths. */
  readonly summary?: boolean;
  /** Longest-match lookup: keep only the longest covering prefix. */
  readonly longest?: boolean;
}

/** Prints a RIB as gobgp does (-j: gobgp's JSON; -o json: ribjournal's). */
export async function showRib(opts: ShowRibOptions, args: RibArgs): Promise<void> {
  tolerateEpipe();
  const client = clientFor(opts);
  const got = await fetchRib(client, args);
  const paths = opts.longest ? longestMatch(got.paths) : got.paths;
  const shape = jsonShape(opts);
  const note = presentNote(args.at, got.seq);
  if (note !== undefined) process.stderr.write(`ribjournal: ${note}\n`);
  if (opts.summary) {
    const s = gobgpSummary(paths);
    if (shape === 'gobgp') await writeOut(JSON.stringify(s) + '\n');
    else if (shape === 'ribjournal')
      await writeOut(
        JSON.stringify({
          vrf: args.vrf,
          seq: Number(got.seq),
          time: got.time,
          destinations: s.num_destination,
          paths: s.num_path,
        }) + '\n',
      );
    else await writeOut(summaryText((args.family as 'ipv4' | 'ipv6' | undefined) ?? 'ipv4', false, paths));
    return;
  }
  if (shape === 'gobgp') {
    await writeOut(JSON.stringify(gobgpRib(paths)) + '\n');
    return;
  }
  if (shape === 'ribjournal') {
    await writeOut(
      JSON.stringify({ vrf: args.vrf, seq: Number(got.seq), time: got.time, paths: paths.map(pathJson) }) +
        '\n',
    );
    return;
  }
  if (paths.length === 0) {
    await writeOut('Network not in table\n');
    return;
  }
  await writeOut(renderRib(paths, ageReference(args.at, got.time)));
}

const VPN_VRFS_QUERY = `query VpnVrfs($at: SeqOrTime) { vrfs(at: $at) { name rd label seq } }`;

/**
 * `global rib -a vpnv4|vpnv6`: every VRF's routes of that family as the VPN routes BGP carries (RD
 * prefixed, with the VRF's label), at one point in history for all VRFs.
 */
export async function showVpnRib(
  opts: ShowRibOptions,
  args: RibArgs & { family: 'ipv4' | 'ipv6' },
): Promise<void> {
  tolerateEpipe();
  const client = clientFor(opts);
  const { vrfs } = await client.query<{
    vrfs: { name: string; rd: string | null; label: number | null; seq: string }[];
  }>(VPN_VRFS_QUERY, { at: args.at ?? null });
  const seq = vrfs[0]?.seq;
  const labels = new Map<string, number>();
  const paths: ApiPath[] = [];
  let time: string | null = null;
  for (const v of vrfs) {
    if (v.name === 'global' || v.rd === null) continue;
    labels.set(v.name, v.label ?? 0);
    const got = await fetchRib(client, { ...args, vrf: v.name, at: seq ?? args.at });
    time = got.time;
    paths.push(...(opts.longest ? longestMatch(got.paths) : got.paths));
  }
  const labelOf = (p: ApiPath): number => labels.get(p.vrf) ?? 0;
  const shape = jsonShape(opts);
  if (opts.summary) {
    const s = gobgpSummary(paths);
    if (shape !== undefined) await writeOut(JSON.stringify(s) + '\n');
    else await writeOut(summaryText(args.family, true, paths));
    return;
  }
  if (shape === 'gobgp') await writeOut(JSON.stringify(gobgpRib(paths, labelOf)) + '\n');
  else if (shape === 'ribjournal')
    await writeOut(
      JSON.stringify({
        family: args.family === 'ipv4' ? 'vpnv4' : 'vpnv6',
        seq: Number(seq ?? 0),
        paths: paths.map((p) => ({ ...pathJson(p), label: labelOf(p) })),
      }) + '\n',
    );
  else if (paths.length === 0) await writeOut('Network not in table\n');
  else await writeOut(renderRib(paths, ageReference(args.at, time), labelOf));
}

interface ApiBgpGlobal {
  readonly as: number;
  readonly routerId: string;
  readonly listenPort: number;
  readonly listenAddresses: readonly string[];
}

/** `ribjournal global`: AS, router ID, listening port and addresses, as `gobgp global` prints them. */
async function showGlobal(opts: OnlineOptions): Promise<void> {
  const { bgpGlobal: g } = await clientFor(opts).query<{ bgpGlobal: ApiBgpGlobal | null }>(
    '{ bgpGlobal { as routerId listenPort listenAddresses } }',
  );
  const shape = jsonShape(opts);
  if (g === null) {
    if (shape !== undefined) await writeOut('{}\n');
    else await writeOut('BGP is off (no [global.config] in the configuration)\n');
    return;
  }
  if (shape === 'gobgp')
    await writeOut(
      JSON.stringify({
        asn: g.as,
        router_id: g.routerId,
        listen_port: g.listenPort,
        listen_addresses: g.listenAddresses,
      }) + '\n',
    );
  else if (shape === 'ribjournal') await writeOut(JSON.stringify(g) + '\n');
  else
    await writeOut(
      `AS:        ${g.as}\nRouter-ID: ${g.routerId}\nListening Port: ${g.listenPort}, Addresses: ${g.listenAddresses.join(', ')}\n`,
    );
}

export function registerGlobal(program: Command): void {
  const global = onlineOptions(
    program
      .command('global')
      .description('the global table and BGP identity (online: asks the daemon): AS, router ID, port')
      // `global rib -j --api X`: the options after `rib` are rib's, not global's.
      .enablePositionalOptions(),
  ).action(async (opts: OnlineOptions) => showGlobal(opts));
  onlineOptions(
    global
      .command('rib')
      .description(
        'show the global RIB, as gobgp global rib does: [ADDRESS | PREFIX [longer-prefixes|shorter-prefixes] | summary]; -a vpnv4|vpnv6 shows every VRF as VPN routes; --at shows it as it was then',
      )
      .argument('[prefix]', 'an address (longest match), a prefix, or "summary"')
      .argument('[match]', 'longer-prefixes or shorter-prefixes')
      .option('-a, --address-family <family>', 'ipv4, ipv6, vpnv4 or vpnv6')
      .option('--at <seq|time>', 'the RIB as it was at a seq, an RFC 3339 time, or a relative time (-15m)'),
  ).action(
    async (
      prefix: string | undefined,
      match: string | undefined,
      opts: OnlineOptions & { addressFamily?: string; at?: string },
    ) => {
      const { family, vpn } = familyOf(opts.addressFamily);
      const summary = prefix === 'summary';
      const lookup = summary ? { match: 'EXACT' as const, longest: false } : lookupArgs(prefix, match);
      const at = opts.at !== undefined ? parsePointArg(opts.at, '--at') : undefined;
      const show = { ...opts, summary, longest: lookup.longest };
      const args = { prefix: lookup.prefix, match: lookup.match, at };
      if (vpn) await showVpnRib(show, { ...args, vrf: 'global', family: family! });
      else await showRib(show, { ...args, vrf: 'global', family: family ?? (summary ? 'ipv4' : undefined) });
    },
  );
}
