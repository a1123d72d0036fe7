// `ribjournal history vrf NAME PREFIX` and `ribjournal history global PREFIX`: every event of a prefix,
// with its reason, the flap count and the time since the last change.
import type { Command } from 'commander';
import { clientFor, onlineOptions, parsePointArg } from './client.js';
import type { OnlineOptions } from './client.js';
import { formatAge } from './global.js';
import { tolerateEpipe, writeOut } from './output.js';

interface ApiEntry {
  readonly seq: string;
  readonly time: string;
  readonly type: string;
  readonly interface: string;
  readonly ifindex: number | null;
  readonly address: string | null;
  readonly reason: string | null;
  readonly whileDown: boolean;
}

/** A window when the daemon was not watching (issue 9.6). */
interface ApiDowntime {
  readonly lastSeenSeq: string;
  readonly lastSeenTime: string;
  readonly startedSeq: string;
  readonly startedTime: string;
  readonly clean: boolean;
}

interface ApiHistory {
  readonly vrf: string;
  readonly prefix: string;
  readonly from: string;
  readonly to: string;
  readonly entries: readonly ApiEntry[];
  readonly downtimes: readonly ApiDowntime[];
  readonly totalCount: number;
  readonly hasMore: boolean;
  readonly flapCount: number;
  readonly lastChange: string | null;
  readonly secondsSinceLastChange: number | null;
}

const HISTORY_QUERY = `query History($vrf: String!, $prefix: String!, $from: SeqOrTime, $to: SeqOrTime, $after: Seq) {
  history(vrf: $vrf, prefix: $prefix, from: $from, to: $to, first: 1000, after: $after) {
    vrf prefix from to totalCount hasMore flapCount lastChange secondsSinceLastChange
    entries { seq time type interface ifindex address reason whileDown }
    downtimes { lastSeenSeq lastSeenTime startedSeq startedTime clean }
  }
}`;

type HistoryOptions = OnlineOptions & { from?: string; to?: string };

async function showHistory(vrf: string, prefix: string, opts: HistoryOptions): Promise<void> {
  tolerateEpipe();
  const client = clientFor(opts);
  const vars = {
    vrf,
    prefix,
    from: opts.from !== undefined ? parsePointArg(opts.from, '--from') : null,
    to: opts.to !== undefined ? parsePointArg(opts.to, '--to') : null,
  };
  let h: ApiHistory | undefined;
  const entries: ApiEntry[] = [];
  let after: string | null = null;
  do {
    const res: { history: ApiHistory } = await client.query<{ history: ApiHistory }>(HISTORY_QUERY, {
      ...vars,
      after,
    });
    h = res.history;
    entries.push(...h.entries);
    after = entries.length > 0 ? entries[entries.length - 1]!.seq : null;
    // The window is fixed by the first answer, so later pages see the same one.
    vars.from = h.from;
    vars.to = h.to;
  } while (h.hasMore);
  if (opts.json) {
    await writeOut(
      JSON.stringify({
        vrf: h.vrf,
        prefix: h.prefix,
        from: Number(h.from),
        to: Number(h.to),
        events: entries.map((e) => ({
          seq: Number(e.seq),
          time: e.time,
          type: e.type,
          interface: e.interface,
          ...(e.address !== null ? { ifindex: e.ifindex, address: e.address } : {}),
          ...(e.reason !== null ? { reason: e.reason } : {}),
          ...(e.whileDown ? { whileDown: true } : {}),
        })),
        downtimes: h.downtimes.map((d) => ({
          ...d,
          lastSeenSeq: Number(d.lastSeenSeq),
          startedSeq: Number(d.startedSeq),
        })),
        flapCount: h.flapCount,
        lastChange: h.lastChange,
        secondsSinceLastChange: h.secondsSinceLastChange,
      }) + '\n',
    );
    return;
  }
  const since = h.secondsSinceLastChange === null ? '' : ` (${formatAge(h.secondsSinceLastChange)} ago)`;
  let text =
    `VRF ${h.vrf}, prefix ${h.prefix}, seqs (${h.from}, ${h.to}]: ${h.totalCount} event${h.totalCount === 1 ? '' : 's'}, ` +
    `${h.flapCount} flap${h.flapCount === 1 ? '' : 's'}, last change ${h.lastChange ?? 'never'}${since}\n`;
  if (entries.length > 0 || h.downtimes.length > 0) {
    // Windows when nothing was watching read as rows of their own, at the start that ended them.
    const rows = [
      ...entries.map((e) => [
        e.seq,
        e.time,
        e.type,
        e.interface,
        (e.reason ?? e.address ?? '') + (e.whileDown ? ' (vanished while the daemon was down)' : ''),
      ]),
      ...h.downtimes.map((d) => [
        d.startedSeq,
        d.startedTime,
        'DaemonStarted',
        '-',
        `not watching since ${d.lastSeenTime} (${d.clean ? 'clean stop' : 'unclean stop'})`,
      ]),
    ].sort((a, b) => Number(a[0]) - Number(b[0]));
    const width = [3, 27, 15, 9].map((w, i) => Math.max(w, ...rows.map((r) => r[i]!.length)));
    const line = (c: readonly string[]): string =>
      `  ${c
        .slice(0, 4)
        .map((x, i) => x.padEnd(width[i]!))
        .join('  ')}  ${c[4]}`.trimEnd() + '\n';
    text += line(['Seq', 'Time', 'Event', 'Interface', 'Address/Reason']);
    for (const r of rows) text += line(r);
  }
  await writeOut(text);
}

function historyOptions(cmd: Command): Command {
  return onlineOptions(cmd)
    .option('--from <seq|time>', 'window start (exclusive): seq, RFC 3339 time, or relative (-2h)')
    .option('--to <seq|time>', 'window end (inclusive), default now');
}

export function registerHistory(program: Command): void {
  const root = program
    .command('history')
    .description('every event of a prefix, with flap count (online: asks the daemon)');
  historyOptions(
    root.command('vrf').description('history of a prefix in a VRF').argument('<name>').argument('<prefix>'),
  ).action(async (name: string, prefix: string, opts: HistoryOptions) => showHistory(name, prefix, opts));
  historyOptions(
    root.command('global').description('history of a prefix in the global table').argument('<prefix>'),
  ).action(async (prefix: string, opts: HistoryOptions) => showHistory('global', prefix, opts));
}
