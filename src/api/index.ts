// The GraphQL API's face: context, the yoga instance (no listening) and the HTTP/WebSocket server.
export type {
  AdminOperations,
  ApiContext,
  ApiIndexes,
  BackupOutcome,
  BgpView,
  ReloadOutcome,
} from './context.js';
export { createApiIndexes, followApiIndexes } from './context.js';
export type { ApiOptions, ApiYoga, MetricsEndpoint } from './yoga.js';
export { createYoga } from './yoga.js';
export type { FeedOptions } from './feed.js';
export { toSchema } from './schema/index.js';
export type { ApiServer, ApiServerOptions, PendingApiServer } from './server.js';
export { startApiServer, listenApi, parseListen, DEFAULT_API_LISTEN } from './server.js';
export type { Access, AccessConfig, Refusal } from './auth.js';
export { ApiAccess, bearerToken, isLoopbackHost, isLoopbackIp } from './auth.js';
export { liveChangesOf } from './context.js';
