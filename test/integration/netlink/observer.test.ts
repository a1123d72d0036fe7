// The kernel observer against the real kernel, each test in a namespace of its own: what a user of the
// daemon would see break if it failed (a missed address, a stale link, a crash on overflow).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createKernelObserver } from '../../../src/netlink/index.js';
import { isRibjournalError } from '../../../src/shared/index.js';
import {
  capturingLogger,
  isAddress,
  isLink,
  isSnapshot,
  kernelAddressKeys,
  lab,
  processAlive,
} from './harness.js';
import { scaled } from '../../helpers/deadline.js';

test('the start snapshot holds the namespace links and every address, link-local and host scope too', async (t) => {
  const { ns, recorder } = await lab(t, {
    before: async (ns) => {
      await ns.addAddress('a', '10.1.0.1/24');
      await ns.addAddress('b', '2001:db8:1::1/64', { nodad: true });
    },
  });
  const a = await ns.ifindex('a');
  const b = await ns.ifindex('b');
  const lo = await ns.ifindex('lo');
  const first = recorder.changes[0]?.change;
  assert.ok(first !== undefined && first.kind === 'snapshot');
  assert.equal(first.reason, 'start');

  const byIndex = new Map(first.links.map((l) => [l.index, l]));
  assert.deepEqual(byIndex.get(a), {
    index: a,
    name: 'a',
    up: true,
    adminUp: true,
    master: undefined,
    kind: 'veth',
    vrfTable: undefined,
  });
  assert.deepEqual(byIndex.get(b), {
    index: b,
    name: 'b',
    up: true,
    adminUp: true,
    master: undefined,
    kind: 'veth',
    vrfTable: undefined,
  });
  assert.equal(byIndex.get(lo)?.name, 'lo');
  assert.equal(byIndex.get(lo)?.up, true);
  assert.equal(first.links.length, 3);

  const find = (index: number, address: string) =>
    first.addresses.find((x) => x.index === index && x.address === address);
  assert.deepEqual(find(a, '10.1.0.1'), {
    index: a,
    family: 'ipv4',
    address: '10.1.0.1',
    prefixLength: 24,
    scope: 0,
    tentative: false,
    dadFailed: false,
  });
  assert.deepEqual(find(b, '2001:db8:1::1'), {
    index: b,
    family: 'ipv6',
    address: '2001:db8:1::1',
    prefixLength: 64,
    scope: 0,
    tentative: false,
    dadFailed: false,
  });
  assert.equal(
    find(lo, '127.0.0.1')?.scope,
    254,
    'loopback is reported (host scope); excluding it is the import module’s job',
  );
  assert.ok(
    first.addresses.some((x) => x.index === a && x.address.startsWith('fe80::') && x.scope === 253),
    'link-local is reported',
  );
  // Exactly the kernel's addresses, no more, no fewer.
  assert.deepEqual([...recorder.addresses.keys()].sort(), await kernelAddressKeys(ns));
});

test('ip addr add / del arrive as address new / del, IPv4 and IPv6 (nodad)', async (t) => {
  const { ns, recorder } = await lab(t);
  const a = await ns.ifindex('a');

  let mark = recorder.mark();
  await ns.addAddress('a', '10.2.0.1/24');
  const added = await recorder.waitForChange('10.2.0.1/24 new', isAddress('new', a, '10.2.0.1', 24), mark);
  assert.equal(added.change.address.family, 'ipv4');
  // receivedAt is the child's clock when the kernel message came in: before delivery, and not long before.
  // (Two processes' clocks: allow them 1 ms of disagreement.)
  assert.ok(added.batch.receivedAt <= added.deliveredAt + 1000, 'receivedAt is before delivery');
  assert.ok(
    added.deliveredAt - added.batch.receivedAt < 1_000_000,
    'receivedAt is the arrival, not some old time',
  );

  mark = recorder.mark();
  await ns.addAddress('a', '2001:db8:2::7/128', { nodad: true });
  const v6 = await recorder.waitForChange(
    '2001:db8:2::7/128 new',
    isAddress('new', a, '2001:db8:2::7', 128),
    mark,
  );
  assert.equal(v6.change.address.tentative, false);
  assert.equal(v6.change.address.family, 'ipv6');

  mark = recorder.mark();
  await ns.delAddress('a', '10.2.0.1/24');
  await recorder.waitForChange('10.2.0.1/24 del', isAddress('del', a, '10.2.0.1', 24), mark);
  mark = recorder.mark();
  await ns.delAddress('a', '2001:db8:2::7/128');
  await recorder.waitForChange('2001:db8:2::7/128 del', isAddress('del', a, '2001:db8:2::7', 128), mark);
  assert.deepEqual([...recorder.addresses.keys()].sort(), await kernelAddressKeys(ns));
});

