// The import mapping: kernel shapes + config -> RouteDiscovered / RouteVanished. Pure state machine:
// no sockets, no clock, no journal. It keeps the kernel's links and addresses and the paths already
// journaled, and on each change recomputes only the interfaces the change touched.
//
// Linux VRF devices (`[netlink] linux-vrf = true`): an interface whose master is a link of kind 'vrf'
// goes to the configured VRF mapped from that device (VrfAssignment.vrfOfDevice), whatever the interface
// lists say; other interfaces (no master, or a bridge / bond master) keep their name-based assignment.
// Notifications may come in any order (a member before its VRF device, an address before its link's
// master): an interface whose master is not known yet is imported nowhere until it is, so that a route
// never lands in a VRF it does not belong to, even for a moment (the FRR #18041 class of bug). Members
// of a VRF device that no configured VRF takes are not imported; the VRF devices themselves never are.
import type { Config } from '../config/index.js';
import type { RouteDiscovered, RouteEvent, RouteVanished, VanishReason } from '../events/index.js';
import { sameAddress, sameLink, type Address, type KernelChange, type Link } from '../netlink/index.js';
import { familyOf } from '../shared/index.js';
import { VrfAssignment } from './assignment.js';
import { connectedPrefix } from './connected.js';

/** A path as the importer tracks it: identity (vrf, prefix, interface). */
export interface ImportedPath {
  readonly vrf: string;
  readonly prefix: string;
  readonly interface: string;
  readonly ifindex: number;
  readonly address: string;
}

/**
 * The key of (vrf, prefix) in an interface's paths. In the global table (the usual case) it is the
 * prefix itself, the string the path already holds: a built key is a concatenated string of its own
 * (~12 MB per 100k paths). No VRF name or prefix contains NUL, so the two forms cannot collide.
 */
function pathKey(vrf: string, prefix: string): string {
  return vrf === '' ? prefix : `${vrf}\u0000${prefix}`;
}

function addressKey(a: Address): string {
  return `${a.address}/${a.prefixLength}`;
}

/**
 * An address the kernel view holds, with its connected prefix derived once (when it was first seen or
 * changed), and the scan that last confirmed it: a scan that finds it unchanged costs one lookup.
 */
interface AddressEntry {
  address: Address;
  readonly prefix: string | undefined;
  seen: number;
}

/**
 * What a batch of changes may have changed: whole interfaces (a link changed, or the config), or only
 * some prefixes of an interface (its addresses changed). An address change on an interface with 1000
 * addresses recomputes its one prefix, not the interface.
 */
class Dirty {
  readonly links = new Set<string>();
  readonly prefixes = new Map<string, Set<string>>();

  static of(names: Iterable<string>): Dirty {
    const d = new Dirty();
    for (const n of names) d.links.add(n);
    return d;
  }

  get size(): number {
    return this.links.size + this.prefixes.size;
  }

  add(name: string): void {
    this.links.add(name);
  }

  addPrefix(name: string, prefix: string | undefined): void {
    if (prefix === undefined || this.links.has(name)) return;
    let set = this.prefixes.get(name);
    if (set === undefined) this.prefixes.set(name, (set = new Set()));
    set.add(prefix);
  }
}

/**
 * The addresses of one link, by prefix length then text: looking one up builds no key string (a scan
 * of 100k addresses does 100k lookups).
 */
class LinkAddresses {
  private readonly byLength = new Map<number, Map<string, AddressEntry>>();
  /**
   * The addresses giving each connected prefix: the entry itself when one does (nearly always; an
   * array of one per prefix was ~5 MiB of the daemon's heap with 100k addresses), else an array.
   */
  private readonly byPrefix = new Map<string, AddressEntry | AddressEntry[]>();
  size = 0;

  get(a: Address): AddressEntry | undefined {
    return this.byLength.get(a.prefixLength)?.get(a.address);
  }

