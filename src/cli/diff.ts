// `ribjournal diff vrf NAME --from X [--to Y]` and `ribjournal diff global ...`: paths added and removed
// in the window (from, to].
import type { Command } from 'commander';
import { RibjournalError } from '../shared/index.js';
import { clientFor, onlineOptions, parsePointArg } from './client.js';
import type { OnlineOptions } from './client.js';
import { PATH_FIELDS, pathJson } from './global.js';
import type { ApiPath } from './global.js';
import { tolerateEpipe, writeOut } from './output.js';

interface ApiDiff {
  readonly vrf: string;
  readonly from: string;
  readonly to: string;
  readonly fromTime: string | null;
  readonly toTime: string | null;
  readonly added: readonly ApiPath[];
  readonly removed: readonly ApiPath[];
  readonly addedCount: number;
  readonly removedCount: number;
}

const DIFF_QUERY = `query Diff($vrf: String!, $from: SeqOrTime!, $to: SeqOrTime) {
  diff(vrf: $vrf, from: $from, to: $to, first: 1000) {
    vrf from to fromTime toTime addedCount removedCount
    added { ${PATH_FIELDS} } removed { ${PATH_FIELDS} }
  }
}`;

type DiffOptions = OnlineOptions & { from?: string; to?: string };

async function showDiff(vrf: string, opts: DiffOptions): Promise<void> {
  tolerateEpipe();
  if (opts.from === undefined)
    throw new RibjournalError('BAD_ARGUMENT', 'diff needs --from (a seq, an RFC 3339 time, or -15m)');
  const { diff: d } = await clientFor(opts).query<{ diff: ApiDiff }>(DIFF_QUERY, {
    vrf,
    from: parsePointArg(opts.from, '--from'),
    to: opts.to !== undefined ? parsePointArg(opts.to, '--to') : null,
  });
  if (opts.json) {
    await writeOut(
      JSON.stringify({
        vrf: d.vrf,
        from: Number(d.from),
        to: Number(d.to),
        fromTime: d.fromTime,
        toTime: d.toTime,
        added: d.added.map(pathJson),
        removed: d.removed.map(pathJson),
        addedCount: d.addedCount,
        removedCount: d.removedCount,
      }) + '\n',
    );
    return;
  }
  let text = `VRF ${d.vrf}, seqs (${d.from}, ${d.to}] (${d.fromTime ?? 'beginning'} .. ${d.toTime ?? 'beginning'}): ${d.addedCount} added, ${d.removedCount} removed\n`;
  const rows = [...d.removed.map((p) => ['-', p] as const), ...d.added.map((p) => ['+', p] as const)];
  if (rows.length > 0) {
    const w1 = Math.max(20, ...rows.map(([, p]) => p.nlri.length));
    const w2 = Math.max(20, ...rows.map(([, p]) => p.address.length));
    text += `  ${'Network'.padEnd(w1)} ${'Next Hop'.padEnd(w2)} Interface\n`;
    for (const [sign, p] of rows)
      text += `${sign} ${p.nlri.padEnd(w1)} ${p.address.padEnd(w2)} ${p.interface}\n`;
  }
  const more = d.addedCount + d.removedCount - rows.length;
  if (more > 0) text += `... and ${more} more (use -j, or a narrower window)\n`;
  await writeOut(text);
}

function diffOptions(cmd: Command): Command {
  return onlineOptions(cmd)
    .option('--from <seq|time>', 'window start (exclusive): seq, RFC 3339 time, or relative (-15m)')
    .option('--to <seq|time>', 'window end (inclusive), default now');
}

export function registerDiff(program: Command): void {
  const root = program
    .command('diff')
    .description('paths added and removed between two points (online: asks the daemon)');
  diffOptions(root.command('vrf').description('diff of a VRF').argument('<name>')).action(
    async (name: string, opts: DiffOptions) => showDiff(name, opts),
  );
  diffOptions(root.command('global').description('diff of the global table')).action(
    async (opts: DiffOptions) => showDiff('global', opts),
  );
}
