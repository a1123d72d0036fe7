export * from './rib.js';
export * from './checkpoint.js';
