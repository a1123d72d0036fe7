// The API on the network: node:http serving yoga (queries, SSE subscriptions, GraphiQL, /healthz,
// /readyz, /metrics) and graphql-ws over `ws` for WebSocket subscriptions, both on /graphql of one port.
// The port opens before the daemon has replayed its journal (listenApi), so that /healthz answers and
// /readyz says "not ready" while it starts; the GraphQL API is attached once the daemon is up.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionArgs, GraphQLError } from 'graphql';
import { OperationTypeNode, getOperationAST } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { RibjournalError } from '../shared/index.js';
import { serveUi } from '../ui/index.js';
import { ApiAccess, isLoopbackHost } from './auth.js';
import type { Access, AccessConfig, Refusal } from './auth.js';
import type { ApiContext } from './context.js';
import { withDocumentCode } from './errors.js';
import type { ApiOptions, ApiYoga, MetricsEndpoint } from './yoga.js';
import { createYoga, refusalError, refusalResponse } from './yoga.js';

/** Where the daemon listens unless configured otherwise. */
export const DEFAULT_API_LISTEN = '127.0.0.1:8179';

/** Largest request body accepted (a GraphQL document with variables). */
const MAX_BODY_BYTES = 1024 * 1024;

export interface ApiServer {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:8179/graphql. */
  readonly url: string;
  readonly yoga: ApiYoga;
  /** The access policy in force; `access.set(...)` applies a reloaded token or anonymous-read. */
  readonly access: ApiAccess;
  close(): Promise<void>;
}

/** A listening API whose daemon is still starting: /healthz answers, /readyz and GraphQL say not ready. */
export interface PendingApiServer {
  readonly url: string;
  readonly access: ApiAccess;
  /** Serves the GraphQL API over `ctx` from now on. */
  attach(ctx: ApiContext): ApiServer;
  close(): Promise<void>;
}

export interface ApiServerOptions {
  /** host:port ("[::1]:8179" for IPv6; port 0 picks a free one). Default 127.0.0.1:8179. */
  readonly listen?: string;
  readonly api?: Omit<ApiOptions, 'access' | 'metrics'>;
  /**
   * The token and `[api] anonymous-read`. Without a token nothing may change state; on a non-loopback
   * listener without either, the server refuses to start (CONFIG_INVALID naming the keys).
   */
  readonly auth?: AccessConfig;
  /** What /metrics serves (the daemon's prom-client Registry); absent: 404. */
  readonly metrics?: MetricsEndpoint;
}

/** Splits "host:port" / "[v6]:port". */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new RibjournalError(
      'CONFIG_INVALID',
      `api listen address "${listen}" is not host:port (e.g. 127.0.0.1:8179)`,
    );
  }
  return { host: (m[1] ?? m[2])!, port };
}

interface Enveloped {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, headers);
  res.end(body);
}

function sendRefusal(res: ServerResponse, refusal: Refusal): void {
  const r = refusalResponse(refusal);
  send(res, r.status, r.headers, r.body);
}

/** The Authorization a graphql-ws client put in its connection_init payload (browsers cannot set headers). */
function payloadAuthorization(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (params === undefined) return undefined;
  for (const key of ['authorization', 'Authorization']) {
    const v = params[key];
    if (typeof v === 'string') return v;
  }
  const headers = params['headers'];
  if (typeof headers === 'object' && headers !== null) {
    const h = headers as Record<string, unknown>;
    const v = h['authorization'] ?? h['Authorization'];
    if (typeof v === 'string') return v;
  }
  const token = params['token'];
  return typeof token === 'string' ? `Bearer ${token}` : undefined;
}

/**
 * Opens the API port: /healthz, /readyz ("not ready") and /metrics answer at once, GraphQL after
 * `attach`. Checks the access policy first (a non-loopback listener needs a token or anonymous-read).
 */
