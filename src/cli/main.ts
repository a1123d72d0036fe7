// The `ribjournal` command: one file per command group; this one only assembles them.
//
// Start-up cost matters (gobgp answers in 15 ms): client commands load only the HTTP client, output
// formatting and commander. Command groups that need the server stack (serve: yoga, pothos, LevelDB,
// BGP; journal: the offline API) are registered from their modules only when argv names them; for
// `--help` they appear as a one-line stub. test/integration/cli/cold-start.test.ts checks that
// `global rib` loads none of the server modules.
import { Command, CommanderError } from 'commander';
import { isRibjournalError } from '../shared/index.js';
import { registerGlobal } from './global.js';
import { registerVrf } from './vrf.js';
import { registerMonitor } from './monitor.js';
import { registerHistory } from './history.js';
import { registerDiff } from './diff.js';
import { registerEvents } from './events.js';
import { registerNeighbor } from './neighbor.js';
import { registerAdmin } from './admin.js';
import { VERSION } from './version.js';

/** A command group whose module is loaded only when it runs (or its own help is asked for). */
interface LazyGroup {
  readonly name: string;
  readonly description: string;
  readonly load: () => Promise<(program: Command) => void>;
}

/** Command groups that pull in server code; everything else is registered eagerly (and is light). */
const LAZY_GROUPS: readonly LazyGroup[] = [
  {
    name: 'serve',
    description: 'watch the configured interfaces, journal their connected routes, serve them',
    load: async () => (await import('./serve.js')).registerServe,
  },
  {
    name: 'journal',
    description: 'offline commands on a journal directory (daemon stopped, or a copy)',
    load: async () => (await import('./journal.js')).registerJournalCommands,
  },
  {
    name: 'collect',
    description: "collect every node's journal from NATS JetStream ([fleet]) and serve the fleet",
    load: async () => (await import('./collect.js')).registerCollect,
  },
  {
    name: 'fleet',
    description: 'questions to a collector about the fleet (fleet status)',
    load: async () => (await import('./collect.js')).registerFleet,
  },
];

/** The command word argv names (`ribjournal [help] WORD ...`), skipping the program's own options. */
export function commandWord(argv: readonly string[]): string | undefined {
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('ribjournal')
    .description('connected routes of Linux interfaces, journaled, per VRF, over BGP and GraphQL')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError()
    // Options after a subcommand are that subcommand's (`global` and `global rib` both take --api).
    .enablePositionalOptions();
  const word = commandWord(argv);
  for (const group of LAZY_GROUPS) {
    if (word === group.name || argv.length === 0) (await group.load())(program);
    // A stub so that `ribjournal --help` lists the group without loading it.
    else program.command(group.name).description(group.description);
  }
  registerGlobal(program);
  registerVrf(program);
  registerMonitor(program);
  registerHistory(program);
  registerDiff(program);
  registerEvents(program);
  registerNeighbor(program);
  registerAdmin(program);
  return program;
}

/** Runs the CLI; returns the exit code. Errors from outside become one line, never a stack trace. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (isRibjournalError(err)) {
      process.stderr.write(`ribjournal: ${err.message}\n`);
      return err.code === 'CONFIG_INVALID' ? 2 : 1;
    }
    throw err;
  }
}
