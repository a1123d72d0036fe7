// The head marker: a small file beside LevelDB's own (RIBJOURNAL-HEAD) saying "events 1..N were
// committed", rewritten (temp file, fsync, rename) at most once a second after commits and on close.
//
// Why: LevelDB treats a log file that ends early as a writer that died mid-write and silently drops
// what follows, so a truncated .log loses committed events without any error. The marker lives in
// another file, so that such a loss shows as a head below the marker, at open and in verify. It is
// only ever written after the events it names are durable, so a crash can leave it behind the head,
// never ahead: a normal crash never looks like damage. (The last second of commits before a truncation
// is not covered; syncing the marker on every commit would halve the commit rate.)
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

export const HEAD_MARKER_FILE = 'RIBJOURNAL-HEAD';

/** What the marker says. */
export interface HeadMark {
  readonly head: number;
  /** Epoch microseconds of event `head`. */
  readonly time: number;
}

/** The marker of a journal directory, or undefined when there is none (or it is unreadable). */
export async function readHeadMarker(dir: string): Promise<HeadMark | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, HEAD_MARKER_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(text) as Partial<HeadMark>;
    if (
      typeof v.head === 'number' &&
      Number.isSafeInteger(v.head) &&
      v.head >= 0 &&
      typeof v.time === 'number'
    ) {
      return { head: v.head, time: v.time };
    }
  } catch {
    // A marker torn by a crash is no marker: it only ever adds a check.
  }
  return undefined;
}

/** The file operations the marker needs (node:fs/promises by default; tests inject slow or failing ones). */
export interface MarkerFs {
  open: typeof open;
  rename: typeof rename;
}

const NODE_FS: MarkerFs = { open, rename };

/** Writes the marker durably: temp file, fsync, rename. */
export async function writeHeadMarker(dir: string, mark: HeadMark, fs: MarkerFs = NODE_FS): Promise<void> {
  const tmp = join(dir, `${HEAD_MARKER_FILE}.tmp`);
  const file = await fs.open(tmp, 'w', 0o600);
  try {
    await file.writeFile(JSON.stringify({ head: mark.head, time: mark.time }) + '\n');
    await file.sync();
  } finally {
    await file.close();
  }
  await fs.rename(tmp, join(dir, HEAD_MARKER_FILE));
}

/** Where the marker writer reports; `recovered` follows failures once a write succeeds again. */
export interface MarkerReporter {
  failed(error: unknown, attempt: number, retryInMs: number): void;
  recovered(head: number, attempts: number): void;
}

/** Options of HeadMarker. */
export interface HeadMarkerOptions {
  /** Least time between two writes (default 1 s). */
  readonly intervalMs?: number;
  /** Longest wait between retries of a failing write (default 30 s; the first retry waits intervalMs). */
  readonly maxRetryMs?: number;
  readonly fs?: MarkerFs;
}

/**
 * Keeps the marker of an open journal up to date without touching the commit path. One write at a
 * time (the temp file is shared, so two writes in flight would tear each other's rename); a failed
 * write is reported and retried with backoff for as long as the journal is open, never given up.
 */
export class HeadMarker {
  private pending: HeadMark | undefined;
  private written = -1;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private failures = 0;
  private closed = false;
  private readonly intervalMs: number;
  private readonly maxRetryMs: number;
  private readonly fs: MarkerFs;

  constructor(
    private readonly dir: string,
    private readonly report: MarkerReporter,
    options: HeadMarkerOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.maxRetryMs = options.maxRetryMs ?? 30_000;
    this.fs = options.fs ?? NODE_FS;
  }

  /** Head the file says (the last successful write; -1 before any). */
  get writtenHead(): number {
    return this.written;
  }

  /** Records that events through `mark.head` are durable; the file follows within intervalMs. */
  note(mark: HeadMark): void {
    this.pending = mark;
    this.schedule(this.intervalMs);
  }

  /** Stops the timer, waits for the write in flight and writes what is pending now (on close). */
  async flush(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writing) await this.writing;
    // One last attempt, reported like the others when it fails: a marker behind the head is safe.
    await this.write();
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined || this.writing !== undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, delayMs);
    this.timer.unref();
  }

  private write(): Promise<void> {
    const mark = this.pending;
    if (this.writing) return this.writing;
    if (mark === undefined || mark.head === this.written) return Promise.resolve();
    this.writing = writeHeadMarker(this.dir, mark, this.fs).then(
      () => {
        this.written = mark.head;
        this.writing = undefined;
        if (this.failures > 0) this.report.recovered(mark.head, this.failures);
        this.failures = 0;
        // Commits that came while writing: the next write waits its interval as usual.
        if (this.pending !== undefined && this.pending.head !== this.written) this.schedule(this.intervalMs);
      },
      (err: unknown) => {
        this.failures++;
        this.writing = undefined;
        // The last write at close into a directory that is gone (removed under us): nothing to mark.
        if (this.closed && (err as { code?: unknown } | null)?.code === 'ENOENT') return;
        const delay = Math.min(this.maxRetryMs, this.intervalMs * 2 ** Math.min(this.failures - 1, 16));
        this.report.failed(err, this.failures, this.closed ? 0 : delay);
        this.schedule(delay);
      },
    );
    return this.writing;
  }
}
