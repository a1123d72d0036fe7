// MRT (RFC 6396): the journal as TABLE_DUMP_V2 and BGP4MP records, and a reader for round trips.
export * from './constants.js';
export { afiSafiOf, bgp4mpMessage, mrtRecord, peerIndexTable, ribAttributes, ribRecord } from './writer.js';
export type { MrtPeer, MrtRoute } from './writer.js';
export { MrtFormatError, decodeMrt } from './decode.js';
export type { DecodedAttributes, DecodedNlri, DecodedPeer, DecodedUpdate, MrtEntry } from './decode.js';
export { exportMrt } from './export.js';
export type { MrtExportOptions, MrtExportResult } from './export.js';
