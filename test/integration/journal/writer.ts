// A journal writer for the kill loop: appends RouteDiscovered events whose ifindex is their expected seq
// (so duplicates, losses and tears are visible in the content), from several concurrent appenders, in
// appends of 1..3 events with a 300-event burst now and then (so that blocks of every size, and the
// background compaction, are in flight when the kill comes). Prints "ack N" once seq N is committed.
// Usage: node --import tsx writer.ts DIR
import { openLevelJournal } from '../../../src/journal/index.js';
import type { RouteDiscovered } from '../../../src/events/index.js';

const dir = process.argv[2]!;
const journal = await openLevelJournal(dir);
let next = journal.head() + 1;
process.stdout.write(`ready ${journal.head()}\n`);

function event(n: number): RouteDiscovered {
  return {
    type: 'RouteDiscovered',
    vrf: n % 3 === 0 ? '' : 'customer-a',
    family: 'ipv4',
    prefix: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}/32`,
    interface: 'eth1',
    ifindex: n,
    address: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
  };
}

async function appender(id: number): Promise<void> {
  for (let i = 0; ; i++) {
    const size = (i + id) % 50 === 0 ? 300 : 1 + ((i * 7 + id) % 3);
    const first = next;
    next += size;
    const envs = await journal.append(Array.from({ length: size }, (_, k) => event(first + k)));
    process.stdout.write(`ack ${envs[envs.length - 1]!.seq}\n`);
  }
}

await Promise.all([appender(0), appender(1), appender(2), appender(3)]);
