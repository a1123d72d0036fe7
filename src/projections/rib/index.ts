export * from './rib.js';
export * from './checkpoint.js';
export * from './checkpoint-policy.js';
export * from './snapshot.js';
export * from './live.js';
