// A bridge reports its ports' state in AF_BRIDGE link messages on the same multicast group as links
// (linux/if_bridge.h, br_ifinfo_notify). `ip link set dev c nomaster` sends an AF_BRIDGE RTM_DELLINK for
// c, which is still there with its addresses: taken for a deletion, c's routes vanished until the next
// scan. Payloads captured from a 6.18 kernel (ifinfomsg and attributes, without the nlmsghdr): veth c
// (ifindex 4) leaving bridge br0 (ifindex 2).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rt } from 'netlink';
import { parseLinkMessage } from '../../../src/netlink/index.js';

/** RTM_DELLINK, ifi_family AF_BRIDGE (7): "c left bridge br0". */
const BRIDGE_DELLINK_C =
  '07000100040000000310000000000000060003006300000008000a000200000008000400dc05000005001000030000000a00' +
  '0100a230e292b24f00000800050003000000';

/** RTM_NEWLINK, ifi_family AF_BRIDGE (7): c's port state in br0 (IFLA_PROTINFO), sent as it joins. */
const BRIDGE_NEWLINK_C =
  '07000100040000000310000000000000060003006300000008000a000200000008000400dc05000005001000030000000a00' +
  '0100a230e292b24f0000080005000300000050010c80050001000000000006000200200000000800030002000000050004' +
  '000000000005000500000000000500060000000000050007000000000005001c000000000005000800010000000500090001' +
  '00000005001b000100000005001e000100000005000a000000000005000c00000000000c000d008000a230e292b24f0c000e' +
  '008000a230e292b24f06000f00018000000600100000000000060011000180000006001200010000000500130000000000' +
  '050014000000000005001d000000000006001f000000000005002000000000000500230000000000050024000000000005' +
  '002100000000000500270000000000050028000000000005002b00000000000c00150000000000000000000c0016000000' +
  '0000000000000c0017000000000000000000050019000100000008002500000200000800260000000000080029000000000' +
  '008002a0000000000';

test('AF_BRIDGE link messages about bridge ports are not link state, so never a deletion', () => {
  for (const hex of [BRIDGE_DELLINK_C, BRIDGE_NEWLINK_C]) {
    const payload = Buffer.from(hex, 'hex');
    assert.equal(payload[0], 7, 'AF_BRIDGE');
    assert.equal(parseLinkMessage(rt.parseLinkMessage(payload)), undefined);
    // The family alone decides: the same bytes as AF_UNSPEC read as link c, a port of ifindex 2.
    const unspec = Buffer.from(payload);
    unspec[0] = 0;
    const link = parseLinkMessage(rt.parseLinkMessage(unspec));
    assert.equal(link?.name, 'c');
    assert.equal(link?.index, 4);
    assert.equal(link?.master, 2);
  }
});
