// The API indexes' derived data (key layout, sealed values) and the bounded cache they read it through:
// shared by the history index and the timeline.
export * from './derived-keys.js';
export * from './lru.js';
