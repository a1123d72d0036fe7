// Writing to stdout with back-pressure, so `journal dump | head` and multi-million-line dumps behave.
import { once } from 'node:events';

/** Writes text to stdout, waiting for drain when the pipe is full. Resolves false when stdout closed. */
export async function writeOut(text: string): Promise<boolean> {
  if (process.stdout.destroyed) return false;
  if (!process.stdout.write(text)) {
    const closed = once(process.stdout, 'close').then(() => false);
    const drained = once(process.stdout, 'drain').then(() => true);
    return Promise.race([drained, closed]);
  }
  return true;
}

/** Stops EPIPE (reader went away, e.g. `| head`) from becoming an uncaught error. */
export function tolerateEpipe(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}
