// `ribjournal journal ...`: offline commands on a journal directory (the daemon stopped, or a copy).
// replay, diff and history run the online commands' own code against an in-process API over the
// offline journal, so that online and offline print exactly the same thing.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createYoga } from '../api/index.js';
import type { ApiContext } from '../api/index.js';
import { createApiIndexes } from '../api/index.js';
import { envelopeToJson, envelopeToLine, vrfDisplayName } from '../events/index.js';
import type { Envelope } from '../events/index.js';
import {
  JOURNAL_FORMAT_VERSION,
  describeDamage,
  journalThrough,
  openLevelJournal,
  recoverJournal,
  scanJournalStats,
  verifyJournal,
} from '../journal/index.js';
import type { JournalStatistics, LevelJournal, MigrationEvent, VerifyReport } from '../journal/index.js';
import { exportMrt } from '../mrt/index.js';
import { Rib, loadHorizonCheckpoint, trimHooks } from '../projections/index.js';
import { heldTarget, trimJournal } from '../journal/index.js';
import {
  RibjournalError,
  formatMicros,
  formatTimePoint,
  isRibjournalError,
  parseTimeArg,
  resolveTimePoint,
} from '../shared/index.js';
import { tolerateEpipe, writeOut } from './output.js';
import { clientFor, nodeHttpPost, useTransport } from './client.js';
import { explainRefusal } from './admin.js';

/** Turns a journal held by a daemon into one actionable line naming the online equivalent. */
function heldError(err: unknown, dir: string, online: string): unknown {
  if (isRibjournalError(err, 'JOURNAL_LOCKED')) {
    return new RibjournalError(
      'JOURNAL_LOCKED',
      `journal ${dir} is held by a running ribjournal daemon; stop it, or ask the daemon instead: ${online}`,
      { cause: err },
    );
  }
  return err;
}

/** Opens a journal for an offline command, turning a held lock into one actionable line. */
export async function openOffline(dir: string, online: string): Promise<LevelJournal> {
  const progress = stderrProgress('migrating');
  try {
    return await openLevelJournal(dir, {
      create: false,
      // The offline tools read; they leave block compaction to the daemon.
      compaction: false,
      onMigration: (e: MigrationEvent) => {
        if (e.phase === 'start')
          process.stderr.write(
            `ribjournal: journal ${dir}: migrating from format ${e.from} to ${e.to} (${e.description})\n`,
          );
        else if (e.phase === 'progress') progress?.update(e.done, e.total);
        else progress?.done();
      },
    });
  } catch (err) {
    throw heldError(err, dir, online);
  } finally {
    progress?.done();
  }
}

