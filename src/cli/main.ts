// The `ribjournal` command: one file per command group; this one only assembles them.
import { Command, CommanderError } from 'commander';
import { isRibjournalError } from '../shared/index.js';
import { registerJournalCommands } from './journal.js';
import { registerServe } from './serve.js';
import { registerGlobal } from './global.js';
import { registerVrf } from './vrf.js';
import { registerMonitor } from './monitor.js';
import { registerHistory } from './history.js';
import { registerDiff } from './diff.js';
import { registerEvents } from './events.js';
import { registerNeighbor } from './neighbor.js';
import { registerAdmin } from './admin.js';
import { registerCollect } from './collect.js';

export function buildProgram(): Command {
  const program = new Command('ribjournal')
    .description('connected routes of Linux interfaces, journaled, per VRF, over BGP and GraphQL')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError();
  registerServe(program);
  registerJournalCommands(program);
  registerGlobal(program);
  registerVrf(program);
  registerMonitor(program);
  registerHistory(program);
  registerDiff(program);
  registerEvents(program);
  registerNeighbor(program);
  registerAdmin(program);
  registerCollect(program); // fleet (issue 11)
  return program;
}

/** Runs the CLI; returns the exit code. Errors from outside become one line, never a stack trace. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
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
