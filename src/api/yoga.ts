// The GraphQL server, built without listening (dotansimha/graphql-yoga): tests call `yoga.fetch`,
// server.ts hands it to node:http and graphql-ws. Limits, error codes, health endpoints, /metrics,
// access control and the offline GraphiQL page are set here.
import { pino } from 'pino';
import type { Logger } from 'pino';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useGraphQlJit } from '@envelop/graphql-jit';
import { GRAPHIQL_OPTIONS } from './graphiql.js';
import { GraphQLError, OperationTypeNode, getOperationAST } from 'graphql';
import type { DocumentNode } from 'graphql';
import { createYoga as createYogaServer } from 'graphql-yoga';
import type { Plugin, YogaServerInstance } from 'graphql-yoga';
import { ApiAccess } from './auth.js';
import type { Access, Refusal } from './auth.js';
import type { RequestContext } from './builder.js';
import type { ApiContext } from './context.js';
import { damageReason } from './damage.js';
import { maskError, withDocumentCode } from './errors.js';
import { ChangeFeed } from './feed.js';
import type { FeedOptions } from './feed.js';
import { exposedFieldsAsProperties } from './property-fields.js';
import { toSchema } from './schema/index.js';

export interface ApiOptions {
  /** Subscriber queues, batch size, heartbeat. */
  readonly feed?: FeedOptions;
  /** Maximum query depth (default 10). */
  readonly maxDepth?: number;
  /** Maximum query cost (graphql-armor's model: literal `first` multiplies a selection; default 300 000, a full 1000-path page costs ~85 000). */
  readonly maxCost?: number;
  /** Maximum tokens in a document (default 2000). */
  readonly maxTokens?: number;
  /** Receives errors that are bugs (hidden from clients as INTERNAL). Default: logged on `log`. */
  readonly onInternalError?: (error: unknown) => void;
  /** The API's logger (topic api); default: pino JSON lines on stderr. */
  readonly log?: Logger;
  /** Serve GraphiQL on GET /graphql from a browser (default true). */
  readonly graphiql?: boolean;
  /** Who may read and who may change state. Default: reading open, no token (state changes refused). */
  readonly access?: ApiAccess;
  /** What GET /metrics serves (a prom-client Registry fits); absent: /metrics is 404. */
  readonly metrics?: MetricsEndpoint;
  /** Run queries compiled by graphql-jit (default true; false: graphql-js only, the benches' reference). */
  readonly compiledQueries?: boolean;
}

