// `ribjournal events`: the journal through the daemon, printed exactly as the offline `journal dump`
// prints it (-j: as `journal dump --json` / `journal export --format jsonl`).
import type { Command } from 'commander';
import { RibjournalError } from '../shared/index.js';
import { clientFor, onlineOptions } from './client.js';
import type { OnlineOptions } from './client.js';
import { tolerateEpipe, writeOut } from './output.js';

interface ApiEvents {
  readonly events: {
    readonly nodes: readonly { readonly line: string; readonly json: unknown }[];
    readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null };
  };
}

const EVENTS_QUERY = (
  json: boolean,
): string => `query Events($after: Seq, $first: Int, $filter: EventFilter) {
  events(after: $after, first: $first, filter: $filter) { nodes { ${json ? 'json' : 'line'} } pageInfo { hasNextPage endCursor } }
}`;

type EventsOptions = OnlineOptions & {
  after?: string;
  limit?: string;
  vrf?: string;
  prefix?: string;
  type?: string[];
};

export function registerEvents(program: Command): void {
  onlineOptions(
    program
      .command('events')
      .description('print journaled events from the daemon, as `journal dump` prints them')
      .option('--after <seq>', 'start after this seq')
      .option('-n, --limit <count>', 'print at most this many events')
      .option('--vrf <name>', 'only route events of this VRF ("global" for the global table)')
      .option('--prefix <prefix>', 'only route events of this prefix')
      .option(
        '--type <type...>',
        'only these types (RouteDiscovered, RouteVanished, ConfigApplied, DaemonStarted, DaemonStopped)',
      ),
  ).action(async (opts: EventsOptions) => {
    tolerateEpipe();
    const client = clientFor(opts);
    if (opts.after !== undefined && !/^\d+$/.test(opts.after)) {
      throw new RibjournalError('BAD_ARGUMENT', `--after ${opts.after}: expected a seq (integer)`);
    }
    let left = opts.limit !== undefined ? Number(opts.limit) : Infinity;
    if (!(left >= 0)) throw new RibjournalError('BAD_ARGUMENT', `--limit ${opts.limit}: expected a count`);
    const filter =
      opts.vrf || opts.prefix || opts.type
        ? { vrf: opts.vrf ?? null, prefix: opts.prefix ?? null, types: opts.type ?? null }
        : null;
    let after = opts.after ?? '0';
    while (left > 0) {
      const first = Math.min(1000, left);
      const { events }: ApiEvents = await client.query<ApiEvents>(EVENTS_QUERY(opts.json === true), {
        after,
        first,
        filter,
      });
      let text = '';
      for (const n of events.nodes) text += (opts.json ? JSON.stringify(n.json) : n.line) + '\n';
      left -= events.nodes.length;
      if (text && !(await writeOut(text))) return;
      if (!events.pageInfo.hasNextPage || events.pageInfo.endCursor === null) return;
      after = events.pageInfo.endCursor;
    }
  });
}
