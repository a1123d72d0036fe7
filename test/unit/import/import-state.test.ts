import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/index.js';
import { ImportState } from '../../../src/import/index.js';
import type { RouteEvent } from '../../../src/events/index.js';
import type { Address, KernelChange, Link } from '../../../src/netlink/index.js';

const HYBRID = `
[netlink]
  [netlink.import]
    enabled = true
    interface-list = ["kubelb0"]
[[vrfs]]
  [vrfs.config]
    name = "customer-a"
    rd = "64551:100"
    import-rt-list = ["64551:100"]
    export-rt-list = ["64551:100"]
  [vrfs.netlink-import]
    enabled = true
    interface-list = ["eth1", "eth2"]
[[vrfs]]
  [vrfs.config]
    name = "customer-b"
    rd = "64551:200"
    import-rt-list = ["64551:200"]
    export-rt-list = ["64551:200"]
  [vrfs.netlink-import]
    enabled = true
    interface-list = ["eth2", "tenant-*"]
`;

const link = (index: number, name: string, up = true): Link => ({
  index,
  name,
  up,
  adminUp: up,
  master: undefined,
  kind: 'veth',
  vrfTable: undefined,
});
const addr = (index: number, cidr: string, flags: Partial<Address> = {}): Address => {
  const [address, len] = cidr.split('/');
  return {
    index,
    family: address!.includes(':') ? 'ipv6' : 'ipv4',
    address: address!,
    prefixLength: Number(len),
    scope: 0,
    tentative: false,
    dadFailed: false,
    ...flags,
  };
};
const snap = (links: Link[], addresses: Address[], reason: 'start' | 'scan' = 'start'): KernelChange => ({
  kind: 'snapshot',
  reason,
  links,
  addresses,
});
const brief = (events: RouteEvent[]): string[] =>
  events.map((e) =>
    e.type === 'RouteDiscovered'
      ? `+ ${e.vrf || 'global'} ${e.prefix} ${e.interface}`
      : `- ${e.vrf || 'global'} ${e.prefix} ${e.interface} ${e.reason}`,
  );

function hybrid(): ImportState {
  return new ImportState(parseConfig(HYBRID).config);
}

test('the hybrid config sends each interface to its VRF; an interface in two VRFs goes to both', () => {
  const s = hybrid();
  const ev = s.applyKernel([
    snap(
      [link(1, 'lo'), link(2, 'kubelb0'), link(3, 'eth1'), link(4, 'eth2'), link(5, 'eth9')],
      [
        addr(1, '127.0.0.1/8'),
        addr(2, '192.0.2.10/32'),
        addr(3, '10.1.0.1/24'),
        addr(4, '10.2.0.1/24'),
        addr(5, '10.9.0.1/24'),
      ],
    ),
  ]);
  assert.deepEqual(brief(ev).sort(), [
    '+ customer-a 10.1.0.0/24 eth1',
    '+ customer-a 10.2.0.0/24 eth2',
    '+ customer-b 10.2.0.0/24 eth2',
    '+ global 192.0.2.10/32 kubelb0',
  ]);
});

test('link-local, loopback, tentative and DAD-failed addresses never become routes', () => {
  const s = hybrid();
  const ev = s.applyKernel([
    snap(
      [link(3, 'eth1')],
      [
        addr(3, 'fe80::1/64'),
        addr(3, '169.254.0.5/16'),
        addr(3, '2001:db8:1::1/64', { tentative: true }),
        addr(3, '2001:db8:2::1/64', { dadFailed: true }),
        addr(3, '224.0.0.1/32'),
      ],
    ),
  ]);
  assert.deepEqual(ev, []);
  const later = s.applyKernel([{ kind: 'address', op: 'new', address: addr(3, '2001:db8:1::1/64') }]);
  assert.deepEqual(brief(later), ['+ customer-a 2001:db8:1::/64 eth1'], 'imported once DAD completes');
});

test('link down withdraws with link-down, up brings the routes back', () => {
  const s = hybrid();
  s.applyKernel([snap([link(3, 'eth1')], [addr(3, '10.1.0.1/24'), addr(3, '2001:db8::1/64')])]);
  const down = s.applyKernel([{ kind: 'link', op: 'new', link: link(3, 'eth1', false) }]);
  assert.deepEqual(brief(down).sort(), [
    '- customer-a 10.1.0.0/24 eth1 link-down',
    '- customer-a 2001:db8::/64 eth1 link-down',
  ]);
  const up = s.applyKernel([{ kind: 'link', op: 'new', link: link(3, 'eth1', true) }]);
  assert.deepEqual(brief(up).sort(), ['+ customer-a 10.1.0.0/24 eth1', '+ customer-a 2001:db8::/64 eth1']);
});

