// Linux VRF devices ([netlink] linux-vrf = true). This kernel has no `vrf` link type, so the kernel's
// messages are built here: with the netlink package's own formatter, and once by hand in the layout of
// linux/rtnetlink.h and linux/if_link.h. Both go through the parser the observer uses, then into
// ImportState. Notifications are fed in every order, one per batch (the worst case: every intermediate
// state is journaled), and no intermediate event may put a route in a VRF it does not belong to.
import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import { describe, it } from 'node:test';
import ipaddr from 'ipaddr.js';
import { AttrStream, ifla, rt } from 'netlink';
import { parseConfig } from '../../../src/config/index.js';
import type { RouteEvent } from '../../../src/events/index.js';
import { ImportState } from '../../../src/import/index.js';
import type { Address, KernelChange, Link } from '../../../src/netlink/index.js';
import { parseAddressMessage, parseLinkMessage } from '../../../src/netlink/index.js';

// ---------------------------------------------------------------------------------------------------
// Kernel messages

function bytes(data: Parameters<AttrStream['emit']>[0]): Buffer {
  const out = new AttrStream();
  out.emit(data);
  return Buffer.concat(out.bufs);
}

interface LinkSpec {
  readonly index: number;
  readonly name: string;
  readonly kind?: string;
  /** IFLA_VRF_TABLE, for kind 'vrf'. */
  readonly table?: number;
  /** IFLA_MASTER */
  readonly master?: number;
  readonly up?: boolean;
}

/** RTM_NEWLINK / RTM_DELLINK payload as the kernel sends it, through the package's formatter and parser. */
function kernelLink(spec: LinkSpec): Link {
  const up = spec.up ?? true;
  const attrs: ifla.LinkAttrs = { ifname: spec.name };
  if (spec.master !== undefined) attrs.master = spec.master;
  if (spec.kind !== undefined) {
    const data = spec.table === undefined ? undefined : bytes(ifla.formatVrf({ table: spec.table }));
    attrs.linkinfo = bytes(
      ifla.formatInfo(data === undefined ? { kind: spec.kind } : { kind: spec.kind, data }),
    );
  }
  const out = new AttrStream();
  rt.formatLinkMessage(
    {
      kind: 'link',
      data: {
        index: spec.index,
        flags: {
          ...(up ? { up: true, running: true } : {}),
          ...(spec.kind === 'vrf' ? { master: true } : {}),
          ...(spec.master !== undefined ? { slave: true } : {}),
        },
      },
      attrs,
    },
    out,
  );
  const link = parseLinkMessage(rt.parseLinkMessage(Buffer.concat(out.bufs)));
  assert.ok(link !== undefined, `a link message for ${spec.name}`);
  return link;
}

/** RTM_NEWADDR / RTM_DELADDR payload for CIDR on ifindex, through the package and the observer's parser. */
function kernelAddress(index: number, cidr: string): Address {
  const [text, len] = cidr.split('/');
  const ip = ipaddr.parse(text!);
  const raw = Buffer.from(ip.toByteArray());
  const v4 = ip.kind() === 'ipv4';
  const out = new AttrStream();
  rt.formatAddressMessage(
    {
      kind: 'address',
      data: { family: v4 ? 2 : 10, prefixlen: Number(len), scope: 0, index },
      attrs: v4 ? { address: raw, local: raw } : { address: raw, flags: { permanent: true } },
    },
    out,
  );
  const a = parseAddressMessage(rt.parseAddressMessage(Buffer.concat(out.bufs)));
  assert.ok(a !== undefined, `an address message for ${cidr}`);
  return a;
}

const newLink = (spec: LinkSpec): KernelChange => ({ kind: 'link', op: 'new', link: kernelLink(spec) });
const delLink = (spec: LinkSpec): KernelChange => ({ kind: 'link', op: 'del', link: kernelLink(spec) });
const newAddr = (index: number, cidr: string): KernelChange => ({
  kind: 'address',
  op: 'new',
  address: kernelAddress(index, cidr),
});
const delAddr = (index: number, cidr: string): KernelChange => ({
  kind: 'address',
  op: 'del',
  address: kernelAddress(index, cidr),
});

