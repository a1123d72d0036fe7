// The API on the network: node:http serving yoga (queries, SSE subscriptions, GraphiQL, /healthz,
// /readyz) and graphql-ws over `ws` for WebSocket subscriptions, both on /graphql of one port.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionArgs, GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { RibjournalError } from '../shared/index.js';
import type { ApiContext } from './context.js';
import { withDocumentCode } from './errors.js';
import type { ApiOptions, ApiYoga } from './yoga.js';
import { createYoga } from './yoga.js';

/** Where the daemon listens unless configured otherwise. */
export const DEFAULT_API_LISTEN = '127.0.0.1:8179';

/** Largest request body accepted (a GraphQL document with variables). */
const MAX_BODY_BYTES = 1024 * 1024;

export interface ApiServer {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:8179/graphql. */
  readonly url: string;
  readonly yoga: ApiYoga;
  close(): Promise<void>;
}

export interface ApiServerOptions {
  /** host:port ("[::1]:8179" for IPv6; port 0 picks a free one). Default 127.0.0.1:8179. */
  readonly listen?: string;
  readonly api?: ApiOptions;
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

/** Starts the API server; resolves once it listens. */
export async function startApiServer(ctx: ApiContext, opts: ApiServerOptions = {}): Promise<ApiServer> {
  const { host, port } = parseListen(opts.listen ?? DEFAULT_API_LISTEN);
  const yoga = createYoga(ctx, opts.api);
  const server = createServer((req, res) => {
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
    void yoga(req, res);
  });
  const wss = new WebSocketServer({ server, path: '/graphql', maxPayload: MAX_BODY_BYTES });
  const ws = useServer(
    {
      execute: (args) => (args.rootValue as Enveloped).execute(args) as never,
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args) as never,
      onSubscribe: async (wsCtx, _id, params) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...wsCtx,
          req: wsCtx.extra.request,
          socket: wsCtx.extra.socket,
          params,
        });
        let document;
        try {
          document = parse(params.query);
        } catch (err) {
          return [withDocumentCode(err as GraphQLError)];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${addr.port}/graphql`,
    yoga,
    close() {
      closing ??= (async () => {
        await ws.dispose();
        for (const client of wss.clients) client.terminate();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        yoga.feed.close();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await yoga.dispose();
      })();
      return closing;
    },
  };
}
