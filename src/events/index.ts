export * from './types.js';
export * from './codec.js';
export * from './json.js';
export * from './upcast.js';