  /** Adds or replaces; returns the entry replaced. */
  set(entry: AddressEntry): AddressEntry | undefined {
    const a = entry.address;
    let m = this.byLength.get(a.prefixLength);
    if (m === undefined) {
      m = new Map();
      this.byLength.set(a.prefixLength, m);
    }
    const old = m.get(a.address);
    m.set(a.address, entry);
    if (old === undefined) this.size++;
    else this.unlink(old);
    if (entry.prefix !== undefined) {
      const given = this.byPrefix.get(entry.prefix);
      if (given === undefined) this.byPrefix.set(entry.prefix, entry);
      else if (Array.isArray(given)) given.push(entry);
      else this.byPrefix.set(entry.prefix, [given, entry]);
    }
    return old;
  }

  /** Removes; returns the entry removed. */
  delete(a: Address): AddressEntry | undefined {
    const m = this.byLength.get(a.prefixLength);
    const old = m?.get(a.address);
    if (m === undefined || old === undefined) return undefined;
    m.delete(a.address);
    this.size--;
    if (m.size === 0) this.byLength.delete(a.prefixLength);
    this.unlink(old);
    return old;
  }

  /** The lowest address (as text) giving `prefix`, if any does. */
  addressOf(prefix: string): string | undefined {
    const given = this.byPrefix.get(prefix);
    if (given === undefined || !Array.isArray(given)) return given?.address.address;
    let best: string | undefined;
    for (const e of given) {
      if (best === undefined || e.address.address < best) best = e.address.address;
    }
    return best;
  }

  /** Every connected prefix with the lowest address giving it. */
  *prefixes(): IterableIterator<[string, string]> {
    for (const prefix of this.byPrefix.keys()) yield [prefix, this.addressOf(prefix)!];
  }

  *values(): IterableIterator<AddressEntry> {
    for (const m of this.byLength.values()) yield* m.values();
  }

  private unlink(entry: AddressEntry): void {
    if (entry.prefix === undefined) return;
    const given = this.byPrefix.get(entry.prefix);
    if (given === entry) this.byPrefix.delete(entry.prefix);
    if (given === undefined || !Array.isArray(given)) return;
    const at = given.indexOf(entry);
    if (at >= 0) given.splice(at, 1);
    if (given.length === 1) this.byPrefix.set(entry.prefix, given[0]!);
    else if (given.length === 0) this.byPrefix.delete(entry.prefix);
  }
}

/**
 * What the notifications after a snapshot (in the same batch) touch. The observer's dump and its
 * notifications come from two sockets, so a snapshot is not a picture of one instant: a notification
 * that raced with the dump may be older or newer than what the dump shows of the same address. For
 * those addresses (and whole links) the notifications decide, applied in order after the snapshot;
 * the snapshot corrects only what no notification spoke about meanwhile.
 */
interface Raced {
  readonly links: ReadonlySet<number>;
  /** `${ifindex} ${address}/${prefixLength}` */
  readonly addresses: ReadonlySet<string>;
}

function racedAfter(changes: readonly KernelChange[], at: number): Raced {
  const links = new Set<number>();
  const addresses = new Set<string>();
  for (let i = at + 1; i < changes.length; i++) {
    const c = changes[i]!;
    if (c.kind === 'link') links.add(c.link.index);
    else if (c.kind === 'address') addresses.add(`${c.address.index} ${addressKey(c.address)}`);
  }
  return { links, addresses };
}

/** Why diffs are computed: live changes get their cause as reason; reconciles get 'reconcile'. */
type DiffMode = 'live' | 'reconcile';

