// The netlink module's face: kernel shapes (links, addresses) and the observer that reports them.
// Knows nothing of VRFs or events; the import module decides what becomes a route.
export type { Address, KernelChange, KernelObserver, Link, ObserverBatch, ObserverOptions } from './types.js';
export { createKernelObserver } from './observer.js';
export { parseAddressMessage, parseLinkMessage } from './parse.js';
export { sameAddress, sameLink } from './dump-delta.js';
export type { ScanWaiter, ScanWaitersOptions } from './scan-waiters.js';
export { ScanWaiters, SCAN_TIMEOUT_MS } from './scan-waiters.js';
