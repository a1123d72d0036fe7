// The collector on the network: /graphql serves the fleet schema (the node schema with a `node`
// argument, plus nodes, whereIs, fleet<Query> twins and fleetEvents; subscriptions over SSE);
// /nodes/<name>/graphql serves that node's replica with the very schema and code a node serves itself
// (where client commands with `--node` go); /healthz, /readyz and /metrics as on a node. The same access policy as a node's API.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { createYoga as createYogaServer } from 'graphql-yoga';
import { Gauge, Registry } from 'prom-client';
import { ApiAccess, createYoga, isLoopbackHost, parseListen } from '../api/index.js';
import type { Access, AccessConfig, ApiYoga, ChangeFeed, Refusal, RequestContext } from '../api/index.js';
import { refusalResponse } from '../api/index.js';
import type { FleetCollector, NodeReplica } from './collector.js';
import { nodeStatuses } from './queries.js';
import type { FleetContext } from './schema.js';
import { fleetSchema } from './schema.js';

export interface CollectorServer {
  /** The fleet endpoint, e.g. http://127.0.0.1:8180/graphql. */
  readonly url: string;
  /** The endpoint of one node: the node schema over its replica. */
  nodeUrl(node: string): string;
  close(): Promise<void>;
}

const READ_ONLY: Refusal = {
  code: 'FORBIDDEN',
  status: 403,
  message: 'a collector holds derived data only: it changes no node',
};

/** Where a collector listens unless configured otherwise (a node uses 8179). */
export const DEFAULT_COLLECTOR_LISTEN = '127.0.0.1:8180';

export async function startCollectorServer(
  collector: FleetCollector,
  opts: { listen?: string; auth?: AccessConfig } = {},
): Promise<CollectorServer> {
  const { host, port } = parseListen(opts.listen ?? DEFAULT_COLLECTOR_LISTEN);
  const access = new ApiAccess(await isLoopbackHost(host), opts.auth);
  const fleet = createYogaServer<Record<string, unknown>, FleetContext>({
    schema: fleetSchema(),
    graphqlEndpoint: '/graphql',
    landingPage: false,
    logging: false,
    context: (initial) => {
      // The front door (handle) decided the request's access; each node's part runs as that node's own
      // endpoint would run it for this request (state changes: none, the collector holds derived data).
      const access = (initial as { access?: Access }).access;
      const contexts = new Map<string, RequestContext>();
      const feedOf = (n: NodeReplica): ChangeFeed => nodeYoga(n.name)!.feed;
      return {
        fleet: collector,
        feedOf,
        contextOf: (n) => {
          let c = contexts.get(n.name);
          if (c === undefined) {
            const feed = feedOf(n);
            c = { api: n.api, feed, access, nowMicros: feed.nowMicros, refuseChange: () => READ_ONLY };
            contexts.set(n.name, c);
          }
          return c;
        },
      };
    },
    graphiql: { title: 'ribjournal fleet' },
    // The node API's default limits: a fleet query fans out to every node, so it needs them at least as much.
    plugins: [
      EnvelopArmorPlugin({
        maxDepth: { n: 10 },
        costLimit: { maxCost: 300_000 },
        maxTokens: { n: 2000 },
        maxAliases: { n: 15 },
        maxDirectives: { n: 20 },
        blockFieldSuggestion: { enabled: false },
      }),
    ],
  });
  const perNode = new Map<string, ApiYoga>();
  const nodeYoga = (name: string): ApiYoga | undefined => {
    const existing = perNode.get(name);
    if (existing) return existing;
    const replica = collector.node(name);
    if (replica === undefined) return undefined;
    const y = createYoga(replica.api, { access });
    perNode.set(name, y);
    return y;
  };

  const registry = new Registry();
  new Gauge({
    name: 'ribjournal_fleet_collector_lag_events',
    help: 'Events of a node in the stream not yet applied by this collector.',
    labelNames: ['node'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const n of await nodeStatuses(collector)) this.set({ node: n.name }, n.lag);
    },
  });
  new Gauge({
    name: 'ribjournal_fleet_collector_paths',
    help: 'Live paths per node as this collector holds them.',
    labelNames: ['node'],
    registers: [registry],
    collect() {
      this.reset();
      for (const n of collector.nodes()) this.set({ node: n.name }, n.rib.size());
    },
  });

  const send = (res: ServerResponse, status: number, body: string, type = 'text/plain'): void => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/healthz') return send(res, 200, 'ok\n');
    if (path === '/readyz')
      return collector.consuming ? send(res, 200, 'ready\n') : send(res, 503, 'not ready\n');
    const decision = access.decide(req.headers.authorization);
    if (typeof decision !== 'string') {
      const r = refusalResponse(decision);
      res.writeHead(r.status, r.headers);
      res.end(r.body);
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => send(res, 200, text, registry.contentType),
        () => send(res, 500, 'metrics failed\n'),
      );
      return;
    }
    const m = /^\/nodes\/([A-Za-z0-9_-]+)(\/.*)$/.exec(path);
    if (m !== null) {
      const y = nodeYoga(m[1]!);
      if (y === undefined) {
        return send(
          res,
          404,
          JSON.stringify({
            errors: [
              { message: `node "${m[1]}" is not known to this collector`, extensions: { code: 'NOT_FOUND' } },
            ],
          }),
          'application/json; charset=utf-8',
        );
      }
      req.url = (req.url ?? '/').slice(`/nodes/${m[1]}`.length);
      void y(req, res);
      return;
    }
    void fleet(req, res, { access: decision });
  };
  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const base = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  return {
    url: `${base}/graphql`,
    nodeUrl: (node) => `${base}/nodes/${node}/graphql`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const y of perNode.values()) {
        y.feed.close();
        await y.dispose();
      }
      await fleet.dispose();
    },
  };
}