/** Something about the kernel's VRF devices worth telling the operator once (the caller logs it). */
export interface ImportNotice {
  /**
   * VRF_DEVICE_UNMAPPED: members of a Linux VRF device that no configured VRF takes are not imported.
   * VRF_MEMBER_LISTED: an interface list names a VRF member exactly for another table; the device decides.
   * VRF_DEVICE_LISTED: an interface list names a VRF device itself; its addresses are not imported.
   */
  readonly code: 'VRF_DEVICE_UNMAPPED' | 'VRF_MEMBER_LISTED' | 'VRF_DEVICE_LISTED';
  readonly interface: string;
  /** The Linux VRF device. */
  readonly device: string;
  /** The VRF the device maps to, when it maps to one. */
  readonly vrf?: string;
  readonly message: string;
}

function tableName(vrf: string): string {
  return vrf === '' ? 'the global table' : `VRF "${vrf}"`;
}

export class ImportState {
  private readonly links = new Map<number, Link>();
  private readonly addresses = new Map<number, LinkAddresses>();
  private readonly indexByName = new Map<string, number>();
  /** Journaled paths by interface name, then by (vrf, prefix). */
  private readonly current = new Map<string, Map<string, ImportedPath>>();
  /** ifindex of a master -> ifindexes of the links that name it as master (known or not yet). */
  private readonly members = new Map<number, Set<number>>();
  private assignment: VrfAssignment;
  private readonly notices: ImportNotice[] = [];
  /** Notices already given under the current config. */
  private readonly noticed = new Set<string>();
  /** Counts snapshots; an address entry whose `seen` lags behind was not in the last one. */
  private scans = 0;
  /**
   * Set while `current` may disagree with the kernel view for interfaces no change touches (journaled
   * paths loaded after a replay): the next snapshot then compares every interface, not only changed ones.
   */
  private fullDiff = true;
  /** Whether a whole snapshot was applied: a delta is the difference from one. */
  private based = false;
  private corrections = 0;

  constructor(config: Config) {
    this.assignment = new VrfAssignment(config);
  }

  /** Seeds the journaled paths (from the RIB after replay). */
  loadJournaled(paths: Iterable<ImportedPath>): void {
    for (const p of paths) this.remember(p);
    this.fullDiff = true;
  }

  /** Route events of the last applyKernel that were snapshot corrections (reconcile), not live changes. */
  get lastCorrections(): number {
    return this.corrections;
  }

  /** Paths currently journaled as present. */
  *journaled(): IterableIterator<ImportedPath> {
    for (const byKey of this.current.values()) yield* byKey.values();
  }

  /**
   * The VRFs the routes of interface `name` are imported into now: by its Linux VRF device in linux-vrf
   * mode, else (or for an interface not known yet) by the interface lists.
   */
  vrfsOf(name: string): readonly string[] {
    const index = this.indexByName.get(name);
    const link = index === undefined ? undefined : this.links.get(index);
    return link === undefined ? this.assignment.vrfsOf(name) : this.vrfsOfLink(link);
  }

  /** Notices gathered since the last call (each given once per config), for the caller to log. */
  takeNotices(): ImportNotice[] {
    return this.notices.splice(0);
  }

