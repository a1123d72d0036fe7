// The real `ribjournal serve` for operations tests: spawned either inside a test namespace (its API on
// that namespace's addresses, reached by a small node script run there) or beside it with --netns and a
// loopback API reached directly. Logs are collected as parsed pino lines to wait on.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Netns } from '../../helpers/netns.js';
import { scaled } from '../../helpers/deadline.js';

export const root = new URL('../../../', import.meta.url).pathname;
const CLI = [process.execPath, '--import', 'tsx', join(root, 'src/cli/run.ts')];

export type LogLine = Record<string, unknown> & { msg?: string };

export interface Serve {
  readonly pid: number;
  /** Parsed pino lines from stdout. */
  readonly logs: LogLine[];
  /** Everything written to stdout and stderr, as text. */
  output(): string;
  /** Waits for a log line; fails with the output so far. */
  waitLog(pred: (l: LogLine) => boolean, what: string, ms?: number): Promise<LogLine>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export interface ServeOptions {
  /** Run the daemon inside the namespace (true) or beside it with --netns (false). */
  readonly inside: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

/** Spawns `ribjournal serve ARGS`; killed when the namespace is removed. */
export function startServe(ns: Netns, args: readonly string[], opts: ServeOptions): Serve {
  const argv = opts.inside
    ? ['ip', 'netns', 'exec', ns.name, ...CLI, 'serve', ...args]
    : [...CLI, 'serve', ...args, '--netns', ns.name];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RIBJOURNAL_TOKEN: '', RIBJOURNAL_TOKEN_FILE: '', ...opts.env },
  });
  const logs: LogLine[] = [];
  let text = '';
  createInterface({ input: child.stdout }).on('line', (l) => {
    text += `${l}\n`;
    try {
      logs.push(JSON.parse(l) as LogLine);
    } catch {
      // not a log line
    }
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => (text += s));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  ns.cleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return {
    pid: child.pid!,
    logs,
    output: () => text,
    exited,
    async waitLog(pred, what, ms = 30_000) {
      const deadline = Date.now() + scaled(ms);
      for (;;) {
        const hit = logs.find(pred);
        if (hit !== undefined) return hit;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`no log line "${what}" (exit ${child.exitCode}); output:\n${text}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Polls `fn` until it returns something other than undefined. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + scaled(ms);
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface HttpRequest {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** Where requests are made from: this process, or a node inside a namespace. */
export type Vantage = Netns | undefined;

const FETCH_SCRIPT = `
const [url, init] = JSON.parse(process.argv[1]);
const res = await fetch(url, init);
process.stdout.write(JSON.stringify({ status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() }));
`;

/** An HTTP request from `from` (inside a namespace: a node process started there). */
export async function http(from: Vantage, url: string, req: HttpRequest = {}): Promise<HttpResponse> {
  const init = {
    method: req.method ?? 'GET',
    headers: req.headers ?? {},
    ...(req.body ? { body: req.body } : {}),
  };
  if (from === undefined) {
    const res = await fetch(url, init);
    return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
  }
  const out = await from.exec([
    process.execPath,
    '--input-type=module',
    '-e',
    FETCH_SCRIPT,
    JSON.stringify([url, init]),
  ]);
  return JSON.parse(out) as HttpResponse;
}

export interface GqlResult<T> {
  readonly status: number;
  readonly data?: T | null;
  readonly errors?: readonly { message: string; extensions?: Record<string, unknown> }[];
}

/** A GraphQL POST; `token` goes in Authorization as a bearer token. */
export async function gql<T = Record<string, unknown>>(
  from: Vantage,
  url: string,
  query: string,
  token?: string,
  variables: Record<string, unknown> = {},
): Promise<GqlResult<T>> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json',
  };
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  const res = await http(from, url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return { status: res.status, ...(JSON.parse(res.body) as object) };
}

export interface EventRow {
  readonly seq: string;
  readonly type: string;
  readonly vrf: string | null;
  readonly prefix: string | null;
  readonly interface: string | null;
  readonly reason: string | null;
}

/** Every journaled event, through the API. */
export async function journalEvents(from: Vantage, url: string, token?: string): Promise<EventRow[]> {
  const rows: EventRow[] = [];
  let after: string | undefined;
  for (;;) {
    const r = await gql<{ events: { nodes: EventRow[]; pageInfo: { hasNextPage: boolean } } }>(
      from,
      url,
      'query($after: Seq) { events(first: 1000, after: $after) { nodes { seq type vrf prefix interface reason } pageInfo { hasNextPage } } }',
      token,
      after === undefined ? {} : { after },
    );
    if (!r.data) throw new Error(`events query failed: ${JSON.stringify(r.errors)}`);
    rows.push(...r.data.events.nodes);
    if (!r.data.events.pageInfo.hasNextPage) return rows;
    after = rows[rows.length - 1]!.seq;
  }
}

/** "+ vrf prefix dev" / "- vrf prefix dev reason" / "config": compact lines for assertions. */
export function brief(e: EventRow): string {
  if (e.type === 'ConfigApplied') return 'config';
  if (e.type === 'RouteDiscovered') return `+ ${e.vrf} ${e.prefix} ${e.interface}`;
  return `- ${e.vrf} ${e.prefix} ${e.interface} ${e.reason}`;
}

/** The observer child of a serve process (the only child it spawns). */
export async function childPids(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
}

export interface WsOutcome {
  /** The server acknowledged connection_init. */
  readonly acked: boolean;
  /** Messages after the ack (next, error, complete), up to the first next or error. */
  readonly messages: readonly { type: string; payload?: unknown }[];
  readonly closeCode?: number;
  readonly reason?: string;
}

const WS_SCRIPT = `
const WebSocket = (await import(process.argv[2])).default;
const { url, header, payload, query } = JSON.parse(process.argv[1]);
const ws = new WebSocket(url, 'graphql-transport-ws', header ? { headers: { authorization: header } } : {});
const out = { acked: false, messages: [] };
const done = (extra) => { process.stdout.write(JSON.stringify({ ...out, ...extra })); process.exit(0); };
setTimeout(() => done({ timeout: true }), 10000);
ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', ...(payload ? { payload } : {}) })));
ws.on('message', (data) => {
  const msg = JSON.parse(String(data));
  if (msg.type === 'connection_ack') {
    out.acked = true;
    ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
    return;
  }
  if (msg.type === 'ping') return;
  out.messages.push(msg);
  if (msg.type === 'next' || msg.type === 'error') done({});
});
ws.on('close', (code, reason) => done({ closeCode: code, reason: String(reason) }));
ws.on('error', (err) => done({ wsError: String(err) }));
`;

/** One graphql-ws session from inside a namespace: connection_init (with `payload`), one operation. */
export async function wsSession(
  from: Netns,
  url: string,
  opts: { header?: string; payload?: Record<string, unknown>; query: string },
): Promise<WsOutcome> {
  const out = await from.exec([
    process.execPath,
    '--input-type=module',
    '-e',
    WS_SCRIPT,
    JSON.stringify({ url: url.replace(/^http/, 'ws'), ...opts }),
    join(root, 'node_modules/ws/wrapper.mjs'),
  ]);
  return JSON.parse(out) as WsOutcome;
}
