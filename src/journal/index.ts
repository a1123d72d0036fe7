export type * from './journal.js';
