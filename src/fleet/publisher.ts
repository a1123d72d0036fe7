// The node side of the fleet: every committed event, in seq order and exactly once, onto
// `ribjournal.<node>.events` of the JetStream stream.
//
// Exactly once rests on two JetStream checks, not on timing: each message expects the subject's last
// stream sequence to be the one this publisher last saw (`expect.lastSubjectSequence`, a stream seq
// taken from each publish ack), and carries the message id `<node>:<first seq>` (dedup within the
// duplicate window). A message holds a run of consecutive events (at most MAX_MESSAGE_BYTES), so a
// serial chain of acks still moves tens of thousands of events per second. Whenever the outcome of a
// publish is unknown (a timeout while the cluster is away, a wrong-last-sequence answer, a duplicate),
// the publisher re-reads the subject's last message and its Ribjournal-Last-Seq header before it sends
// anything else: so a publish that did land is never sent twice and one that did not is never skipped.
//
// Local journaling never waits for NATS: the publisher only listens to commits (keeping the newest
// `window` envelopes in memory to avoid a read) and reads the journal from its cursor otherwise, so a
// node cut off for hours catches up from the journal, in order. The cursor (the last node seq known to
// be in the stream) is kept in the journal's meta keys, beside the RIB checkpoint, outside the event range.
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { FleetConfig } from '../config/index.js';
import { BlockWriter, isRouteEvent } from '../events/index.js';
import type { Envelope } from '../events/index.js';
import type { Journal, RetentionHold } from '../journal/index.js';
import {
  LAST_SEQ_HEADER,
  MAX_MESSAGE_BYTES,
  connectFleet,
  ensureStream,
  jetstreamManager,
  messageId,
  nodeSubject,
} from './protocol.js';

/** The journal meta key holding the publisher's cursor. */
export const FLEET_CURSOR_KEY = 'fleet.cursor';

export interface FleetPublisherOptions {
  readonly journal: Journal;
  readonly fleet: FleetConfig;
  readonly log: Logger;
  /** Where `ribjournal_fleet_lag_events` is registered (the daemon's registry); absent: nowhere. */
  readonly registry?: Registry;
  /** How long a publish may wait for its ack before its outcome counts as unknown (default 5000 ms). */
  readonly publishTimeoutMs?: number;
  /** Committed envelopes kept in memory for the next publish (default 10 000); older ones are read back. */
  readonly window?: number;
  /** Most events in one message (default 4096). */
  readonly maxBatchEvents?: number;
  /** How often the lag is logged while behind (default 10 000 ms). */
  readonly logEveryMs?: number;
  /** Connection option overrides (tests: a shorter reconnect wait). */
  readonly connection?: Partial<NodeConnectionOptions>;
}

const MAX_BACKOFF_MS = 5000;

/**
 * The publisher's durable cursor as stored in a journal (0 when it never published): the events after it
 * are not known to be in the stream yet.
 */
export async function readFleetCursor(journal: Pick<Journal, 'getMeta'>): Promise<number> {
  const raw = await journal.getMeta(FLEET_CURSOR_KEY).catch(() => undefined);
  if (raw === undefined) return 0;
  try {
    const seq = (JSON.parse(raw.toString('utf8')) as { seq?: unknown }).seq;
    return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 ? seq : 0;
  } catch {
    return 0;
  }
}

/** Whether a journal has ever been published to a fleet stream (it holds a publisher's cursor). */
export async function hasFleetCursor(journal: Pick<Journal, 'getMeta'>): Promise<boolean> {
  return (await journal.getMeta(FLEET_CURSOR_KEY).catch(() => undefined)) !== undefined;
}

/** Publishes the journal to the fleet stream in the background. Create with startFleetPublisher. */
export class FleetPublisher {
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private jsm: JetStreamManager | undefined;
  /** Last node seq known to be in the stream. */
  private publishedSeq = 0;
  /** Stream sequence of this subject's last message (what the next publish expects). */
  private lastStreamSeq = 0;
  private synced = false;
  private stopping = false;
  private wake: (() => void) | undefined;
  private readonly tail: Envelope[] = [];
  private readonly unfollow: () => void;
  private readonly subject: string;
  private readonly writer = new BlockWriter(MAX_MESSAGE_BYTES + 64 * 1024);
  private running: Promise<void> | undefined;
  private cursorWrite: Promise<void> = Promise.resolve();
  private savedCursor = 0;
  /** The cursor as stored in the journal (what a restart resumes from). */
  private durableCursor = 0;
  private readonly cursorRead: Promise<number>;
  private lastLagLog = 0;
  private behindLogged = false;
  private readonly stopSignal = new AbortController();

