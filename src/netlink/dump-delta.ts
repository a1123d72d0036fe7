// A periodic scan as its difference from the previous dump, computed in the observer child so that the
// daemon's main thread applies a few changes instead of 100k unchanged addresses (issue 9.3: ~45 ms of
// unpacking and comparing per scan), and the notifications that raced with the dump. Pure: no socket.
//
// Why the difference from the previous dump is enough (the child forwards every notification it reads,
// in order, and a resync or an explicitly requested scan sends a whole snapshot): for a key (a link, or
// an address of a link) that no notification touched since this dump began, the daemon holds the value
// of the last notification about it, or the previous dump's if none came since. Every kernel change
// before the dump read the key has its notification read before the snapshot is sent (the session's
// settle step), so that value is what this dump shows unless a notification was lost — and a lost one
// shows as a difference between the two dumps, which the delta carries. Keys a notification touched
// after the dump began are left to the notifications (they are at least as new as the dump): the
// delta never names them, so a stale view of the dump never overrides a forwarded notification.
import type { Address, KernelChange, Link } from './types.js';

/** What changed between two dumps, as the snapshot change carries it (KernelChange 'snapshot'). */
export interface DumpDelta {
  /** New or changed links. */
  readonly links: Link[];
  /** New or changed addresses. */
  readonly addresses: Address[];
  readonly goneLinks: number[];
  readonly goneAddresses: Address[];
}

/** Addresses of one link by prefix length, then text (no key strings built per address). */
type LinkTable = Map<number, Map<string, Address>>;

/** Whether two views of a link agree on everything the import reads of it. */
export function sameLink(a: Link, b: Link): boolean {
  return (
    a.name === b.name &&
    a.up === b.up &&
    a.adminUp === b.adminUp &&
    a.master === b.master &&
    a.kind === b.kind &&
    a.vrfTable === b.vrfTable
  );
}

/** Whether two views of one address (same link, text and length) agree on the rest. */
export function sameAddress(a: Address, b: Address): boolean {
  return (
    a.family === b.family && a.scope === b.scope && a.tentative === b.tentative && a.dadFailed === b.dadFailed
  );
}

/**
 * The keys kernel notifications touched since a dump began: the dump's view of them may be older than
 * what the daemon already got, so the delta leaves them to the notifications.
 */
export class RacedKeys {
  private readonly links = new Set<number>();
  private readonly addresses = new Map<number, Set<string>>();

  note(change: KernelChange): void {
    if (change.kind === 'link') this.links.add(change.link.index);
    else if (change.kind === 'address') {
      const a = change.address;
      let set = this.addresses.get(a.index);
      if (set === undefined) this.addresses.set(a.index, (set = new Set()));
      set.add(`${a.address}/${a.prefixLength}`);
    }
  }

  hasLink(index: number): boolean {
    return this.links.has(index);
  }

  /** Whether a notification touched this address, or its link. */
  hasAddress(a: Address): boolean {
    return (
      this.links.has(a.index) || this.addresses.get(a.index)?.has(`${a.address}/${a.prefixLength}`) === true
    );
  }
}

/** The previous dump, and the comparison of the next one with it. */
export class DumpBaseline {
  private links = new Map<number, Link>();
  private tables = new Map<number, LinkTable>();

  /** Starts comparing a new dump (its links now, its addresses one by one through the returned scan). */
  begin(links: readonly Link[]): DumpComparison {
    return new DumpComparison(this, this.links, this.tables, links);
  }

  /** @internal DumpComparison.finish */
  adopt(links: Map<number, Link>, tables: Map<number, LinkTable>): void {
    this.links = links;
    this.tables = tables;
  }
}

/**
 * One dump being compared with the previous one. The previous dump's entries are taken out as the new
 * dump confirms them, so what is left at the end is what is gone: no sweep, no second lookup.
 */
export class DumpComparison {
  private readonly nextLinks = new Map<number, Link>();
  private readonly nextTables = new Map<number, LinkTable>();
  private readonly changedLinks: Link[] = [];
  private readonly changedAddresses: Address[] = [];
  private table: LinkTable | undefined;
  private oldTable: LinkTable | undefined;
  private index = -1;

  constructor(
    private readonly owner: DumpBaseline,
    private readonly oldLinks: Map<number, Link>,
    private readonly oldTables: Map<number, LinkTable>,
    links: readonly Link[],
  ) {
    for (const l of links) {
      const old = oldLinks.get(l.index);
      oldLinks.delete(l.index);
      if (old === undefined || !sameLink(old, l)) this.changedLinks.push(l);
      this.nextLinks.set(l.index, l);
    }
  }

  /** One address of the dump (the kernel dumps them grouped by link: the tables are looked up per group). */
  add(a: Address): void {
    if (a.index !== this.index) {
      this.index = a.index;
      this.table = this.nextTables.get(a.index);
      if (this.table === undefined) this.nextTables.set(a.index, (this.table = new Map()));
      this.oldTable = this.oldTables.get(a.index);
    }
    let byText = this.table!.get(a.prefixLength);
    if (byText === undefined) this.table!.set(a.prefixLength, (byText = new Map()));
    byText.set(a.address, a);
    const oldByText = this.oldTable?.get(a.prefixLength);
    const old = oldByText?.get(a.address);
    if (old !== undefined) oldByText!.delete(a.address);
    if (old === undefined || !sameAddress(old, a)) this.changedAddresses.push(a);
  }

  /** The difference, without what `raced` names; the dump becomes the baseline of the next one. */
  finish(raced?: RacedKeys): DumpDelta {
    const goneLinks = [...this.oldLinks.keys()];
    const goneAddresses: Address[] = [];
    for (const table of this.oldTables.values())
      for (const byText of table.values()) for (const a of byText.values()) goneAddresses.push(a);
    this.owner.adopt(this.nextLinks, this.nextTables);
    if (raced === undefined) {
      return { links: this.changedLinks, addresses: this.changedAddresses, goneLinks, goneAddresses };
    }
    return {
      links: this.changedLinks.filter((l) => !raced.hasLink(l.index)),
      addresses: this.changedAddresses.filter((a) => !raced.hasAddress(a)),
      goneLinks: goneLinks.filter((i) => !raced.hasLink(i)),
      goneAddresses: goneAddresses.filter((a) => !raced.hasAddress(a)),
    };
  }
}
