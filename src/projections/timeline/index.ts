export * from './timeline.js';
export * from './api-indexes.js';
export * from './prune.js';