  /**
   * Applies kernel changes and returns the route events they cause. A snapshot replaces the kernel view
   * and is a reconcile: what it corrects vanishes with reason 'reconcile'. Only what differs from the
   * view held is recomputed, and notifications that follow a snapshot decide what they touch (Raced).
   */
  applyKernel(changes: readonly KernelChange[]): RouteEvent[] {
    let dirty = new Dirty();
    const events: RouteEvent[] = [];
    this.corrections = 0;
    for (let i = 0; i < changes.length; i++) {
      const c = changes[i]!;
      switch (c.kind) {
        case 'snapshot': {
          // Live changes before the snapshot keep their reasons; then the snapshot's corrections.
          if (dirty.size > 0) events.push(...this.diff(dirty, 'live'));
          dirty = new Dirty();
          if (c.gone === undefined) this.applySnapshot(c, racedAfter(changes, i), dirty);
          // A delta needs the whole view it is the difference from (a state rebuilt after refused
          // appends has none until the whole scan it asks for): without one it would drop paths.
          else if (this.based) this.applyDelta(c, c.gone, racedAfter(changes, i), dirty);
          else break;
          if (this.fullDiff) {
            for (const name of this.indexByName.keys()) dirty.add(name);
            for (const name of this.current.keys()) dirty.add(name);
            this.fullDiff = false;
          }
          const corrected = this.diff(dirty, 'reconcile');
          this.corrections += corrected.length;
          events.push(...corrected);
          dirty = new Dirty();
          break;
        }
        case 'link': {
          if (c.op === 'del') {
            this.deleteLink(c.link.index, dirty);
            break;
          }
          // The kernel repeats RTM_NEWLINK for changes we do not track: nothing to recompute then.
          const old = this.links.get(c.link.index);
          if (old === undefined || !sameLink(old, c.link)) this.setLink(c.link, dirty);
          break;
        }
        case 'address':
          if (c.op === 'new') this.setAddress(c.address, dirty, this.scans, c.octets);
          else this.deleteAddress(c.address, dirty);
          break;
        default: {
          const never: never = c;
          throw new TypeError(`unhandled kernel change ${JSON.stringify(never)}`);
        }
      }
    }
    if (dirty.size > 0) events.push(...this.diff(dirty, 'live'));
    return events;
  }

  /**
   * A periodic scan sent as its difference from the observer's previous dump: only what it names
   * changes (the observer left out what notifications touched during the dump).
   */
  private applyDelta(
    snap: Extract<KernelChange, { kind: 'snapshot' }>,
    gone: NonNullable<Extract<KernelChange, { kind: 'snapshot' }>['gone']>,
    raced: Raced,
    dirty: Dirty,
  ): void {
    for (const l of snap.links) {
      if (raced.links.has(l.index)) continue;
      const old = this.links.get(l.index);
      if (old === undefined || !sameLink(old, l)) this.setLink(l, dirty);
    }
    for (const index of gone.links) if (!raced.links.has(index)) this.deleteLink(index, dirty);
    const isRaced = (a: Address): boolean =>
      raced.links.has(a.index) || raced.addresses.has(`${a.index} ${addressKey(a)}`);
    for (const a of snap.addresses) {
      if (isRaced(a)) continue;
      const entry = this.addresses.get(a.index)?.get(a);
      if (entry !== undefined && sameAddress(entry.address, a)) continue;
      this.setAddress(a, dirty);
    }
    for (const a of gone.addresses) if (!isRaced(a)) this.deleteAddress(a, dirty);
  }

  /** Brings the kernel view to `snap` by difference, leaving what `raced` names as it is. */
  private applySnapshot(snap: Extract<KernelChange, { kind: 'snapshot' }>, raced: Raced, dirty: Dirty): void {
    this.based = true;
    const scan = ++this.scans;
    const inSnapshot = new Set<number>();
    for (const l of snap.links) {
      inSnapshot.add(l.index);
      if (raced.links.has(l.index)) continue;
      const old = this.links.get(l.index);
      if (old === undefined || !sameLink(old, l)) this.setLink(l, dirty);
    }
    for (const index of [...this.links.keys()]) {
      if (!inSnapshot.has(index) && !raced.links.has(index)) this.deleteLink(index, dirty);
    }
    let index = -1;
    let table: LinkAddresses | undefined;
    let racedLink = false;
    let confirmed = 0;
    // The kernel dumps addresses grouped by link: look the link up once per group.
    for (const a of snap.addresses) {
      if (a.index !== index) {
        index = a.index;
        table = this.addresses.get(index);
        racedLink = raced.links.has(index);
      }
      if (racedLink) continue;
      const entry = table?.get(a);
      if (entry !== undefined && sameAddress(entry.address, a)) {
        entry.seen = scan;
        confirmed++;
        continue;
      }
      if (raced.addresses.size > 0 && raced.addresses.has(`${index} ${addressKey(a)}`)) continue;
      this.setAddress(a, dirty, scan);
      confirmed += entry === undefined ? 1 : 0;
      table = this.addresses.get(index);
    }
    // Gone from the kernel (and not spoken about by a notification meanwhile). When every address held
    // was confirmed or replaced by this snapshot, none is gone: skip the sweep.
    let held = 0;
    for (const t of this.addresses.values()) held += t.size;
    if (held === confirmed) return;
    for (const [i, t] of this.addresses) {
      if (raced.links.has(i)) continue;
      for (const entry of [...t.values()]) {
        if (entry.seen === scan) continue;
        const a = entry.address;
        if (raced.addresses.size > 0 && raced.addresses.has(`${i} ${addressKey(a)}`)) continue;
        this.deleteAddress(a, dirty);
      }
    }
  }

