// Linux VRF mode on a real kernel. This kernel has no `vrf` link type (the VRF mapping itself is tested
// with built messages in test/unit/import/linux-vrf.test.ts), but it has bridges: masters that are not
// VRFs. An interface enslaved to a bridge, even one named like a configured VRF, keeps the VRF its
// interface list gives it, at start and when enslaved or released at run time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { briefs, has, runDaemon } from '../../helpers/daemon.js';
import { createNetns } from '../../helpers/netns.js';

const CONFIG = `
[netlink]
  scan-interval = 1
  linux-vrf = true
  [netlink.import]
    enabled = true
    interface-list = ["blue"]
[[vrfs]]
  [vrfs.config]
    name = "blue"
    rd = "64551:1"
    import-rt-list = ["64551:1"]
    export-rt-list = ["64551:1"]
[[vrfs]]
  [vrfs.config]
    name = "customer-a"
    rd = "64551:100"
    import-rt-list = ["64551:100"]
    export-rt-list = ["64551:100"]
  [vrfs.netlink-import]
    enabled = true
    interface-list = ["a", "c"]
`;

test('linux-vrf mode: ports of a bridge named like a VRF keep their listed VRF; the bridge its own', async (t) => {
  const ns = await createNetns(t);
  await ns.ip('link', 'add', 'name', 'blue', 'type', 'bridge');
  await ns.ip('link', 'set', 'dev', 'blue', 'up');
  await ns.addVeth('a', 'a-p');
  await ns.addVeth('c', 'c-p');
  await ns.ip('link', 'set', 'dev', 'a', 'master', 'blue');
  await ns.addAddress('a', '10.1.0.1/24');
  await ns.addAddress('blue', '10.50.0.1/24');
  await ns.waitOperUp('a');
  const links = await ns.links();
  assert.equal(links.find((l) => l.ifname === 'a')?.master, 'blue', 'a is a port of bridge blue');
  assert.equal(links.find((l) => l.ifname === 'blue')?.kind, 'bridge');

  const d = await runDaemon(t, ns, CONFIG);
  await d.until(has('+ customer-a 10.1.0.0/24 a'), 'the bridge port in the VRF its list names');
  // The bridge has carrier once a port is up; its own address goes by the global list.
  await d.until(has('+ global 10.50.0.0/24 blue'), 'the bridge in the global table');

  // Enslaved and released at run time: nothing moves.
  await ns.waitOperUp('c');
  await ns.addAddress('c', '10.3.0.1/24');
  await d.until(has('+ customer-a 10.3.0.0/24 c'), 'c before it joins the bridge');
  await ns.ip('link', 'set', 'dev', 'c', 'master', 'blue');
  assert.equal((await ns.links()).find((l) => l.ifname === 'c')?.master, 'blue');
  await ns.addAddress('c', '10.4.0.1/24');
  await d.until(has('+ customer-a 10.4.0.0/24 c'), 'an address added while c is a bridge port');
  await ns.ip('link', 'set', 'dev', 'c', 'nomaster');
  await ns.addAddress('c', '10.5.0.1/24');
  await d.until(has('+ customer-a 10.5.0.0/24 c'), 'an address added after c left the bridge');
  await d.daemon.flush();

  const lines = briefs(d.seen);
  assert.deepEqual(
    lines.filter((l) => l.split(' ')[1] === 'blue'),
    [],
    `nothing in VRF blue:\n${lines.join('\n')}`,
  );
  assert.deepEqual(
    lines.filter((l) => l.startsWith('- ')),
    [],
    `nothing vanished:\n${lines.join('\n')}`,
  );
});