// The cast: VRF devices blue (10, mapped by name), vrf-red (11, mapped by linux-vrf-device), mgmt (12,
// no VRF takes it), and eth1 (3), a veth that gets enslaved and released.
const BLUE: LinkSpec = { index: 10, name: 'blue', kind: 'vrf', table: 1001 };
const VRF_RED: LinkSpec = { index: 11, name: 'vrf-red', kind: 'vrf', table: 1002 };
const MGMT: LinkSpec = { index: 12, name: 'mgmt', kind: 'vrf', table: 1003 };
const ETH1 = 3;
const eth1 = (master?: number, up = true): LinkSpec => ({
  index: ETH1,
  name: 'eth1',
  kind: 'veth',
  ...(master !== undefined ? { master } : {}),
  up,
});

// ---------------------------------------------------------------------------------------------------
// Config and event helpers

const vrf = (name: string, n: number, extra: string[] = []): string[] => [
  '[[vrfs]]',
  '  [vrfs.config]',
  `    name = "${name}"`,
  `    rd = "64551:${n}"`,
  `    import-rt-list = ["64551:${n}"]`,
  `    export-rt-list = ["64551:${n}"]`,
  ...extra.map((l) => `    ${l}`),
];

/**
 * The trap: `eth*` sends every eth interface to the global table, so a member of a VRF device that is
 * taken for a plain interface (its master unknown, or a bridge taken for a VRF) shows up in global.
 */
function config(opts: { linuxVrf?: boolean; extra?: string[]; vrfs?: string[] } = {}): string {
  return [
    '[netlink]',
    `  linux-vrf = ${opts.linuxVrf ?? true}`,
    '  [netlink.import]',
    '    enabled = true',
    `    interface-list = ["eth*"${(opts.extra ?? []).map((e) => `, "${e}"`).join('')}]`,
    ...vrf('blue', 1),
    ...vrf('red', 2, ['linux-vrf-device = "vrf-red"']),
    ...(opts.vrfs ?? []),
  ].join('\n');
}

function state(text = config()): ImportState {
  const { config: c, warnings } = parseConfig(text);
  // Without linux-vrf the config warns that linux-vrf-device has no effect; with it, nothing to say.
  if (c.netlink.linuxVrf) assert.deepEqual(warnings, []);
  return new ImportState(c);
}

const brief = (events: readonly RouteEvent[]): string[] =>
  events.map((e) =>
    e.type === 'RouteDiscovered'
      ? `+ ${e.vrf || 'global'} ${e.prefix} ${e.interface}`
      : `- ${e.vrf || 'global'} ${e.prefix} ${e.interface} ${e.reason}`,
  );

/** The routes present after a sequence of events ("vrf prefix interface"), checking it is consistent. */
class Live {
  readonly routes = new Set<string>();
  apply(events: readonly RouteEvent[]): void {
    for (const e of events) {
      const key = `${e.vrf || 'global'} ${e.prefix} ${e.interface}`;
      if (e.type === 'RouteDiscovered') {
        assert.ok(!this.routes.has(key), `discovered twice: ${key}`);
        this.routes.add(key);
      } else {
        assert.ok(this.routes.delete(key), `vanished without being there: ${key}`);
      }
    }
  }
  sorted(): string[] {
    return [...this.routes].sort();
  }
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((x, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]),
  );
}

// ---------------------------------------------------------------------------------------------------

