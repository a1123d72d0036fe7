// A journal whose history the test writes, the projections and indexes over it, and the API server.
import type {
  JournalEvent,
  RouteDiscovered,
  RouteVanished,
  VanishReason,
} from '../../../src/events/index.js';
import { MemoryJournal } from '../../../src/journal/index.js';
import type { Journal } from '../../../src/journal/index.js';
import { Rib, replayAndFollow } from '../../../src/projections/index.js';
import { createApiIndexes, createYoga, liveChangesOf, startApiServer } from '../../../src/api/index.js';
import type { ApiContext, ApiOptions, ApiServer, ApiYoga } from '../../../src/api/index.js';
import type { Clock } from '../../../src/shared/index.js';

export const T0 = Date.UTC(2026, 10, 24, 12, 0, 0) * 1000;

/** A clock the test moves: each event one second after the previous unless told otherwise. */
export class TestClock implements Clock {
  constructor(public now = T0) {}
  nowMicros(): number {
    const t = this.now;
    this.now += 1_000_000;
    return t;
  }
}

/** The first host address of a prefix (10.1.0.0/24 -> 10.1.0.1, 2001:db8::/64 -> 2001:db8::1). */
export function firstHost(prefix: string): string {
  const addr = prefix.slice(0, prefix.indexOf('/'));
  if (addr.includes(':')) return addr.endsWith('::') ? `${addr}1` : addr;
  const o = addr.split('.').map(Number);
  o[3] = o[3]! + 1;
  return o.join('.');
}

export const discovered = (
  vrf: string,
  prefix: string,
  iface: string,
  ifindex: number,
  address?: string,
): RouteDiscovered => ({
  type: 'RouteDiscovered',
  vrf,
  family: prefix.includes(':') ? 'ipv6' : 'ipv4',
  prefix,
  interface: iface,
  ifindex,
  address: address ?? firstHost(prefix),
});

export const vanished = (
  vrf: string,
  prefix: string,
  iface: string,
  reason: VanishReason = 'address-removed',
): RouteVanished => ({
  type: 'RouteVanished',
  vrf,
  family: prefix.includes(':') ? 'ipv6' : 'ipv4',
  prefix,
  interface: iface,
  reason,
});

export const config = (
  configVersion: number,
  vrfs: { name: string; rd: string; rt: string; interfaces?: string[]; id?: number }[],
): JournalEvent => ({
  type: 'ConfigApplied',
  configVersion,
  vrfs: vrfs.map((v) => ({
    name: v.name,
    rd: v.rd,
    importRts: [v.rt],
    exportRts: [v.rt],
    label: 0,
    ...(v.id !== undefined ? { id: v.id } : {}),
    interfaces: v.interfaces ?? [],
  })),
  neighbors: [],
});

export interface Fixture {
  readonly journal: Journal;
  readonly clock: TestClock;
  readonly api: ApiContext;
  readonly yoga: ApiYoga;
  /** Appends events one per commit (each gets its own seq and second). */
  append(...events: JournalEvent[]): Promise<number>;
  query<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{ data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }>;
  close(): Promise<void>;
}

export async function fixture(
  options: ApiOptions & { journal?: Journal; timeline?: { interval?: number } } = {},
): Promise<Fixture> {
  const clock = new TestClock();
  const journal = options.journal ?? new MemoryJournal(clock);
  const rib = new Rib();
  const indexes = createApiIndexes(journal, { timeline: options.timeline ?? {} });
  const { live, changes } = liveChangesOf(rib);
  const unfollow = await replayAndFollow(journal, [live, ...indexes.projections, changes]);
  let ready = true;
  const api: ApiContext = { journal, rib, indexes, live: changes, ready: () => ready };
  const yoga = createYoga(api, options);
  return {
    journal,
    clock,
    api,
    yoga,
    async append(...events) {
      let last = 0;
      for (const e of events) last = (await journal.append([e]))[0]!.seq;
      return last;
    },
    async query(query, variables) {
      const res = await yoga.fetch('http://ribjournal.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as never;
    },
    async close() {
      ready = false;
      unfollow();
      await yoga.dispose();
      await journal.close();
    },
  };
}

/** The fixture plus a real HTTP server on 127.0.0.1 (a free port). */
export async function serve(f: Fixture, options: ApiOptions = {}): Promise<ApiServer> {
  return startApiServer(f.api, { listen: '127.0.0.1:0', api: options });
}
