// `ribjournal serve -f FILE`: the daemon (like gobgpd -f; --dry-run validates like gobgpd -d).
//
// Start-up order: config, API access policy (a non-loopback listener without a token or anonymous-read
// is refused before the journal is touched), the API port (so /healthz answers and /readyz says "not
// ready" during a long replay), the daemon, then the GraphQL API over it. SIGHUP and the `reload`
// mutation share one code path, serialised.
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { ApiAccess, DEFAULT_API_LISTEN, isLoopbackHost, listenApi, parseListen } from '../api/index.js';
import type { AccessConfig, AdminOperations, ApiServer, ReloadOutcome } from '../api/index.js';
import { formatConfigProblem, loadConfigFile } from '../config/index.js';
import type { Config, LoadedConfig } from '../config/index.js';
import { LevelJournal, checkJournalOnStart, openLevelJournal } from '../journal/index.js';
import { startDaemon } from '../main.js';
import type { Daemon } from '../main.js';
import { createDaemonMetrics } from '../metrics/index.js';
import { RibjournalError, tuneProcessMemory } from '../shared/index.js';
import { chooseLogFormat, createLogger, LOG_FORMATS, LOG_LEVELS } from './log.js';
import { interfaceReport, listInterfaces, logStartupReport, missingWarning } from './startup-report.js';

export const DEFAULT_JOURNAL_DIR = '/var/lib/ribjournal';

interface ServeOptions {
  configFile: string;
  journal: string;
  dryRun?: boolean;
  logLevel: string;
  logFormat?: string;
  netns?: string;
  api?: string;
  allowDamaged?: boolean;
  writeFailureGrace: string;
}

/** The API's token and anonymous-read, and where the token came from (never the token in logs). */
export interface ApiAuth extends AccessConfig {
  readonly anonymousRead: boolean;
  /** `[api] token-file`, `RIBJOURNAL_TOKEN_FILE` or `RIBJOURNAL_TOKEN`; undefined: no token. */
  readonly source: string | undefined;
  /** Something worth a warning (a token file others can read). */
  readonly warning?: string;
}

/** Where a token file was named: the config key (file and line, like every config error) or a variable. */
type TokenSource =
  { readonly configFile: string; readonly line: number | undefined } | { readonly env: string };

function tokenFileError(
  source: TokenSource,
  path: string,
  message: string,
  cause?: unknown,
): RibjournalError {
  if ('env' in source) {
    return new RibjournalError('CONFIG_INVALID', `${source.env}: ${message}`, {
      cause,
      details: { file: path },
    });
  }
  const problem = { path: 'api.token-file', line: source.line, message };
  return new RibjournalError('CONFIG_INVALID', formatConfigProblem(problem, source.configFile), {
    cause,
    details: { file: source.configFile, tokenFile: path, problems: [problem] },
  });
}

async function readTokenFile(
  path: string,
  source: TokenSource,
): Promise<{ token: string; warning?: string }> {
  let text: string;
  let mode: number;
  try {
    text = await readFile(path, 'utf8');
    mode = (await stat(path)).mode;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw tokenFileError(source, path, `cannot read token file ${path} (${code ?? String(err)})`, err);
  }
  const token = text.trim();
  if (token === '' || /\s/.test(token)) {
    throw tokenFileError(source, path, `token file ${path} must hold one token (no spaces) and nothing else`);
  }
  return (mode & 0o077) !== 0
    ? { token, warning: `token file ${path} can be read by others than its owner (chmod 600 it)` }
    : { token };
}

/**
 * The API token and anonymous-read for a config: `[api] token-file` (relative to the config file's
 * directory), else the file named by RIBJOURNAL_TOKEN_FILE, else RIBJOURNAL_TOKEN. The config file
 * wins because it is the daemon's own declaration; the environment also carries the CLI's token.
 */