/** The Prometheus exposition behind /metrics. */
export interface MetricsEndpoint {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** The JSON body and headers of a request refused before GraphQL ran. */
export function refusalResponse(refusal: Refusal): {
  status: number;
  headers: Record<string, string>;
  body: string;
} {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (refusal.status === 401) headers['www-authenticate'] = 'Bearer realm="ribjournal"';
  return {
    status: refusal.status,
    headers,
    body: JSON.stringify({ errors: [{ message: refusal.message, extensions: { code: refusal.code } }] }),
  };
}

/** The GraphQL error of a refused operation (the HTTP status rides in extensions.http, which yoga strips). */
export function refusalError(refusal: Refusal, http: boolean): GraphQLError {
  const extensions: Record<string, unknown> = { code: refusal.code };
  if (http) {
    extensions['http'] = {
      status: refusal.status,
      ...(refusal.status === 401 ? { headers: { 'www-authenticate': 'Bearer realm="ribjournal"' } } : {}),
    };
  }
  return new GraphQLError(refusal.message, { extensions });
}

/** The yoga instance, plus the change feed its subscriptions read (closed by `dispose`). */
export type ApiYoga = YogaServerInstance<Record<string, unknown>, RequestContext> & {
  readonly feed: ChangeFeed;
};

function codesPlugin(): Plugin {
  return {
    onParse() {
      return ({ result, replaceParseResult }) => {
        if (result instanceof GraphQLError) replaceParseResult(withDocumentCode(result));
      };
    },
    onValidate() {
      return ({ result, setResult }) => {
        if (result.length > 0) {
          setResult(result.map((e) => (e instanceof GraphQLError ? withDocumentCode(e) : e)));
        }
      };
    },
  };
}

/**
 * The front door: /healthz and /readyz answer anyone; every other request is checked against the access
 * policy (refused outright, or granted read or admin); /metrics answers a granted request.
 */
function frontDoorPlugin(
  api: ApiContext,
  access: ApiAccess,
  granted: WeakMap<Request, Access>,
  metrics: MetricsEndpoint | undefined,
): Plugin {
  return {
    async onRequest(payload) {
      const { url, fetchAPI, request } = payload;
      const endResponse = (r: Response): void => payload.endResponse(r);
      if (url.pathname === '/healthz') {
        // Unhealthy once journal writes have failed longer than their grace period (a full disk): a
        // supervisor's restart is the next thing to try (issue 10.3).
        const sick = api.journal.health?.().unhealthy;
        endResponse(
          new fetchAPI.Response(sick === undefined ? 'ok\n' : `unhealthy: ${sick}\n`, {
            status: sick === undefined ? 200 : 503,
            headers: { 'content-type': 'text/plain' },
          }),
        );
        return;
      }
      if (url.pathname === '/readyz') {
        // Also not ready while the API's own indexes lag the live RIB (not yet replayed, or not wired).
        const { history, timeline } = api.indexes;
        const damage = damageReason(api.journal);
        const indexes = api.indexes.readiness();
        const synced = history.seq === api.rib.seq && timeline.seq === api.rib.seq;
        const ready = damage === undefined && api.ready() && indexes.ready && synced;
        // Why not (one reason a line): damage, the daemon's own reasons (a projection catching up, failed or
        // rebuilding), the API indexes' (e.g. "API indexes rebuilding (derived data written by another build)").
        const reasons: string[] = [];
        if (damage !== undefined) reasons.push(damage);
        const health = api.health?.().reasons ?? [];
        if (!api.ready()) reasons.push(...(health.length > 0 ? health : ['daemon starting']));
        // The daemon's projection runner runs the indexes and names them in its reasons already; the
        // indexes' own line is for an API without those (offline tools, tests) or ready but not synced.
        if ((!indexes.ready || !synced) && (api.ready() || health.length === 0))
          reasons.push(indexes.reason ?? 'API indexes catching up');
        const why = [...new Set(reasons)].join('\n');
        endResponse(
          new fetchAPI.Response(ready ? 'ready\n' : `not ready\n${why}\n`, {
            status: ready ? 200 : 503,
            headers: { 'content-type': 'text/plain' },
          }),
        );
        return;
      }
      // Everything else needs read access at least; nothing has run yet when a request is refused here.
      const decision = access.decide(request.headers.get('authorization'));
      if (typeof decision !== 'string') {
        const r = refusalResponse(decision);
        endResponse(new fetchAPI.Response(r.body, { status: r.status, headers: r.headers }));
        return;
      }
      if (url.pathname === '/metrics' && metrics !== undefined) {
        const text = await metrics.metrics();
        endResponse(
          new fetchAPI.Response(text, { status: 200, headers: { 'content-type': metrics.contentType } }),
        );
        return;
      }
      granted.set(request, decision);
    },
  };
}

/**
 * Refuses an operation that changes state (a mutation) unless the request carried the token, before any
 * field of it runs. Over HTTP the status says why (401/403); the admin resolvers check again.
 */
function changeGuardPlugin(): Plugin<RequestContext> {
  return {
    onSubscribe({ args, setResultAndStopExecution }) {
      if (args.contextValue.access === undefined)
        setResultAndStopExecution({ errors: [refusalError(NO_DECISION, true)] });
    },
    onExecute({ args, setResultAndStopExecution }) {
      if (args.contextValue.access === undefined) {
        setResultAndStopExecution({ errors: [refusalError(NO_DECISION, true)] });
        return;
      }
      const op = getOperationAST(args.document, args.operationName);
      if (op?.operation !== OperationTypeNode.MUTATION) return;
      const refusal = args.contextValue.refuseChange();
      if (refusal !== undefined) setResultAndStopExecution({ errors: [refusalError(refusal, true)] });
    },
  };
}

/** The refusal of a request for which no authorization decision was recorded. */
const NO_DECISION: Refusal = {
  code: 'UNAUTHENTICATED',
  status: 401,
  message: 'no authorization decision was recorded for this request; refused',
};

/** Bugs behind an INTERNAL answer go to the log, with their stack (never to process warnings). */
function logInternal(log: Logger): (error: unknown) => void {
  return (err) => log.error({ err }, 'GraphQL resolver failed (answered INTERNAL)');
}

/**
 * Queries run compiled (graphql-jit: a 1000-path RIB page resolves ~12k fields, which graphql-js walks
 * generically; compiled it takes less than half the time). A document is compiled on its second run, so
 * one-off documents never pay for a compilation (compileQuery: ~0.15 ms for `history`, ~0.3 ms for the
 * RIB page, ~8 ms for a document of 15 aliased pages, on the event loop, now that exposed fields are
 * property reads: see property-fields.ts): the documents a client repeats (the CLI's, the operator
 * page's) are the ones that gain. Compiled queries are kept per parsed document (a WeakMap), so yoga's
 * parse cache bounds them: an LRU of 1024 documents keyed by their text, each parsed and validated
 * (graphql-armor's limits included) once. Variables are an argument of each run, never cached.
 * Subscriptions and mutations stay on graphql-js: their event streams and state changes gain nothing
 * from it. A query graphql-jit cannot compile is answered with its errors and logged as a bug.
 */
function compiledQueriesPlugin(onInternal: (error: unknown) => void): Plugin {
  const seen = new WeakSet<DocumentNode>();
  return useGraphQlJit(
    {},
    {
      enableIf: ({ document, operationName }) => {
        if (getOperationAST(document, operationName)?.operation !== OperationTypeNode.QUERY) return false;
        if (seen.has(document)) return true;
        seen.add(document);
        return false;
      },
      onError: (r) => onInternal(new AggregateError(r.errors ?? [], 'graphql-jit could not compile a query')),
    },
  ) as Plugin;
}

/** Builds the GraphQL API over a context. Does not listen. */
export function createYoga(api: ApiContext, options: ApiOptions = {}): ApiYoga {
  const feed = new ChangeFeed(api, options.feed);
  const onInternal =
    options.onInternalError ??
    logInternal(options.log ?? pino({ base: { topic: 'api' } }, pino.destination(2)));
  const access = options.access ?? new ApiAccess(true);
  const granted = new WeakMap<Request, Access>();
  const yoga = createYogaServer<Record<string, unknown>, RequestContext>({
    schema: exposedFieldsAsProperties(toSchema()),
    graphqlEndpoint: '/graphql',
    landingPage: false,
    logging: false,
    context: (initial) => {
      // HTTP: decided in onRequest. WebSocket: server.ts decided at connection_init and passes `access`.
      const given = (initial as { access?: unknown }).access;
      const request = (initial as { request?: Request }).request;
      // No recorded decision is no access: never a silent fallback to read.
      const level: Access | undefined =
        given === 'admin' || given === 'read'
          ? given
          : request !== undefined
            ? granted.get(request)
            : undefined;
      return {
        api,
        feed,
        nowMicros: feed.nowMicros,
        access: level,
        refuseChange: () => (level === undefined ? NO_DECISION : access.refuseChange(level)),
      };
    },
    graphiql: options.graphiql === false ? false : GRAPHIQL_OPTIONS,
    // The offline GraphiQL bundle is a 9 MB module (~27 MB of heap once loaded): loaded on the first
    // page view, not at start, so a daemon nobody browses never holds it.
    renderGraphiQL: async (opts) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(opts),
    maskedErrors: { maskError: (error) => maskError(error, onInternal) },
    plugins: [
      frontDoorPlugin(api, access, granted, options.metrics),
      EnvelopArmorPlugin({
        maxDepth: { n: options.maxDepth ?? 10 },
        costLimit: { maxCost: options.maxCost ?? 300_000 },
        maxTokens: { n: options.maxTokens ?? 2000 },
        maxAliases: { n: 15 },
        maxDirectives: { n: 20 },
        blockFieldSuggestion: { enabled: false },
      }),
      codesPlugin(),
      changeGuardPlugin(),
      ...(options.compiledQueries === false ? [] : [compiledQueriesPlugin(onInternal)]),
      { onDispose: () => feed.close() },
    ],
  });
  return Object.assign(yoga, { feed });
}
