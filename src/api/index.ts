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
// What the fleet collector (src/fleet/) builds its own schema from: the node API's parts, shared.
export type { ApiScalars, RequestContext } from './builder.js';
export type { PathView } from './views.js';
export { pathViews, vrfExists } from './views.js';
export type { Point } from './points.js';
export { parsePoint, parseSeq, resolvePoint } from './points.js';
export { apiError } from './errors.js';
export { checkFirst, prefixArg, vrfArg } from './rib-query.js';
export type { RibDiff } from './diff.js';
export { ribDiff } from './diff.js';
export type { ChangeFeed, ChangeFilter, FeedItem, RouteChange, RouteChangeBatch } from './feed.js';
export { refusalResponse } from './yoga.js';
