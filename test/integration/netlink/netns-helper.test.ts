// The namespace helper other tests build on: unique names, commands inside, cleanup that always happens.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommandError, createNetns, exec, run } from '../../helpers/netns.js';

const namespaces = async (): Promise<string[]> =>
  (await run(['ip', 'netns', 'list'])).split('\n').map((l) => l.split(' ')[0] ?? '');

test('a namespace has a unique name, lo up, runs commands inside, and is gone after remove()', async () => {
  const one = await createNetns();
  const two = await createNetns();
  try {
    assert.notEqual(one.name, two.name);
    assert.match(one.name, /^rjt-[0-9a-f]{8}$/);
    assert.ok((await namespaces()).includes(one.name));
    assert.match(await exec(one, ['ip', '-o', 'link', 'show', 'dev', 'lo']), /UP/);
    assert.equal((await one.exec('echo $((40 + 2))')).trim(), '42');

    await one.addVeth('a', 'b');
    await one.waitOperUp('a');
    await one.addAddress('a', '10.9.0.1/24');
    await one.addAddress('b', '2001:db8:9::1/64', { nodad: true });
    await one.batch(['addr add 10.9.1.1/32 dev b', 'addr add 10.9.1.2/32 dev b']);
    const addresses = await one.addresses();
    const a = await one.ifindex('a');
    assert.ok(addresses.some((x) => x.ifindex === a && x.address === '10.9.0.1' && x.prefixLength === 24));
    assert.ok(addresses.some((x) => x.ifname === 'b' && x.address === '2001:db8:9::1' && !x.tentative));
    assert.equal(addresses.filter((x) => x.address.startsWith('10.9.1.')).length, 2);
    assert.equal((await one.links()).find((l) => l.ifname === 'a')?.kind, 'veth');
    // The other namespace sees none of it.
    await assert.rejects(two.ifindex('a'), CommandError);
  } finally {
    await one.remove();
    await two.remove();
  }
  const after = await namespaces();
  assert.ok(!after.includes(one.name) && !after.includes(two.name));
  await one.remove(); // idempotent
});

test('cleanups run last-registered-first before the namespace goes, and processes inside are ended', async () => {
  const ns = await createNetns();
  const order: string[] = [];
  ns.cleanup(() => order.push('first'));
  ns.cleanup(async () => {
    // Still there while cleanups run.
    assert.ok((await namespaces()).includes(ns.name));
    order.push('second');
  });
  const sleeper = ns.exec(['sleep', '600']).catch((err: unknown) => err);
  await ns.remove();
  assert.deepEqual(order, ['second', 'first']);
  assert.ok((await sleeper) instanceof CommandError, 'the process left inside was killed');
  assert.ok(!(await namespaces()).includes(ns.name));
});

test('the after hook removes the namespace even when the test body threw', async () => {
  // A stand-in for node:test's context, so that the failing body does not fail this test.
  const hooks: (() => unknown)[] = [];
  const ns = await createNetns({ after: (fn) => hooks.push(fn) });
  assert.equal(hooks.length, 1, 'registered as soon as the namespace exists');
  await assert.rejects(async () => {
    await ns.addVeth('a', 'b');
    throw new Error('the test failed here');
  });
  for (const fn of hooks) await fn();
  assert.ok(!(await namespaces()).includes(ns.name));
});
