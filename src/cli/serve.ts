// `ribjournal serve -f FILE`: the daemon (like gobgpd -f; --dry-run validates like gobgpd -d).
import type { Command } from 'commander';
import { pino } from 'pino';
import { DEFAULT_API_LISTEN, startApiServer } from '../api/index.js';
import { formatConfigProblem, loadConfigFile } from '../config/index.js';
import type { LoadedConfig } from '../config/index.js';
import { startDaemon } from '../main.js';

export const DEFAULT_JOURNAL_DIR = '/var/lib/ribjournal';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

interface ServeOptions {
  configFile: string;
  journal: string;
  dryRun?: boolean;
  logLevel: string;
  netns?: string;
  api?: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('watch the configured interfaces, journal their connected routes, serve them')
    .requiredOption('-f, --config-file <file>', 'configuration file (GoBGP-style TOML)')
    .option('--journal <dir>', 'journal directory', process.env.RIBJOURNAL_JOURNAL ?? DEFAULT_JOURNAL_DIR)
    .option('-d, --dry-run', 'check the configuration and exit')
    .option('-l, --log-level <level>', `log level (${LEVELS.join(', ')})`, 'info')
    .option('--netns <name>', 'observe the interfaces of this network namespace')
    .option(
      '--api <host:port>',
      `GraphQL API listen address (default: [api] listen, else ${DEFAULT_API_LISTEN})`,
    )
    .action(async (opts: ServeOptions) => {
      if (!LEVELS.includes(opts.logLevel)) {
        throw new Error(`--log-level must be one of ${LEVELS.join(', ')}`);
      }
      const log = pino({ level: opts.logLevel, base: { pid: process.pid } });
      const report = (loaded: LoadedConfig): void => {
        for (const w of loaded.warnings) {
          if (opts.dryRun) process.stderr.write(`warning: ${formatConfigProblem(w, opts.configFile)}\n`);
          else log.warn({ topic: 'config', path: w.path, line: w.line }, w.message);
        }
      };
      const loaded = await loadConfigFile(opts.configFile);
      report(loaded);
      if (opts.dryRun) {
        process.stdout.write(`${opts.configFile}: configuration is valid\n`);
        return;
      }
      const daemon = await startDaemon({
        config: loaded.config,
        journalDir: opts.journal,
        log,
        ...(opts.netns !== undefined ? { netns: opts.netns } : {}),
      });
      const listen = opts.api ?? loaded.config.api.listen ?? DEFAULT_API_LISTEN;
      let api;
      try {
        api = await startApiServer(
          { journal: daemon.journal, rib: daemon.rib, indexes: daemon.indexes, ready: () => daemon.ready },
          { listen },
        );
      } catch (err) {
        await daemon.stop();
        throw err;
      }
      log.info({ topic: 'api', url: api.url }, 'API listening');

      // SIGHUP: re-read and validate the file; an invalid one is rejected with the same messages as
      // at start and the running config stays untouched.
      let reloading = Promise.resolve();
      process.on('SIGHUP', () => {
        reloading = reloading.then(async () => {
          try {
            const next = await loadConfigFile(opts.configFile);
            report(next);
            await daemon.reload(next.config);
          } catch (err) {
            log.error(
              { topic: 'config', err: err instanceof Error ? err.message : String(err) },
              'reload rejected; the running config is kept',
            );
          }
        });
      });

      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          log.info({ signal }, 'stopping');
          const server = api;
          reloading
            .then(() => server.close())
            .then(() => daemon.stop())
            .then(resolve, (err: unknown) => {
              log.error({ err }, 'stop failed');
              process.exitCode = 1;
              resolve();
            });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
}
