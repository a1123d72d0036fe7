// `ribjournal collect -f collector.toml [--journal DIR]`: the fleet collector (src/fleet/), and
// `ribjournal fleet status`: the nodes a collector receives, with their lag.
import type { Command } from 'commander';
import { pino } from 'pino';
import { loadConfigFile } from '../config/index.js';
import { FleetCollector } from '../fleet/index.js';
import { DEFAULT_COLLECTOR_LISTEN, startCollectorServer } from '../fleet/index.js';
import { RibjournalError } from '../shared/index.js';
import { ApiClient, apiUrl } from './client.js';
import { resolveApiAuth } from './serve.js';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

interface CollectOptions {
  readonly configFile: string;
  readonly journal?: string;
  readonly logLevel: string;
  readonly api?: string;
}

export function registerCollect(program: Command): void {
  program
    .command('collect')
    .description("collect every node's journal from NATS JetStream ([fleet]) and serve the fleet")
    .requiredOption('-f, --config-file <file>', 'configuration file with [fleet] servers and [api] listen')
    .option('--journal <dir>', 'where the collector keeps its derived data (default: memory only)')
    .option('-l, --log-level <level>', `log level (${LEVELS.join(', ')})`, 'info')
    .option('--api <host:port>', `listen address (default: [api] listen, else ${DEFAULT_COLLECTOR_LISTEN})`)
    .action(async (opts: CollectOptions) => {
      if (!LEVELS.includes(opts.logLevel)) throw new Error(`--log-level must be one of ${LEVELS.join(', ')}`);
      const log = pino({ level: opts.logLevel, base: { pid: process.pid } });
      const loaded = await loadConfigFile(opts.configFile);
      for (const w of loaded.warnings) log.warn({ topic: 'config', path: w.path, line: w.line }, w.message);
      const fleet = loaded.config.fleet;
      if (fleet === undefined)
        throw new RibjournalError(
          'CONFIG_INVALID',
          `${opts.configFile}: collect needs a [fleet] section with servers`,
        );
      const auth = await resolveApiAuth(loaded.config, opts.configFile);
      const collector = await FleetCollector.start({
        fleet,
        ...(opts.journal !== undefined ? { dir: opts.journal } : {}),
        log: log.child({ topic: 'collector' }),
      });
      const server = await startCollectorServer(collector, {
        listen: opts.api ?? loaded.config.api.listen ?? DEFAULT_COLLECTOR_LISTEN,
        auth,
      }).catch(async (err: unknown) => {
        await collector.stop();
        throw err;
      });
      log.info({ url: server.url, nodes: server.nodeUrl('<name>') }, 'collector listening');
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          log.info({ signal }, 'stopping');
          process.off('SIGTERM', onTerm);
          process.off('SIGINT', onInt);
          server
            .close()
            .then(() => collector.stop())
            .then(resolve, (err: unknown) => {
              log.error({ err }, 'stop failed');
              process.exitCode = 1;
              resolve();
            });
        };
        const onTerm = (): void => stop('SIGTERM');
        const onInt = (): void => stop('SIGINT');
        process.on('SIGTERM', onTerm);
        process.on('SIGINT', onInt);
      });
    });
}

/** `ribjournal fleet status`. */
export function registerFleet(program: Command): void {
  const fleet = program.command('fleet').description('questions to a collector about the fleet');
  fleet
    .command('status')
    .description('the nodes the collector receives, with their head seq, last event and lag')
    .option('--api <host:port>', `collector address (default $RIBJOURNAL_API or ${DEFAULT_COLLECTOR_LISTEN})`)
    .option('-j, --json', 'print JSON')
    .action(async (opts: { api?: string; json?: boolean }) => {
      const client = new ApiClient(
        apiUrl(opts.api ?? process.env['RIBJOURNAL_API'] ?? DEFAULT_COLLECTOR_LISTEN),
      );
      const data = await client.query<{
        nodes: { name: string; headSeq: string; lastEventTime: string | null; lag: number; paths: number }[];
      }>('{ nodes { name headSeq lastEventTime lag paths } }');
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify(data.nodes, null, 2)}\n`);
        return;
      }
      const rows = [
        ['Node', 'Head seq', 'Last event', 'Lag', 'Paths'],
        ...data.nodes.map((n) => [n.name, n.headSeq, n.lastEventTime ?? '-', String(n.lag), String(n.paths)]),
      ];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const r of rows)
        process.stdout.write(
          `${r
            .map((c, i) => c.padEnd(widths[i]!))
            .join('  ')
            .trimEnd()}\n`,
        );
    });
}
