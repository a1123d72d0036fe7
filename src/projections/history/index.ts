export * from './history.js';
export * from './prefix-order.js';