test('address removal, interface deletion, rename away and re-creation each give their reason', () => {
  const s = hybrid();
  s.applyKernel([
    snap(
      [link(3, 'eth1'), link(4, 'eth2')],
      [addr(3, '10.1.0.1/24'), addr(3, '10.1.1.1/24'), addr(4, '10.2.0.1/24')],
    ),
  ]);
  assert.deepEqual(brief(s.applyKernel([{ kind: 'address', op: 'del', address: addr(3, '10.1.1.1/24') }])), [
    '- customer-a 10.1.1.0/24 eth1 address-removed',
  ]);
  assert.deepEqual(brief(s.applyKernel([{ kind: 'link', op: 'del', link: link(3, 'eth1') }])), [
    '- customer-a 10.1.0.0/24 eth1 interface-removed',
  ]);
  // eth2 renamed to eth7 (not configured): its routes vanish.
  assert.deepEqual(brief(s.applyKernel([{ kind: 'link', op: 'new', link: link(4, 'eth7') }])).sort(), [
    '- customer-a 10.2.0.0/24 eth2 interface-removed',
    '- customer-b 10.2.0.0/24 eth2 interface-removed',
  ]);
  // eth1 re-created with a new ifindex: waited for, imported again.
  assert.deepEqual(
    brief(
      s.applyKernel([
        { kind: 'link', op: 'new', link: link(8, 'eth1') },
        { kind: 'address', op: 'new', address: addr(8, '10.1.0.1/24') },
      ]),
    ),
    ['+ customer-a 10.1.0.0/24 eth1'],
  );
});

test('an interface deleted and re-created within one batch is a vanish and a rediscovery, not silence', () => {
  const s = hybrid();
  s.applyKernel([snap([link(3, 'eth1')], [addr(3, '10.1.0.1/24')])]);
  const ev = s.applyKernel([
    { kind: 'link', op: 'del', link: link(3, 'eth1') },
    { kind: 'link', op: 'new', link: link(9, 'eth1') },
    { kind: 'address', op: 'new', address: addr(9, '10.1.0.1/24') },
  ]);
  assert.deepEqual(brief(ev), [
    '- customer-a 10.1.0.0/24 eth1 interface-removed',
    '+ customer-a 10.1.0.0/24 eth1',
  ]);
});

test('two addresses giving one prefix: one path, vanishing with the last address', () => {
  const s = hybrid();
  const ev = s.applyKernel([snap([link(3, 'eth1')], [addr(3, '10.1.0.7/24'), addr(3, '10.1.0.1/24')])]);
  assert.equal(ev.length, 1);
  assert.equal(ev[0]?.type === 'RouteDiscovered' && ev[0].address, '10.1.0.1');
  assert.deepEqual(s.applyKernel([{ kind: 'address', op: 'del', address: addr(3, '10.1.0.1/24') }]), []);
  assert.deepEqual(brief(s.applyKernel([{ kind: 'address', op: 'del', address: addr(3, '10.1.0.7/24') }])), [
    '- customer-a 10.1.0.0/24 eth1 address-removed',
  ]);
});

test('globs match interfaces that appear later', () => {
  const s = hybrid();
  s.applyKernel([snap([], [])]);
  const ev = s.applyKernel([
    { kind: 'link', op: 'new', link: link(20, 'tenant-x') },
    { kind: 'address', op: 'new', address: addr(20, '10.20.0.1/24') },
  ]);
  assert.deepEqual(brief(ev), ['+ customer-b 10.20.0.0/24 tenant-x']);
});

