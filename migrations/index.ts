// Journal storage migrations, in order: migration N takes a journal from format N-1 to N. The runner
// is src/journal/migrate.ts; each migration has its test in test/unit/journal/migrations.test.ts.
import type { JournalMigration } from '../src/journal/migrate.js';
import { migration0002 } from './0002-block-headers.js';

export const MIGRATIONS: readonly JournalMigration[] = [migration0002];
