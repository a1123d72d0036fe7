// Damage is never silent (issue 10.1): the seq ranges of an open journal whose events failed their
// checksum, wherever that was found (the start-up check, any read, the background verify), the error
// every answer that depends on them gets, and the start-up policy of the daemon.
import type { Logger } from 'pino';
import { RibjournalError } from '../shared/index.js';
import type { SeqSpan } from './verify.js';

/** Where a damaged range was found. */
export type DamageSource = 'start-up check' | 'read' | 'background verify';

/** Called once for each newly found damaged range. */
export type DamageListener = (span: SeqSpan, source: DamageSource) => void;

/** The damaged ranges of one journal: sorted, merged, append-only while it is open. */
export class DamageRegistry {
  private spans: SeqSpan[] = [];
  private readonly listeners = new Set<DamageListener>();

  /** Every damaged range, in seq order. */
  list(): readonly SeqSpan[] {
    return this.spans;
  }

  /** Events in damaged ranges. */
  events(): number {
    return this.spans.reduce((n, s) => n + s.last - s.first + 1, 0);
  }

  /** Records a damaged range; returns false when it was known already. */
  add(span: SeqSpan, source: DamageSource): boolean {
    if (this.spans.some((s) => s.first <= span.first && s.last >= span.last)) return false;
    const merged = [...this.spans.filter((s) => s.last + 1 < span.first || s.first > span.last + 1)];
    let first = span.first;
    let last = span.last;
    for (const s of this.spans) {
      if (s.last + 1 >= span.first && s.first <= span.last + 1) {
        first = Math.min(first, s.first);
        last = Math.max(last, s.last);
      }
    }
    merged.push({ first, last });
    merged.sort((a, b) => a.first - b.first);
    this.spans = merged;
    for (const l of this.listeners) l(span, source);
    return true;
  }

  /** The first damaged range sharing a seq with first..last, if any. */
  overlapping(first: number, last: number): SeqSpan | undefined {
    return this.spans.find((s) => s.first <= last && s.last >= first);
  }

  /** The first damaged range that starts at or before `seq` (a state at `seq` was derived through it). */
  before(seq: number): SeqSpan | undefined {
    const s = this.spans[0];
    return s !== undefined && s.first <= seq ? s : undefined;
  }

  onDamage(listener: DamageListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Text of a range: "event 7" or "events 7..9". */
export function spanText(span: SeqSpan): string {
  return span.first === span.last ? `event ${span.first}` : `events ${span.first}..${span.last}`;
}

/** What an operator can do about damage in the journal at `location`. */
export function damageAdvice(location: string): string {
  return (
    `\`ribjournal journal verify ${location}\` reports what is intact; ` +
    `\`ribjournal journal recover ${location} --out NEW_DIR\` copies the intact events into a new journal`
  );
}

/** The JOURNAL_DAMAGED error of an answer (or read) that depends on a damaged range. */
export function damagedError(location: string, span: SeqSpan, what?: string): RibjournalError {
  return new RibjournalError(
    'JOURNAL_DAMAGED',
    `journal ${location}: ${spanText(span)} failed their checksum${what ? ` (${what})` : ''}; ` +
      `${damageAdvice(location)}`,
    { details: { damagedFirstSeq: span.first, damagedLastSeq: span.last } },
  );
}

/** The journal as the start-up check sees it (LevelJournal implements it). */
export interface VerifiableJournal {
  readonly location: string;
  head(): number;
  /** Checks every event in first..last; resolves with the damaged ranges found there. */
  verifyEvents(range: SeqSpan, options?: { background?: boolean }): Promise<readonly SeqSpan[]>;
  damage(): DamageRegistry;
}

export interface StartupCheckOptions {
  /** Serve a damaged journal (`serve --allow-damaged`): what depends on damage fails, the rest is served. */
  readonly allowDamaged: boolean;
  readonly log: Logger;
  /** Events checked before start-up goes on (the most recent ones; default 1,000,000, about 2 s). */
  readonly startupEvents?: number;
}

export const STARTUP_VERIFY_EVENTS = 1_000_000;

/**
 * The daemon's start-up check: verifies the most recent events now (refusing a damaged journal with
 * JOURNAL_DAMAGED unless allowDamaged) and the rest in the background, where damage is logged and
 * recorded (the journal's reads, the API and the metrics see it). Every damaged range found later, by a
 * read or the background verify, is logged once.
 */
export async function checkJournalOnStart(
  journal: VerifiableJournal,
  options: StartupCheckOptions,
): Promise<{ background: Promise<void> }> {
  const { log, allowDamaged } = options;
  const location = journal.location;
  journal.damage().onDamage((span, source) => {
    log.error(
      { damagedFirstSeq: span.first, damagedLastSeq: span.last, source },
      `journal damaged: ${spanText(span)} failed their checksum (found by the ${source}); answers that ` +
        `depend on them fail with JOURNAL_DAMAGED. ${damageAdvice(location)}`,
    );
  });
  const head = journal.head();
  const recent = Math.max(1, head - (options.startupEvents ?? STARTUP_VERIFY_EVENTS) + 1);
  const started = Date.now();
  const found = head > 0 ? await journal.verifyEvents({ first: recent, last: head }) : [];
  if (found.length > 0 && !allowDamaged) {
    const list = found.map(spanText).join(', ');
    throw new RibjournalError(
      'JOURNAL_DAMAGED',
      `journal ${location}: ${list} failed their checksum. Refusing to serve a damaged journal: ` +
        `${damageAdvice(location)}; or start with --allow-damaged to serve what is intact (answers that ` +
        'depend on the damage fail with JOURNAL_DAMAGED)',
      { details: { damaged: found } },
    );
  }
  log.info({ first: recent, last: head, ms: Date.now() - started, damaged: found.length }, 'journal checked');
  if (recent <= 1) return { background: Promise.resolve() };
  const background = journal.verifyEvents({ first: 1, last: recent - 1 }, { background: true }).then(
    (more) =>
      log.info(
        { first: 1, last: recent - 1, ms: Date.now() - started, damaged: more.length },
        'background journal verify done',
      ),
    (err: unknown) => log.error({ err }, 'background journal verify stopped'),
  );
  return { background };
}
