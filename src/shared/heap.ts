// How far V8 lets the heap grow past what the last full collection kept. V8's own factor goes up to
// 4x: with a live heap of ~200 MB (100k paths) a flood of kernel changes drove the daemon's RSS to
// ~1 GB of garbage before a major collection ran, and the freed pages stayed mapped long after. A
// daemon on a router or a Kubernetes node (memory limit) wants the opposite trade: collect earlier, at
// some CPU cost. Unlike a heap cap (--max-old-space-size, fixed when the process starts and fatal when
// the live heap reaches it), the growth factor is read by V8 at every collection, so the process sets
// it for itself, and it never turns a larger live heap into an out-of-memory crash.
import { setFlagsFromString } from 'node:v8';
import { RibjournalError } from './errors.js';

/** Heap growth after a full collection, in percent (V8's --heap-growing-percent): live × 1.3. */
export const DAEMON_HEAP_GROWTH_PERCENT = 30;

/**
 * Sets V8's heap growing factor for this process: `RIBJOURNAL_HEAP_GROWTH_PERCENT` when set (0 leaves
 * V8's default), else DAEMON_HEAP_GROWTH_PERCENT. Called once by `serve` and by the observer child;
 * never by library code (it is process-wide). Returns the percent in force (0: V8's default). Throws
 * RibjournalError BAD_ARGUMENT when the variable is not a whole number from 0 to 1000.
 */
export function limitHeapGrowth(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['RIBJOURNAL_HEAP_GROWTH_PERCENT'];
  const percent = raw === undefined || raw === '' ? DAEMON_HEAP_GROWTH_PERCENT : Number(raw);
  if (!Number.isInteger(percent) || percent < 0 || percent > 1000)
    throw new RibjournalError(
      'BAD_ARGUMENT',
      `RIBJOURNAL_HEAP_GROWTH_PERCENT must be a whole number from 0 to 1000, got ${JSON.stringify(raw)}`,
    );
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}
