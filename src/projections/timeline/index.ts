export * from './timeline.js';
export * from './rib-snapshot.js';
