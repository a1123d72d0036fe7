// The import mapping: kernel shapes + config -> RouteDiscovered / RouteVanished. Pure state machine:
// no sockets, no clock, no journal. It keeps the kernel's links and addresses and the paths already
// journaled, and on each change recomputes only the interfaces the change touched.
import type { Config } from '../config/index.js';
import type { RouteDiscovered, RouteEvent, RouteVanished, VanishReason } from '../events/index.js';
import type { Address, KernelChange, Link } from '../netlink/index.js';
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

function pathKey(vrf: string, prefix: string): string {
  return `${vrf}\u0000${prefix}`;
}

function addressKey(a: Address): string {
  return `${a.address}/${a.prefixLength}`;
}

/** Why diffs are computed: live changes get their cause as reason; reconciles get 'reconcile'. */
type DiffMode = 'live' | 'reconcile';

export class ImportState {
  private readonly links = new Map<number, Link>();
  private readonly addresses = new Map<number, Map<string, Address>>();
  private readonly indexByName = new Map<string, number>();
  /** Journaled paths by interface name, then by (vrf, prefix). */
  private readonly current = new Map<string, Map<string, ImportedPath>>();
  private assignment: VrfAssignment;

  constructor(config: Config) {
    this.assignment = new VrfAssignment(config);
  }

  /** Seeds the journaled paths (from the RIB after replay). */
  loadJournaled(paths: Iterable<ImportedPath>): void {
    for (const p of paths) this.remember(p);
  }

  /** Paths currently journaled as present. */
  *journaled(): IterableIterator<ImportedPath> {
    for (const byKey of this.current.values()) yield* byKey.values();
  }

  /** The VRFs an interface name is imported into under the current config. */
  vrfsOf(name: string): readonly string[] {
    return this.assignment.vrfsOf(name);
  }

  /**
   * Applies kernel changes and returns the route events they cause. A snapshot replaces the whole
   * kernel view and is a reconcile: what it corrects vanishes with reason 'reconcile'.
   */
  applyKernel(changes: readonly KernelChange[]): RouteEvent[] {
    const dirty = new Set<string>();
    let mode: DiffMode = 'live';
    for (const c of changes) {
      switch (c.kind) {
        case 'snapshot':
          mode = 'reconcile';
          for (const name of this.indexByName.keys()) dirty.add(name);
          this.links.clear();
          this.addresses.clear();
          this.indexByName.clear();
          for (const l of c.links) this.setLink(l, dirty);
          for (const a of c.addresses) this.setAddress(a, dirty);
          for (const name of this.current.keys()) dirty.add(name);
          break;
        case 'link':
          if (c.op === 'new') this.setLink(c.link, dirty);
          else this.deleteLink(c.link.index, dirty);
          break;
        case 'address':
          if (c.op === 'new') this.setAddress(c.address, dirty);
          else this.deleteAddress(c.address, dirty);
          break;
        default: {
          const never: never = c;
          throw new TypeError(`unhandled kernel change ${JSON.stringify(never)}`);
        }
      }
    }
    return this.diff(dirty, mode);
  }

  /** Switches to a new config; routes of interfaces that leave a VRF vanish with 'config-changed'. */
  setConfig(config: Config): RouteEvent[] {
    this.assignment = new VrfAssignment(config);
    return this.diff(new Set([...this.indexByName.keys(), ...this.current.keys()]), 'live');
  }

  /** Recomputes every interface against the kernel view held now (a reconcile without a new dump). */
  reconcileAll(): RouteEvent[] {
    return this.diff(new Set([...this.indexByName.keys(), ...this.current.keys()]), 'reconcile');
  }

  private setLink(link: Link, dirty: Set<string>): void {
    const old = this.links.get(link.index);
    if (old !== undefined && old.name !== link.name) {
      // Renamed: the old name is gone (unless another link took it meanwhile).
      if (this.indexByName.get(old.name) === link.index) this.indexByName.delete(old.name);
      dirty.add(old.name);
    }
    this.links.set(link.index, link);
    this.indexByName.set(link.name, link.index);
    dirty.add(link.name);
  }

  private deleteLink(index: number, dirty: Set<string>): void {
    const old = this.links.get(index);
    this.links.delete(index);
    this.addresses.delete(index);
    if (old !== undefined) {
      if (this.indexByName.get(old.name) === index) this.indexByName.delete(old.name);
      dirty.add(old.name);
    }
  }

  private setAddress(a: Address, dirty: Set<string>): void {
    let m = this.addresses.get(a.index);
    if (m === undefined) {
      m = new Map();
      this.addresses.set(a.index, m);
    }
    m.set(addressKey(a), a);
    const link = this.links.get(a.index);
    if (link !== undefined) dirty.add(link.name);
  }

  private deleteAddress(a: Address, dirty: Set<string>): void {
    this.addresses.get(a.index)?.delete(addressKey(a));
    const link = this.links.get(a.index);
    if (link !== undefined) dirty.add(link.name);
  }

  /** Paths the kernel and config say interface `name` should have now, by (vrf, prefix). */
  private desired(name: string): Map<string, ImportedPath> {
    const out = new Map<string, ImportedPath>();
    const index = this.indexByName.get(name);
    if (index === undefined) return out;
    const link = this.links.get(index);
    if (link === undefined || !link.up) return out;
    const vrfs = this.assignment.vrfsOf(name);
    if (vrfs.length === 0) return out;
    const addrs = this.addresses.get(index);
    if (addrs === undefined) return out;
    // Several addresses may give one prefix: one path, whose address is the lowest of them.
    const byPrefix = new Map<string, string>();
    for (const a of addrs.values()) {
      const prefix = connectedPrefix(a);
      if (prefix === undefined) continue;
      const seen = byPrefix.get(prefix);
      if (seen === undefined || a.address < seen) byPrefix.set(prefix, a.address);
    }
    for (const [prefix, address] of byPrefix) {
      for (const vrf of vrfs)
        out.set(pathKey(vrf, prefix), { vrf, prefix, interface: name, ifindex: index, address });
    }
    return out;
  }

  private vanishReason(p: ImportedPath, mode: DiffMode): VanishReason {
    if (!this.assignment.vrfsOf(p.interface).includes(p.vrf)) return 'config-changed';
    if (mode === 'reconcile') return 'reconcile';
    const index = this.indexByName.get(p.interface);
    const link = index === undefined ? undefined : this.links.get(index);
    if (link === undefined || link.index !== p.ifindex) return 'interface-removed';
    if (!link.up) return 'link-down';
    return 'address-removed';
  }

  private diff(dirty: ReadonlySet<string>, mode: DiffMode): RouteEvent[] {
    const events: RouteEvent[] = [];
    for (const name of dirty) {
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
    return events;
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
