// `ribjournal journal ...`: offline commands on a journal directory (the daemon stopped, or a copy).
import type { Command } from 'commander';
import { envelopeToJson, envelopeToLine } from '../events/index.js';
import { openLevelJournal } from '../journal/index.js';
import type { Journal } from '../journal/index.js';
import { RibjournalError, isRibjournalError } from '../shared/index.js';
import { tolerateEpipe, writeOut } from './output.js';

/** Opens a journal for an offline command, turning a held lock into one actionable line. */
export async function openOffline(dir: string, online: string): Promise<Journal> {
  try {
    return await openLevelJournal(dir, { create: false });
  } catch (err) {
    if (isRibjournalError(err, 'JOURNAL_LOCKED')) {
      throw new RibjournalError(
        'JOURNAL_LOCKED',
        `journal ${dir} is held by a running ribjournal daemon; stop it, or ask the daemon instead: ${online}`,
        { cause: err },
      );
    }
    throw err;
  }
}

export function registerJournalCommands(program: Command): void {
  const journal = program.command('journal').description('offline commands on a journal directory');
  journal
    .command('dump')
    .description('print every event of a journal, one per line')
    .argument('<dir>', 'journal directory')
    .option('-j, --json', 'one JSON object per line (same as export --format jsonl)')
    .action(async (dir: string, opts: { json?: boolean }) => {
      tolerateEpipe();
      const j = await openOffline(dir, 'ribjournal events (API)');
      try {
        for await (const batch of j.read()) {
          let text = '';
          for (const env of batch)
            text += (opts.json ? JSON.stringify(envelopeToJson(env)) : envelopeToLine(env)) + '\n';
          if (!(await writeOut(text))) break;
        }
      } finally {
        await j.close();
      }
    });
}
