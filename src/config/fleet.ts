// `[fleet]`: where this node publishes its journal (NATS JetStream) and, for `ribjournal collect`, where
// the collector reads the fleet's journals from. Absent: nothing is published and nothing changes.
import { hostname } from 'node:os';
import type { TableReader } from './reader.js';

/** `[fleet]` validated, with defaults filled in. */
export interface FleetConfig {
  /** NATS server URLs (`nats://host:port`, `tls://host:port`); at least one. */
  readonly servers: readonly string[];
  /** This node's name in subjects and message ids; default the hostname (sanitized). */
  readonly node: string;
  /** The JetStream stream; default RIBJOURNAL. */
  readonly stream: string;
  /** A file holding the NATS token (read at start). */
  readonly tokenFile: string | undefined;
  /** A NATS credentials file (JWT + nkey seed). */
  readonly credsFile: string | undefined;
  /** A PEM CA bundle to verify the servers' TLS certificates. */
  readonly caFile: string | undefined;
  /** Stream replicas when the stream is created (1..5, default 3 as a JetStream cluster runs). */
  readonly replicas: number;
  /** Stream retention by age in seconds (0 = unlimited, the default). */
  readonly maxAgeSeconds: number;
  /** Stream retention by size in bytes (-1 = unlimited, the default). */
  readonly maxBytes: number;
}

/** Node names are subject tokens and message-id prefixes: no dots, wildcards or spaces. */
export const NODE_NAME = /^[A-Za-z0-9_-]+$/;
const STREAM_NAME = /^[A-Za-z0-9_-]+$/;
const SERVER_URL = /^(nats|tls):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;
export const DURATION = /^(\d+)(s|m|h|d)$/;
export const DURATION_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };
export const SIZE = /^(\d+)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/;
export const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
};

/** The default node name: the hostname up to its first dot, other characters turned into '-'. */
export function defaultNodeName(host = hostname()): string {
  const name = (host.split('.')[0] ?? '').replace(/[^A-Za-z0-9_-]/g, '-');
  return name === '' ? 'node' : name;
}

/** Reads `[fleet]` from the root table; undefined when the section is absent. */
export function readFleet(root: TableReader): FleetConfig | undefined {
  const t = root.table('fleet');
  if (t === undefined) return undefined;
  const report = t.report;
  const servers = t.stringList('servers');
  if (servers === undefined)
    report.error(t.at('servers'), 'required: a list of NATS URLs such as ["nats://127.0.0.1:4222"]');
  else if (servers.length === 0) report.error(t.at('servers'), 'expected at least one NATS URL');
  for (const s of servers ?? []) {
    if (!SERVER_URL.test(s.value) || Number(/:(\d+)$/.exec(s.value)?.[1] ?? 0) > 65535)
      report.error(s.path, `"${s.value}" is not a NATS URL (nats://host:port or tls://host:port)`);
  }
  const node = t.string('node') ?? defaultNodeName();
  if (!NODE_NAME.test(node))
    report.error(t.at('node'), `"${node}" is not a node name: letters, digits, '_' and '-' only`);
  const stream = t.string('stream') ?? 'RIBJOURNAL';
  if (!STREAM_NAME.test(stream))
    report.error(t.at('stream'), `"${stream}" is not a stream name: letters, digits, '_' and '-' only`);
  const file = (key: string): string | undefined => {
    const v = t.string(key);
    if (v === '') report.error(t.at(key), `${key} cannot be empty`);
    return v === '' ? undefined : v;
  };
  const tokenFile = file('token-file');
  const credsFile = file('creds-file');
  const caFile = file('ca-file');
  if (tokenFile !== undefined && credsFile !== undefined)
    report.error(t.at('creds-file'), 'give token-file or creds-file, not both');
  const replicas = t.number('replicas', { min: 1, max: 5 }) ?? 3;
  const maxAgeSeconds =
    readAmount(t, 'max-age', DURATION, DURATION_UNITS, 'a duration such as "7d", "24h" or seconds') ?? 0;
  const maxBytes = readAmount(t, 'max-bytes', SIZE, SIZE_UNITS, 'a size such as "10GiB" or bytes') ?? -1;
  t.finish();
  return {
    servers: (servers ?? []).map((s) => s.value),
    node,
    stream,
    tokenFile,
    credsFile,
    caFile,
    replicas,
    maxAgeSeconds,
    maxBytes,
  };
}

/** An integer, or a string of digits with a unit. */
export function readAmount(
  t: TableReader,
  key: string,
  pattern: RegExp,
  units: Readonly<Record<string, number>>,
  expected: string,
): number | undefined {
  const raw = t.peek(key);
  if (raw === undefined) return undefined;
  if (typeof raw === 'number') return t.number(key, { min: 0, max: Number.MAX_SAFE_INTEGER });
  const text = t.string(key);
  if (text === undefined) return undefined;
  const m = pattern.exec(text.trim());
  if (m === null) {
    t.report.error(t.at(key), `"${text}" is not ${expected}`);
    return undefined;
  }
  return Number(m[1]) * (units[m[2] ?? 'B'] ?? 1);
}
