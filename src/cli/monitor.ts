// `ribjournal monitor global rib` and `ribjournal monitor vrf NAME rib`: route changes as gobgp's monitor
// prints them ("2026-11-24T19:43:39Z [ROUTE] 10.1.0.0/24 via 10.1.0.1 aspath [] attrs [...]").
// --current prints the table first, then the changes after the seq that table was read at, so nothing
// falls between the two; --after SEQ resumes from the journal. A monitor the daemon drops as too slow
// resumes by itself from where it was: nothing is lost.
import type { Command } from 'commander';
import { RibjournalError, isRibjournalError } from '../shared/index.js';
import { clientFor, onlineOptions } from './client.js';
import type { OnlineOptions } from './client.js';
import { PATH_FIELDS, fetchRib, formatAttrs, pathJson } from './global.js';
import type { ApiPath } from './global.js';
import { tolerateEpipe, writeOut } from './output.js';

interface ApiChange {
  readonly seq: string;
  readonly time: string;
  readonly type: 'DISCOVERED' | 'VANISHED';
  readonly reason: string | null;
  readonly path: ApiPath;
}

interface ApiBatch {
  readonly routeChanges: {
    readonly throughSeq: string;
    readonly heartbeat: boolean;
    readonly changes: readonly ApiChange[];
  };
}

const SUBSCRIPTION = `subscription Monitor($vrf: String, $after: Seq) {
  routeChanges(vrf: $vrf, after: $after) {
    throughSeq heartbeat changes { seq time type reason path { ${PATH_FIELDS} } }
  }
}`;

/** gobgp's monitor time: RFC 3339 in UTC, whole seconds. */
function monitorTime(rfc3339: string): string {
  return `${rfc3339.slice(0, 19)}Z`;
}

/** One monitor line, as gobgp prints a path of a table event. */
export function monitorLine(kind: 'ROUTE' | 'DELROUTE', time: string, p: ApiPath): string {
  return `${monitorTime(time)} [${kind}] ${p.nlri} via ${p.address} aspath [] attrs ${formatAttrs(p)}\n`;
}

function changeJson(c: ApiChange): string {
  return (
    JSON.stringify({
      ...pathJson(c.path),
      seq: Number(c.seq),
      time: c.time,
      type: c.type === 'DISCOVERED' ? 'RouteDiscovered' : 'RouteVanished',
      withdrawn: c.type === 'VANISHED',
      ...(c.reason !== null ? { reason: c.reason } : {}),
      discovered: c.path.discovered,
    }) + '\n'
  );
}

async function monitor(
  vrf: string,
  opts: OnlineOptions & { current?: boolean; after?: string },
): Promise<void> {
  tolerateEpipe();
  const client = clientFor(opts);
  let after: string | undefined;
  if (opts.after !== undefined) {
    if (!/^\d+$/.test(opts.after))
      throw new RibjournalError('BAD_ARGUMENT', `--after ${opts.after}: expected a seq (integer)`);
    after = opts.after;
  }
  if (opts.current) {
    const table = await fetchRib(client, { vrf, at: after });
    let text = '';
    for (const p of table.paths) {
      text += opts.json
        ? JSON.stringify({ ...pathJson(p), type: 'RouteDiscovered', withdrawn: false, current: true }) + '\n'
        : monitorLine('ROUTE', p.discovered, p);
    }
    if (!(await writeOut(text))) return;
    after = table.seq;
  }
  for (;;) {
    try {
      for await (const data of client.subscribe<ApiBatch>(SUBSCRIPTION, { vrf, after: after ?? null })) {
        const batch = data.routeChanges;
        let text = '';
        for (const c of batch.changes) {
          text += opts.json
            ? changeJson(c)
            : monitorLine(c.type === 'DISCOVERED' ? 'ROUTE' : 'DELROUTE', c.time, c.path);
        }
        after = batch.throughSeq;
        if (text && !(await writeOut(text))) return;
      }
      return;
    } catch (err) {
      if (isRibjournalError(err, 'SUBSCRIBER_TOO_SLOW')) {
        const resume = err.details?.['resumeAfter'];
        if (typeof resume === 'string') after = resume;
        continue;
      }
      throw err;
    }
  }
}

function monitorOptions(cmd: Command): Command {
  return onlineOptions(cmd)
    .option('--current', 'print the current table first, then the changes after it')
    .option('--after <seq>', 'first replay the changes after this seq from the journal');
}

export function registerMonitor(program: Command): void {
  const root = program.command('monitor').description('follow route changes (online: asks the daemon)');
  const global = root.command('global').description('the global table');
  monitorOptions(global.command('rib').description('follow changes of the global RIB')).action(
    async (opts: OnlineOptions & { current?: boolean; after?: string }) => monitor('global', opts),
  );
  monitorOptions(
    root
      .command('vrf')
      .description("follow changes of a VRF's RIB: monitor vrf NAME rib")
      .argument('<name>', 'VRF name')
      .argument('<rib>', '"rib"'),
  ).action(async (name: string, rib: string, opts: OnlineOptions & { current?: boolean; after?: string }) => {
    if (rib !== 'rib')
      throw new RibjournalError('BAD_ARGUMENT', 'usage: ribjournal monitor vrf <vrf-name> rib');
    await monitor(name, opts);
  });
}
