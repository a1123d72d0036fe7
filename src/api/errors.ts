// Errors of the API: every error a client sees carries a stable `extensions.code` (messages may change).
import { GraphQLError } from 'graphql';
import type { ErrorCode } from '../shared/index.js';
import { isRibjournalError } from '../shared/index.js';

/** A GraphQL error with a stable code. */
export function apiError(
  code: ErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

const TOO_COMPLEX = [
  /query depth limit/i,
  /query cost limit/i,
  /token limit/i,
  /aliases limit/i,
  /directives limit/i,
];

/** Code for an error found while parsing or validating a document. */
export function documentErrorCode(error: GraphQLError): ErrorCode {
  return TOO_COMPLEX.some((re) => re.test(error.message)) ? 'QUERY_TOO_COMPLEX' : 'BAD_QUERY';
}

/** The error's code; graphql-jit's own errors may have no `extensions` at all. */
function codeOf(error: GraphQLError): unknown {
  return (error.extensions as GraphQLError['extensions'] | undefined)?.['code'];
}

/** Adds a code to a parse or validation error that has none. */
export function withDocumentCode(error: GraphQLError): GraphQLError {
  if (typeof codeOf(error) === 'string') return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code: documentErrorCode(error) },
  });
}

/**
 * Turns what a resolver threw into what the client sees: our codes kept, a RibjournalError mapped to its
 * code, anything else (a bug) hidden behind INTERNAL, its detail left to the server log.
 */
export function maskError(error: unknown, onInternal: (error: unknown) => void): GraphQLError {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  if (original instanceof GraphQLError && typeof codeOf(original) === 'string') {
    return error instanceof GraphQLError && error !== original
      ? new GraphQLError(original.message, {
          nodes: error.nodes,
          path: error.path,
          positions: error.positions,
          source: error.source,
          extensions: original.extensions,
        })
      : original;
  }
  if (isRibjournalError(original)) {
    const g = error instanceof GraphQLError ? error : undefined;
    return new GraphQLError(original.message, {
      nodes: g?.nodes,
      path: g?.path,
      positions: g?.positions,
      source: g?.source,
      extensions: { code: original.code, ...(original.details ?? {}) },
    });
  }
  if (
    error instanceof GraphQLError &&
    (error.originalError === undefined || (error.path === undefined && original instanceof GraphQLError))
  ) {
    // Raised by the executor itself, outside any resolver (e.g. a variable of the wrong type, which
    // graphql-js wraps around the scalar's own error): the client's mistake, a 400 over HTTP (graphql-js
    // says so in extensions.http, graphql-jit does not).
    const coded = withDocumentCode(error);
    if (error.path !== undefined || coded.extensions['http'] !== undefined) return coded;
    return new GraphQLError(coded.message, {
      nodes: coded.nodes,
      source: coded.source,
      positions: coded.positions,
      extensions: { ...coded.extensions, http: { status: 400 } },
    });
  }
  onInternal(original);
  const g = error instanceof GraphQLError ? error : undefined;
  return new GraphQLError('internal error', {
    nodes: g?.nodes,
    path: g?.path,
    extensions: { code: 'INTERNAL' },
  });
}
