// The per-VRF RIB projection: every path (vrf, prefix, interface) present after the events applied so
// far, plus the config in force (RD/RT per VRF). Rebuilt by replaying the journal; derived data only.
import type { ConfigApplied, Envelope, Family, VrfSnapshot } from '../../events/index.js';
import { isRouteEvent } from '../../events/index.js';

/** A route in a VRF learned from one interface. Several interfaces may give the same prefix. */
export interface Path {
  readonly vrf: string;
  readonly family: Family;
  readonly prefix: string;
  readonly interface: string;
  readonly ifindex: number;
  readonly address: string;
  /** Seq and time of the RouteDiscovered that created the path. */
  readonly seq: number;
  readonly time: number;
}

/** Paths of one prefix in one VRF, best first (lowest ifindex, then interface name). */
export type PathSet = readonly Path[];

export interface VrfCounts {
  ipv4: number;
  ipv6: number;
}

function comparePaths(a: Path, b: Path): number {
  return a.ifindex - b.ifindex || (a.interface < b.interface ? -1 : a.interface > b.interface ? 1 : 0);
}

/**
 * Paths held as columns (a decoded checkpoint) and read into a Path only when asked for: a table filed
 * from them holds a number per prefix instead of a Path object (see Rib.shareVrfColumns).
 */
export interface PathColumns {
  /** Number of paths. */
  readonly length: number;
  /** The prefix of path i. */
  prefix(i: number): string;
  family(i: number): Family;
  /** Path i, whose prefix is `prefix`: a new record on each call. */
  path(i: number, prefix: string): Path;
}

/**
 * A prefix's paths in a table: the path itself when it is the only one (most prefixes; no array to
 * allocate, fill and collect per prefix: 100k prefixes cost ~5 MB of arrays), else the paths best first;
 * or, in a table filed from columns, the number of its only path there (read from them at each read).
 */
type Filed = Path | Path[] | number;

/**
 * The paths of a prefix's filed entry, a fresh array for a single path. A path still in columns is built
 * from them at each read and not filed back: a time-travel answer read once by a client (100k paths)
 * leaves garbage that dies young, instead of growing the table and being promoted with it (under the
 * daemon's small young generation that cut time travel's GC pauses by about a third). Paths are values:
 * nothing compares them by identity.
 */
function setOf(table: Readonly<Table>, prefix: string, filed: Filed): PathSet {
  return Array.isArray(filed) ? filed : [pathOf(table, prefix, filed)];
}

function pathOf(table: Readonly<Table>, prefix: string, filed: Path | number): Path {
  return typeof filed !== 'number' ? filed : table.columns!.path(filed, prefix);
}

/**
 * One VRF's table: prefix -> paths (best first), with per-family counts kept beside it. With
 * `sharedArrays`, its path arrays may belong to a shared table (see SharedVrf): they are replaced, never
 * changed in place (a single path is immutable, so it is shared as it is).
 */
interface Table {
  readonly byPrefix: Map<string, Filed>;
  ipv4: number;
  ipv6: number;
  readonly sharedArrays?: boolean;
  /** The columns the numbers filed refer to. */
  readonly columns?: PathColumns;
}

/**
 * One VRF's paths filed once (a decoded checkpoint) and shared read-only by every Rib that adopts it:
 * a Rib copies the table's map on the first change to that VRF (copy-on-write), and its path arrays on
 * the first change to each prefix, so neither the adopting Ribs nor the cache see each other's changes.
 */
export interface SharedVrf {
  readonly vrf: string;
  /** @internal */
  readonly table: Readonly<Table>;
}

function indexOfInterface(paths: readonly Path[], iface: string): number {
  for (let i = 0; i < paths.length; i++) if (paths[i]!.interface === iface) return i;
  return -1;
}

