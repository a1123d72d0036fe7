export * from './rib.js';
export * from './checkpoint.js';
export * from './snapshot.js';