void describe('kernel-shaped messages', () => {
  void it('a VRF device and its member, built byte by byte as linux/if_link.h lays them out', () => {
    // struct nlattr: u16 len (header included), u16 type; values padded to 4 bytes; host byte order.
    const le = endianness() === 'LE';
    const attr = (type: number, value: Buffer): Buffer => {
      const head = Buffer.alloc(4);
      head[le ? 'writeUInt16LE' : 'writeUInt16BE'](4 + value.length, 0);
      head[le ? 'writeUInt16LE' : 'writeUInt16BE'](type, 2);
      const pad = Buffer.alloc((4 - (value.length % 4)) % 4);
      return Buffer.concat([head, value, pad]);
    };
    const u32 = (n: number): Buffer => {
      const b = Buffer.alloc(4);
      b[le ? 'writeUInt32LE' : 'writeUInt32BE'](n, 0);
      return b;
    };
    const str = (s: string): Buffer => Buffer.from(`${s}\0`);
    // struct ifinfomsg: family u8, pad u8, type u16, index s32, flags u32, change u32.
    const ifinfomsg = (index: number, flags: number): Buffer => {
      const b = Buffer.alloc(16);
      b[le ? 'writeUInt16LE' : 'writeUInt16BE'](1, 2); // ARPHRD_ETHER
      b[le ? 'writeInt32LE' : 'writeInt32BE'](index, 4);
      b[le ? 'writeUInt32LE' : 'writeUInt32BE'](flags, 8);
      return b;
    };
    const IFF_UP = 0x1;
    const IFF_RUNNING = 0x40;
    const IFF_MASTER = 0x400;
    const IFF_SLAVE = 0x800;
    const [IFLA_IFNAME, IFLA_MASTER, IFLA_LINKINFO] = [3, 10, 18];
    const [IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_INFO_SLAVE_KIND] = [1, 2, 4];
    const IFLA_VRF_TABLE = 1;

    const device = Buffer.concat([
      ifinfomsg(10, IFF_UP | IFF_RUNNING | IFF_MASTER),
      attr(IFLA_IFNAME, str('blue')),
      attr(
        IFLA_LINKINFO,
        Buffer.concat([
          attr(IFLA_INFO_KIND, str('vrf')),
          attr(IFLA_INFO_DATA, attr(IFLA_VRF_TABLE, u32(1001))),
        ]),
      ),
    ]);
    const member = Buffer.concat([
      ifinfomsg(3, IFF_UP | IFF_RUNNING | IFF_SLAVE),
      attr(IFLA_IFNAME, str('eth1')),
      attr(IFLA_MASTER, u32(10)),
      attr(
        IFLA_LINKINFO,
        Buffer.concat([attr(IFLA_INFO_KIND, str('veth')), attr(IFLA_INFO_SLAVE_KIND, str('vrf'))]),
      ),
    ]);
    const d = parseLinkMessage(rt.parseLinkMessage(device));
    const m = parseLinkMessage(rt.parseLinkMessage(member));
    assert.deepEqual(d, kernelLink(BLUE), 'the formatter builds what the kernel sends');
    assert.deepEqual(m, kernelLink(eth1(10)));

    const s = state();
    const events = s.applyKernel([
      { kind: 'snapshot', reason: 'start', links: [m, d], addresses: [kernelAddress(ETH1, '10.1.0.1/24')] },
    ]);
    assert.deepEqual(brief(events), ['+ blue 10.1.0.0/24 eth1']);
  });
});

void describe('notifications in any order', () => {
  void it('device, enslaved member and two addresses: all 24 orders, one per batch, never outside blue', () => {
    const steps = {
      device: newLink(BLUE),
      member: newLink(eth1(BLUE.index)),
      v4: newAddr(ETH1, '10.1.0.1/24'),
      v6: newAddr(ETH1, '2001:db8:1::1/64'),
    };
    const orders = permutations(Object.keys(steps) as (keyof typeof steps)[]);
    assert.equal(orders.length, 24);
    for (const order of orders) {
      const s = state();
      const live = new Live();
      s.applyKernel([{ kind: 'snapshot', reason: 'start', links: [], addresses: [] }]);
      for (const step of order) {
        const events = s.applyKernel([steps[step]]);
        for (const e of events)
          assert.equal(e.vrf, 'blue', `${order.join(' > ')}: after ${step}: ${brief([e]).join('')}`);
        live.apply(events);
        if (!order.slice(0, order.indexOf(step) + 1).includes('device'))
          assert.deepEqual(live.sorted(), [], `${order.join(' > ')}: nothing before the device is known`);
      }
      assert.deepEqual(
        live.sorted(),
        ['blue 10.1.0.0/24 eth1', 'blue 2001:db8:1::/64 eth1'],
        order.join(' > '),
      );
      // The same order in one batch: the same routes, without any intermediate.
      const once = state();
      once.applyKernel([{ kind: 'snapshot', reason: 'start', links: [], addresses: [] }]);
      assert.deepEqual(
        brief(once.applyKernel(order.map((k) => steps[k]))).sort(),
        ['+ blue 10.1.0.0/24 eth1', '+ blue 2001:db8:1::/64 eth1'],
        order.join(' > '),
      );
    }
  });

  void it('device, plain link, master set, address: all 24 orders, each state exactly what the kernel said', () => {
    const steps = {
      device: newLink(BLUE),
      plain: newLink(eth1()),
      enslaved: newLink(eth1(BLUE.index)),
      address: newAddr(ETH1, '10.1.0.1/24'),
    };
    type Step = keyof typeof steps;
    // The rule, stated independently of the implementation: the latest link message says where eth1 is;
    // not enslaved: the eth* glob takes it to global; enslaved: blue once the device is known, else nowhere.
    const expected = (seen: readonly Step[]): string[] => {
      const last = seen.filter((s) => s === 'plain' || s === 'enslaved').at(-1);
      if (!seen.includes('address') || last === undefined) return [];
      if (last === 'plain') return ['global 10.1.0.0/24 eth1'];
      return seen.includes('device') ? ['blue 10.1.0.0/24 eth1'] : [];
    };
    for (const order of permutations(Object.keys(steps) as Step[])) {
      const s = state();
      const live = new Live();
      s.applyKernel([{ kind: 'snapshot', reason: 'start', links: [], addresses: [] }]);
      for (let i = 0; i < order.length; i++) {
        const seen = order.slice(0, i + 1);
        const events = s.applyKernel([steps[order[i]!]]);
        const want = expected(seen);
        for (const e of events.filter((x) => x.type === 'RouteDiscovered'))
          assert.ok(
            want.includes(`${e.vrf || 'global'} ${e.prefix} ${e.interface}`),
            `${seen.join(' > ')}: discovered ${brief([e]).join('')}, expected only ${JSON.stringify(want)}`,
          );
        for (const e of events.filter((x) => x.type === 'RouteVanished'))
          assert.equal(e.type === 'RouteVanished' && e.reason, 'config-changed', seen.join(' > '));
        live.apply(events);
        assert.deepEqual(live.sorted(), want, seen.join(' > '));
      }
    }
  });

  void it('a snapshot listing a member before its VRF device (lower ifindex) imports into the VRF only', () => {
    const s = state();
    const events = s.applyKernel([
      {
        kind: 'snapshot',
        reason: 'start',
        links: [kernelLink(eth1(BLUE.index)), kernelLink(BLUE)],
        addresses: [kernelAddress(ETH1, '10.1.0.1/24'), kernelAddress(BLUE.index, '10.255.0.1/32')],
      },
    ]);
    assert.deepEqual(brief(events), ['+ blue 10.1.0.0/24 eth1']);
  });
});

