// The GraphQL API's face: context, the yoga instance (no listening) and the HTTP/WebSocket server.
export type { ApiContext, ApiIndexes } from './context.js';
export { createApiIndexes, followApiIndexes } from './context.js';
export type { ApiOptions, ApiYoga } from './yoga.js';
export { createYoga } from './yoga.js';
export type { FeedOptions } from './feed.js';
export { toSchema } from './schema/index.js';
export type { ApiServer, ApiServerOptions } from './server.js';
export { startApiServer, parseListen, DEFAULT_API_LISTEN } from './server.js';
