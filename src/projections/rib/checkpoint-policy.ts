// When the daemon writes RIB checkpoints: every `every` committed events (default 100 000), in the
// background and one at a time, and once more at stop. Start-up then replays at most `every` events.
import type { Logger } from 'pino';

/** Events between RIB checkpoints: start-up replays at most this many events after the last one. */
export const CHECKPOINT_EVERY = 100_000;

export interface CheckpointPolicyOptions {
  /** Seq of the checkpoint start-up loaded (0: none). */
  readonly lastSeq: number;
  /** Writes a checkpoint of the RIB as it is now; resolves with its seq. */
  readonly save: () => Promise<number>;
  readonly log: Logger;
  readonly every?: number;
}

/** Decides when to write a RIB checkpoint; fed with the RIB's seq after each batch it applied. */
export class CheckpointPolicy {
  private last: number;
  private writing: Promise<void> | undefined;
  private closed = false;
  private readonly every: number;

  constructor(private readonly o: CheckpointPolicyOptions) {
    this.last = o.lastSeq;
    this.every = o.every ?? CHECKPOINT_EVERY;
  }

  /** Seq of the last checkpoint written (or loaded). */
  get lastSeq(): number {
    return this.last;
  }

  /** The RIB has applied everything through `seq`. */
  committed(seq: number): void {
    if (this.closed || this.writing !== undefined || seq - this.last < this.every) return;
    this.write();
  }

  /** Waits for a write in progress, then writes a final checkpoint unless the last one is current. */
  async close(seq: number): Promise<void> {
    this.closed = true;
    await this.writing;
    if (seq > this.last) {
      this.write();
      await this.writing;
    }
  }

  private write(): void {
    this.writing = this.o.save().then(
      (seq) => {
        this.last = seq;
        this.writing = undefined;
        this.o.log.debug({ seq }, 'RIB checkpoint written');
      },
      (err: unknown) => {
        this.writing = undefined;
        this.o.log.warn({ err }, 'RIB checkpoint not written');
      },
    );
  }
}
