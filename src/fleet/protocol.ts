// What node and collector agree on: the stream, subjects, message ids and headers, the payload (the
// journal's own checksummed record encoding), the stream's settings, and how to connect to NATS.
import { readFile } from 'node:fs/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager, StreamInfo } from '@nats-io/jetstream';
import { connect, credsAuthenticator, nanos } from '@nats-io/transport-node';
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import type { FleetConfig } from '../config/index.js';
import { decodeBlock, encodeBlock } from '../events/index.js';
import type { Envelope } from '../events/index.js';

/** Every node publishes to `ribjournal.<node>.events`; the stream and the collector take them all. */
export const FLEET_SUBJECTS = 'ribjournal.*.events';

export function nodeSubject(node: string): string {
  return `ribjournal.${node}.events`;
}

/** The node named by a subject, or undefined for a subject that is not ours. */
export function subjectNode(subject: string): string | undefined {
  const m = /^ribjournal\.([A-Za-z0-9_-]+)\.events$/.exec(subject);
  return m?.[1];
}

/** JetStream's message id: `<node>:<seq>` of the first event the message carries. */
export function messageId(node: string, firstSeq: number): string {
  return `${node}:${firstSeq}`;
}

/** Header carrying the node seq of the message's last event (the publisher's cursor after it). */
export const LAST_SEQ_HEADER = 'Ribjournal-Last-Seq';

/** One message carries consecutive events, at most this many bytes of records (NATS' max_payload is 1 MiB). */
export const MAX_MESSAGE_BYTES = 512 * 1024;

/** JetStream's default duplicate window, set explicitly so it is documented: 2 minutes. */
export const DUPLICATE_WINDOW_S = 120;

export function encodeEvents(envs: readonly Envelope[]): Uint8Array {
  return encodeBlock(envs);
}

/** Decodes a message's events (checksums verified: JOURNAL_CORRUPT when damaged). */
export function decodeEvents(data: Uint8Array): Envelope[] {
  return decodeBlock(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

/** A message's records from the first one with seq >= `from`: what a replica at head `from - 1` lacks. */
export interface RecordsFrom {
  /** The records to append (their checksums are checked by the journal that stores them). */
  readonly records: Buffer;
  /** Seq of the first of them and of the last, as their headers say (not verified here). */
  readonly firstSeq: number;
  readonly lastSeq: number;
}

const RECORD_HEADER = 8;
/** Where a record body keeps its seq (after the u8 version and u8 type: events/codec.ts). */
const BODY_SEQ_AT = 2;

/**
 * Skips the records of a message below seq `from` by reading only their headers (no decoding); undefined
 * when none is left. Records whose lengths do not add up are passed on whole, for the journal to refuse.
 */
export function recordsFrom(data: Uint8Array, from: number): RecordsFrom | undefined {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  let start = -1;
  let firstSeq = 0;
  let lastSeq = 0;
  while (pos < buf.length) {
    const end = pos + RECORD_HEADER + (pos + RECORD_HEADER <= buf.length ? buf.readUInt32LE(pos) : 0);
    if (pos + RECORD_HEADER + BODY_SEQ_AT + 8 > buf.length || end > buf.length) {
      // Damaged: hand over from here on (or everything), the journal's checks say what is wrong.
      const at = start < 0 ? pos : start;
      return { records: buf.subarray(at), firstSeq: start < 0 ? from : firstSeq, lastSeq: from };
    }
    const seq = buf.readDoubleLE(pos + RECORD_HEADER + BODY_SEQ_AT);
    if (start < 0 && seq >= from) {
      start = pos;
      firstSeq = seq;
    }
    lastSeq = seq;
    pos = end;
  }
  return start < 0 ? undefined : { records: buf.subarray(start), firstSeq, lastSeq };
}

/** Options common to node and collector connections: reconnect forever, auth and TLS from config. */
export async function connectFleet(
  fleet: FleetConfig,
  name: string,
  extra: Partial<NodeConnectionOptions> = {},
): Promise<NatsConnection> {
  const opts: NodeConnectionOptions = {
    servers: [...fleet.servers],
    name,
    // The client's default gives up for good ~27 s into a full-cluster outage: never give up.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    waitOnFirstConnect: true,
    ...extra,
  };
  if (fleet.tokenFile !== undefined) opts.token = (await readFile(fleet.tokenFile, 'utf8')).trim();
  if (fleet.credsFile !== undefined) opts.authenticator = credsAuthenticator(await readFile(fleet.credsFile));
  if (fleet.caFile !== undefined) opts.tls = { caFile: fleet.caFile };
  return connect(opts);
}

/**
 * The stream's settings from `[fleet]`: file storage, limits retention by age and bytes, the replicas,
 * the duplicate window, and direct gets (so reading a subject's last message is cheap on any replica).
 */
export function streamConfig(fleet: FleetConfig): {
  name: string;
  subjects: string[];
  num_replicas: number;
  max_age: number;
  max_bytes: number;
  duplicate_window: number;
  allow_direct: boolean;
} {
  return {
    name: fleet.stream,
    subjects: [FLEET_SUBJECTS],
    num_replicas: fleet.replicas,
    max_age: nanos(fleet.maxAgeSeconds * 1000),
    max_bytes: fleet.maxBytes,
    duplicate_window: nanos(DUPLICATE_WINDOW_S * 1000),
    allow_direct: true,
  };
}

/** Creates the stream when absent (settings from config); an existing stream is left as it is. */
export async function ensureStream(jsm: JetStreamManager, fleet: FleetConfig): Promise<StreamInfo> {
  try {
    return await jsm.streams.info(fleet.stream);
  } catch (err) {
    if ((err as { code?: unknown }).code !== 10059 && !/stream not found/i.test(String(err))) throw err;
  }
  return jsm.streams.add(streamConfig(fleet));
}

export { jetstreamManager };
