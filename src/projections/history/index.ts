export * from './history.js';
export * from './prefix-order.js';
export { DerivedDamage, DERIVED_FORMAT } from '../derived/index.js';
