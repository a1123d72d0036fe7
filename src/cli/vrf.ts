// `ribjournal vrf` (the VRF list, as `gobgp vrf` prints it) and `ribjournal vrf NAME rib [...]`.
import type { Command } from 'commander';
import { RibjournalError } from '../shared/index.js';
import { clientFor, jsonShape, onlineOptions, parsePointArg } from './client.js';
import { gobgpVrf } from './gobgp-json.js';
import type { OnlineOptions } from './client.js';
import { familyArg, lookupArgs, showRib } from './global.js';
import { tolerateEpipe, writeOut } from './output.js';

interface ApiVrf {
  readonly name: string;
  readonly rd: string | null;
  readonly importRts: readonly string[];
  readonly exportRts: readonly string[];
  readonly label: number | null;
  /** `[vrfs.config] id` (0: not set). */
  readonly id: number;
  readonly interfaces: readonly string[];
  readonly configured: boolean;
  readonly routeCounts: { readonly ipv4: number; readonly ipv6: number };
}

const VRFS_QUERY = `query Vrfs($at: SeqOrTime) {
  vrfs(at: $at) { name rd importRts exportRts label id interfaces configured routeCounts { ipv4 ipv6 } seq }
}`;

/** gobgp's `vrf` table: "  %-Ns %-Ns %-Ns %-Ns %-Ns", columns 20 wide (ID 4), widened to length + 4. */
export function renderVrfs(vrfs: readonly ApiVrf[]): string {
  const rows = vrfs.map((v) => [
    v.name,
    v.rd ?? '',
    v.importRts.join(', '),
    v.exportRts.join(', '),
    String(v.id),
  ]);
  const width = [20, 20, 20, 20, 4];
  for (const r of rows) r.forEach((c, i) => c.length > width[i]! && (width[i] = c.length + 4));
  const line = (cols: readonly string[]): string =>
    `  ${cols.map((c, i) => c.padEnd(width[i]!)).join(' ')}`.trimEnd();
  return [line(['Name', 'RD', 'Import RT', 'Export RT', 'ID']), ...rows.map(line)].join('\n') + '\n';
}

async function listVrfs(opts: OnlineOptions & { at?: string }): Promise<void> {
  tolerateEpipe();
  const at = opts.at !== undefined ? parsePointArg(opts.at, '--at') : null;
  const { vrfs } = await clientFor(opts).query<{ vrfs: ApiVrf[] }>(VRFS_QUERY, { at });
  // Like gobgp, the list shows VRFs; the global table is not one.
  const list = vrfs.filter((v) => v.name !== 'global');
  const shape = jsonShape(opts);
  if (shape === 'gobgp') {
    await writeOut(JSON.stringify(list.map((v) => gobgpVrf(v))) + '\n');
    return;
  }
  if (shape === 'ribjournal') {
    await writeOut(
      JSON.stringify(
        list.map((v) => ({
          name: v.name,
          rd: v.rd,
          importRts: v.importRts,
          exportRts: v.exportRts,
          label: v.label,
          id: v.id,
          interfaces: v.interfaces,
          configured: v.configured,
          routeCounts: v.routeCounts,
        })),
      ) + '\n',
    );
    return;
  }
  await writeOut(renderVrfs(list));
}

export function registerVrf(program: Command): void {
  onlineOptions(
    program
      .command('vrf')
      .description(
        "list VRFs (gobgp vrf), or show one VRF's RIB: vrf NAME rib [ADDRESS | PREFIX [longer-prefixes|shorter-prefixes] | summary]",
      )
      .argument('[name]', 'VRF name')
      .argument('[action]', '"rib"')
      .argument('[prefix]', 'only this prefix')
      .argument('[match]', 'longer-prefixes or shorter-prefixes')
      .option('-a, --address-family <family>', 'ipv4 or ipv6')
      .option('--at <seq|time>', 'as it was at a seq, an RFC 3339 time, or a relative time (-15m)'),
  ).action(
    async (
      name: string | undefined,
      action: string | undefined,
      prefix: string | undefined,
      match: string | undefined,
      opts: OnlineOptions & { addressFamily?: string; at?: string },
    ) => {
      if (name === undefined) return listVrfs(opts);
      if (action !== 'rib') {
        throw new RibjournalError(
          'BAD_ARGUMENT',
          'usage: ribjournal vrf <vrf-name> rib [<prefix> [longer-prefixes|shorter-prefixes]]',
        );
      }
      const summary = prefix === 'summary';
      const lookup = summary ? { match: 'EXACT' as const, longest: false } : lookupArgs(prefix, match);
      await showRib(
        { ...opts, summary, longest: lookup.longest },
        {
          vrf: name,
          family: familyArg(opts.addressFamily) ?? (summary ? 'ipv4' : undefined),
          prefix: lookup.prefix,
          match: lookup.match,
          at: opts.at !== undefined ? parsePointArg(opts.at, '--at') : undefined,
        },
      );
    },
  );
}