  /** Switches to a new config; routes of interfaces that leave a VRF vanish with 'config-changed'. */
  setConfig(config: Config): RouteEvent[] {
    this.assignment = new VrfAssignment(config);
    this.noticed.clear();
    return this.diff(Dirty.of([...this.indexByName.keys(), ...this.current.keys()]), 'live');
  }

  /** Recomputes every interface against the kernel view held now (a reconcile without a new dump). */
  reconcileAll(): RouteEvent[] {
    return this.diff(Dirty.of([...this.indexByName.keys(), ...this.current.keys()]), 'reconcile');
  }

  private setLink(link: Link, dirty: Dirty): void {
    const old = this.links.get(link.index);
    if (old !== undefined && old.name !== link.name) {
      // Renamed: the old name is gone (unless another link took it meanwhile).
      if (this.indexByName.get(old.name) === link.index) this.indexByName.delete(old.name);
      dirty.add(old.name);
    }
    if (old?.master !== link.master) {
      this.leaveMaster(old?.master, link.index);
      if (link.master !== undefined) {
        let set = this.members.get(link.master);
        if (set === undefined) {
          set = new Set();
          this.members.set(link.master, set);
        }
        set.add(link.index);
      }
    }
    this.links.set(link.index, link);
    this.indexByName.set(link.name, link.index);
    dirty.add(link.name);
    // What its members map to depends on this link's kind and name (the VRF device it may be).
    if (old === undefined || old.name !== link.name || old.kind !== link.kind)
      this.markMembers(link.index, dirty);
  }

  private deleteLink(index: number, dirty: Dirty): void {
    const old = this.links.get(index);
    this.links.delete(index);
    this.addresses.delete(index);
    if (old !== undefined) {
      if (this.indexByName.get(old.name) === index) this.indexByName.delete(old.name);
      this.leaveMaster(old.master, index);
      dirty.add(old.name);
    }
    // Members left behind point at a master that is gone: they wait until the kernel says where they are.
    this.markMembers(index, dirty);
  }

  private leaveMaster(master: number | undefined, index: number): void {
    if (master === undefined) return;
    const set = this.members.get(master);
    set?.delete(index);
    if (set?.size === 0) this.members.delete(master);
  }

  private markMembers(master: number, dirty: Dirty): void {
    if (!this.assignment.linuxVrf) return;
    for (const m of this.members.get(master) ?? []) {
      const member = this.links.get(m);
      if (member !== undefined) dirty.add(member.name);
    }
  }

