export * from './rib/index.js';
export * from './replay.js';
export * from './runner.js';
export * from './history/index.js';
export * from './timeline/index.js';
export * from './route-counts/index.js';
export { startDaemonRetention, trimHooks } from './retention.js';
