// `ribjournal reload` and `ribjournal reconcile`: state changes of the running daemon, through the API's
// mutations. Each needs the API token (RIBJOURNAL_TOKEN or RIBJOURNAL_TOKEN_FILE), also on loopback; a
// refusal becomes one line that says what to do.
import type { Command } from 'commander';
import { RibjournalError, isRibjournalError } from '../shared/index.js';
import { clientFor, onlineOptions } from './client.js';
import type { OnlineOptions } from './client.js';
import { writeOut } from './output.js';

const SET_TOKEN = 'set RIBJOURNAL_TOKEN or RIBJOURNAL_TOKEN_FILE (a file holding the token)';

/**
 * An access refusal of `what` (e.g. "reload") as one line that says what to do; other errors unchanged.
 * The server's own message (which speaks of HTTP headers) is replaced: the CLI user sets variables.
 */
export function explainRefusal(err: unknown, what: string): unknown {
  if (!isRibjournalError(err)) return err;
  const keep = { cause: err, ...(err.details ? { details: { ...err.details } } : {}) };
  switch (err.code) {
    case 'UNAUTHENTICATED':
      return new RibjournalError(
        err.code,
        /wrong token/.test(err.message)
          ? `${what}: the daemon refused the token (wrong token); set RIBJOURNAL_TOKEN or RIBJOURNAL_TOKEN_FILE to the daemon's token ([api] token-file)`
          : `${what}: the daemon needs its API token; ${SET_TOKEN}`,
        keep,
      );
    case 'FORBIDDEN':
      return new RibjournalError(
        err.code,
        `${what}: changing the daemon's state needs its API token (reading does not); ${SET_TOKEN}`,
        keep,
      );
    case 'TOKEN_NOT_CONFIGURED':
      return new RibjournalError(
        err.code,
        `${what}: the daemon has no API token, so it accepts no state changes; configure [api] token-file (or RIBJOURNAL_TOKEN_FILE for the daemon), restart it, and give the CLI the same token`,
        keep,
      );
    default:
      return err;
  }
}

interface ProblemShape {
  readonly path?: string;
  readonly line?: number;
  readonly column?: number;
  readonly message?: string;
}

/** The problems of a CONFIG_INVALID from the daemon, one line each (file:line: path: message). */
export function configProblemLines(err: RibjournalError): string[] {
  const problems = err.details?.['problems'];
  const file = typeof err.details?.['file'] === 'string' ? err.details['file'] : '<config>';
  if (Array.isArray(problems) && problems.length > 0) {
    return (problems as ProblemShape[]).map((p) => {
      const where =
        p.line === undefined ? file : `${file}:${p.line}${p.column === undefined ? '' : `:${p.column}`}`;
      return `${where}: ${p.path ? `${p.path}: ` : ''}${p.message ?? ''}`;
    });
  }
  return err.message.split('\n').filter((l) => l !== '');
}

interface ReloadResult {
  readonly changed: boolean;
  readonly configVersion: number;
  readonly warnings: readonly string[];
  readonly headSeq: string;
}

interface ReconcileResult {
  readonly corrections: number;
  readonly headSeq: string;
}

export function registerAdmin(program: Command): void {
  onlineOptions(
    program
      .command('reload')
      .description(
        're-read and apply the daemon’s config file, as SIGHUP does (needs the API token); an invalid file changes nothing and exits 2',
      ),
  ).action(async (opts: OnlineOptions) => {
    let r: ReloadResult;
    try {
      r = (
        await clientFor(opts).query<{ reload: ReloadResult }>(
          'mutation { reload { changed configVersion warnings headSeq } }',
        )
      ).reload;
    } catch (err) {
      if (isRibjournalError(err, 'CONFIG_INVALID')) {
        const lines = configProblemLines(err);
        process.stderr.write(
          'ribjournal: the daemon rejected its config file and keeps the running config:\n' +
            lines.map((l) => `  ${l}\n`).join(''),
        );
        process.exitCode = 2;
        return;
      }
      throw explainRefusal(err, 'reload');
    }
    for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
    if (opts.json) {
      await writeOut(
        JSON.stringify({
          changed: r.changed,
          configVersion: r.configVersion,
          warnings: r.warnings,
          headSeq: Number(r.headSeq),
        }) + '\n',
      );
    } else {
      await writeOut(
        r.changed ? `config reloaded (changed, config version ${r.configVersion})\n` : 'config unchanged\n',
      );
    }
  });

  onlineOptions(
    program
      .command('reconcile')
      .description(
        'force a full kernel scan now and print the corrections it journaled (needs the API token)',
      ),
  ).action(async (opts: OnlineOptions) => {
    let r: ReconcileResult;
    try {
      r = (
        await clientFor(opts).query<{ reconcile: ReconcileResult }>(
          'mutation { reconcile { corrections headSeq } }',
        )
      ).reconcile;
    } catch (err) {
      throw explainRefusal(err, 'reconcile');
    }
    if (opts.json) {
      await writeOut(JSON.stringify({ corrections: r.corrections, headSeq: Number(r.headSeq) }) + '\n');
    } else {
      await writeOut(`${r.corrections} correction${r.corrections === 1 ? '' : 's'}\n`);
    }
  });
}