  /** The VRFs a link's routes go to (see the file comment for linux-vrf mode). */
  private vrfsOfLink(link: Link): readonly string[] {
    const byName = this.assignment.vrfsOf(link.name);
    if (!this.assignment.linuxVrf) return byName;
    if (link.kind === 'vrf') {
      if (byName.length > 0)
        this.notice({
          code: 'VRF_DEVICE_LISTED',
          interface: link.name,
          device: link.name,
          message: `${link.name} is a Linux VRF device: its own addresses are not imported (its member interfaces feed the VRF it maps to)`,
        });
      return [];
    }
    if (link.master === undefined) return byName;
    const master = this.links.get(link.master);
    // Enslaved to a device not seen yet: it may be a VRF, so nothing goes anywhere until it is known.
    if (master === undefined) return [];
    // Bridges, bonds and teams are masters too, but do not change the routing table.
    if (master.kind !== 'vrf') return byName;
    const vrf = this.assignment.vrfOfDevice(master.name);
    if (vrf === undefined) {
      this.notice({
        code: 'VRF_DEVICE_UNMAPPED',
        interface: link.name,
        device: master.name,
        message: `${link.name} is a member of Linux VRF device ${master.name}, which no configured VRF takes (name a VRF "${master.name}" or set its linux-vrf-device): routes of that device's members are not imported`,
      });
      return [];
    }
    // Named exactly for another table is worth a word; a glob (eth*) matching a member is expected.
    if (byName.some((v) => v !== vrf) && this.assignment.namedExactly(link.name))
      this.notice({
        code: 'VRF_MEMBER_LISTED',
        interface: link.name,
        device: master.name,
        vrf,
        message: `${link.name} is listed for ${byName.map(tableName).join(', ')} but is a member of Linux VRF device ${master.name}: its routes go to ${tableName(vrf)} only`,
      });
    return [vrf];
  }

  private notice(n: ImportNotice): void {
    // Unmapped and listed devices once per device; a listed member once per member and device.
    const key = `${n.code}\u0000${n.device}${n.code === 'VRF_MEMBER_LISTED' ? `\u0000${n.interface}` : ''}`;
    if (this.noticed.has(key)) return;
    this.noticed.add(key);
    this.notices.push(n);
  }

  /** `octets`: the kernel's octets of the address (latin1), when the notification carried them. */
  private setAddress(a: Address, dirty: Dirty, seen = this.scans, octets?: string): void {
    let t = this.addresses.get(a.index);
    if (t === undefined) {
      t = new LinkAddresses();
      this.addresses.set(a.index, t);
    }
    const entry: AddressEntry = { address: a, prefix: connectedPrefix(a, octets), seen };
    const old = t.set(entry);
    const link = this.links.get(a.index);
    if (link === undefined) return;
    // The prefix it gave (it may have turned tentative) and the one it gives now.
    dirty.addPrefix(link.name, old?.prefix);
    dirty.addPrefix(link.name, entry.prefix);
  }

  private deleteAddress(a: Address, dirty: Dirty): void {
    const t = this.addresses.get(a.index);
    const old = t?.delete(a);
    if (t?.size === 0) this.addresses.delete(a.index);
    const link = this.links.get(a.index);
    if (link !== undefined) dirty.addPrefix(link.name, old?.prefix);
  }

  /** Paths the kernel and config say interface `name` should have now, by (vrf, prefix). */
  private desired(name: string): Map<string, ImportedPath> {
    const out = new Map<string, ImportedPath>();
    const index = this.indexByName.get(name);
    if (index === undefined) return out;
    const link = this.links.get(index);
    if (link === undefined) return out;
    const vrfs = this.vrfsOfLink(link);
    if (vrfs.length === 0 || !link.up) return out;
    const addrs = this.addresses.get(index);
    if (addrs === undefined) return out;
    // Several addresses may give one prefix: one path, whose address is the lowest of them.
    for (const [prefix, address] of addrs.prefixes()) {
      for (const vrf of vrfs)
        out.set(pathKey(vrf, prefix), { vrf, prefix, interface: name, ifindex: index, address });
    }
    return out;
  }

