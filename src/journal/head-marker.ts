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

/** Writes the marker durably: temp file, fsync, rename. */
export async function writeHeadMarker(dir: string, mark: HeadMark): Promise<void> {
  const tmp = join(dir, `${HEAD_MARKER_FILE}.tmp`);
  const file = await open(tmp, 'w', 0o600);
  try {
    await file.writeFile(JSON.stringify({ head: mark.head, time: mark.time }) + '\n');
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, join(dir, HEAD_MARKER_FILE));
}

/** Keeps the marker of an open journal up to date without touching the commit path. */
export class HeadMarker {
  private pending: HeadMark | undefined;
  private written = -1;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private failed = false;

  constructor(
    private readonly dir: string,
    private readonly onError: (error: unknown) => void,
    private readonly intervalMs = 1000,
  ) {}

  /** Records that events through `mark.head` are durable; the file follows within intervalMs. */
  note(mark: HeadMark): void {
    this.pending = mark;
    if (this.timer === undefined && !this.failed) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.write();
      }, this.intervalMs);
      this.timer.unref();
    }
  }

  /** Writes what is pending now (on close). */
  async flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writing) await this.writing;
    await this.write();
  }

  private write(): Promise<void> {
    const mark = this.pending;
    if (mark === undefined || mark.head === this.written || this.failed) return Promise.resolve();
    this.writing = writeHeadMarker(this.dir, mark).then(
      () => {
        this.written = mark.head;
        this.writing = undefined;
      },
      (err: unknown) => {
        // A full disk and the like: the journal itself reports its own write failures; the marker
        // only stops adding its check.
        this.failed = true;
        this.writing = undefined;
        this.onError(err);
      },
    );
    return this.writing;
  }
}
