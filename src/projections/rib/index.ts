export * from './rib.js';
