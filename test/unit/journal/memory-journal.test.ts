import { MemoryJournal } from '../../../src/journal/index.js';
import { journalContract } from './contract.js';

journalContract('MemoryJournal', async (t, options) => {
  const journal = new MemoryJournal(options?.clock, { onListenerError: options?.onListenerError });
  t.after(() => journal.close());
  return journal;
});
