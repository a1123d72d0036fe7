export * from './timeline.js';
export * from './api-indexes.js';