/** A RouteDiscovered's effect: the path joins its prefix's set, or replaces its interface's. */
function addPath(table: Table, path: Path): void {
  const entry = table.byPrefix.get(path.prefix);
  if (entry === undefined) {
    table.byPrefix.set(path.prefix, path);
    table[path.family]++;
    return;
  }
  const filed = typeof entry === 'number' ? pathOf(table, path.prefix, entry) : entry;
  if (!Array.isArray(filed)) {
    // The prefix's only path: replaced (same interface), or joined by a second one in a new array.
    if (filed.interface === path.interface) table.byPrefix.set(path.prefix, path);
    else {
      table.byPrefix.set(path.prefix, comparePaths(filed, path) <= 0 ? [filed, path] : [path, filed]);
      table[path.family]++;
    }
    return;
  }
  const paths = filed;
  const at = paths.length === 0 ? -1 : indexOfInterface(paths, path.interface);
  if (at >= 0) {
    if (table.sharedArrays === true) table.byPrefix.set(path.prefix, paths.with(at, path));
    else paths[at] = path;
  } else {
    if (table.sharedArrays === true) table.byPrefix.set(path.prefix, [...paths, path].sort(comparePaths));
    else {
      paths.push(path);
      if (paths.length > 1) paths.sort(comparePaths);
    }
    table[path.family]++;
  }
}

/** Mutable projection state; `apply` is the projection's evolve step and is deterministic. */
export class Rib {
  private tables = new Map<string, Table>();
  private configEvent: ConfigApplied | undefined;
  private configVrfs = new Map<string, VrfSnapshot>();
  /** Open change trackers (checkpoint captures spread over several turns of the event loop). */
  private trackers: readonly ChangeTracker[] = [];
  /** Tables adopted from a SharedVrf and not changed yet: copied before their first change. */
  private borrowed = new Set<Table>();
  /** Seq of the last event applied. */
  seq = 0;
  /** Time of the last event applied (epoch µs). */
  time = 0;

