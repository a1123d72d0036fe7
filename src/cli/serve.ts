// `ribjournal serve -f FILE`: the daemon (like gobgpd -f; --dry-run validates like gobgpd -d).
import type { Command } from 'commander';
import { pino } from 'pino';
import { formatConfigProblem, loadConfigFile } from '../config/index.js';
import { startDaemon } from '../main.js';

export const DEFAULT_JOURNAL_DIR = '/var/lib/ribjournal';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('watch the configured interfaces, journal their connected routes, serve them')
    .requiredOption('-f, --config-file <file>', 'configuration file (GoBGP-style TOML)')
    .option('--journal <dir>', 'journal directory', process.env.RIBJOURNAL_JOURNAL ?? DEFAULT_JOURNAL_DIR)
    .option('-d, --dry-run', 'check the configuration and exit')
    .option('-l, --log-level <level>', `log level (${LEVELS.join(', ')})`, 'info')
    .option('--netns <name>', 'observe the interfaces of this network namespace')
    .action(
      async (opts: {
        configFile: string;
        journal: string;
        dryRun?: boolean;
        logLevel: string;
        netns?: string;
      }) => {
        if (!LEVELS.includes(opts.logLevel)) {
          throw new Error(`--log-level must be one of ${LEVELS.join(', ')}`);
        }
        const log = pino({ level: opts.logLevel, base: { pid: process.pid } });
        const { config, warnings } = await loadConfigFile(opts.configFile);
        for (const w of warnings) {
          if (opts.dryRun) process.stderr.write(`warning: ${formatConfigProblem(w, opts.configFile)}\n`);
          else log.warn({ topic: 'config', path: w.path, line: w.line }, w.message);
        }
        if (opts.dryRun) {
          process.stdout.write(`${opts.configFile}: configuration is valid\n`);
          return;
        }
        const daemon = await startDaemon({
          config,
          journalDir: opts.journal,
          log,
          ...(opts.netns !== undefined ? { netns: opts.netns } : {}),
        });
        await new Promise<void>((resolve) => {
          const stop = (signal: string): void => {
            log.info({ signal }, 'stopping');
            daemon.stop().then(resolve, (err: unknown) => {
              log.error({ err }, 'stop failed');
              process.exitCode = 1;
              resolve();
            });
          };
          process.once('SIGTERM', () => stop('SIGTERM'));
          process.once('SIGINT', () => stop('SIGINT'));
        });
      },
    );
}
