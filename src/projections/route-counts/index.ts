export * from './route-counts.js';