test('link down / up arrives with up false / true; the peer loses carrier but stays admin up', async (t) => {
  const { ns, recorder } = await lab(t);
  const a = await ns.ifindex('a');
  const b = await ns.ifindex('b');

  let mark = recorder.mark();
  await ns.setUp('a', false);
  await recorder.waitForChange(
    'a down',
    isLink('new', a, (l) => !l.up && !l.adminUp),
    mark,
  );
  await recorder.waitForChange(
    'b without carrier',
    isLink('new', b, (l) => !l.up && l.adminUp),
    mark,
  );

  mark = recorder.mark();
  await ns.setUp('a', true);
  await recorder.waitForChange(
    'a up',
    isLink('new', a, (l) => l.up && l.adminUp),
    mark,
  );
  await recorder.waitForChange(
    'b with carrier',
    isLink('new', b, (l) => l.up),
    mark,
  );
});

test('a deleted link arrives as link del, and its addresses are gone (del or the next scan)', async (t) => {
  const { ns, observer, recorder } = await lab(t);
  const a = await ns.ifindex('a');
  const b = await ns.ifindex('b');
  let mark = recorder.mark();
  await ns.addAddress('a', '10.3.0.1/24');
  await recorder.waitForChange('10.3.0.1 new', isAddress('new', a, '10.3.0.1', 24), mark);

  mark = recorder.mark();
  await ns.ip('link', 'del', 'dev', 'a'); // takes its veth peer b with it
  await recorder.waitForChange(
    'link a del',
    isLink('del', a, (l) => l.name === 'a'),
    mark,
  );
  await recorder.waitForChange('link b del', isLink('del', b), mark);

  mark = recorder.mark();
  observer.requestScan();
  const scan = await recorder.waitForChange('scan snapshot', isSnapshot('scan'), mark);
  assert.ok(!scan.change.links.some((l) => l.index === a || l.index === b));
  assert.ok(!scan.change.addresses.some((x) => x.index === a || x.index === b));
  assert.ok(![...recorder.addresses.values()].some((x) => x.index === a));
});

test('a rename arrives as link new with the new name and the same index', async (t) => {
  const { ns, recorder } = await lab(t);
  const a = await ns.ifindex('a');
  await ns.setUp('a', false); // the kernel renames only links that are down
  const mark = recorder.mark();
  await ns.ip('link', 'set', 'dev', 'a', 'name', 'c');
  const renamed = await recorder.waitForChange(
    'a renamed c',
    isLink('new', a, (l) => l.name === 'c'),
    mark,
  );
  assert.equal(renamed.change.link.kind, 'veth');
  assert.equal(await ns.ifindex('c'), a);
  assert.equal(recorder.links.get(a)?.name, 'c');
});

test('an IPv6 address under duplicate address detection is tentative, then a change clears it', async (t) => {
  const { ns, recorder } = await lab(t);
  const a = await ns.ifindex('a');
  const mark = recorder.mark();
  await ns.addAddress('a', '2001:db8:3::1/64'); // DAD runs: the peer b is up, so a has carrier
  const tentative = await recorder.waitForChange(
    'tentative new',
    isAddress('new', a, '2001:db8:3::1', 64, (x) => x.tentative),
    mark,
  );
  assert.equal(tentative.change.address.dadFailed, false);
  // DAD takes about a second (one probe, RetransTimer 1 s).
  await recorder.waitForChange(
    'DAD completed',
    isAddress('new', a, '2001:db8:3::1', 64, (x) => !x.tentative),
    mark,
    10_000,
  );
  assert.equal(recorder.addresses.get(`${a} 2001:db8:3::1/64`)?.tentative, false);
});

test('requestScan delivers a snapshot with reason scan that matches the kernel', async (t) => {
  const { ns, observer, recorder } = await lab(t);
  await ns.batch(Array.from({ length: 200 }, (_, i) => `addr add 10.4.${i >> 8}.${i & 255}/32 dev b`));
  const mark = recorder.mark();
  observer.requestScan();
  const scan = await recorder.waitForChange('scan snapshot', isSnapshot('scan'), mark);
  assert.ok(scan.change.addresses.length >= 200);
  await recorder.waitUntil(
    'recorder matches the kernel',
    () => recorder.addresses.size === scan.change.addresses.length,
  );
  assert.deepEqual([...recorder.addresses.keys()].sort(), await kernelAddressKeys(ns));
});

test('periodic scans run every scanIntervalMs', async (t) => {
  const { recorder } = await lab(t, { scanIntervalMs: 200 });
  const mark = recorder.mark();
  await recorder.waitForChange('first periodic scan', isSnapshot('scan'), mark, 3000);
  const second = recorder.mark();
  await recorder.waitForChange('second periodic scan', isSnapshot('scan'), second, 3000);
});

