// The CLI's side of the API: GraphQL over HTTP (queries as POST, subscriptions as server-sent events),
// the daemon address (`--api host:port` or RIBJOURNAL_API), the API token (RIBJOURNAL_TOKEN, else the
// file named by RIBJOURNAL_TOKEN_FILE; never printed), and the one parser of --at/--from/--to.
// HTTP goes through node:http, not fetch: in Node 20 the first fetch loads undici, which costs ~40 MB
// and ~100 ms, more than the whole rest of a client command.
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { RibjournalError, formatTimePoint, parseTimeArg } from '../shared/index.js';
import type { ErrorCode } from '../shared/index.js';

/** Where the CLI looks for the daemon unless told otherwise. */
export const DEFAULT_API = '127.0.0.1:8179';

/** Options every online command takes. */
export interface OnlineOptions {
  readonly api?: string;
  /** -j; also set by `-o json`. */
  readonly json?: boolean;
  /** `-o json`: ribjournal's own JSON even where -j prints gobgp's shape. */
  readonly output?: string;
  /** With a collector: one node's replica (fleet, issue 11). */
  readonly node?: string;
}

/**
 * Adds --api, -j/--json and -o/--output to a command. DESIGN (CLI JSON): where gobgp has the command,
 * -j prints gobgp's JSON shape and `-o json` ribjournal's richer one; elsewhere both print ribjournal's.
 */
export function onlineOptions(cmd: Command): Command {
  return cmd
    .option('--api <host:port>', `daemon API address (default $RIBJOURNAL_API or ${DEFAULT_API})`)
    .option('-j, --json', "print JSON (gobgp's shape where gobgp has this command)")
    .option('-o, --output <format>', "json: print ribjournal's own JSON")
    .option('--node <name>', "against a collector: that node's journal (ribjournal collect)")
    .hook('preAction', (_self, action) => {
      const output = action.getOptionValue('output') as string | undefined;
      if (output === undefined) return;
      if (output !== 'json')
        throw new RibjournalError('BAD_ARGUMENT', `-o ${output}: the output format is json`);
      action.setOptionValue('json', true);
    });
}

/** Which JSON a command with a gobgp twin prints: gobgp's (-j), ribjournal's (-o json), or none. */
export function jsonShape(opts: OnlineOptions): 'gobgp' | 'ribjournal' | undefined {
  if (opts.output === 'json') return 'ribjournal';
  return opts.json ? 'gobgp' : undefined;
}

/** The GraphQL endpoint URL for `--api` / RIBJOURNAL_API ("host:port" or a URL). */
export function apiUrl(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const raw = (option ?? env['RIBJOURNAL_API'] ?? DEFAULT_API).trim();
  const base = /^https?:\/\//.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new RibjournalError(
      'BAD_ARGUMENT',
      `"${raw}" is not a daemon address (expected host:port, e.g. ${DEFAULT_API})`,
    );
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/graphql';
  return url.toString();
}

interface GraphQLErrorShape {
  readonly message: string;
  readonly extensions?: { readonly code?: string; readonly [k: string]: unknown };
}

interface GraphQLResponse<T> {
  readonly data?: T | null;
  readonly errors?: readonly GraphQLErrorShape[];
}

const KNOWN_CODES = new Set<string>([
  'BAD_ARGUMENT',
  'NOT_FOUND',
  'BEFORE_JOURNAL',
  'BEFORE_RETENTION',
  'SUBSCRIBER_TOO_SLOW',
  'BAD_QUERY',
  'QUERY_TOO_COMPLEX',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'TOKEN_NOT_CONFIGURED',
  'CONFIG_INVALID',
  'NOT_READY',
  'INTERNAL',
]);

/** The first GraphQL error as a RibjournalError (the CLI prints its message as one line). */
function toError(errors: readonly GraphQLErrorShape[]): RibjournalError {
  const first = errors[0]!;
  const code = first.extensions?.code;
  return new RibjournalError(
    code !== undefined && KNOWN_CODES.has(code) ? (code as ErrorCode) : 'INTERNAL',
    first.message,
    {
      details: { ...(first.extensions ?? {}) },
    },
  );
}

/** What the client needs of an HTTP reply. */
export interface HttpReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: AsyncIterable<Uint8Array>;
}

/** One HTTP POST; `useTransport` swaps it (the offline `journal` commands answer in process). */
export type HttpPost = (
  url: string,
  headers: Record<string, string>,
  body: string,
  signal?: AbortSignal,
) => Promise<HttpReply>;

/** POST over node:http(s). */
export const nodeHttpPost: HttpPost = async (url, headers, body, signal) => {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? (await import('node:https')).request : httpRequest;
  return new Promise<HttpReply>((resolvePost, reject) => {
    const req = request(
      u,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        ...(signal ? { signal } : {}),
      },
      (res) =>
        resolvePost({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'] ?? '',
          body: res,
        }),
    );
    req.on('error', reject);
    req.end(body);
  });
};

let transport: HttpPost = nodeHttpPost;

/** Routes the client's requests through `post` (undefined: back to node:http). */
export function useTransport(post: HttpPost | undefined): void {
  transport = post ?? nodeHttpPost;
}

