/** Stable error codes: part of the API (CLI exit messages, GraphQL extensions). Messages are not. */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'JOURNAL_LOCKED'
  | 'JOURNAL_CORRUPT'
  | 'JOURNAL_NOT_FOUND'
  | 'JOURNAL_VERSION_NEWER'
  | 'JOURNAL_CLOSED'
  | 'JOURNAL_WRITE_FAILED'
  | 'JOURNAL_DAMAGED'
  | 'JOURNAL_BACKLOG_FULL'
  | 'NETLINK_FAILED'
  | 'BGP_HOLD_EXPIRED'
  | 'BGP_NOTIFICATION'
  | 'BGP_MALFORMED'
  | 'BGP_SOCKET_OPTION'
  | 'BAD_ARGUMENT'
  | 'NOT_FOUND'
  | 'BEFORE_JOURNAL'
  | 'BEFORE_RETENTION'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'TOKEN_NOT_CONFIGURED'
  | 'NOT_READY'
  | 'DAEMON_UNREACHABLE'
  | 'SUBSCRIBER_TOO_SLOW'
  | 'BAD_QUERY'
  | 'QUERY_TOO_COMPLEX'
  | 'INTERNAL';

/** The one error type of ribjournal: a stable `code`, a human message, an optional cause. */
export class RibjournalError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RibjournalError';
    this.code = code;
    this.details = options?.details;
  }
}

export function isRibjournalError(err: unknown, code?: ErrorCode): err is RibjournalError {
  return err instanceof RibjournalError && (code === undefined || err.code === code);
}
