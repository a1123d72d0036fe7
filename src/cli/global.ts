// `ribjournal global rib [PREFIX [longer-prefixes|shorter-prefixes]] [-a ipv4|ipv6] [--at X]`, with
// the columns `gobgp global rib` (3.10) prints, and the RIB table helpers `vrf NAME rib` shares.
import type { Command } from 'commander';
import { RibjournalError } from '../shared/index.js';
import { clientFor, onlineOptions, parsePointArg } from './client.js';
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

/** Formats rows like gobgp's showRoute: "%-3s%-Ns %-Ns %-Ns %-10s %-Ns" with 20-wide minimum columns. */
export function renderRib(paths: readonly ApiPath[], nowMicros: number): string {
  const rows = paths.map((p) => [
    p.best ? '*>' : '* ',
    p.nlri,
    p.address,
    '',
    formatAge((nowMicros - micros(p.discovered)) / 1e6),
    formatAttrs(p),
  ]);
  const width = [3, 20, 20, 20, 10, 20];
  for (const r of rows) for (const i of [1, 2, 3, 5]) width[i] = Math.max(width[i]!, r[i]!.length);
  const line = (cols: readonly string[]): string => {
    const [sym, net, nh, asp, age, attrs] = cols;
    return `${sym!.padEnd(width[0]!)}${net!.padEnd(width[1]!)} ${nh!.padEnd(width[2]!)} ${asp!.padEnd(width[3]!)} ${age!.padEnd(width[4]!)} ${attrs!}`.trimEnd();
  };
  return [line(['', 'Network', 'Next Hop', 'AS_PATH', 'Age', 'Attrs']), ...rows.map(line)].join('\n') + '\n';
}

export interface RibArgs {
  readonly vrf: string;
  readonly family?: string | undefined;
  readonly prefix?: string | undefined;
  readonly match?: string | undefined;
  readonly at?: string | undefined;
}

/** gobgp's -a values for the families we carry. */
export function familyArg(a: string | undefined): 'ipv4' | 'ipv6' | undefined {
  if (a === undefined) return undefined;
  if (['ipv4', 'v4', '4'].includes(a)) return 'ipv4';
  if (['ipv6', 'v6', '6'].includes(a)) return 'ipv6';
  throw new RibjournalError(
    'BAD_ARGUMENT',
    `unsupported address family: ${a} (ribjournal carries ipv4 and ipv6)`,
  );
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

/** Prints a RIB as gobgp does (or as JSON with -j). */
export async function showRib(opts: OnlineOptions & { at?: string }, args: RibArgs): Promise<void> {
  tolerateEpipe();
  const client = clientFor(opts);
  const { seq, time, paths } = await fetchRib(client, args);
  if (opts.json) {
    await writeOut(
      JSON.stringify({ vrf: args.vrf, seq: Number(seq), time, paths: paths.map(pathJson) }) + '\n',
    );
    return;
  }
  if (paths.length === 0) {
    await writeOut('Network not in table\n');
    return;
  }
  // At a past point, the age is the path's age then.
  const now = args.at !== undefined && time !== null ? micros(time) : Date.now() * 1000;
  await writeOut(renderRib(paths, now));
}

export function registerGlobal(program: Command): void {
  const global = program.command('global').description('the global table (online: asks the daemon)');
  onlineOptions(
    global
      .command('rib')
      .description('show the global RIB, as gobgp global rib does; --at shows it as it was then')
      .argument('[prefix]', 'only this prefix')
      .argument('[match]', 'longer-prefixes or shorter-prefixes')
      .option('-a, --address-family <family>', 'ipv4 or ipv6')
      .option('--at <seq|time>', 'the RIB as it was at a seq, an RFC 3339 time, or a relative time (-15m)'),
  ).action(
    async (
      prefix: string | undefined,
      match: string | undefined,
      opts: OnlineOptions & { addressFamily?: string; at?: string },
    ) => {
      await showRib(opts, {
        vrf: 'global',
        family: familyArg(opts.addressFamily),
        prefix,
        match: matchArg(match),
        at: opts.at !== undefined ? parsePointArg(opts.at, '--at') : undefined,
      });
    },
  );
}