export async function resolveApiAuth(
  config: Config,
  configFile: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ApiAuth> {
  const anonymousRead = config.api.anonymousRead;
  if (config.api.tokenFile !== undefined) {
    const path = resolve(dirname(configFile), config.api.tokenFile);
    const t = await readTokenFile(path, { configFile, line: config.api.tokenFileLine });
    return {
      token: t.token,
      anonymousRead,
      source: 'api.token-file',
      ...(t.warning ? { warning: t.warning } : {}),
    };
  }
  const file = env['RIBJOURNAL_TOKEN_FILE'];
  if (file !== undefined && file !== '') {
    const t = await readTokenFile(resolve(file), { env: 'RIBJOURNAL_TOKEN_FILE' });
    return {
      token: t.token,
      anonymousRead,
      source: 'RIBJOURNAL_TOKEN_FILE',
      ...(t.warning ? { warning: t.warning } : {}),
    };
  }
  const token = env['RIBJOURNAL_TOKEN']?.trim();
  if (token !== undefined && token !== '') return { token, anonymousRead, source: 'RIBJOURNAL_TOKEN' };
  return { token: undefined, anonymousRead, source: undefined };
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('watch the configured interfaces, journal their connected routes, serve them')
    .requiredOption('-f, --config-file <file>', 'configuration file (GoBGP-style TOML)')
    .option('--journal <dir>', 'journal directory', process.env.RIBJOURNAL_JOURNAL ?? DEFAULT_JOURNAL_DIR)
    .option('-d, --dry-run', 'check the configuration and exit')
    .option('-l, --log-level <level>', `log level (${LOG_LEVELS.join(', ')})`, 'info')
    .option(
      '--log-format <format>',
      `${LOG_FORMATS.join(' or ')} (default: pretty on a terminal, else JSON lines)`,
    )
    .option('--netns <name>', 'observe the interfaces of this network namespace')
    .option(
      '--allow-damaged',
      'serve a journal whose events fail their checksum: answers that depend on the damaged ranges fail ' +
        'with JOURNAL_DAMAGED, the rest is served (default: refuse to start; see `journal verify`, `journal recover`)',
    )
    .option(
      '--write-failure-grace <seconds>',
      'how long journal writes may fail (a full disk; retried meanwhile) before /healthz fails',
      '30',
    )
    .option(
      '--api <host:port>',
      `GraphQL API listen address (default: [api] listen, else ${DEFAULT_API_LISTEN})`,
    )
    .action(async (opts: ServeOptions) => {
      tuneProcessMemory(); // issue 10.6: collect early, return freed memory (src/shared/heap.ts)
      const log = createLogger(opts.logLevel, chooseLogFormat(opts.logFormat, process.stdout.isTTY === true));
      const report = (loaded: LoadedConfig): void => {
        for (const w of loaded.warnings) {
          if (opts.dryRun) process.stderr.write(`warning: ${formatConfigProblem(w, opts.configFile)}\n`);
          else log.warn({ topic: 'config', path: w.path, line: w.line }, w.message);
        }
      };
      const loaded = await loadConfigFile(opts.configFile);
      report(loaded);
      const listen = opts.api ?? loaded.config.api.listen ?? DEFAULT_API_LISTEN;
      const auth = await resolveApiAuth(loaded.config, opts.configFile);
      if (opts.dryRun) {
        // Throws CONFIG_INVALID, as serve would, when a non-loopback listener is open to no one.
        new ApiAccess(await isLoopbackHost(parseListen(listen).host), auth);
        if (auth.warning) process.stderr.write(`warning: ${auth.warning}\n`);
        process.stdout.write(`${opts.configFile}: configuration is valid\n`);
        // About this machine, not the file (stderr keeps the config's own problems): stdout.
        for (const t of interfaceReport(loaded.config, await listInterfaces(opts.netns))) {
          const warning = missingWarning(t);
          if (warning !== undefined) process.stdout.write(`warning: ${warning}\n`);
        }
        return;
      }
      logStartupReport(log, loaded.config, await listInterfaces(opts.netns));
      await serve(opts, log, loaded, listen, auth, report);
    });
}

async function serve(
  opts: ServeOptions,
  log: Logger,
  loaded: LoadedConfig,
  listen: string,
  auth: ApiAuth,
  report: (loaded: LoadedConfig) => void,
): Promise<void> {
  const alog = log.child({ topic: 'api' });
  /** The config in force (for the API's view of [global.config]). */
  let inForce = loaded.config;
  const metrics = createDaemonMetrics();
  // Refuses a non-loopback listener without a token or anonymous-read, before the journal is opened.
  const pending = await listenApi({ listen, auth, metrics, api: { log: alog } });
  if (auth.warning) alog.warn(auth.warning);
  alog.info(
    { url: pending.url, token: auth.source ?? 'none', anonymousRead: pending.access.anonymousRead },
    'API port open; the daemon is starting',
  );

  // SIGHUP during start-up waits for it (its default action would end the process).
  let started!: (up: { daemon: Daemon; api: ApiServer } | undefined) => void;
  const up = new Promise<{ daemon: Daemon; api: ApiServer } | undefined>((r) => (started = r));
  let reloading: Promise<unknown> = up;
  /** The one reload path: SIGHUP and the `reload` mutation. Serialised; rejects with the reason. */
  const reloadFromFile = (source: 'SIGHUP' | 'api'): Promise<ReloadOutcome> => {
    const run = reloading.then(async () => {
      const parts = await up;
      if (parts === undefined) throw new RibjournalError('NOT_READY', 'the daemon did not start');
      const { daemon, api } = parts;
      try {
        const next = await loadConfigFile(opts.configFile);
        report(next);
        const nextAuth = await resolveApiAuth(next.config, opts.configFile);
        api.access.check(nextAuth); // before anything changes
        if (opts.api === undefined && (next.config.api.listen ?? DEFAULT_API_LISTEN) !== listen) {
          log.warn({ topic: 'config', listen }, 'a new [api] listen takes effect at the next restart');
        }
        const changed = await daemon.reload(next.config);
        inForce = next.config;
        logStartupReport(log, next.config, await listInterfaces(opts.netns));
        api.access.set(nextAuth);
        if (nextAuth.warning) alog.warn(nextAuth.warning);
        metrics.countReload(changed ? 'applied' : 'unchanged');
        return {
          changed,
          configVersion: daemon.rib.config?.configVersion ?? 0,
          warnings: next.warnings.map((w) => formatConfigProblem(w, opts.configFile)),
        };
      } catch (err) {
        metrics.countReload('rejected');
        log.error(
          { topic: 'config', source, err: err instanceof Error ? err.message : String(err) },
          'reload rejected; the running config is kept',
        );
        throw err;
      }
    });
    reloading = run.catch(() => undefined);
    return run;
  };
  const onHup = (): void => {
    reloadFromFile('SIGHUP').catch(() => undefined); // logged in reloadFromFile
  };
  process.on('SIGHUP', onHup);
  // SIGTERM/SIGINT during start-up: finish starting, then stop cleanly (the default action would kill
  // the process with the journal open and the observer child orphaned).
  let stopSignal: string | undefined;
  let onStop: ((signal: string) => void) | undefined;
  const onTerm = (signal: string): void => {
    if (onStop !== undefined) onStop(signal);
    else stopSignal ??= signal;
  };
  const onSigterm = (): void => onTerm('SIGTERM');
  const onSigint = (): void => onTerm('SIGINT');
  process.on('SIGTERM', onSigterm);
  process.on('SIGINT', onSigint);

  let daemon: Daemon;
  // The journal is opened here, not by the daemon, so that serve checks it first (issue 10.1): damage in
  // the most recent events refuses start-up unless --allow-damaged; the rest is verified in the background.
  let journalOpen: LevelJournal | undefined;
  let verifying: Promise<void> = Promise.resolve();
  try {
    const jlog = log.child({ topic: 'journal' });
    const allowDamaged = opts.allowDamaged === true;
    const graceSeconds = Number(opts.writeFailureGrace);
    if (!(graceSeconds >= 0))
      throw new RibjournalError(
        'BAD_ARGUMENT',
        `--write-failure-grace must be a number of seconds, got ${opts.writeFailureGrace}`,
      );
    journalOpen = await openLevelJournal(opts.journal, {
      log: jlog,
      allowDamaged,
      writeRetry: { graceMs: graceSeconds * 1000 },
    });
    verifying = (await checkJournalOnStart(journalOpen, { allowDamaged, log: jlog })).background;
    daemon = await startDaemon({
      config: loaded.config,
      journalDir: opts.journal,
      journal: journalOpen,
      log,
      metrics,
      ...(opts.netns !== undefined ? { netns: opts.netns } : {}),
    });
  } catch (err) {
    started(undefined);
    process.off('SIGHUP', onHup);
    process.off('SIGTERM', onSigterm);
    process.off('SIGINT', onSigint);
    await journalOpen?.close().catch(() => undefined);
    await pending.close();
    throw err;
  }
  const journal = daemon.journal;
  const admin: AdminOperations = {
    reload: () => {
      alog.info('reload requested through the API');
      return reloadFromFile('api');
    },
    async reconcile() {
      alog.info('reconcile requested through the API');
      const corrections = await daemon.reconcile();
      alog.info({ corrections }, 'forced reconcile done');
      return corrections;
    },
    ...(journal instanceof LevelJournal
      ? {
          async backup(outDir: string) {
            alog.info({ outDir }, 'backup requested through the API');
            const r = await journal.backup(outDir);
            alog.info({ location: r.location, events: r.events, bytes: r.bytes }, 'backup written');
            return { location: r.location, events: r.events, bytes: r.bytes };
          },
        }
      : {}),
  };
  let api: ApiServer;
  try {
    api = pending.attach({
      journal: daemon.journal,
      rib: daemon.rib,
      indexes: daemon.indexes,
      live: daemon.live,
      ready: () => daemon.ready,
      health: () => daemon.health(),
      bgp: {
        neighbors: () => daemon.bgp?.neighbors() ?? [],
        global: () => inForce.global,
        adjRibOut: (address, family) => daemon.bgp?.adjRibOut(address, family),
        adjRibIn: (address, family) => daemon.bgp?.adjRibIn(address, family),
      },
      admin,
    });
  } catch (err) {
    started(undefined);
    await pending.close();
    await daemon.stop();
    await journalOpen.close();
    throw err;
  }
  metrics.attach({ subscriptions: () => api.yoga.feed.size });
  started({ daemon, api });
  alog.info({ url: api.url }, 'API listening');

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      reloading
        .then(() => api.close())
        .then(() => daemon.stop(signal))
        .then(() => journal.close())
        .then(() => verifying)
        .then(resolve, (err: unknown) => {
          log.error({ err }, 'stop failed');
          process.exitCode = 1;
          resolve();
        });
    };
    if (stopSignal !== undefined) stop(stopSignal);
    else onStop = stop;
  });
  process.off('SIGHUP', onHup);
  process.off('SIGTERM', onSigterm);
  process.off('SIGINT', onSigint);
}