test('restart: journaled paths that are still there cause no event; gone ones vanish with reconcile', () => {
  const s = hybrid();
  s.loadJournaled([
    { vrf: 'customer-a', prefix: '10.1.0.0/24', interface: 'eth1', ifindex: 3, address: '10.1.0.1' },
    { vrf: 'customer-a', prefix: '10.1.5.0/24', interface: 'eth1', ifindex: 3, address: '10.1.5.1' },
    { vrf: 'customer-a', prefix: '10.3.0.0/24', interface: 'eth3', ifindex: 6, address: '10.3.0.1' },
  ]);
  const ev = s.applyKernel([
    snap([link(3, 'eth1'), link(4, 'eth2')], [addr(3, '10.1.0.1/24'), addr(4, '10.2.0.1/24')]),
  ]);
  assert.deepEqual(brief(ev).sort(), [
    '+ customer-a 10.2.0.0/24 eth2',
    '+ customer-b 10.2.0.0/24 eth2',
    '- customer-a 10.1.5.0/24 eth1 reconcile',
    '- customer-a 10.3.0.0/24 eth3 config-changed',
  ]);
  assert.deepEqual(
    s.applyKernel([
      snap([link(3, 'eth1'), link(4, 'eth2')], [addr(3, '10.1.0.1/24'), addr(4, '10.2.0.1/24')], 'scan'),
    ]),
    [],
  );
});

test('a new config moves interfaces between VRFs with config-changed', () => {
  const s = hybrid();
  s.applyKernel([snap([link(3, 'eth1')], [addr(3, '10.1.0.1/24')])]);
  const moved = parseConfig(
    HYBRID.replace('interface-list = ["eth1", "eth2"]', 'interface-list = ["eth2"]').replace(
      '"eth2", "tenant-*"',
      '"eth1"',
    ),
  ).config;
  assert.deepEqual(brief(s.setConfig(moved)), [
    '- customer-a 10.1.0.0/24 eth1 config-changed',
    '+ customer-b 10.1.0.0/24 eth1',
  ]);
});

// Issue 10.5: a scan's dump and the notifications that raced with it come from two sockets, so the
// dump may show an address before or after a change its notification reports. The notifications decide
// what they touch; the scan corrects only what nothing spoke about.
test('a scan racing with notifications: each change keeps its own reason, and only real drift is a correction', () => {
  const s = hybrid();
  s.applyKernel([snap([link(3, 'eth1')], [addr(3, '10.1.0.1/24'), addr(3, '10.1.1.1/24')])]);
  const del = (a: Address): KernelChange => ({ kind: 'address', op: 'del', address: a });
  const add = (a: Address): KernelChange => ({ kind: 'address', op: 'new', address: a });
  // The dump no longer shows 10.1.0.1 (removed before it was read), the dump still shows 10.1.1.1
  // (removed after), and shows 10.1.2.1 that was added meanwhile: their notifications follow it.
  const ev = s.applyKernel([
    snap([link(3, 'eth1')], [addr(3, '10.1.1.1/24'), addr(3, '10.1.2.1/24')], 'scan'),
    del(addr(3, '10.1.0.1/24')),
    del(addr(3, '10.1.1.1/24')),
    add(addr(3, '10.1.2.1/24')),
  ]);
  assert.deepEqual(brief(ev), [
    '- customer-a 10.1.0.0/24 eth1 address-removed',
    '- customer-a 10.1.1.0/24 eth1 address-removed',
    '+ customer-a 10.1.2.0/24 eth1',
  ]);
  assert.equal(s.lastCorrections, 0, 'nothing the scan found was news');
  // An address gone without a word (a lost notification) is drift: the scan corrects it.
  s.applyKernel([add(addr(3, '10.1.3.1/24'))]);
  const drift = s.applyKernel([snap([link(3, 'eth1')], [addr(3, '10.1.2.1/24')], 'scan')]);
  assert.deepEqual(brief(drift), ['- customer-a 10.1.3.0/24 eth1 reconcile']);
  assert.equal(s.lastCorrections, 1);
});

test('a scan of an unchanged kernel causes no event; a changed address on an unchanged link is found', () => {
  const s = hybrid();
  const links = [link(3, 'eth1'), link(4, 'eth2')];
  const addrs = [addr(3, '10.1.0.1/24'), addr(4, '10.2.0.1/24'), addr(4, '2001:db8::1/64')];
  assert.equal(s.applyKernel([snap(links, addrs)]).length, 5);
  assert.deepEqual(s.applyKernel([snap(links, addrs, 'scan')]), []);
  // The same address turning tentative (DAD restarted) withdraws its route.
  const tentative = [addrs[0]!, addrs[1]!, addr(4, '2001:db8::1/64', { tentative: true })];
  assert.deepEqual(brief(s.applyKernel([snap(links, tentative, 'scan')])).sort(), [
    '- customer-a 2001:db8::/64 eth2 reconcile',
    '- customer-b 2001:db8::/64 eth2 reconcile',
  ]);
  // A link missing from a scan takes its routes with it; one going down in it too.
  assert.deepEqual(brief(s.applyKernel([snap([link(3, 'eth1', false)], tentative, 'scan')])).sort(), [
    '- customer-a 10.1.0.0/24 eth1 reconcile',
    '- customer-a 10.2.0.0/24 eth2 reconcile',
    '- customer-b 10.2.0.0/24 eth2 reconcile',
  ]);
});

