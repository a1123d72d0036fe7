// The collector: reads every node's events from the fleet stream with one durable consumer and keeps,
// per node, a replica of that node's journal (same seqs, same times) with the same projections a node
// runs on its own journal (Rib, history index, timeline). Everything a node's API answers can then be
// answered here, per node, by the same code; fleet-wide questions (whereIs, nodes) are folds over nodes.
//
// All of it is derived data: the replicas live under `--journal DIR` (or in memory), and a collector
// whose directory is wiped rebuilds from the stream. Where to resume is the stream position below which
// every message is committed to its replica (`position.json`, written every second and at close): on
// start the durable consumer is (re)created from there, and events a replica already holds are skipped
// by node seq, so a crash between commit and position write neither loses nor doubles anything.
//
// Replica appends are not synced one by one (a synced LevelDB write per commit was most of the commit ->
// subscriber latency): before a position is recorded, one synced write per replica changed since the last
// one makes everything it holds durable (LevelDB's log is written in order), so the position never runs
// ahead of what a replica holds after a power cut. A killed process loses nothing written (the OS has it);
// a power cut may lose the appends after the position, which the stream delivers again.
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AckPolicy, DeliverPolicy, jetstream } from '@nats-io/jetstream';
import type { ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { nanos } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { createApiIndexes, liveChangesOf } from '../api/index.js';
import type { ApiContext, ApiIndexes } from '../api/index.js';
import type { FleetConfig } from '../config/index.js';
import { NODE_NAME } from '../config/index.js';
import type { Envelope } from '../events/index.js';
import { MemoryJournal, openLevelJournal } from '../journal/index.js';
import type { Journal } from '../journal/index.js';
import { Rib, loadRibCheckpoint, replayAndFollow, saveRibCheckpoint } from '../projections/index.js';
import type { TimelineOptions } from '../projections/index.js';
import {
  FLEET_SUBJECTS,
  LAST_SEQ_HEADER,
  connectFleet,
  ensureStream,
  jetstreamManager,
  nodeSubject,
  recordsFrom,
  subjectNode,
} from './protocol.js';

/**
 * LevelDB memory per replica: a collector holds a hundred of them. Reads are served by the projections'
 * own caches; the log is written once and read back rarely, so a small block cache and write buffer do.
 * They bound what LevelDB may hold as replicas grow (memtables: 100 x 2 x 256 KiB); in the fleet bench,
 * whose replicas stay small, native RSS growth was the same within noise with 1 MiB (+155-241 MiB against
 * +108-211).
 */
export const REPLICA_LEVELDB = { cacheSize: 512 * 1024, writeBufferSize: 256 * 1024, maxOpenFiles: 64 };

/** One node as the collector holds it: a replica of its journal and the projections over it. */
export interface NodeReplica {
  readonly name: string;
  /** The replica journal: the node's events with the node's seqs and times. */
  readonly journal: Journal;
  readonly rib: Rib;
  readonly indexes: ApiIndexes;
  /** The same context a node's API reads, over this replica (per-node GraphQL endpoint). */
  readonly api: ApiContext;
  /** Wall time (epoch ms) the last message of this node was committed here; 0 when none yet. */
  readonly lastReceived: number;
  /** Set when the stream no longer holds events this replica lacks (retention): the node's events after it are not applied. */
  readonly gapAt: number | undefined;
}

interface Replica extends NodeReplica {
  readonly journal: Journal & Required<Pick<Journal, 'appendEncoded'>>;
  /** Next node seq expected (head + events whose append is under way). */
  expected: number;
  lastReceived: number;
  gapAt: number | undefined;
  /** Appends committed since the last synced write. */
  unsynced: boolean;
  unfollow: () => void;
}

export interface CollectorOptions {
  readonly fleet: FleetConfig;
  /** Where replicas and the resume position live; absent: memory only (tests, benchmarks). */
  readonly dir?: string;
  readonly log: Logger;
  /** The durable consumer's name suffix (default the fleet `node` name): a second collector takes another. */
  readonly name?: string;
  /** Per-node timeline bounds (default: 8 MiB of logs and 8 MiB of checkpoints per node). */
  readonly timeline?: TimelineOptions;
  /** Connection option overrides (tests). */
  readonly connection?: Partial<NodeConnectionOptions>;
  /** Messages pulled ahead of processing (default 2000). */
  readonly pull?: number;
}

/** Called after events of a node are committed to its replica, in node seq order. */
export type ReplicaListener = (node: NodeReplica, batch: readonly Envelope[]) => void;

interface Pending {
  readonly streamSeq: number;
  done: boolean;
}

const POSITION_FILE = 'position.json';
/** Replica meta key written (synced) before each position: the stream position it is durable through. */
const SYNCED_KEY = 'collector.synced';

export class FleetCollector {
  private readonly replicas = new Map<string, Replica>();
  private readonly opening = new Map<string, Promise<Replica>>();
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private jsm: JetStreamManager | undefined;
  private messages: ConsumerMessages | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  /** Every message at or below this stream seq is committed to its replica. */
  private position = 0;
  private savedPosition = 0;
  private pending: Pending[] = [];
  private readonly listeners = new Set<ReplicaListener>();
  private positionTimer: NodeJS.Timeout | undefined;
  private positionWrite: Promise<void> = Promise.resolve();
  private appends: Promise<unknown> = Promise.resolve();
  private readonly consumerName: string;
  private streamHeads = new Map<string, number>();
  private consumingNow = false;
  private streamHeadsAt = 0;

  private constructor(private readonly opts: CollectorOptions) {
    this.consumerName = `ribjournal-collector-${opts.name ?? opts.fleet.node}`;
  }

  /** Opens the replicas kept in `dir` (if any) and starts consuming the stream in the background. */
  static async start(opts: CollectorOptions): Promise<FleetCollector> {
    const c = new FleetCollector(opts);
    await c.openExisting();
    c.running = c.run();
    c.positionTimer = setInterval(() => c.savePosition(), 1000);
    c.positionTimer.unref();
    return c;
  }

  /** The nodes seen so far, by name. */
  nodes(): NodeReplica[] {
    return [...this.replicas.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  node(name: string): NodeReplica | undefined {
    return this.replicas.get(name);
  }

  /** Whether the durable consumer is delivering (what the collector's /readyz reports). */
  get consuming(): boolean {
    return this.consumingNow;
  }

  /** Stream position below which everything is committed here. */
  get streamPosition(): number {
    return this.position;
  }

  /** Follows commits to every replica. Returns the unsubscribe function. */
  onApplied(listener: ReplicaListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The last node seq each node has in the stream (what `lag` compares the replica with), read from the
   * stream's last message per subject; cached for a second.
   */
  async streamHeadSeqs(): Promise<ReadonlyMap<string, number>> {
    const jsm = this.jsm;
    if (jsm === undefined || Date.now() - this.streamHeadsAt < 1000) return this.streamHeads;
    const info = await jsm.streams.info(this.opts.fleet.stream, { subjects_filter: FLEET_SUBJECTS });
    const heads = new Map<string, number>();
    await Promise.all(
      Object.keys(info.state.subjects ?? {}).map(async (subject) => {
        const node = subjectNode(subject);
        if (node === undefined) return;
        const last = await jsm.streams
          .getMessage(this.opts.fleet.stream, { last_by_subj: nodeSubject(node) })
          .catch(() => null);
        const seq = Number(last?.header.get(LAST_SEQ_HEADER));
        if (Number.isSafeInteger(seq)) heads.set(node, seq);
      }),
    );
    this.streamHeads = heads;
    this.streamHeadsAt = Date.now();
    return heads;
  }

  /** Resolves once every message received so far is committed to its replica. */
  async flush(): Promise<void> {
    await this.appends;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.positionTimer);
    this.messages?.stop();
    // Closing the connection ends whatever the consuming loop waits for (a request, a pull).
    await this.nc?.close().catch(() => undefined);
    await this.running;
    await this.appends;
    this.savePosition();
    await this.positionWrite;
    for (const r of this.replicas.values()) {
      r.unfollow();
      await saveRibCheckpoint(r.journal, r.rib).catch(() => undefined);
      await r.journal.close();
    }
  }

  // --- replicas ------------------------------------------------------------------------------------

  private async openExisting(): Promise<void> {
    const dir = this.opts.dir;
    if (dir === undefined) return;
    await mkdir(join(dir, 'nodes'), { recursive: true });
    for (const name of await readdir(join(dir, 'nodes'))) if (NODE_NAME.test(name)) await this.replica(name);
    try {
      const raw = JSON.parse(await readFile(join(dir, POSITION_FILE), 'utf8')) as { streamSeq?: unknown };
      if (typeof raw.streamSeq === 'number' && Number.isSafeInteger(raw.streamSeq))
        this.position = raw.streamSeq;
    } catch {
      this.position = 0;
    }
    // Replicas whose directory vanished cannot be behind a saved position: start over if one is empty.
    if (this.position > 0 && this.replicas.size === 0) this.position = 0;
    this.savedPosition = this.position;
  }

  private replica(name: string): Promise<Replica> {
    const open = this.opening.get(name);
    if (open) return open;
    const p = this.openReplica(name);
    this.opening.set(name, p);
    return p;
  }

  private async openReplica(name: string): Promise<Replica> {
    const dir = this.opts.dir;
    // Replicas store the node's records as they come (appendEncoded): the node's seqs and times.
    const journal =
      dir === undefined
        ? new MemoryJournal()
        : await openLevelJournal(join(dir, 'nodes', name), { sync: false, leveldb: REPLICA_LEVELDB });
    const rib = (await loadRibCheckpoint(journal).catch(() => undefined)) ?? new Rib();
    // Decoded checkpoints cached per replica: 2 Mi characters (a 1000-path node's whole RIB is ~60 k), so
    // 100 nodes' caches stay under ~200 MiB even when time travel has visited every node.
    const indexes = createApiIndexes(journal, {
      timeline: { cacheBytes: 2 * 2 ** 20, ...this.opts.timeline },
    });
    // The replica's API serves subscriptions too: the live path follows the RIB.
    const { live, changes } = liveChangesOf(rib);
    const unfollow = await replayAndFollow(journal, [live, ...indexes.projections, changes]);
    const api: ApiContext = { journal, rib, live: changes, indexes, ready: () => true };
    const r: Replica = {
      name,
      journal,
      rib,
      indexes,
      api,
      expected: journal.head() + 1,
      lastReceived: 0,
      gapAt: undefined,
      unsynced: false,
      unfollow,
    };
    journal.onCommit((batch) => {
      r.lastReceived = Date.now();
      r.unsynced = true;
      for (const l of this.listeners) l(r, batch);
    });
    this.replicas.set(name, r);
    if (journal.head() > 0) this.opts.log.info({ node: name, seq: journal.head() }, 'node replica opened');
    return r;
  }

  // --- consuming -----------------------------------------------------------------------------------

  private async run(): Promise<void> {
    const log = this.opts.log;
    let backoff = 250;
    while (!this.stopping) {
      try {
        if (this.nc === undefined) {
          this.nc = await connectFleet(this.opts.fleet, this.consumerName, {
            waitOnFirstConnect: false,
            ...this.opts.connection,
          });
          if (this.stopping) {
            await this.nc.close();
            break;
          }
          this.js = jetstream(this.nc);
          this.jsm = await jetstreamManager(this.nc, { checkAPI: false });
          log.info({ server: this.nc.getServer() }, 'collector connected to NATS');
        }
        await ensureStream(this.jsm!, this.opts.fleet);
        await this.consume();
        backoff = 250;
      } catch (err) {
        if (this.stopping) break;
        log.warn({ err: String(err), retryMs: backoff }, 'collector lost the stream; resuming');
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(5000, backoff * 2);
      }
    }
  }

  /** (Re)creates the durable consumer at the resume position and applies what it delivers. */
  private async consume(): Promise<void> {
    const jsm = this.jsm!;
    const stream = this.opts.fleet.stream;
    // Resume from the committed position: wait for appends under way, forget messages not committed.
    await this.appends;
    this.pending = [];
    const start = this.position + 1;
    const existing = await jsm.consumers.info(stream, this.consumerName).catch(() => undefined);
    if (existing !== undefined && existing.delivered.stream_seq !== this.position) {
      await jsm.consumers.delete(stream, this.consumerName);
    }
    if (existing === undefined || existing.delivered.stream_seq !== this.position) {
      await jsm.consumers.add(stream, {
        durable_name: this.consumerName,
        filter_subject: FLEET_SUBJECTS,
        ack_policy: AckPolicy.Explicit,
        ...(start > 1
          ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start }
          : { deliver_policy: DeliverPolicy.All }),
        ack_wait: nanos(60_000),
        max_ack_pending: 20_000,
      });
    }
    const consumer = await this.js!.consumers.get(stream, this.consumerName);
    const messages = await consumer.consume({ max_messages: this.opts.pull ?? 2000 });
    this.messages = messages;
    if (this.stopping) messages.stop();
    this.opts.log.info({ from: start }, 'collector consuming the fleet stream');
    this.consumingNow = true;
    try {
      for await (const m of messages) {
        await this.handle(m);
        if (this.stopping) break;
      }
    } finally {
      this.consumingNow = false;
    }
    if (!this.stopping) throw new Error('the consumer stopped delivering');
  }

  /** Appends a message's new events to its node's replica; acks once committed. */
  private async handle(m: JsMsg): Promise<void> {
    const name = subjectNode(m.subject);
    if (m.seq <= this.position) return; // delivered again after a resume: already committed
    const slot: Pending = { streamSeq: m.seq, done: false };
    this.pending.push(slot);
    const finish = (): void => {
      slot.done = true;
      m.ack();
      this.advance();
    };
    if (name === undefined) return finish();
    const r = this.replicas.get(name) ?? (await this.replica(name));
    if (r.gapAt !== undefined) return finish();
    const fresh = recordsFrom(m.data, r.expected);
    if (fresh === undefined) return finish();
    if (fresh.firstSeq !== r.expected) {
      this.opts.log.error(
        { node: name, expected: r.expected, got: fresh.firstSeq },
        'the stream lacks events of this node (retention?); its replica stops here',
      );
      r.gapAt = r.expected;
      return finish();
    }
    // The node's records are stored as they are (checked by the journal: no decode and re-encode here).
    const expected = r.expected;
    r.expected = fresh.lastSeq + 1;
    const done = r.journal.appendEncoded(fresh.records).then(finish, (err: unknown) => {
      const code = (err as { code?: unknown }).code;
      if (code !== 'JOURNAL_CORRUPT' && code !== 'BAD_ARGUMENT') {
        // Not committed, not acked: the position stays below this message, which a restart delivers again.
        this.opts.log.error({ node: name, err: String(err) }, 'replica append failed');
        return;
      }
      // A damaged message (or one after it, still in flight): its node's replica stops before it.
      if (r.gapAt === undefined) {
        this.opts.log.error(
          { node: name, streamSeq: m.seq, expected, err: String(err) },
          'damaged fleet message: the replica of its node stops here',
        );
        r.gapAt = expected;
      }
      finish();
    });
    this.appends = Promise.all([this.appends, done]).then(() => undefined);
  }

  private advance(): void {
    let i = 0;
    while (i < this.pending.length && this.pending[i]!.done) i++;
    if (i === 0) return;
    this.position = this.pending[i - 1]!.streamSeq;
    this.pending.splice(0, i);
  }

  private savePosition(): void {
    const dir = this.opts.dir;
    const seq = this.position;
    if (dir === undefined || seq === this.savedPosition) return;
    this.savedPosition = seq;
    const file = join(dir, POSITION_FILE);
    // The replicas' appends at or below this position are committed (advance() runs after commit), not
    // yet synced: a synced write on each replica changed since makes them durable first.
    const changed = [...this.replicas.values()].filter((r) => r.unsynced);
    for (const r of changed) r.unsynced = false;
    this.positionWrite = this.positionWrite
      .then(async () => {
        // One at a time: a synced write holds a thread of libuv's small pool (shared with every replica's
        // appends) for the fsync; a hundred at once stalled commits for over 100 ms.
        for (const r of changed) await r.journal.putMeta(SYNCED_KEY, Buffer.from(String(seq)));
        await writeFile(`${file}.tmp`, JSON.stringify({ streamSeq: seq }));
        await rename(`${file}.tmp`, file);
      })
      .catch((err: unknown) => {
        // Try again at the next save, syncing these replicas again.
        for (const r of changed) r.unsynced = true;
        if (this.savedPosition === seq) this.savedPosition = -1;
        this.opts.log.warn({ err: String(err) }, 'collector position not saved');
      });
  }
}