/** Progress on stderr when it is a terminal (never in pipes or logs): "label 45% (450,000 of 1,000,000)". */
function stderrProgress(
  label: string,
): { update(done: number, total: number): void; done(): void } | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = 0;
  let shown = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      shown = true;
      const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0;
      process.stderr.write(
        `\r${label} ${pct}% (${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')})\x1b[K`,
      );
    },
    done() {
      if (shown) process.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

function formatSpan(micros: number): string {
  let s = Math.floor(micros / 1e6);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const hms = `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m${String(s % 60).padStart(2, '0')}s`;
  return d > 0 ? `${d}d ${hms}` : hms;
}

const n = (x: number): string => x.toLocaleString('en-US');
const timeOrNull = (t: number | undefined): string | null => (t === undefined ? null : formatMicros(t));

/** Prints events in (after, through] one per line: `journal dump` and `journal export --format jsonl`. */
async function printEvents(journal: LevelJournal, json: boolean, after = 0, through?: number): Promise<void> {
  for await (const batch of journal.read({ after, ...(through !== undefined ? { through } : {}) })) {
    let text = '';
    for (const env of batch)
      text += (json ? JSON.stringify(envelopeToJson(env)) : envelopeToLine(env)) + '\n';
    if (!(await writeOut(text))) break;
  }
}

/** Resolves a --at/--from/--to argument to a seq of this journal. */
async function seqArg(journal: LevelJournal, text: string, option: string): Promise<number> {
  return resolveTimePoint(parseTimeArg(text, { option }), journal.head(), (t) => journal.seqAtTime(t));
}

// --- verify, stats, recover ---------------------------------------------------------------------------

function verifyJson(r: VerifyReport): Record<string, unknown> {
  return {
    location: r.location,
    ok: r.ok,
    format: r.format ?? null,
    events: r.events,
    blocks: r.blocks,
    timeIndexEntries: r.timeIndexEntries,
    lastSeq: r.lastSeq,
    firstTime: timeOrNull(r.firstTime),
    lastTime: timeOrNull(r.lastTime),
    intactThrough: r.intactThrough,
    firstBadSeq: r.firstBadSeq ?? null,
    readableAfterDamage: r.readableAfterDamage,
    problems: r.problems,
    moreProblems: r.moreProblems,
    horizon: horizonJson(r.horizon),
    summary: describeDamage(r),
  };
}

/** The retention horizon (issue 9.5) as JSON: null when no event was ever removed. */
function horizonJson(h: { seq: number; time: number } | undefined): { seq: number; time: string } | null {
  return h === undefined || h.seq === 0 ? null : { seq: h.seq, time: formatMicros(h.time) };
}

/** One line naming the retention horizon, or '' when no event was ever removed. */
function horizonLine(h: { seq: number; time: number } | undefined, label: string): string {
  return h === undefined || h.seq === 0
    ? ''
    : `${label}seqs 1..${n(h.seq)} removed by retention (horizon seq ${h.seq} at ${formatMicros(h.time)})\n`;
}

function verifyText(r: VerifyReport): string {
  const head = `journal ${r.location} (format ${r.format ?? 'unknown'})`;
  const from = (r.horizon?.seq ?? 0) + 1;
  if (r.ok) {
    const span =
      r.firstTime !== undefined && r.lastTime !== undefined
        ? `, ${formatMicros(r.firstTime)} .. ${formatMicros(r.lastTime)}`
        : '';
    return (
      `${head}: OK, ${n(r.events)} events (seqs ${from}..${r.lastSeq}) in ${n(r.blocks)} block${r.blocks === 1 ? '' : 's'}${span}\n` +
      horizonLine(r.horizon, '  ')
    );
  }
  let text = `${head}: DAMAGED\n` + horizonLine(r.horizon, '  horizon:        ');
  text += `  sound events:   ${n(r.events)} (highest seq ${r.lastSeq})\n`;
  text += `  first bad seq:  ${r.firstBadSeq ?? 'none (the events are sound; see the problems below)'}\n`;
  text += `  intact:         ${r.intactThrough > 0 ? `seqs 1..${r.intactThrough}` : 'none'}\n`;
  if (r.readableAfterDamage.length > 0) {
    const spans = r.readableAfterDamage
      .slice(0, 5)
      .map((s) => (s.first === s.last ? `${s.first}` : `${s.first}..${s.last}`));
    text += `  readable after the damage: seqs ${spans.join(', ')}${r.readableAfterDamage.length > 5 ? ', ...' : ''}\n`;
  }
  text += '  problems:\n';
  for (const p of r.problems) text += `    ${p.message}\n`;
  if (r.moreProblems > 0) text += `    ... and ${n(r.moreProblems)} more\n`;
  if (r.firstBadSeq !== undefined && r.intactThrough > 0) {
    text += `  recover: ribjournal journal recover ${r.location} --out NEW_DIR copies events 1..${r.intactThrough} into a new journal\n`;
  } else if (r.firstBadSeq === undefined) {
    text += `  recover: ribjournal journal recover ${r.location} --out NEW_DIR copies every event and rebuilds the time index\n`;
  }
  return text;
}

interface StatsVrfRow {
  readonly vrf: string;
  readonly events: number;
  readonly discovered: number;
  readonly vanished: number;
  readonly ipv4: number;
  readonly ipv6: number;
  readonly paths: number;
}

function statsRows(s: JournalStatistics, rib: Rib): StatsVrfRow[] {
  const rows = new Map<string, StatsVrfRow>();
  for (const v of s.vrfs) rows.set(v.vrf, { ...v, paths: rib.size(v.vrf) });
  for (const vrf of rib.vrfNames()) {
    if (!rows.has(vrf))
      rows.set(vrf, { vrf, events: 0, discovered: 0, vanished: 0, ipv4: 0, ipv6: 0, paths: rib.size(vrf) });
  }
  const order = (v: string): string => (v === '' ? '' : `~${v}`);
  return [...rows.values()].sort((a, b) => (order(a.vrf) < order(b.vrf) ? -1 : 1));
}

function statsText(
  s: JournalStatistics,
  rows: readonly StatsVrfRow[],
  format: number,
  blocks: number,
  horizon: { seq: number; time: number } | undefined,
): string {
  let text = `journal   ${s.location} (format ${format})\n`;
  const from = (horizon?.seq ?? 0) + 1;
  text += `events    ${n(s.events)}${s.events > 0 ? ` (seqs ${from}..${s.headSeq})` : ''} in ${n(blocks)} block${blocks === 1 ? '' : 's'}\n`;
  text += horizonLine(horizon, 'horizon   ');
  if (s.firstTime !== undefined && s.lastTime !== undefined) {
    text += `time      ${formatMicros(s.firstTime)} .. ${formatMicros(s.lastTime)} (${formatSpan(s.lastTime - s.firstTime)})\n`;
  }
  text += `size      ${formatBytes(s.sizeOnDisk)} on disk\n`;
  text += `types     RouteDiscovered ${n(s.byType.RouteDiscovered)}, RouteVanished ${n(s.byType.RouteVanished)}, ConfigApplied ${n(s.byType.ConfigApplied)}\n`;
  if (rows.length > 0) {
    const table = [['VRF', 'Events', 'Discovered', 'Vanished', 'IPv4', 'IPv6', 'Paths now']].concat(
      rows.map((r) => [
        vrfDisplayName(r.vrf),
        n(r.events),
        n(r.discovered),
        n(r.vanished),
        n(r.ipv4),
        n(r.ipv6),
        n(r.paths),
      ]),
    );
    const width = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    text += '\n';
    for (const row of table)
      text += row.map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  ') + '\n';
  }
  return text;
}

// --- the offline API bridge ---------------------------------------------------------------------------

const OFFLINE_API = 'http://offline.ribjournal.invalid';

/**
 * The projections the API reads, replayed from the journal as it was at `through` (default its head),
 * with progress on a terminal. The API then sees that point as "now", so "the RIB at `through`" costs no
 * second replay; the timeline keeps no checkpoints (a one-off question needs none).
 */
async function offlineContext(full: LevelJournal, through = full.head()): Promise<ApiContext> {
  const journal = await journalThrough(full, through);
  const indexes = createApiIndexes(journal, { timeline: { interval: Number.MAX_SAFE_INTEGER } });
  // After a retention trim (issue 9.5) the replay starts from the RIB at the horizon.
  const base = await loadHorizonCheckpoint(full);
  const rib = base ?? new Rib();
  if (base !== undefined) indexes.timeline.seed(base);
  const progress = stderrProgress('replaying');
  const head = journal.head();
  try {
    for await (const batch of journal.read({ through: head })) {
      for (const env of batch) {
        rib.apply(env);
        for (const p of indexes.projections) p.apply(env);
      }
      progress?.update(batch[batch.length - 1]!.seq, head);
    }
  } finally {
    progress?.done();
  }
  return { journal, rib, indexes, ready: () => true };
}

/**
 * Runs online commands (argv without the program name) against an in-process API over the offline
 * journal, so that they print exactly what they print from a daemon. Their requests go to a yoga
 * instance in this process: no socket is opened. The online commands create their own ApiClient from
 * --api, so for the duration their requests to OFFLINE_API are routed to yoga.fetch; once they take the
 * client as a parameter, this hands them one over yoga.fetch instead.
 */
async function runOnlineCommands(ctx: ApiContext, commands: readonly (readonly string[])[]): Promise<void> {
  const yoga = createYoga(ctx, { graphiql: false });
  useTransport(async (url, headers, body, signal) => {
    if (!url.startsWith(`${OFFLINE_API}/`)) return nodeHttpPost(url, headers, body, signal);
    const res = await yoga.fetch(url, { method: 'POST', headers, body, ...(signal ? { signal } : {}) });
    return {
      status: res.status,
      contentType: res.headers.get('content-type') ?? '',
      body: (res.body ?? []) as unknown as AsyncIterable<Uint8Array>,
    };
  });
  try {
    // main.js registers this file: import it only now, when both are loaded.
    const { buildProgram } = await import('./main.js');
    for (const argv of commands) {
      const full = ['node', 'ribjournal', ...argv, '--api', OFFLINE_API];
      await (await buildProgram(full)).parseAsync(full);
    }
  } finally {
    useTransport(undefined);
    await yoga.dispose();
  }
}

/** VRF display names of the RIB at `seq`: global first, then by name. */
async function vrfsAt(ctx: ApiContext, seq: number): Promise<string[]> {
  const rib = await ctx.indexes.timeline.ribAt(seq);
  return [
    'global',
    ...rib
      .vrfNames()
      .filter((v) => v !== '')
      .map(vrfDisplayName),
  ];
}

function ribCommand(vrf: string, at: string, json: boolean): string[] {
  const base = vrf === 'global' ? ['global', 'rib'] : ['vrf', vrf, 'rib'];
  // gobgp has no replay: its JSON is ribjournal's own (-o json), not the gobgp shape of `global rib -j`.
  return [...base, '--at', at, ...(json ? ['-o', 'json'] : [])];
}

// --- registration ---------------------------------------------------------------------------------------

interface JsonOption {
  readonly json?: boolean;
}

export function registerJournalCommands(program: Command): void {
  const journal = program
    .command('journal')
    .description('offline commands on a journal directory (daemon stopped, or a copy)');

  journal
    .command('dump')
    .description('print every event of a journal, one per line')
    .argument('<dir>', 'journal directory')
    .option('-j, --json', 'one JSON object per line (same as export --format jsonl)')
    .action(async (dir: string, opts: JsonOption) => {
      tolerateEpipe();
      const j = await openOffline(dir, 'ribjournal events');
      try {
        await printEvents(j, opts.json === true);
      } finally {
        await j.close();
      }
    });

  journal
    .command('verify')
    .description('check checksums, gapless seqs, decodability and the time index; exit 1 on damage')
    .argument('<dir>', 'journal directory')
    .option('-j, --json', 'print the report as JSON')
    .action(async (dir: string, opts: JsonOption) => {
      tolerateEpipe();
      const progress = stderrProgress('verifying');
      let report: VerifyReport;
      try {
        report = await verifyJournal(dir, {
          ...(progress ? { onProgress: (seq, last) => progress.update(seq, last) } : {}),
        });
      } catch (err) {
        throw heldError(err, dir, 'ribjournal journal backup --out DIR, then ribjournal journal verify DIR');
      } finally {
        progress?.done();
      }
      await writeOut(opts.json ? JSON.stringify(verifyJson(report)) + '\n' : verifyText(report));
      if (!report.ok) process.exitCode = 1;
    });

  journal
    .command('stats')
    .description('events, time span, per-VRF counts and size on disk')
    .argument('<dir>', 'journal directory')
    .option('-j, --json', 'print JSON')
    .action(async (dir: string, opts: JsonOption) => {
      tolerateEpipe();
      const j = await openOffline(dir, 'ribjournal vrf (VRFs and route counts)');
      try {
        // After a retention trim the events start after the horizon: so does the RIB, from its checkpoint.
        const rib = (await loadHorizonCheckpoint(j)) ?? new Rib();
        const progress = stderrProgress('reading');
        let s: JournalStatistics;
        try {
          s = await scanJournalStats(j, {
            onEnvelope: (env: Envelope) => rib.apply(env),
            ...(progress ? { onProgress: (seq: number, last: number) => progress.update(seq, last) } : {}),
          });
        } finally {
          progress?.done();
        }
        const rows = statsRows(s, rib);
        const blocks = await j.blockCount();
        if (opts.json) {
          await writeOut(
            JSON.stringify({
              location: s.location,
              format: JOURNAL_FORMAT_VERSION,
              headSeq: s.headSeq,
              events: s.events,
              blocks,
              firstTime: timeOrNull(s.firstTime),
              lastTime: timeOrNull(s.lastTime),
              sizeOnDisk: s.sizeOnDisk,
              horizon: horizonJson(j.horizon()),
              byType: s.byType,
              vrfs: rows.map((r) => ({ ...r, vrf: vrfDisplayName(r.vrf) })),
            }) + '\n',
          );
        } else {
          await writeOut(statsText(s, rows, JOURNAL_FORMAT_VERSION, blocks, j.horizon()));
        }
      } finally {
        await j.close();
      }
    });

  journal
    .command('recover')
    .description('copy the intact events (1..N before the first damage) of a journal into a new journal')
    .argument('<dir>', 'damaged journal directory (left untouched)')
    .requiredOption('--out <dir>', 'new journal directory (must not exist or be empty)')
    .option('-j, --json', 'print JSON')
    .action(async (dir: string, opts: JsonOption & { out: string }) => {
      const progress = stderrProgress('recovering');
      try {
        const r = await recoverJournal(dir, opts.out, {
          ...(progress ? { onProgress: (seq, last) => progress.update(seq, last) } : {}),
        });
        progress?.done();
        const lost = r.source.lastSeq > r.events ? r.source.lastSeq - r.events : 0;
        if (opts.json) {
          await writeOut(
            JSON.stringify({
              location: r.location,
              events: r.events,
              bytes: r.bytes,
              source: verifyJson(r.source),
            }) + '\n',
          );
        } else {
          await writeOut(
            `recovered ${n(r.events)} events (seqs 1..${r.events}) into ${r.location}; it verifies.\n` +
              (lost > 0 || !r.source.ok ? `left behind: ${describeDamage(r.source)}\n` : ''),
          );
        }
      } catch (err) {
        throw heldError(err, dir, 'the daemon holds a sound journal: ribjournal journal backup --out DIR');
      } finally {
        progress?.done();
      }
    });

  journal
    .command('backup')
    .description('write a consistent, verified copy of a journal into a new directory')
    .argument(
      '[dir]',
      'journal directory of a stopped daemon (without it, the running daemon copies its live journal)',
    )
    .requiredOption('--out <dir>', 'new journal directory (must not exist or be empty)')
    .option(
      '--api <host:port>',
      'without DIR: daemon API address (default $RIBJOURNAL_API or 127.0.0.1:8179)',
    )
    .option('-j, --json', 'print JSON')
    .action(async (dir: string | undefined, opts: JsonOption & { out: string; api?: string }) => {
      if (dir === undefined) {
        // The online form: the daemon copies its live journal from a LevelDB snapshot into --out (a
        // path on the daemon host, so made absolute here) and verifies it. Needs the API token.
        const outDir = resolve(opts.out);
        let r: { location: string; events: string; bytes: string };
        try {
          r = (
            await clientFor(opts).query<{
              backup: { location: string; events: string; bytes: string };
            }>('mutation($outDir: String!) { backup(outDir: $outDir) { location events bytes } }', {
              outDir,
            })
          ).backup;
        } catch (err) {
          throw explainRefusal(err, 'journal backup');
        }
        const events = Number(r.events);
        const bytes = Number(r.bytes);
        if (opts.json) {
          await writeOut(JSON.stringify({ location: r.location, events, bytes, ok: true }) + '\n');
        } else {
          await writeOut(
            `backed up ${n(events)} events into ${r.location} (${formatBytes(bytes)}); it verifies.\n`,
          );
        }
        return;
      }
      const j = await openOffline(dir, 'ribjournal journal backup --out DIR');
      const progress = stderrProgress('copying');
      try {
        const r = await j.backup(opts.out, {
          ...(progress ? { onProgress: (seq: number, head: number) => progress.update(seq, head) } : {}),
        });
        progress?.done();
        if (opts.json) {
          await writeOut(
            JSON.stringify({ location: r.location, events: r.events, bytes: r.bytes, ok: r.report.ok }) +
              '\n',
          );
        } else {
          await writeOut(
            `backed up ${n(r.events)} events into ${r.location} (${formatBytes(r.bytes)}); it verifies.\n`,
          );
        }
      } finally {
        progress?.done();
        await j.close();
      }
    });

  journal
    .command('trim')
    .description(
      'remove the events before a seq or time (retention): whole blocks, after a RIB checkpoint at the new horizon',
    )
    .argument('<dir>', 'journal directory')
    .requiredOption(
      '--before <seq|time>',
      'remove the events before this seq or time (RFC 3339, or like 2h ago)',
    )
    .option(
      '--archive-dir <dir>',
      'first write the removed events there (gzip JSON lines, one file per range)',
    )
    .option(
      '--past-fleet-cursor',
      'also remove events the fleet publisher has not published yet (kept by default: issue 11)',
    )
    .option('-j, --json', 'print JSON')
    .action(
      async (
        dir: string,
        opts: { before: string; archiveDir?: string; json?: boolean; pastFleetCursor?: boolean },
      ) => {
        tolerateEpipe();
        const j = await openOffline(dir, 'the daemon trims by itself with [journal] retention / max-size');
        try {
          const point = parseTimeArg(opts.before, { option: '--before' });
          const wanted = point.kind === 'seq' ? point.seq - 1 : await j.seqAtTime(point.time - 1);
          // As the daemon's retention: events the fleet publisher has not published stay. (Loaded here: the
          // fleet module brings the NATS client, which no other journal command needs.)
          const { hasFleetCursor, readFleetCursor } = await import('../fleet/index.js');
          const holds =
            opts.pastFleetCursor !== true && (await hasFleetCursor(j))
              ? [{ name: 'the fleet publisher', seq: () => readFleetCursor(j) }]
              : [];
          const { through, heldBy } = await heldTarget(wanted, holds);
          if (heldBy !== undefined)
            process.stderr.write(
              `held back at seq ${through}: ${heldBy} has not published the events after it ` +
                '(--past-fleet-cursor removes them anyway)\n',
            );
          const r = await trimJournal(j, through, {
            archiveDir: opts.archiveDir !== undefined ? resolve(opts.archiveDir) : undefined,
            ...trimHooks(j, (err) =>
              process.stderr.write(
                `warning: derived data past the horizon not pruned (the next trim retries): ${String(err)}\n`,
              ),
            ),
          });
          const h = j.horizon();
          if (opts.json) {
            await writeOut(
              JSON.stringify({
                location: j.location,
                removed: r?.removed ?? 0,
                horizon: horizonJson(h),
                archive: r?.archive ?? null,
                sizeBefore: r?.sizeBefore ?? null,
                sizeAfter: r?.sizeAfter ?? null,
              }) + '\n',
            );
          } else if (r === undefined) {
            await writeOut(
              `nothing to remove: no whole block ends before ${opts.before} after the horizon (seq ${h.seq})\n`,
            );
          } else {
            await writeOut(
              `removed ${n(r.removed)} events (seqs ${r.firstSeq}..${r.horizon.seq}); the journal keeps seq ` +
                `${r.horizon.seq + 1} onwards; ${formatBytes(r.sizeBefore)} -> ${formatBytes(r.sizeAfter)} on disk` +
                (r.archive !== undefined ? `; archived to ${r.archive}` : '') +
                '\n',
            );
          }
        } finally {
          await j.close();
        }
      },
    );

  journal
    .command('export')
    .description('events as JSON lines, or MRT (RFC 6396): TABLE_DUMP_V2 of the RIB and BGP4MP updates')
    .argument('<dir>', 'journal directory')
    .requiredOption('--format <format>', 'jsonl or mrt')
    .option('--from <seq|time>', 'window start (exclusive): seq, RFC 3339 time, or relative (-15m)')
    .option('--to <seq|time>', 'window end (inclusive), default the last event')
    .option('--at <seq|time>', 'mrt: a table dump of the RIB at this point (instead of a window)')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(
      async (
        dir: string,
        opts: { format: string; from?: string; to?: string; at?: string; output?: string },
      ) => {
        tolerateEpipe();
        if (opts.format !== 'jsonl' && opts.format !== 'mrt') {
          throw new RibjournalError('BAD_ARGUMENT', `--format ${opts.format}: expected jsonl or mrt`);
        }
        if (opts.at !== undefined && (opts.from !== undefined || opts.to !== undefined)) {
          throw new RibjournalError(
            'BAD_ARGUMENT',
            '--at (a table dump) and --from/--to (a window) exclude each other',
          );
        }
        if (opts.format === 'jsonl' && opts.at !== undefined) {
          throw new RibjournalError(
            'BAD_ARGUMENT',
            '--at applies to --format mrt; for JSON lines use --from/--to',
          );
        }
        if (opts.format === 'mrt' && opts.output === undefined && process.stdout.isTTY) {
          throw new RibjournalError('BAD_ARGUMENT', 'MRT is binary: give -o FILE, or redirect stdout');
        }
        const j = await openOffline(dir, 'ribjournal journal backup --out DIR, then export the backup');
        try {
          const after = opts.from !== undefined ? await seqArg(j, opts.from, '--from') : 0;
          const through = opts.to !== undefined ? await seqArg(j, opts.to, '--to') : j.head();
          const file = opts.output !== undefined ? createWriteStream(opts.output) : undefined;
          const write = async (chunk: Buffer | string): Promise<void> => {
            if (file) {
              if (!file.write(chunk)) await once(file, 'drain');
            } else if (!process.stdout.write(chunk)) {
              await once(process.stdout, 'drain');
            }
          };
          try {
            if (opts.format === 'jsonl') {
              if (file) {
                for await (const batch of j.read({ after, through })) {
                  let text = '';
                  for (const env of batch) text += JSON.stringify(envelopeToJson(env)) + '\n';
                  await write(text);
                }
              } else {
                await printEvents(j, true, after, through);
              }
            } else {
              const progress = stderrProgress('exporting');
              const at = opts.at !== undefined ? parseTimeArg(opts.at, { option: '--at' }) : undefined;
              const dumpAt =
                at !== undefined ? await resolveTimePoint(at, j.head(), (t) => j.seqAtTime(t)) : undefined;
              const windowed = opts.from !== undefined || opts.to !== undefined;
              try {
                const r = await exportMrt(
                  j,
                  {
                    dumpAt: windowed ? undefined : (dumpAt ?? j.head()),
                    dumpTime: at?.kind === 'time' ? at.time : undefined,
                    window: windowed ? { after, through } : undefined,
                    ...(progress
                      ? { onProgress: (seq: number, last: number) => progress.update(seq, last) }
                      : {}),
                  },
                  write,
                );
                progress?.done();
                if (r.skipped > 0) {
                  process.stderr.write(
                    `ribjournal: ${r.skipped} VRF routes left out: their VRF had no RD in the config in force\n`,
                  );
                }
              } finally {
                progress?.done();
              }
            }
          } finally {
            if (file) {
              file.end();
              await once(file, 'close');
            }
          }
        } finally {
          await j.close();
        }
      },
    );

  journal
    .command('replay')
    .description('the RIB as it was at a seq or time (as `global rib --at` / `vrf NAME rib --at` print it)')
    .argument('<dir>', 'journal directory')
    .requiredOption('--at <seq|time>', 'a seq, an RFC 3339 time, or a relative time (-15m)')
    .option('--vrf <name>', 'only this VRF ("global" for the global table); default every VRF')
    .option('-j, --json', 'print JSON (one object per VRF)')
    .action(async (dir: string, opts: JsonOption & { at: string; vrf?: string }) => {
      tolerateEpipe();
      const j = await openOffline(
        dir,
        `ribjournal ${opts.vrf === undefined || opts.vrf === 'global' ? 'global' : `vrf ${opts.vrf}`} rib --at ${opts.at}`,
      );
      try {
        const point = parseTimeArg(opts.at, { option: '--at' });
        const seq = await resolveTimePoint(point, j.head(), (t) => j.seqAtTime(t));
        // The online command gets the point as given (a time stays a time: ages are measured from it).
        const at = point.kind === 'seq' ? String(seq) : formatTimePoint(point);
        const ctx = await offlineContext(j, seq);
        const vrfs = opts.vrf !== undefined ? [opts.vrf] : await vrfsAt(ctx, seq);
        for (const vrf of vrfs) {
          if (vrfs.length > 1 && !opts.json) await writeOut(`${vrf === vrfs[0] ? '' : '\n'}VRF ${vrf}:\n`);
          await runOnlineCommands(ctx, [ribCommand(vrf, at, opts.json === true)]);
        }
      } finally {
        await j.close();
      }
    });

  journal
    .command('diff')
    .description('paths added and removed between two points, as `diff vrf NAME` prints them')
    .argument('<dir>', 'journal directory')
    .requiredOption('--from <seq|time>', 'window start (exclusive)')
    .option('--to <seq|time>', 'window end (inclusive), default the last event')
    .option('--vrf <name>', 'only this VRF ("global" for the global table); default every VRF')
    .option('-j, --json', 'print JSON (one object per VRF)')
    .action(async (dir: string, opts: JsonOption & { from: string; to?: string; vrf?: string }) => {
      tolerateEpipe();
      const j = await openOffline(
        dir,
        `ribjournal diff ${opts.vrf === undefined || opts.vrf === 'global' ? 'global' : `vrf ${opts.vrf}`} --from ${opts.from}`,
      );
      try {
        const from = await seqArg(j, opts.from, '--from');
        const to = opts.to !== undefined ? await seqArg(j, opts.to, '--to') : j.head();
        const ctx = await offlineContext(j, to);
        let vrfs = [opts.vrf ?? 'global'];
        if (opts.vrf === undefined)
          vrfs = [...new Set([...(await vrfsAt(ctx, from)), ...(await vrfsAt(ctx, to))])];
        const json = opts.json ? ['-j'] : [];
        await runOnlineCommands(
          ctx,
          vrfs.map((vrf) => [
            ...(vrf === 'global' ? ['diff', 'global'] : ['diff', 'vrf', vrf]),
            '--from',
            String(from),
            '--to',
            String(to),
            ...json,
          ]),
        );
      } finally {
        await j.close();
      }
    });

  journal
    .command('history')
    .description('every event of one prefix, as `history vrf NAME PREFIX` prints it')
    .argument('<dir>', 'journal directory')
    .argument('<prefix>', 'the prefix')
    .option('--vrf <name>', 'the VRF ("global" for the global table)', 'global')
    .option('--from <seq|time>', 'window start (exclusive)')
    .option('--to <seq|time>', 'window end (inclusive)')
    .option('-j, --json', 'print JSON')
    .action(
      async (dir: string, prefix: string, opts: JsonOption & { vrf: string; from?: string; to?: string }) => {
        tolerateEpipe();
        const where = opts.vrf === 'global' ? ['history', 'global'] : ['history', 'vrf', opts.vrf];
        const j = await openOffline(dir, `ribjournal ${where.join(' ')} ${prefix}`);
        try {
          const window: string[] = [];
          if (opts.from !== undefined) window.push('--from', String(await seqArg(j, opts.from, '--from')));
          if (opts.to !== undefined) window.push('--to', String(await seqArg(j, opts.to, '--to')));
          const ctx = await offlineContext(j);
          await runOnlineCommands(ctx, [[...where, prefix, ...window, ...(opts.json ? ['-j'] : [])]]);
        } finally {
          await j.close();
        }
      },
    );
}