test('a SIGKILLed child is restarted: restarts 1, and a resync snapshot shows what changed meanwhile', async (t) => {
  const { ns, observer, recorder, logs } = await lab(t);
  const a = await ns.ifindex('a');
  const pid = observer.pid;
  assert.ok(pid !== undefined && processAlive(pid));
  const mark = recorder.mark();
  process.kill(pid, 'SIGKILL');
  // Wait (with a deadline) until it is really gone, then change the kernel while nobody watches.
  const deadline = Date.now() + scaled(5000);
  while (processAlive(pid)) {
    assert.ok(Date.now() < deadline, 'the child did not die');
    await new Promise((r) => setImmediate(r));
  }
  await ns.addAddress('a', '10.5.0.1/24');

  const resync = await recorder.waitForChange('resync snapshot', isSnapshot('resync'), mark, 10_000);
  assert.equal(observer.restarts, 1);
  assert.ok(
    resync.change.addresses.some((x) => x.index === a && x.address === '10.5.0.1' && x.prefixLength === 24),
  );
  assert.ok(resync.change.links.some((l) => l.index === a && l.name === 'a' && l.up));
  assert.notEqual(observer.pid, pid);
  assert.ok(observer.pid !== undefined && processAlive(observer.pid));
  assert.ok(
    logs.some((l) => l.level === 40 && l.topic === 'netlink' && l.signal === 'SIGKILL'),
    'a warning with topic netlink says the child died',
  );

  // And it keeps observing.
  const after = recorder.mark();
  await ns.addAddress('a', '10.5.0.2/24');
  await recorder.waitForChange('10.5.0.2 new after restart', isAddress('new', a, '10.5.0.2', 24), after);
});

test('a receive buffer overflow (ENOBUFS) kills only the child; the parent restarts it and converges', async (t) => {
  const { ns, observer, recorder, logs } = await lab(t, {
    before: async (ns) => {
      for (const [x, y] of [
        ['c', 'd'],
        ['e', 'f'],
      ] as const)
        await ns.addVeth(x, y);
    },
  });
  const pid = observer.pid;
  assert.ok(pid !== undefined);
  // Stop the child so nothing drains its socket, then make far more notifications than its buffer holds
  // (rmem_max-capped: about 10k address messages): add 16k addresses, delete half of them.
  const devs = ['a', 'b', 'c', 'd', 'e', 'f', 'a', 'b'];
  const adds = devs.flatMap((dev, d) =>
    Array.from({ length: 2000 }, (_, i) => `addr add 10.${100 + d}.${i >> 8}.${i & 255}/32 dev ${dev}`),
  );
  const dels = adds.filter((_, i) => i % 2 === 0).map((line) => line.replace('addr add', 'addr del'));
  const mark = recorder.mark();
  process.kill(pid, 'SIGSTOP');
  try {
    await ns.batch([...adds, ...dels]);
  } finally {
    process.kill(pid, 'SIGCONT');
  }

  const resync = await recorder.waitForChange(
    'resync snapshot after the overflow',
    isSnapshot('resync'),
    mark,
    20_000,
  );
  assert.ok(observer.restarts >= 1);
  // The package's native code aborts when poll() reports the overflow (what happens here); when a read
  // reports it, the child handles the socket error and exits 70. Either way it was the overflow.
  assert.ok(
    logs.some((l) => l.level === 40 && (l.signal === 'SIGABRT' || l.code === 70)),
    `the child died of ENOBUFS (logs: ${JSON.stringify(logs.filter((l) => l.level >= 40))})`,
  );
  assert.ok(resync.change.addresses.length >= adds.length - dels.length);
  await recorder.waitUntil(
    'recorder matches the kernel',
    () => recorder.addresses.size === resync.change.addresses.length,
  );
  assert.deepEqual([...recorder.addresses.keys()].sort(), await kernelAddressKeys(ns));
});

test('start() rejects with NETLINK_FAILED when the namespace does not exist, and leaves nothing running', async () => {
  const { log } = capturingLogger();
  const observer = createKernelObserver({ log, scanIntervalMs: 60_000, netns: 'rjt-no-such-namespace' });
  await assert.rejects(observer.start(), (err) => isRibjournalError(err, 'NETLINK_FAILED'));
  assert.equal(observer.pid, undefined);
  await observer.stop();
});

test('stop() ends the child and resolves; a second stop() is harmless', async (t) => {
  const { observer, recorder } = await lab(t);
  const pid = observer.pid;
  assert.ok(pid !== undefined);
  await observer.stop();
  assert.equal(processAlive(pid), false);
  assert.equal(observer.pid, undefined);
  await observer.stop();
  const batches = recorder.batches.length;
  observer.requestScan(); // no child: nothing happens, nothing throws
  assert.equal(recorder.batches.length, batches);
});
