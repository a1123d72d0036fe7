// The rtnetlink session during a periodic scan (issue 9.3): a kernel notification that arrives while a
// dump runs is forwarded at once, not kept until the dump ends; and the dump's stale view of what it
// touched never overrides it — the delta leaves that key to the notification, as the journal shows.
// The sockets are fakes driven by the test (the kernel's own messages, built with the netlink package).
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttrStream, rt, type NetlinkMessage, type NetlinkSocket } from 'netlink';
import { parseConfig } from '../../../src/config/index.js';
import type { RouteEvent } from '../../../src/events/index.js';
import { ImportState } from '../../../src/import/index.js';
import type { ObserverBatch } from '../../../src/netlink/index.js';
import { RtnlSession } from '../../../src/netlink/rtnl-session.js';

const B = 3;

function message(type: number, format: (out: AttrStream) => void): NetlinkMessage {
  const out = new AttrStream();
  format(out);
  return { type, flags: 0, seq: 0, port: 0, data: Buffer.concat(out.bufs) };
}

const linkB = (): NetlinkMessage =>
  message(rt.MessageType.NEWLINK, (out) =>
    rt.formatLinkMessage(
      { kind: 'link', data: { index: B, flags: { up: true, running: true } }, attrs: { ifname: 'b' } },
      out,
    ),
  );

const address = (op: 'new' | 'del', last: number): NetlinkMessage =>
  message(op === 'new' ? rt.MessageType.NEWADDR : rt.MessageType.DELADDR, (out) => {
    const bytes = Buffer.from([192, 0, 2, last]);
    rt.formatAddressMessage(
      {
        kind: 'address',
        data: { family: 2, prefixlen: 32, index: B },
        attrs: { address: bytes, local: bytes },
      },
      out,
    );
  });

/** A socket whose dump requests wait until the test answers them. */
class FakeSocket extends EventEmitter {
  readonly requests: { type: number; answer: (msgs: NetlinkMessage[]) => void }[] = [];
  addMembership(): void {}
  getRecvBufferSize(): number {
    return 0;
  }
  close(): void {}
  request(type: number): Promise<[NetlinkMessage[], unknown]> {
    return new Promise((resolve) => this.requests.push({ type, answer: (msgs) => resolve([msgs, {}]) }));
  }
}

/** The next request the session makes on `socket`. */
async function nextRequest(socket: FakeSocket): Promise<FakeSocket['requests'][number]> {
  while (socket.requests.length === 0) await new Promise((r) => setImmediate(r));
  return socket.requests.shift()!;
}

function setup() {
  const events = new FakeSocket();
  const dumps = new FakeSocket();
  const batches: ObserverBatch[] = [];
  const session = new RtnlSession({
    scanIntervalMs: 0,
    clock: { nowMicros: () => 0 },
    openSocket: (role) => (role === 'events' ? events : dumps) as unknown as NetlinkSocket,
    hooks: {
      batch: (b) => batches.push(b),
      log: () => undefined,
      fatal: (msg, err) => assert.fail(`${msg}: ${String(err)}`),
    },
  });
  /**
   * Resolves once `n` batches were sent in all; fails if they are not within a few turns of the event
   * loop (the session sends on the turn after it read, or after its dump was answered and settled).
   */
  const sent = async (n: number): Promise<void> => {
    for (let turn = 0; batches.length < n && turn < 50; turn++) await new Promise((r) => setImmediate(r));
    assert.ok(batches.length >= n, `batch ${n} was not sent (${batches.length} so far)`);
  };
  /** Answers the session's link dump, then its address dump, with the kernel's addresses `lasts`. */
  const answerDump = async (lasts: number[]): Promise<void> => {
    (await nextRequest(dumps)).answer([linkB()]);
    (await nextRequest(dumps)).answer(lasts.map((n) => address('new', n)));
  };
  return { events, dumps, batches, session, sent, answerDump };
}

const { config } = parseConfig('[netlink.import]\nenabled = true\ninterface-list = ["b"]\n');
const summary = (events: RouteEvent[]): string[] =>
  events.map((e) => `${e.type} ${e.prefix}${e.type === 'RouteVanished' ? ` ${e.reason}` : ''}`);

test('a notification during a periodic scan is forwarded before the dump ends, and the dump does not override it', async () => {
  const { events, dumps, batches, session, sent, answerDump } = setup();
  const state = new ImportState(config);
  session.start();
  await answerDump([1, 2, 3]);
  await sent(1);
  assert.equal(state.applyKernel(batches[0]!.changes).length, 3);

  session.scan('delta');
  const links = await nextRequest(dumps);
  // 192.0.2.4 is added while the dump runs: its notification goes out before the dump is answered.
  events.emit('message', [address('new', 4)]);
  await sent(2);
  assert.deepEqual(
    batches[1]!.changes.map((c) => c.kind),
    ['address'],
    'the notification went out alone, before the dump ended',
  );
  assert.deepEqual(summary(state.applyKernel(batches[1]!.changes)), ['RouteDiscovered 192.0.2.4/32']);
  // ... and deleted again, still during the dump.
  events.emit('message', [address('del', 4)]);
  await sent(3);
  assert.deepEqual(summary(state.applyKernel(batches[2]!.changes)), [
    'RouteVanished 192.0.2.4/32 address-removed',
  ]);

  // The dump read the addresses between the two (it shows .4), and .3 was removed without a
  // notification the child ever read (a lost one): the scan corrects .3 and leaves .4 to its
  // notifications, which are newer.
  links.answer([linkB()]);
  (await nextRequest(dumps)).answer([1, 2, 4].map((n) => address('new', n)));
  await sent(4);
  assert.deepEqual(
    batches[3]!.changes.map((c) => c.kind),
    ['snapshot'],
  );
  assert.deepEqual(summary(state.applyKernel(batches[3]!.changes)), ['RouteVanished 192.0.2.3/32 reconcile']);
  // The journal's view is the kernel's now.
  assert.deepEqual(
    [...state.journaled()].map((p) => p.prefix),
    ['192.0.2.1/32', '192.0.2.2/32'],
  );
  session.close();
});

test('a notification during the start-up dump follows its snapshot, in the same batch', async () => {
  const { events, dumps, batches, session, sent } = setup();
  session.start();
  (await nextRequest(dumps)).answer([linkB()]);
  const addresses = await nextRequest(dumps);
  events.emit('message', [address('new', 9)]);
  await new Promise((r) => setImmediate(r));
  assert.equal(batches.length, 0, 'held while the whole dump runs');
  addresses.answer([address('new', 1)]);
  await sent(1);
  assert.deepEqual(
    batches[0]!.changes.map((c) => c.kind),
    ['snapshot', 'address'],
  );
  session.close();
});