void describe('enslave, release, move and delete at run time', () => {
  function steady(): { s: ImportState; live: Live } {
    const s = state();
    const live = new Live();
    live.apply(
      s.applyKernel([
        {
          kind: 'snapshot',
          reason: 'start',
          links: [kernelLink(BLUE), kernelLink(VRF_RED), kernelLink(eth1(BLUE.index))],
          addresses: [kernelAddress(ETH1, '10.1.0.1/24')],
        },
      ]),
    );
    assert.deepEqual(live.sorted(), ['blue 10.1.0.0/24 eth1']);
    return { s, live };
  }

  void it('release, enslave to another device, move straight back: vanish then discover, config-changed', () => {
    const { s, live } = steady();
    const step = (c: KernelChange): string[] => {
      const events = s.applyKernel([c]);
      live.apply(events);
      return brief(events);
    };
    assert.deepEqual(step(newLink(eth1())), [
      '- blue 10.1.0.0/24 eth1 config-changed',
      '+ global 10.1.0.0/24 eth1',
    ]);
    // vrf-red is mapped by linux-vrf-device to VRF red.
    assert.deepEqual(step(newLink(eth1(VRF_RED.index))), [
      '- global 10.1.0.0/24 eth1 config-changed',
      '+ red 10.1.0.0/24 eth1',
    ]);
    assert.deepEqual(step(newLink(eth1(BLUE.index))), [
      '- red 10.1.0.0/24 eth1 config-changed',
      '+ blue 10.1.0.0/24 eth1',
    ]);
    // Down and up inside the VRF keep their own reasons.
    assert.deepEqual(step(newLink(eth1(BLUE.index, false))), ['- blue 10.1.0.0/24 eth1 link-down']);
    assert.deepEqual(step(newLink(eth1(BLUE.index))), ['+ blue 10.1.0.0/24 eth1']);
    assert.deepEqual(step(delAddr(ETH1, '10.1.0.1/24')), ['- blue 10.1.0.0/24 eth1 address-removed']);
    assert.deepEqual(step(newAddr(ETH1, '10.1.0.1/24')), ['+ blue 10.1.0.0/24 eth1']);
    assert.deepEqual(step(delLink(eth1(BLUE.index))), ['- blue 10.1.0.0/24 eth1 interface-removed']);
    assert.deepEqual(live.sorted(), []);
  });

  void it('the VRF device deleted while members still name it: they leave the VRF and wait, never global', () => {
    const { s, live } = steady();
    const gone = s.applyKernel([delLink(BLUE)]);
    live.apply(gone);
    assert.deepEqual(brief(gone), ['- blue 10.1.0.0/24 eth1 config-changed']);
    // An address arriving meanwhile still goes nowhere: eth1's master is not known.
    const more = s.applyKernel([newAddr(ETH1, '10.1.1.1/24')]);
    assert.deepEqual(more, []);
    // Then the kernel's word that eth1 has no master any more.
    const released = s.applyKernel([newLink(eth1())]);
    live.apply(released);
    assert.deepEqual(brief(released).sort(), ['+ global 10.1.0.0/24 eth1', '+ global 10.1.1.0/24 eth1']);
  });

  void it('the kernel order on `ip link del` (members released, then the device deleted)', () => {
    const { s, live } = steady();
    const events = s.applyKernel([newLink(eth1()), delLink(BLUE)]);
    live.apply(events);
    assert.deepEqual(brief(events), ['- blue 10.1.0.0/24 eth1 config-changed', '+ global 10.1.0.0/24 eth1']);
  });

  void it('a master ifindex reused by a bridge: the stale member follows its interface list again', () => {
    const { s, live } = steady();
    live.apply(s.applyKernel([delLink(BLUE)]));
    const events = s.applyKernel([newLink({ index: BLUE.index, name: 'br9', kind: 'bridge' })]);
    live.apply(events);
    assert.deepEqual(brief(events), ['+ global 10.1.0.0/24 eth1']);
  });

  void it('a VRF device renamed to a name no VRF takes: its members leave, once told why', () => {
    const { s, live } = steady();
    assert.deepEqual(s.takeNotices(), []);
    const events = s.applyKernel([newLink({ ...BLUE, name: 'green' })]);
    live.apply(events);
    assert.deepEqual(brief(events), ['- blue 10.1.0.0/24 eth1 config-changed']);
    const notices = s.takeNotices();
    assert.deepEqual(
      notices.map((n) => [n.code, n.interface, n.device]),
      [['VRF_DEVICE_UNMAPPED', 'eth1', 'green']],
    );
  });

  void it('a restart into linux-vrf mode moves journaled global paths of VRF members with config-changed', () => {
    const s = state();
    s.loadJournaled([
      { vrf: '', prefix: '10.1.0.0/24', interface: 'eth1', ifindex: ETH1, address: '10.1.0.1' },
    ]);
    const events = s.applyKernel([
      {
        kind: 'snapshot',
        reason: 'start',
        links: [kernelLink(eth1(BLUE.index)), kernelLink(BLUE)],
        addresses: [kernelAddress(ETH1, '10.1.0.1/24')],
      },
    ]);
    assert.deepEqual(brief(events), ['- global 10.1.0.0/24 eth1 config-changed', '+ blue 10.1.0.0/24 eth1']);
  });
});

