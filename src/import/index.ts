export * from './import-state.js';
export * from './assignment.js';
export * from './connected.js';
export * from './config-snapshot.js';
export * from './link-down-hold.js';