export async function listenApi(opts: ApiServerOptions = {}): Promise<PendingApiServer> {
  const { host, port } = parseListen(opts.listen ?? DEFAULT_API_LISTEN);
  const access = new ApiAccess(await isLoopbackHost(host), opts.auth);
  const metrics = opts.metrics;

  // Until attach: the daemon is starting.
  let handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return send(res, 200, { 'content-type': 'text/plain' }, 'ok\n');
    if (path === '/readyz') return send(res, 503, { 'content-type': 'text/plain' }, 'not ready\n');
    const decision = access.decide(req.headers.authorization);
    if (typeof decision !== 'string') return sendRefusal(res, decision);
    if (path === '/metrics' && metrics !== undefined) {
      metrics.metrics().then(
        (text) => send(res, 200, { 'content-type': metrics.contentType }, text),
        (err: unknown) =>
          send(res, 500, { 'content-type': 'text/plain' }, `metrics failed: ${String(err)}\n`),
      );
      return;
    }
    send(
      res,
      503,
      { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1' },
      JSON.stringify({
        errors: [
          {
            message: 'the daemon is starting (journal replay, first kernel scan); retry shortly',
            extensions: { code: 'NOT_READY' },
          },
        ],
      }),
    );
  };
  const server = createServer((req, res) => {
    // A browser pointed at the API's address lands on GraphiQL.
    if (req.method === 'GET' && (req.url === '/' || req.url === '')) {
      res.writeHead(302, { location: '/graphql' });
      res.end();
      return;
    }
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > MAX_BODY_BYTES) {
      res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
      res.end(
        JSON.stringify({
          errors: [
            {
              message: `request body larger than ${MAX_BODY_BYTES} bytes`,
              extensions: { code: 'BAD_QUERY' },
            },
          ],
        }),
      );
      req.resume();
      return;
    }
    if (serveUi(req, res)) return; // the operator page's static files (no data in them)
    handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${shownHost}:${addr.port}/graphql`;
  let attached: ApiServer | undefined;
  let closing: Promise<void> | undefined;
  const closeHttp = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  };

  return {
    url,
    access,
    close() {
      closing ??= attached !== undefined ? attached.close() : closeHttp();
      return closing;
    },
    attach(ctx) {
      if (attached !== undefined || closing !== undefined) {
        throw new RibjournalError('BAD_ARGUMENT', 'the API server is already attached or closed');
      }
      const yoga = createYoga(ctx, { ...opts.api, access, ...(metrics ? { metrics } : {}) });
      handle = (req, res) => void yoga(req, res);
      const wss = new WebSocketServer({ server, path: '/graphql', maxPayload: MAX_BODY_BYTES });
      const granted = new WeakMap<WebSocket, Access>();
      const ws = useServer(
        {
          execute: (args) => (args.rootValue as Enveloped).execute(args) as never,
          subscribe: (args) => (args.rootValue as Enveloped).subscribe(args) as never,
          // The token comes in the upgrade request's Authorization header or the connection_init payload.
          onConnect: (wsCtx) => {
            const decision = access.decide(
              wsCtx.extra.request.headers.authorization ?? payloadAuthorization(wsCtx.connectionParams),
            );
            if (typeof decision !== 'string') {
              // 4401 (graphql-ws' Unauthorized) with the code, rather than the library's bare 4403.
              wsCtx.extra.socket.close(4401, `${decision.code}: ${decision.message}`.slice(0, 120));
              return false;
            }
            granted.set(wsCtx.extra.socket, decision);
            return true;
          },
          onSubscribe: async (wsCtx, _id, params) => {
            const level = granted.get(wsCtx.extra.socket) ?? 'read';
            const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
              ...wsCtx,
              req: wsCtx.extra.request,
              socket: wsCtx.extra.socket,
              params,
              access: level,
            });
            let document;
            try {
              document = parse(params.query);
            } catch (err) {
              return [withDocumentCode(err as GraphQLError)];
            }
            const errors = validate(schema, document);
            if (errors.length > 0) return errors;
            if (getOperationAST(document, params.operationName)?.operation === OperationTypeNode.MUTATION) {
              const refusal = access.refuseChange(level);
              if (refusal !== undefined) return [refusalError(refusal, false)];
            }
            return {
              schema,
              operationName: params.operationName,
              document,
              variableValues: params.variables,
              contextValue: await contextFactory(),
              rootValue: { execute, subscribe },
            };
          },
        },
        wss,
      );
      let closingAll: Promise<void> | undefined;
      attached = {
        url,
        yoga,
        access,
        close() {
          closingAll ??= (async () => {
            await ws.dispose();
            for (const client of wss.clients) client.terminate();
            await new Promise<void>((resolve) => wss.close(() => resolve()));
            yoga.feed.close();
            await closeHttp();
            await yoga.dispose();
          })();
          return closingAll;
        },
      };
      return attached;
    },
  };
}

/** Starts the API server over a ready context; resolves once it listens. */
export async function startApiServer(ctx: ApiContext, opts: ApiServerOptions = {}): Promise<ApiServer> {
  const pending = await listenApi(opts);
  try {
    return pending.attach(ctx);
  } catch (err) {
    await pending.close();
    throw err;
  }
}
