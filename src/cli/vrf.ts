// `ribjournal vrf` (the VRF list, as `gobgp vrf` prints it) and `ribjournal vrf NAME rib [...]`.
import type { Command } from 'commander';
import { RibjournalError } from '../shared/index.js';
import { clientFor, onlineOptions, parsePointArg } from './client.js';
import type { OnlineOptions } from './client.js';
import { familyArg, matchArg, showRib } from './global.js';
import { tolerateEpipe, writeOut } from './output.js';

interface ApiVrf {
  readonly name: string;
  readonly rd: string | null;
  readonly importRts: readonly string[];
  readonly exportRts: readonly string[];
  readonly label: number | null;
  readonly interfaces: readonly string[];
  readonly configured: boolean;
  readonly routeCounts: { readonly ipv4: number; readonly ipv6: number };
}

const VRFS_QUERY = `query Vrfs($at: SeqOrTime) {
  vrfs(at: $at) { name rd importRts exportRts label interfaces configured routeCounts { ipv4 ipv6 } seq }
}`;

/** gobgp's `vrf` table: "  %-Ns %-Ns %-Ns %-Ns", columns 20 wide, widened to length + 4 when longer. */
export function renderVrfs(vrfs: readonly ApiVrf[]): string {
  const rows = vrfs.map((v) => [v.name, v.rd ?? '', v.importRts.join(', '), v.exportRts.join(', ')]);
  const width = [20, 20, 20, 20];
  for (const r of rows) r.forEach((c, i) => c.length > width[i]! && (width[i] = c.length + 4));
  const line = (cols: readonly string[]): string =>
    `  ${cols.map((c, i) => c.padEnd(width[i]!)).join(' ')}`.trimEnd();
  return [line(['Name', 'RD', 'Import RT', 'Export RT']), ...rows.map(line)].join('\n') + '\n';
}

async function listVrfs(opts: OnlineOptions & { at?: string }): Promise<void> {
  tolerateEpipe();
  const at = opts.at !== undefined ? parsePointArg(opts.at, '--at') : null;
  const { vrfs } = await clientFor(opts).query<{ vrfs: ApiVrf[] }>(VRFS_QUERY, { at });
  // Like gobgp, the list shows VRFs; the global table is not one.
  const list = vrfs.filter((v) => v.name !== 'global');
  if (opts.json) {
    await writeOut(
      JSON.stringify(
        list.map((v) => ({
          name: v.name,
          rd: v.rd,
          importRts: v.importRts,
          exportRts: v.exportRts,
          label: v.label,
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
        "list VRFs (gobgp vrf), or show one VRF's RIB: vrf NAME rib [PREFIX [longer-prefixes|shorter-prefixes]]",
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
      await showRib(opts, {
        vrf: name,
        family: familyArg(opts.addressFamily),
        prefix,
        match: matchArg(match),
        at: opts.at !== undefined ? parsePointArg(opts.at, '--at') : undefined,
      });
    },
  );
}