  constructor(private readonly opts: FleetPublisherOptions) {
    this.subject = nodeSubject(opts.fleet.node);
    this.cursorRead = readFleetCursor(opts.journal).then((seq) => (this.durableCursor = seq));
    const window = opts.window ?? 10_000;
    this.unfollow = opts.journal.onCommit((batch) => {
      for (const env of batch) this.tail.push(env);
      if (this.tail.length > window) this.tail.splice(0, this.tail.length - window);
      this.wake?.();
    });
    if (opts.registry !== undefined) {
      const lag = (): number => this.lag();
      const published = (): number => this.publishedSeq;
      new Gauge({
        name: 'ribjournal_fleet_lag_events',
        help: 'Committed events of this node not yet in the fleet stream.',
        registers: [opts.registry],
        collect() {
          this.set(lag());
        },
      });
      new Gauge({
        name: 'ribjournal_fleet_published_seq',
        help: 'Last journal seq of this node known to be in the fleet stream.',
        registers: [opts.registry],
        collect() {
          this.set(published());
        },
      });
    }
  }

  /** Last node seq known to be in the stream. */
  get published(): number {
    return this.publishedSeq;
  }

  /** Committed events not yet known to be in the stream. */
  lag(): number {
    return Math.max(0, this.opts.journal.head() - this.publishedSeq);
  }

  /**
   * What journal retention must keep: every event after the durable cursor (a node cut off from NATS for
   * hours would otherwise lose them for the fleet).
   */
  retentionHold(): RetentionHold {
    return {
      name: 'the fleet publisher',
      seq: async () => {
        await this.cursorRead;
        return this.durableCursor;
      },
    };
  }

  /** Starts the background loop (returns at once; NATS may be unreachable for as long as it likes). */
  start(): void {
    this.running ??= this.run();
  }

  /** Stops publishing and closes the connection; the cursor is saved. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort();
    this.unfollow();
    this.wake?.();
    await this.running;
    await this.cursorWrite;
    await this.nc?.close().catch(() => undefined);
  }

  private async run(): Promise<void> {
    const log = this.opts.log;
    this.publishedSeq = await this.cursorRead;
    this.savedCursor = this.publishedSeq;
    let backoff = 250;
    while (!this.stopping) {
      try {
        if (this.nc === undefined) await this.connect();
        if (!this.synced) await this.sync();
        this.logLag();
        if (this.publishedSeq >= this.opts.journal.head()) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
            // Also wake now and then, so a lag is logged even when nothing is committed.
            setTimeout(resolve, this.opts.logEveryMs ?? 10_000).unref();
          });
          this.wake = undefined;
          continue;
        }
        await this.publishNext();
        backoff = 250;
      } catch (err) {
        if (this.stopping) break;
        this.synced = false;
        log.warn(
          { err: brief(err), published: this.publishedSeq, lag: this.lag(), retryMs: backoff },
          'fleet publish outcome unknown; re-checking the stream before resending',
        );
        await sleep(backoff, undefined, { signal: this.stopSignal.signal }).catch(() => undefined);
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
      }
    }
  }

  private async connect(): Promise<void> {
    const nc = await connectFleet(this.opts.fleet, `ribjournal-${this.opts.fleet.node}`, {
      waitOnFirstConnect: false,
      ...this.opts.connection,
    });
    if (this.stopping) {
      await nc.close();
      return;
    }
    this.nc = nc;
    const timeout = this.opts.publishTimeoutMs ?? 5000;
    this.js = jetstream(nc, { timeout });
    this.jsm = await jetstreamManager(nc, { timeout, checkAPI: false });
    this.opts.log.info({ server: nc.getServer() }, 'fleet connected to NATS');
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') this.opts.log.warn({ server: s.server }, 'fleet disconnected from NATS');
        else if (s.type === 'reconnect')
          this.opts.log.info({ server: s.server }, 'fleet reconnected to NATS');
      }
    })().catch(() => undefined);
  }

  /** Re-derives where the stream stands: the subject's last message, its stream seq and last node seq. */
  private async sync(): Promise<void> {
    const jsm = this.jsm!;
    const { fleet, journal, log } = this.opts;
    await ensureStream(jsm, fleet);
    const last = await jsm.streams
      .getMessage(fleet.stream, { last_by_subj: this.subject })
      .catch((err: unknown) => {
        if ((err as { code?: unknown }).code === 10037 || /no message found/i.test(String(err))) return null;
        throw err;
      });
    const cursor = this.savedCursor;
    if (last === null) {
      // Nothing of ours in the stream: a new stream, or retention dropped all of it. Go on from the cursor.
      this.lastStreamSeq = 0;
      if (cursor > 0)
        log.warn({ cursor }, 'the fleet stream holds no event of this node; publishing after the cursor');
    } else {
      const lastSeq = Number(last.header.get(LAST_SEQ_HEADER));
      if (!Number.isSafeInteger(lastSeq) || lastSeq < 1)
        throw new Error(`the last message of ${this.subject} has no valid ${LAST_SEQ_HEADER} header`);
      if (lastSeq > journal.head()) {
        throw new Error(
          `the stream holds events of node ${fleet.node} through seq ${lastSeq} but the journal ends at ` +
            `${journal.head()}: another node uses this name, or the journal was replaced`,
        );
      }
      if (lastSeq < cursor)
        log.warn({ cursor, stream: lastSeq }, 'the fleet stream lost events of this node; republishing them');
      this.publishedSeq = lastSeq;
      this.lastStreamSeq = last.seq;
    }
    this.synced = true;
    this.saveCursor();
    log.info(
      { published: this.publishedSeq, head: journal.head() },
      'fleet publisher in sync with the stream',
    );
  }

