// The GraphQL server, built without listening (dotansimha/graphql-yoga): tests call `yoga.fetch`,
// server.ts hands it to node:http and graphql-ws. Limits, error codes, health endpoints and the
// offline GraphiQL page are set here.
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { GraphQLError } from 'graphql';
import { createYoga as createYogaServer } from 'graphql-yoga';
import type { Plugin, YogaServerInstance } from 'graphql-yoga';
import type { RequestContext } from './builder.js';
import type { ApiContext } from './context.js';
import { maskError, withDocumentCode } from './errors.js';
import { ChangeFeed } from './feed.js';
import type { FeedOptions } from './feed.js';
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
  /** Receives errors that are bugs (hidden from clients as INTERNAL). Default: a process warning. */
  readonly onInternalError?: (error: unknown) => void;
  /** Serve GraphiQL on GET /graphql from a browser (default true). */
  readonly graphiql?: boolean;
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

function healthPlugin(api: ApiContext): Plugin {
  return {
    onRequest(payload) {
      const { url, fetchAPI } = payload;
      const endResponse = (r: Response): void => payload.endResponse(r);
      if (url.pathname === '/healthz') {
        endResponse(
          new fetchAPI.Response('ok\n', { status: 200, headers: { 'content-type': 'text/plain' } }),
        );
      } else if (url.pathname === '/readyz') {
        // Also not ready while the API's own indexes lag the live RIB (not yet replayed, or not wired).
        const { history, timeline } = api.indexes;
        const ready = api.ready() && history.seq === api.rib.seq && timeline.seq === api.rib.seq;
        endResponse(
          new fetchAPI.Response(ready ? 'ready\n' : 'not ready\n', {
            status: ready ? 200 : 503,
            headers: { 'content-type': 'text/plain' },
          }),
        );
      }
    },
  };
}

function defaultInternal(error: unknown): void {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.emitWarning(`GraphQL resolver failed: ${text}`, 'RibjournalApiWarning');
}

/** Builds the GraphQL API over a context. Does not listen. */
export function createYoga(api: ApiContext, options: ApiOptions = {}): ApiYoga {
  const feed = new ChangeFeed(api, options.feed);
  const onInternal = options.onInternalError ?? defaultInternal;
  const yoga = createYogaServer<Record<string, unknown>, RequestContext>({
    schema: toSchema(),
    graphqlEndpoint: '/graphql',
    landingPage: false,
    logging: false,
    context: () => ({ api, feed, nowMicros: feed.nowMicros }),
    graphiql: options.graphiql === false ? false : { title: 'ribjournal', subscriptionsProtocol: 'WS' },
    renderGraphiQL,
    maskedErrors: { maskError: (error) => maskError(error, onInternal) },
    plugins: [
      healthPlugin(api),
      EnvelopArmorPlugin({
        maxDepth: { n: options.maxDepth ?? 10 },
        costLimit: { maxCost: options.maxCost ?? 300_000 },
        maxTokens: { n: options.maxTokens ?? 2000 },
        maxAliases: { n: 15 },
        maxDirectives: { n: 20 },
        blockFieldSuggestion: { enabled: false },
      }),
      codesPlugin(),
      { onDispose: () => feed.close() },
    ],
  });
  return Object.assign(yoga, { feed });
}
