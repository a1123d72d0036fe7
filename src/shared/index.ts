export * from './errors.js';
export * from './prefix.js';
export * from './clock.js';
export * from './crc32c.js';
export * from './rd.js';
export * from './time-arg.js';
export * from './heap.js';
export * from './prefix-value.js';
