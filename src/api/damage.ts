// Damage is never silent (issue 10.1): an answer that depends on a damaged range of the journal fails
// with JOURNAL_DAMAGED naming the range; what lies outside it is served. A state (a RIB, now or at a
// point) depends on every event up to its seq; a list of events on the events it covers.
import type { GraphQLError } from 'graphql';
import type { Journal, SeqRange } from '../journal/index.js';
import { apiError } from './errors.js';

function damaged(journal: Journal): readonly SeqRange[] {
  return journal.health?.().damaged ?? [];
}

function damageError(journal: Journal, span: SeqRange, what: string): GraphQLError {
  const events = span.first === span.last ? `event ${span.first}` : `events ${span.first}..${span.last}`;
  return apiError(
    'JOURNAL_DAMAGED',
    `${what} depends on ${events}, which failed their checksum in the journal; ` +
      `\`ribjournal journal verify ${journal.location}\` reports what is intact`,
    { damagedFirstSeq: String(span.first), damagedLastSeq: String(span.last) },
  );
}

/** Throws JOURNAL_DAMAGED when the state at `seq` was derived through a damaged range. */
export function assertStateSound(journal: Journal, seq: number): void {
  const span = damaged(journal)[0];
  if (span !== undefined && span.first <= seq) throw damageError(journal, span, `the RIB at seq ${seq}`);
}

/** Throws JOURNAL_DAMAGED when events first..last include a damaged one. */
export function assertEventsSound(journal: Journal, first: number, last: number): void {
  const span = damaged(journal).find((s) => s.first <= last && s.last >= first);
  if (span !== undefined) throw damageError(journal, span, `events ${first}..${last}`);
}

/** Why the journal makes the daemon not ready (for /readyz), or undefined. */
export function damageReason(journal: Journal): string | undefined {
  const spans = damaged(journal);
  if (spans.length === 0) return undefined;
  const list = spans
    .slice(0, 5)
    .map((s) => (s.first === s.last ? `${s.first}` : `${s.first}..${s.last}`))
    .join(', ');
  return (
    `journal damaged: events ${list}${spans.length > 5 ? ` and ${spans.length - 5} more ranges` : ''} ` +
    `failed their checksum; answers that depend on them fail with JOURNAL_DAMAGED ` +
    `(\`ribjournal journal verify ${journal.location}\`, \`ribjournal journal recover\`)`
  );
}