  /** Publishes the next run of events after the cursor as one message and waits for its ack. */
  private async publishNext(): Promise<void> {
    const envs = await this.nextBatch();
    if (envs.length === 0) return;
    const first = envs[0]!.seq;
    const last = envs[envs.length - 1]!.seq;
    const h = headers();
    h.set(LAST_SEQ_HEADER, String(last));
    this.writer.reset();
    for (const env of envs) this.writer.write(env);
    const ack = await this.js!.publish(this.subject, this.writer.take(), {
      msgID: messageId(this.opts.fleet.node, first),
      expect: { lastSubjectSequence: this.lastStreamSeq },
      headers: h,
      timeout: this.opts.publishTimeoutMs ?? 5000,
    });
    if (ack.duplicate) {
      // Stored before (an unknown outcome that had landed): learn the stream's view instead of guessing.
      this.synced = false;
      return;
    }
    this.publishedSeq = last;
    this.lastStreamSeq = ack.seq;
    this.saveCursor();
  }

  /** Consecutive envelopes after the cursor, from the in-memory tail or else from the journal. */
  private async nextBatch(): Promise<Envelope[]> {
    const max = this.opts.maxBatchEvents ?? 4096;
    const after = this.publishedSeq;
    const out: Envelope[] = [];
    let bytes = 0;
    const take = (env: Envelope): boolean => {
      if (env.seq !== after + out.length + 1) return false;
      const size = estimateBytes(env);
      if (out.length > 0 && (bytes + size > MAX_MESSAGE_BYTES || out.length >= max)) return false;
      out.push(env);
      bytes += size;
      return true;
    };
    const t0 = this.tail[0];
    if (t0 !== undefined && t0.seq <= after + 1 && this.tail[this.tail.length - 1]!.seq > after) {
      for (let i = after + 1 - t0.seq; i < this.tail.length; i++) if (!take(this.tail[i]!)) break;
      // Drop what is published (keeps the tail short while caught up).
      this.tail.splice(0, Math.max(0, after + 1 - t0.seq));
      return out;
    }
    const through = Math.min(this.opts.journal.head(), after + max);
    outer: for await (const batch of this.opts.journal.read({ after, through })) {
      for (const env of batch) if (!take(env)) break outer;
    }
    return out;
  }

  private saveCursor(): void {
    const seq = this.publishedSeq;
    if (seq === this.savedCursor) return;
    this.savedCursor = seq;
    this.cursorWrite = this.cursorWrite
      .then(() => this.opts.journal.putMeta(FLEET_CURSOR_KEY, Buffer.from(JSON.stringify({ seq }))))
      .then(() => {
        this.durableCursor = seq;
      })
      .catch((err: unknown) => this.opts.log.warn({ err }, 'fleet cursor not saved'));
  }

  private logLag(): void {
    const now = Date.now();
    const lag = this.lag();
    if (lag === 0) {
      if (this.behindLogged)
        this.opts.log.info({ published: this.publishedSeq }, 'fleet publishing caught up');
      this.behindLogged = false;
      return;
    }
    if (now - this.lastLagLog < (this.opts.logEveryMs ?? 10_000)) return;
    this.lastLagLog = now;
    if (lag < 1000 && !this.behindLogged) return;
    this.behindLogged = true;
    this.opts.log.warn(
      { lag, published: this.publishedSeq, head: this.opts.journal.head() },
      'fleet publishing behind',
    );
  }
}

/** Roughly how many bytes an event takes encoded (strings plus fixed fields); exact for bounding only. */
function estimateBytes(env: Envelope): number {
  const e = env.event;
  if (!isRouteEvent(e)) return 64 + JSON.stringify(e).length * 3;
  return 48 + (e.vrf.length + e.prefix.length + e.interface.length + 48) * 3;
}

function brief(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Starts publishing `journal` to the fleet stream in the background. */
export function startFleetPublisher(opts: FleetPublisherOptions): FleetPublisher {
  const p = new FleetPublisher(opts);
  p.start();
  return p;
}