async function readText(body: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function unreachable(url: string, err: unknown): RibjournalError {
  const e = err as { code?: string; cause?: { code?: string; message?: string } };
  const cause = e.code !== undefined ? { code: e.code } : e.cause;
  const why =
    cause?.code === 'ECONNREFUSED'
      ? 'connection refused'
      : cause?.code === 'ENOTFOUND'
        ? 'unknown host'
        : (cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err)));
  const shown = url.replace(/\/graphql$/, '');
  return new RibjournalError(
    'DAEMON_UNREACHABLE',
    `cannot reach the daemon at ${shown} (${why}); is "ribjournal serve" running?`,
    {
      cause: err,
    },
  );
}

/**
 * The API token the CLI sends: RIBJOURNAL_TOKEN (trimmed), else the contents of the file named by
 * RIBJOURNAL_TOKEN_FILE (trimmed); undefined when neither is set (an empty value counts as unset). A
 * missing, unreadable or empty token file is a BAD_ARGUMENT whose message names the file, never a token.
 */
export function readToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const token = env['RIBJOURNAL_TOKEN']?.trim();
  if (token !== undefined && token !== '') return token;
  const file = env['RIBJOURNAL_TOKEN_FILE']?.trim();
  if (file === undefined || file === '') return undefined;
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
    throw new RibjournalError(
      'BAD_ARGUMENT',
      `RIBJOURNAL_TOKEN_FILE: cannot read token file ${path} (${code})`,
      { cause: err, details: { file: path } },
    );
  }
  const fromFile = text.trim();
  if (fromFile === '' || /\s/.test(fromFile)) {
    throw new RibjournalError(
      'BAD_ARGUMENT',
      `RIBJOURNAL_TOKEN_FILE: token file ${path} must hold one token (no spaces) and nothing else`,
      { details: { file: path } },
    );
  }
  return fromFile;
}

function headers(accept: string, token: string | undefined): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json', accept };
  if (token !== undefined) h['authorization'] = `Bearer ${token}`;
  return h;
}

/** A GraphQL client of one daemon. */
export class ApiClient {
  /** The token, read on first use (so a bad token file fails the command that needs the API, once). */
  private token: { readonly value: string | undefined } | undefined;

  constructor(
    readonly url: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  private bearer(): string | undefined {
    this.token ??= { value: readToken(this.env) };
    return this.token.value;
  }

  /** Runs a query; a GraphQL error becomes a RibjournalError with the server's code. */
  async query<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const h = headers('application/graphql-response+json, application/json', this.bearer());
    let res: HttpReply;
    let text: string;
    try {
      res = await transport(this.url, h, JSON.stringify({ query, variables }));
      text = await readText(res.body);
    } catch (err) {
      throw unreachable(this.url, err);
    }
    let body: GraphQLResponse<T>;
    try {
      body = JSON.parse(text) as GraphQLResponse<T>;
    } catch {
      throw new RibjournalError(
        'INTERNAL',
        `the daemon at ${this.url} answered HTTP ${res.status} with no GraphQL response`,
      );
    }
    if (body.errors && body.errors.length > 0) throw toError(body.errors);
    if (body.data === undefined || body.data === null)
      throw new RibjournalError('INTERNAL', 'empty GraphQL response');
    return body.data;
  }

  /**
   * Runs a subscription over server-sent events; yields each result's data. Ends when the server
   * completes the stream; a GraphQL error is thrown as a RibjournalError.
   */
  async *subscribe<T>(
    query: string,
    variables: Record<string, unknown> = {},
    signal?: AbortSignal,
  ): AsyncGenerator<T> {
    const h = headers('text/event-stream', this.bearer());
    let res: HttpReply;
    try {
      res = await transport(this.url, h, JSON.stringify({ query, variables }), signal);
    } catch (err) {
      if ((err as { name?: string }).name === 'AbortError') return;
      throw unreachable(this.url, err);
    }
    if (!res.contentType.includes('text/event-stream')) {
      const text = await readText(res.body);
      try {
        const body = JSON.parse(text) as GraphQLResponse<T>;
        if (body.errors?.length) throw toError(body.errors);
      } catch (err) {
        if (err instanceof RibjournalError) throw err;
      }
      throw new RibjournalError(
        'INTERNAL',
        `the daemon answered HTTP ${res.status} instead of an event stream`,
      );
    }
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let data = '';
          for (const line of message.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5).trimStart();
          }
          if (event === 'complete') return;
          if (data === '') continue;
          const body = JSON.parse(data) as GraphQLResponse<T>;
          if (body.errors && body.errors.length > 0) throw toError(body.errors);
          if (body.data) yield body.data;
        }
      }
    } catch (err) {
      if (err instanceof RibjournalError) throw err;
      if ((err as { name?: string }).name === 'AbortError') return;
      throw new RibjournalError('DAEMON_UNREACHABLE', `lost the connection to the daemon at ${this.url}`, {
        cause: err,
      });
    }
  }
}

/** The client for a command's options. */
export function clientFor(opts: OnlineOptions): ApiClient {
  const url = apiUrl(opts.api);
  // fleet (issue 11): a collector serves each node's API at /nodes/<name>/graphql.
  return new ApiClient(
    opts.node === undefined
      ? url
      : new URL(`/nodes/${encodeURIComponent(opts.node)}/graphql`, url).toString(),
  );
}

/**
 * The one parser of --at/--from/--to (shared/time-arg.ts; DESIGN: decisions): a bare integer is a seq;
 * else RFC 3339 (a local time when it has no zone) or relative to now ("-15m", "-2h"). Returns the
 * API's SeqOrTime value (a decimal seq, or RFC 3339 UTC with microseconds).
 */
export function parsePointArg(text: string, option = '--at'): string {
  return formatTimePoint(parseTimeArg(text, { option }));
}