  /** Applies one committed event. Events must come in seq order. */
  apply(env: Envelope): void {
    this.seq = env.seq;
    this.time = env.time;
    const e = env.event;
    if (this.trackers.length > 0 && isRouteEvent(e)) {
      const before = this.lookup(e.vrf, e.prefix);
      for (const t of this.trackers) t.touch(e.vrf, e.prefix, before);
    }
    switch (e.type) {
      case 'RouteDiscovered': {
        let table = this.writable(e.vrf);
        if (table === undefined) {
          table = { byPrefix: new Map(), ipv4: 0, ipv6: 0 };
          this.tables.set(e.vrf, table);
        }
        addPath(table, {
          vrf: e.vrf,
          family: e.family,
          prefix: e.prefix,
          interface: e.interface,
          ifindex: e.ifindex,
          address: e.address,
          seq: env.seq,
          time: env.time,
        });
        return;
      }
      case 'RouteVanished': {
        const found = this.tables.get(e.vrf);
        const entry = found?.byPrefix.get(e.prefix);
        if (entry === undefined) return;
        const filed = typeof entry === 'number' ? pathOf(found!, e.prefix, entry) : entry;
        if (!Array.isArray(filed)) {
          if (filed.interface !== e.interface) return;
          const table = this.writable(e.vrf)!;
          table.byPrefix.delete(e.prefix);
          table[e.family]--;
          return;
        }
        const paths = filed;
        const at = indexOfInterface(paths, e.interface);
        if (at < 0) return;
        const table = this.writable(e.vrf)!;
        if (paths.length === 1) table.byPrefix.delete(e.prefix);
        else if (paths.length === 2) table.byPrefix.set(e.prefix, paths[1 - at]!);
        else if (table.sharedArrays === true) table.byPrefix.set(e.prefix, paths.toSpliced(at, 1));
        else paths.splice(at, 1);
        table[e.family]--;
        return;
      }
      case 'ConfigApplied':
        this.configEvent = e;
        this.configVrfs = new Map(e.vrfs.map((v) => [v.name, v]));
        return;
      case 'DaemonStarted':
      case 'DaemonStopped':
        // Lifecycle: no route changes by itself (the reconcile after a start journals what did).
        return;
      default: {
        const never: never = e;
        throw new TypeError(`unhandled event ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * Adds paths as the RouteDiscovered each came from would (its vrf, seq and time are the path's),
   * without building the events: restoring a checkpoint. Paths are immutable and may be shared.
   */
  restorePaths(paths: Iterable<Path>): void {
    let table: Table | undefined;
    for (const p of paths) {
      if (table === undefined || this.tables.get(p.vrf) !== table) {
        table = this.writable(p.vrf);
        if (table === undefined) {
          table = { byPrefix: new Map(), ipv4: 0, ipv6: 0 };
          this.tables.set(p.vrf, table);
        }
      }
      if (this.trackers.length > 0) {
        const before = this.lookup(p.vrf, p.prefix);
        for (const t of this.trackers) t.touch(p.vrf, p.prefix, before);
      }
      addPath(table, p);
    }
  }

  /**
   * Files one VRF's paths (all of that VRF, in restorePaths' order) into a table that Ribs can share
   * with `adopt` without copying it; the paths must not be changed afterwards.
   */
  static shareVrf(vrf: string, paths: Iterable<Path>): SharedVrf {
    // Filed straight into the table (as restorePaths would into a fresh Rib).
    const table: Table = { byPrefix: new Map<string, Filed>(), ipv4: 0, ipv6: 0 };
    for (const p of paths) {
      if (p.vrf !== vrf) throw new TypeError(`shareVrf: paths of another VRF than "${vrf}"`);
      addPath(table, p);
    }
    return { vrf, table };
  }

  /**
   * As shareVrf with the paths of `columns` (in restorePaths' order), without reading them into Path
   * records: each prefix with one path files its number, read from the columns each time it is asked for.
   */
  static shareVrfColumns(vrf: string, columns: PathColumns): SharedVrf {
    const table: Table = { byPrefix: new Map<string, Filed>(), ipv4: 0, ipv6: 0, columns };
    for (let i = 0; i < columns.length; i++) {
      const prefix = columns.prefix(i);
      if (table.byPrefix.has(prefix)) addPath(table, columns.path(i, prefix));
      else {
        table.byPrefix.set(prefix, i);
        table[columns.family(i)]++;
      }
    }
    return { vrf, table };
  }

  /**
   * Restores a shared VRF table in O(1): as restorePaths with its paths would, for a VRF this Rib has
   * no paths in yet. The Rib copies it before changing it, so `shared` stays as it is; unless `owned`
   * (the caller hands over a table nothing else holds): then it is changed in place, never copied.
   */
  adopt(shared: SharedVrf, owned = false): void {
    if (this.tables.has(shared.vrf) || this.trackers.length > 0) {
      this.restorePaths(sharedVrfPaths(shared));
      return;
    }
    const table = shared.table as Table;
    this.tables.set(shared.vrf, table);
    // Owned: filed for this Rib alone (no other Rib nor cache holds it), changed in place.
    if (!owned) this.borrowed.add(table);
  }

  /** A VRF's table, ready to change: a borrowed (shared) one is copied first. */
  private writable(vrf: string): Table | undefined {
    const table = this.tables.get(vrf);
    if (table === undefined || !this.borrowed.has(table)) return table;
    this.borrowed.delete(table);
    const copy: Table = {
      byPrefix: new Map(table.byPrefix),
      ipv4: table.ipv4,
      ipv6: table.ipv6,
      sharedArrays: true,
      ...(table.columns === undefined ? {} : { columns: table.columns }),
    };
    this.tables.set(vrf, copy);
    return copy;
  }

  /**
   * Takes over the state of `other` (a Rib rebuilt after a failure), so that everyone holding this Rib
   * sees the rebuilt one. `other` must not be used afterwards.
   */
  assign(other: Rib): void {
    for (const t of this.trackers) t.replaced = true;
    this.tables = other.tables;
    this.borrowed = other.borrowed;
    this.configEvent = other.configEvent;
    this.configVrfs = other.configVrfs;
    this.seq = other.seq;
    this.time = other.time;
  }

  /**
   * Notes what route events touch from now on, until `stop`: the prefixes (what changed since a
   * checkpoint), and with `beforeImages` each touched prefix's paths as they were when the tracker opened, so that a
   * reader visiting the RIB over several turns of the event loop sees it as it was at that moment.
   */
  trackChanges(o: TrackOptions = {}): ChangeTracker {
    const t = new ChangeTracker(() => (this.trackers = this.trackers.filter((x) => x !== t)), o);
    this.trackers = [...this.trackers, t];
    return t;
  }

  /** The last ConfigApplied applied, if any. */
  get config(): ConfigApplied | undefined {
    return this.configEvent;
  }

  /** RD/RT/label of a VRF as journaled in the config in force ("" = global table). */
  vrfConfig(vrf: string): VrfSnapshot | undefined {
    return this.configVrfs.get(vrf);
  }

  /** VRF names that hold paths or are configured. */
  vrfNames(): string[] {
    const names = new Set<string>([...this.configVrfs.keys(), ...this.tables.keys()]);
    return [...names].sort();
  }

  countsOf(vrf: string): VrfCounts {
    const c = this.tables.get(vrf);
    return { ipv4: c?.ipv4 ?? 0, ipv6: c?.ipv6 ?? 0 };
  }

  /** Number of paths in a VRF, or in all VRFs. */
  size(vrf?: string): number {
    if (vrf !== undefined) {
      const c = this.tables.get(vrf);
      return c ? c.ipv4 + c.ipv6 : 0;
    }
    let n = 0;
    for (const c of this.tables.values()) n += c.ipv4 + c.ipv6;
    return n;
  }

  /** Paths of one prefix, best first; empty when none. */
  lookup(vrf: string, prefix: string): PathSet {
    const table = this.tables.get(vrf);
    const filed = table?.byPrefix.get(prefix);
    return filed === undefined ? [] : setOf(table!, prefix, filed);
  }

  /** Every prefix of a VRF with its paths (best first), in insertion order. */
  *entries(vrf: string): IterableIterator<[string, PathSet]> {
    const table = this.tables.get(vrf);
    if (table) for (const [prefix, filed] of table.byPrefix) yield [prefix, setOf(table, prefix, filed)];
  }

  /** Every path of every VRF. */
  *allPaths(): IterableIterator<Path> {
    for (const table of this.tables.values()) yield* tablePaths(table);
  }
}

export interface TrackOptions {
  /** Keep each touched prefix's paths as they were when the tracker opened (default: no). */
  readonly beforeImages?: boolean;
  /** Prefixes noted per VRF; past it the VRF is noted as changed as a whole (default: Infinity). */
  readonly prefixLimit?: number;
}

/** What route events touched since a tracker opened (see Rib.trackChanges). */
export class ChangeTracker {
  /** vrf -> prefixes touched; null when more than the tracker's prefixLimit (the VRF as a whole). */
  touched = new Map<string, Set<string> | null>();
  /** With beforeImages: vrf -> prefix -> its paths when the tracker opened (copies; empty: none then). */
  readonly before = new Map<string, Map<string, PathSet>>();
  /** Set when the Rib's state was replaced (a rebuild): what was read before is void. */
  replaced = false;

  constructor(
    private readonly close: () => void,
    private readonly o: TrackOptions,
  ) {}

  /** What was touched so far; the tracker starts afresh. */
  take(): Map<string, Set<string> | null> {
    const touched = this.touched;
    this.touched = new Map();
    return touched;
  }

  /** @internal Called before the change, with the prefix's paths as they are. */
  touch(vrf: string, prefix: string, paths: PathSet): void {
    let set = this.touched.get(vrf);
    if (set === undefined) this.touched.set(vrf, (set = new Set()));
    if (set !== null && set.add(prefix).size > (this.o.prefixLimit ?? Infinity)) this.touched.set(vrf, null);
    if (this.o.beforeImages !== true) return;
    let images = this.before.get(vrf);
    if (images === undefined) this.before.set(vrf, (images = new Map()));
    if (!images.has(prefix)) images.set(prefix, paths.slice());
  }

  stop(): void {
    this.close();
  }
}

/** Every path of a shared VRF table, in restorePaths' order. */
export function* sharedVrfPaths(shared: SharedVrf): IterableIterator<Path> {
  yield* tablePaths(shared.table);
}

function* tablePaths(table: Readonly<Table>): IterableIterator<Path> {
  for (const [prefix, filed] of table.byPrefix)
    if (Array.isArray(filed)) yield* filed;
    else yield pathOf(table, prefix, filed);
}