  private vanishReason(p: ImportedPath, mode: DiffMode): VanishReason {
    const index = this.indexByName.get(p.interface);
    const link = index === undefined ? undefined : this.links.get(index);
    // A path leaves its VRF with config-changed when the interface no longer maps to it: the config
    // changed, or (linux-vrf mode) the interface was enslaved to or released from a VRF device.
    if (link !== undefined) {
      if (!this.vrfsOfLink(link).includes(p.vrf)) return 'config-changed';
    } else if (!this.couldMap(p.interface, p.vrf)) return 'config-changed';
    if (mode === 'reconcile') return 'reconcile';
    if (link === undefined || link.index !== p.ifindex) return 'interface-removed';
    if (!link.up) return 'link-down';
    return 'address-removed';
  }

  /** For an interface that is gone: whether the config could still send its routes to `vrf`. */
  private couldMap(name: string, vrf: string): boolean {
    if (this.assignment.vrfsOf(name).includes(vrf)) return true;
    return this.assignment.linuxVrf && this.assignment.hasVrf(vrf);
  }

  private diff(dirty: Dirty, mode: DiffMode): RouteEvent[] {
    const events: RouteEvent[] = [];
    for (const name of dirty.links) this.diffInterface(name, mode, events);
    for (const [name, prefixes] of dirty.prefixes) {
      if (dirty.links.has(name)) continue;
      for (const prefix of prefixes) this.diffPrefix(name, prefix, mode, events);
    }
    return events;
  }

  private diffInterface(name: string, mode: DiffMode, events: RouteEvent[]): void {
    const want = this.desired(name);
    const have = this.current.get(name);
    if (have !== undefined) {
      for (const [key, p] of have) {
        const w = want.get(key);
        if (w !== undefined && w.ifindex === p.ifindex) continue;
        events.push(this.vanished(p, w !== undefined ? 'interface-removed' : this.vanishReason(p, mode)));
        have.delete(key);
      }
      if (have.size === 0) this.current.delete(name);
    }
    for (const [key, w] of want) {
      if (this.current.get(name)?.has(key)) continue;
      this.remember(w);
      events.push(discovered(w));
    }
  }

  /**
   * One prefix of an interface whose link did not change: its paths (one per VRF the interface maps
   * to) against the addresses that give it now. Same outcome as diffInterface for that prefix.
   */
  private diffPrefix(name: string, prefix: string, mode: DiffMode, events: RouteEvent[]): void {
    const index = this.indexByName.get(name);
    const link = index === undefined ? undefined : this.links.get(index);
    if (index === undefined || link === undefined) return this.diffInterface(name, mode, events);
    const vrfs = this.vrfsOfLink(link);
    const address = link.up ? this.addresses.get(index)?.addressOf(prefix) : undefined;
    const have = this.current.get(name);
    for (const vrf of vrfs) {
      const key = pathKey(vrf, prefix);
      const p = have?.get(key);
      if (p !== undefined) {
        if (address !== undefined && p.ifindex === index) continue;
        events.push(
          this.vanished(p, address !== undefined ? 'interface-removed' : this.vanishReason(p, mode)),
        );
        have!.delete(key);
        if (have!.size === 0) this.current.delete(name);
      }
      if (address === undefined) continue;
      const w: ImportedPath = { vrf, prefix, interface: name, ifindex: index, address };
      this.remember(w);
      events.push(discovered(w));
    }
  }

  private remember(p: ImportedPath): void {
    let m = this.current.get(p.interface);
    if (m === undefined) {
      m = new Map();
      this.current.set(p.interface, m);
    }
    m.set(pathKey(p.vrf, p.prefix), p);
  }

  private vanished(p: ImportedPath, reason: VanishReason): RouteVanished {
    return {
      type: 'RouteVanished',
      vrf: p.vrf,
      family: familyOf(p.prefix),
      prefix: p.prefix,
      interface: p.interface,
      reason,
    };
  }
}

function discovered(p: ImportedPath): RouteDiscovered {
  return {
    type: 'RouteDiscovered',
    vrf: p.vrf,
    family: familyOf(p.prefix),
    prefix: p.prefix,
    interface: p.interface,
    ifindex: p.ifindex,
    address: p.address,
  };
}
