// The fleet's face: the node-side publisher (wired by main.ts) and the collector with its server (`collect`).
export { hasFleetCursor, readFleetCursor, startFleetPublisher } from './publisher.js';
export type { FleetPublisher } from './publisher.js';
export { FleetCollector } from './collector.js';
export { DEFAULT_COLLECTOR_LISTEN, startCollectorServer } from './server.js';
export { fleetSchema } from './schema.js';
