// How far V8 lets the heap grow past what the last full collection kept. V8's own factor goes up to
// 4x: with a live heap of ~200 MB (100k paths) a flood of kernel changes drove the daemon's RSS to
// ~1 GB of garbage before a major collection ran, and the freed pages stayed mapped long after. A
// daemon on a router or a Kubernetes node (memory limit) wants the opposite trade: collect earlier, at
// some CPU cost. Unlike a heap cap (--max-old-space-size, fixed when the process starts and fatal when
// the live heap reaches it), the growth factor is read by V8 at every collection, so the process sets
// it for itself, and it never turns a larger live heap into an out-of-memory crash.
import koffi from 'koffi';
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

/**
 * Keeps V8's young generation at the size it has (semi-spaces of 1 MB in a fresh process) instead of
 * letting it double up to 16 MB semi-spaces (32 MB of new space) whenever many objects survive, as they
 * do in a flood of kernel changes, and as they do while modules load: so it must be called before the
 * daemon's modules are loaded (bin/ribjournal.js does for `serve`); called later it only stops further
 * growth. `--max-semi-space-size` has no effect set from inside; the growth factor is read at every
 * scavenge. Scavenges come more often, each of them short. Not when RIBJOURNAL_HEAP_GROWTH_PERCENT=0
 * (V8's own policy). Returns whether it was set.
 */
export function limitYoungGeneration(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env['RIBJOURNAL_HEAP_GROWTH_PERCENT'] === '0') return false;
  setFlagsFromString('--semi-space-growth-factor=1');
  return true;
}

// Outside V8's heap, glibc's malloc keeps what LevelDB, Buffers and the thread pool freed: one arena
// per thread that ever allocated (up to 8 per core, each growing on its own), and freed pages stay
// mapped until malloc_trim. Measured in the flood bench: ~150 MB of the daemon's RSS was neither V8
// heap nor external memory; two arenas (as MALLOC_ARENA_MAX=2 would set, but from inside the process)
// and a trim after busy periods return it.
const M_ARENA_MAX = -8; // malloc.h

interface Malloc {
  mallopt: (param: number, value: number) => number;
  /** On a libuv thread (koffi's async call): a trim of hundreds of MB takes ~40 ms. */
  trimAsync: (done: () => void) => void;
}

let malloc: Malloc | null | undefined;
function glibc(): Malloc | null {
  if (malloc !== undefined) return malloc;
  try {
    const lib = koffi.load('libc.so.6');
    const trim = lib.func('int malloc_trim(size_t)');
    malloc = {
      mallopt: lib.func('int mallopt(int, int)') as Malloc['mallopt'],
      trimAsync: (done) => {
        (trim.async as (pad: number, cb: () => void) => void)(0, done);
      },
    };
  } catch {
    malloc = null; // not glibc (musl, another OS): its allocator's own policy applies
  }
  return malloc;
}

/** At most `arenas` malloc arenas for the threads created from now on (glibc); false elsewhere. */
export function limitMallocArenas(arenas = 2): boolean {
  const m = glibc();
  return m !== null && m.mallopt(M_ARENA_MAX, arenas) === 1;
}

/** The trim running on a libuv thread, if any. */
let trimming: Promise<void> | undefined;

/**
 * Exits once no trim runs on a libuv thread: koffi aborts the process ("terminate called after throwing
 * an instance of 'Napi::Error'") when an async call completes during the environment's teardown.
 */
export function exitWhenTrimIdle(code: number): void {
  if (trimming === undefined) process.exit(code);
  void trimming.then(() => process.exit(code));
}

/**
 * Hands the free memory inside malloc's arenas back to the kernel now (glibc malloc_trim on a libuv
 * thread); resolves when done (at once where malloc is not glibc). Joins a trim already running.
 */
export function trimMallocNow(): Promise<void> {
  const m = glibc();
  if (m === null) return Promise.resolve();
  trimming ??= new Promise((resolve) =>
    m.trimAsync(() => {
      trimming = undefined;
      resolve();
    }),
  );
  return trimming;
}

/**
 * Every `intervalMs`, hands the free memory inside malloc's arenas back to the kernel (glibc
 * malloc_trim, off the event loop), so a busy period's RSS is returned afterwards. Returns the stop
 * function (a no-op where malloc is not glibc).
 */
export function trimMallocEvery(intervalMs = 10_000): () => void {
  const m = glibc();
  if (m === null) return () => undefined;
  const timer = setInterval(() => {
    if (trimming === undefined) void trimMallocNow();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The memory policy of a long-running ribjournal process (`serve` and its observer child): V8 collects
 * early and keeps its young generation small, malloc keeps two arenas and returns freed memory every
 * 10 s. Returns the stop function of the periodic trim (its timer does not keep the process alive).
 */
export function tuneProcessMemory(env: NodeJS.ProcessEnv = process.env): () => void {
  limitHeapGrowth(env);
  limitYoungGeneration(env);
  limitMallocArenas();
  return trimMallocEvery();
}
