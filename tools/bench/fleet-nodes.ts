// The simulated nodes of fleet.bench.ts, in a child process (nodes are other machines: they should share
// neither the collector's event loop nor its RSS): each node a memory journal with its own fleet
// publisher. The bench drives them with IPC messages: init (with NodesData), bulk (routes plus churn),
// tick (a paced trickle of commits), stop.
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { FleetConfig } from '../../src/config/index.js';
import type { JournalEvent } from '../../src/events/index.js';
import { startFleetPublisher } from '../../src/fleet/index.js';
import type { FleetPublisher } from '../../src/fleet/index.js';
import { MemoryJournal } from '../../src/journal/index.js';

/** Route `i` of node `node` (10.<node>.x.y/32 in customer-a), discovered or vanished. */
export function route(node: number, i: number, vanish = false): JournalEvent {
  const prefix = `10.${node & 255}.${(i >> 8) & 255}.${i & 255}/32`;
  return vanish
    ? {
        type: 'RouteVanished',
        vrf: 'customer-a',
        family: 'ipv4',
        prefix,
        interface: 'eth1',
        reason: 'address-removed',
      }
    : {
        type: 'RouteDiscovered',
        vrf: 'customer-a',
        family: 'ipv4',
        prefix,
        interface: 'eth1',
        ifindex: 3,
        address: '10.0.0.1',
      };
}

export interface NodesData {
  readonly fleet: Omit<FleetConfig, 'node'>;
  readonly nodes: number;
}

export type NodesCommand =
  | { op: 'init'; data: NodesData }
  | { op: 'bulk'; routes: number }
  | { op: 'tick'; samples: number; gapMs: number; from: number }
  | { op: 'stop' };

export type NodesReply =
  | { op: 'init'; ms: number; heapMiB: number }
  | { op: 'bulk'; events: number; ms: number; heapMiB: number }
  | { op: 'tick'; events: number }
  | { op: 'stop' };

/** This process's heap. */
function heapMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20;
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await sleep(2);
}

const send = process.send?.bind(process);
if (send !== undefined) {
  let data: NodesData = { fleet: undefined as never, nodes: 0 };
  const log = pino({ level: 'silent' });
  const nodes: { journal: MemoryJournal; publisher: FleetPublisher }[] = [];
  const published = (): boolean => nodes.every((n) => n.publisher.published === n.journal.head());
  process.on('message', (cmd: NodesCommand) => {
    void (async (): Promise<NodesReply> => {
      const t0 = performance.now();
      switch (cmd.op) {
        case 'init':
          data = cmd.data;
          // One event per node first, so that the collector knows every node before the figures.
          for (let n = 0; n < data.nodes; n++) {
            const journal = new MemoryJournal();
            await journal.append([route(n, 0)]);
            const fleet = { ...data.fleet, node: `node-${n}` };
            nodes.push({ journal, publisher: startFleetPublisher({ journal, fleet, log }) });
          }
          await until(published);
          return { op: 'init', ms: performance.now() - t0, heapMiB: heapMiB() };
        case 'bulk': {
          let events = 0;
          for (const [n, node] of nodes.entries()) {
            const batch: JournalEvent[] = [];
            for (let i = 1; i < cmd.routes; i++) batch.push(route(n, i));
            // Churn: half the routes go and come back.
            for (let i = 0; i < cmd.routes / 2; i++) batch.push(route(n, i, true), route(n, i));
            events += batch.length;
            await node.journal.append(batch);
          }
          await until(published);
          return { op: 'bulk', events, ms: performance.now() - t0, heapMiB: heapMiB() };
        }
        case 'tick':
          for (let k = 0; k < cmd.samples; k++) {
            const n = k % nodes.length;
            await nodes[n]!.journal.append([route(n, cmd.from + Math.floor(k / nodes.length))]);
            await sleep(cmd.gapMs);
          }
          await until(published);
          return { op: 'tick', events: cmd.samples };
        case 'stop':
          for (const n of nodes) await n.publisher.stop();
          return { op: 'stop' };
      }
    })().then((reply) => send(reply));
  });
}