void describe('what is and is not imported', () => {
  void it('members of a VRF device no configured VRF takes: not imported (not global either), one notice', () => {
    const s = state();
    const events = s.applyKernel([
      {
        kind: 'snapshot',
        reason: 'start',
        links: [
          kernelLink(MGMT),
          kernelLink({ index: 4, name: 'eth2', kind: 'veth', master: MGMT.index }),
          kernelLink({ index: 5, name: 'eth3', kind: 'veth', master: MGMT.index }),
        ],
        addresses: [kernelAddress(4, '192.168.0.1/24'), kernelAddress(5, '192.168.1.1/24')],
      },
    ]);
    assert.deepEqual(events, []);
    const notices = s.takeNotices();
    assert.equal(notices.length, 1, JSON.stringify(notices));
    assert.equal(notices[0]?.code, 'VRF_DEVICE_UNMAPPED');
    assert.equal(notices[0]?.device, 'mgmt');
    assert.match(notices[0]?.message ?? '', /mgmt.*no configured VRF.*not imported/);
    assert.deepEqual(s.applyKernel([newAddr(4, '192.168.2.1/24')]), []);
    assert.deepEqual(s.takeNotices(), [], 'told once');

    // A reload that configures VRF mgmt picks the members up.
    const { config: withMgmt } = parseConfig(config({ vrfs: vrf('mgmt', 3) }));
    assert.deepEqual(brief(s.setConfig(withMgmt)).sort(), [
      '+ mgmt 192.168.0.0/24 eth2',
      '+ mgmt 192.168.1.0/24 eth3',
      '+ mgmt 192.168.2.0/24 eth2',
    ]);
  });

  void it('the VRF device itself and its addresses are never imported, even when listed', () => {
    const s = state(config({ extra: ['blue', 'vrf-*'] }));
    const events = s.applyKernel([
      {
        kind: 'snapshot',
        reason: 'start',
        links: [kernelLink(BLUE), kernelLink(VRF_RED)],
        addresses: [
          kernelAddress(BLUE.index, '10.255.0.1/32'),
          kernelAddress(VRF_RED.index, '10.255.0.2/32'),
        ],
      },
    ]);
    assert.deepEqual(events, []);
    assert.deepEqual(
      s
        .takeNotices()
        .map((n) => [n.code, n.device])
        .sort(),
      [
        ['VRF_DEVICE_LISTED', 'blue'],
        ['VRF_DEVICE_LISTED', 'vrf-red'],
      ],
    );
  });

  void it('a member named exactly for another table goes by its device (told once); without linux-vrf by name', () => {
    const text = config({
      vrfs: vrf('other', 4, [
        '',
        '  [vrfs.netlink-import]',
        '    enabled = true',
        '    interface-list = ["eth1"]',
      ]),
    });
    const kernel: KernelChange = {
      kind: 'snapshot',
      reason: 'start',
      links: [kernelLink(BLUE), kernelLink(eth1(BLUE.index))],
      addresses: [kernelAddress(ETH1, '10.1.0.1/24')],
    };
    // The config itself warns that eth1 is named for "other" and matched by eth* for global.
    const on = new ImportState(parseConfig(text).config);
    assert.deepEqual(brief(on.applyKernel([kernel])), ['+ blue 10.1.0.0/24 eth1']);
    const notices = on.takeNotices();
    assert.equal(notices.length, 1);
    assert.equal(notices[0]?.code, 'VRF_MEMBER_LISTED');
    assert.match(notices[0]?.message ?? '', /eth1 is listed for VRF "other".*VRF "blue" only/);
    assert.deepEqual(on.vrfsOf('eth1'), ['blue']);

    const off = new ImportState(parseConfig(text.replace('linux-vrf = true', 'linux-vrf = false')).config);
    assert.deepEqual(brief(off.applyKernel([kernel])), ['+ other 10.1.0.0/24 eth1'], 'masters are ignored');
    assert.deepEqual(off.takeNotices(), []);
  });

  void it('turning linux-vrf on and off by reload moves members between their device VRF and their lists', () => {
    const s = state(config({ linuxVrf: false }));
    const live = new Live();
    live.apply(
      s.applyKernel([
        {
          kind: 'snapshot',
          reason: 'start',
          links: [kernelLink(BLUE), kernelLink(eth1(BLUE.index))],
          addresses: [kernelAddress(ETH1, '10.1.0.1/24')],
        },
      ]),
    );
    assert.deepEqual(live.sorted(), ['global 10.1.0.0/24 eth1']);
    const on = s.setConfig(parseConfig(config()).config);
    live.apply(on);
    assert.deepEqual(brief(on), ['- global 10.1.0.0/24 eth1 config-changed', '+ blue 10.1.0.0/24 eth1']);
    const off = s.setConfig(parseConfig(config({ linuxVrf: false })).config);
    live.apply(off);
    assert.deepEqual(brief(off), ['- blue 10.1.0.0/24 eth1 config-changed', '+ global 10.1.0.0/24 eth1']);
  });

  void it('bridges are masters but not VRFs: a bridge port keeps its list; a bridge in a VRF feeds the VRF', () => {
    const s = state();
    const br = { index: 20, name: 'br0', kind: 'bridge', master: BLUE.index };
    const events = s.applyKernel([
      {
        kind: 'snapshot',
        reason: 'start',
        links: [
          kernelLink(BLUE),
          kernelLink(br),
          kernelLink({ index: 21, name: 'eth5', kind: 'veth', master: br.index }),
        ],
        addresses: [kernelAddress(20, '10.20.0.1/24'), kernelAddress(21, '10.21.0.1/24')],
      },
    ]);
    assert.deepEqual(brief(events).sort(), ['+ blue 10.20.0.0/24 br0', '+ global 10.21.0.0/24 eth5']);
  });
});