test('address changes on a busy interface: only the touched prefix moves, with the right reason', () => {
  const s = hybrid();
  const many = Array.from({ length: 250 }, (_, i) => addr(3, `10.1.${i}.1/24`));
  assert.equal(s.applyKernel([snap([link(3, 'eth1')], many)]).length, 250);
  const ch = (op: 'new' | 'del', a: Address): KernelChange => ({ kind: 'address', op, address: a });
  // A second address giving 10.1.7.0/24, then the first one removed: the path stays.
  assert.deepEqual(s.applyKernel([ch('new', addr(3, '10.1.7.9/24'))]), []);
  assert.deepEqual(s.applyKernel([ch('del', addr(3, '10.1.7.1/24'))]), []);
  assert.deepEqual(brief(s.applyKernel([ch('del', addr(3, '10.1.7.9/24'))])), [
    '- customer-a 10.1.7.0/24 eth1 address-removed',
  ]);
  // An address turning tentative withdraws its prefix; valid again, it comes back.
  assert.deepEqual(brief(s.applyKernel([ch('new', addr(3, '10.1.8.1/24', { tentative: true }))])), [
    '- customer-a 10.1.8.0/24 eth1 address-removed',
  ]);
  assert.deepEqual(brief(s.applyKernel([ch('new', addr(3, '10.1.8.1/24'))])), [
    '+ customer-a 10.1.8.0/24 eth1',
  ]);
  // The link going down in the same batch as an address change: the whole interface, one reason each.
  const ev = s.applyKernel([
    ch('del', addr(3, '10.1.9.1/24')),
    { kind: 'link', op: 'new', link: link(3, 'eth1', false) },
  ]);
  assert.equal(ev.length, 249, 'every prefix left, 10.1.9.0/24 included, vanishes as link-down');
  assert.ok(ev.every((e) => e.type === 'RouteVanished' && e.reason === 'link-down'));
});

test("a periodic scan's delta corrects only what it names; before any whole snapshot it is ignored", () => {
  const delta = (
    links: Link[],
    addresses: Address[],
    goneLinks: number[],
    gone: Address[],
  ): KernelChange => ({
    kind: 'snapshot',
    reason: 'scan',
    links,
    addresses,
    gone: { links: goneLinks, addresses: gone },
  });
  const s = hybrid();
  // A state rebuilt from the journal has no kernel view yet: a delta would read as "nothing there".
  s.loadJournaled([
    { vrf: 'customer-a', prefix: '10.1.0.0/24', interface: 'eth1', ifindex: 3, address: '10.1.0.1' },
  ]);
  assert.deepEqual(s.applyKernel([delta([link(3, 'eth1', false)], [], [], [])]), []);
  const links = [link(3, 'eth1'), link(4, 'eth2')];
  const addrs = [addr(3, '10.1.0.1/24'), addr(4, '10.2.0.1/24')];
  assert.deepEqual(brief(s.applyKernel([snap(links, addrs)])).sort(), [
    '+ customer-a 10.2.0.0/24 eth2',
    '+ customer-b 10.2.0.0/24 eth2',
  ]);
  assert.deepEqual(s.applyKernel([delta([], [], [], [])]), [], 'an empty delta: nothing changed');
  assert.deepEqual(brief(s.applyKernel([delta([], [addr(3, '10.1.1.1/24')], [], [addrs[0]!])])).sort(), [
    '+ customer-a 10.1.1.0/24 eth1',
    '- customer-a 10.1.0.0/24 eth1 reconcile',
  ]);
  assert.deepEqual(brief(s.applyKernel([delta([], [], [4], [])])).sort(), [
    '- customer-a 10.2.0.0/24 eth2 reconcile',
    '- customer-b 10.2.0.0/24 eth2 reconcile',
  ]);
});
