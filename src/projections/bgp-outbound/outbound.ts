// The BGP outbound projection: per peer, what must still be sent (the Adj-RIB-Out of RFC 4271 3.2 and
// the changes not yet on the wire), derived from the journal's events and the Rib projection.
//
// What a peer must hold is a function of the events: the (vrf, prefix) pairs that have at least one
// path in the Rib (the best path; a backup keeps the route advertised when the best one vanishes), each
// with the RD, export route targets and label of its VRF as the ConfigApplied in force says. The next
// hop is the session's own address (next-hop-self), so which interface carries the best path never
// changes what is sent.
//
// The queue of a peer holds keys, not messages: a route event marks its (vrf, prefix) dirty, and what
// goes out is read from the Rib when the key is taken from the queue. So while a peer is slow, an
// announce followed by a withdraw (or ten flaps) of one prefix leaves one key, and one message with the
// final state. A new session, or a route refresh, walks the whole table instead; End-of-RIB (RFC 4724 2)
// follows the initial walk. `advertised` records what this session put on the wire, so nothing is
// withdrawn that was never announced and an RD change withdraws the old NLRI.
//
// Export policy (GoBGP's, compiled in bgp/policy) is a function each peer is given: it accepts a route
// with the attributes it adds, or rejects it. Its results are interned attribute sets, so a changed
// policy re-evaluates every route and sends exactly those whose result differs.
//
// Use: apply each committed envelope to the Rib first, then to BgpOutbound (both in seq order);
// then drain each peer with `next`.
import type { NeighborFamily } from '../../config/index.js';
import type { ConfigApplied, Envelope, VrfSnapshot } from '../../events/index.js';
import { isRdRtError, parseRdRt, type RdRt } from '../../shared/index.js';
import type { Rib } from '../rib/index.js';

/** A BGP address family, named as GoBGP's afi-safi-name. */
export type OutboundFamily = NeighborFamily;

/** Every family in the order End-of-RIB markers go out. */
export const OUTBOUND_FAMILIES: readonly OutboundFamily[] = [
  'ipv4-unicast',
  'ipv6-unicast',
  'l3vpn-ipv4-unicast',
  'l3vpn-ipv6-unicast',
];

/**
 * How the routes of one VRF are advertised under the config in force. A new object whenever RD,
 * route targets or label change, so identity tells whether a sent route is current.
 */
export interface VrfAdvertisement {
  /** "" for the global table. */
  readonly vrf: string;
  /** undefined for the global table (IPv4/IPv6 unicast). */
  readonly rd: RdRt | undefined;
  readonly routeTargets: readonly RdRt[];
  /** The MPLS label stack of the VRF's VPN routes ([label]); empty for the global table. */
  readonly labels: readonly number[];
  /** configVersion of the ConfigApplied that set these attributes. */
  readonly configVersion: number;
}

/**
 * What an export policy adds to a route (RFC 1997 communities, RFC 8092 large communities, extended
 * communities beside the VRF's route targets, MED, LOCAL_PREF, AS_PATH prepends). Interned: equal
 * attribute sets of one policy are one object; `key` names it.
 */
export interface PolicyAttributes {
  readonly key: string;
  readonly communities: readonly number[];
  readonly largeCommunities: readonly (readonly [number, number, number])[];
  readonly extCommunities: readonly {
    readonly subtype: 'route-target' | 'route-origin';
    readonly value: RdRt;
  }[];
  readonly med: number | undefined;
  readonly localPref: number | undefined;
  /** ASes put before the path as sent, leftmost first. */
  readonly asPathPrepend: readonly number[];
}

/** The attributes of a route no policy touched. */
export const NO_POLICY_ATTRIBUTES: PolicyAttributes = Object.freeze({
  key: '|||||',
  communities: Object.freeze([]),
  largeCommunities: Object.freeze([]),
  extCommunities: Object.freeze([]),
  med: undefined,
  localPref: undefined,
  asPathPrepend: Object.freeze([]),
});

/** An export policy's verdict on one route, naming the statement that decided it. */
export type ExportDecision =
  | { readonly accepted: true; readonly attributes: PolicyAttributes; readonly statement: string }
  | { readonly accepted: false; readonly statement: string };

/** A peer's compiled export policy: a pure function of the prefix. */
export interface ExportPolicy {
  /** Equal fingerprints: the same decisions for every route. */
  readonly fingerprint: string;
  evaluate(prefix: string): ExportDecision;
}

/** One route in a peer's Adj-RIB-Out: what was sent and why. */
export interface SentRoute {
  readonly advertisement: VrfAdvertisement;
  readonly attributes: PolicyAttributes;
  /** Journal seq of the newest path event behind the route when it was sent. */
  readonly seq: number;
  /** The policy statement that accepted it (undefined: no export policy). */
  readonly statement: string | undefined;
  /** When it was put in the queue to the peer (ms since the epoch). */
  readonly at: number;
  /** The config version in force when it was sent (VRF attributes and export policy). */
  readonly configVersion: number;
}

/** One route as the UPDATE encoder takes it (structurally the codec's BgpRoute). */
export interface OutboundRoute {
  readonly family: OutboundFamily;
  readonly prefix: string;
  readonly rd?: RdRt;
  readonly labels?: readonly number[];
}

/** A piece of work for the session: routes sharing one attribute set, or an End-of-RIB marker. */
export type OutboundChunk =
  | {
      readonly kind: 'announce';
      readonly family: OutboundFamily;
      readonly advertisement: VrfAdvertisement;
      readonly attributes: PolicyAttributes;
      readonly routes: OutboundRoute[];
    }
  | { readonly kind: 'withdraw'; readonly family: OutboundFamily; readonly routes: OutboundRoute[] }
  | { readonly kind: 'end-of-rib'; readonly family: OutboundFamily };

const NONE: readonly never[] = Object.freeze([]);
const GLOBAL: VrfAdvertisement = Object.freeze({
  vrf: '',
  rd: undefined,
  routeTargets: NONE,
  labels: NONE,
  configVersion: 0,
});

function rdOf(text: string): RdRt | undefined {
  const r = parseRdRt(text);
  return isRdRtError(r) ? undefined : r;
}

function sameAttributes(a: VrfAdvertisement, v: VrfSnapshot): boolean {
  return (
    a.rd?.text === v.rd &&
    a.labels[0] === v.label &&
    a.routeTargets.length === v.exportRts.length &&
    a.routeTargets.every((rt, i) => rt.text === v.exportRts[i])
  );
}

/** The family a route of `vrf` goes out in. */
export function outboundFamily(vrf: string, prefix: string): OutboundFamily {
  const v6 = prefix.includes(':');
  if (vrf === '') return v6 ? 'ipv6-unicast' : 'ipv4-unicast';
  return v6 ? 'l3vpn-ipv6-unicast' : 'l3vpn-ipv4-unicast';
}

/** The shared part of the projection: the VRF attributes in force and the peers to notify. */
export class BgpOutbound {
  readonly rib: Rib;
  private readonly adverts = new Map<string, VrfAdvertisement>([['', GLOBAL]]);
  private readonly peers = new Set<AdjRibOut>();
  /** Seq of the last envelope applied. */
  seq: number;
  /** configVersion of the last ConfigApplied applied (0: none yet). */
  configVersion = 0;

  /** Starts at the Rib's current seq and config; apply later envelopes after the Rib has. */
  constructor(rib: Rib) {
    this.rib = rib;
    this.seq = rib.seq;
    if (rib.config) this.applyConfig(rib.config);
  }

  /** The attributes routes of `vrf` go out with, or undefined when the VRF is not configured. */
  advertisement(vrf: string): VrfAdvertisement | undefined {
    return this.adverts.get(vrf);
  }

  /** VRFs that can be advertised, the global table first. */
  vrfs(): string[] {
    return [...this.adverts.keys()].sort();
  }

  /** A queue for one peer; it follows the table until `close`. */
  createPeer(): AdjRibOut {
    const peer = new AdjRibOut(this);
    this.peers.add(peer);
    return peer;
  }

  /** @internal */
  removePeer(peer: AdjRibOut): void {
    this.peers.delete(peer);
  }

  /** The evolve step: one committed envelope, after the Rib applied it. */
  apply(env: Envelope): void {
    this.seq = env.seq;
    const e = env.event;
    switch (e.type) {
      case 'RouteDiscovered':
      case 'RouteVanished':
        for (const p of this.peers) p.markDirty(e.vrf, e.prefix);
        return;
      case 'ConfigApplied': {
        const changed = this.applyConfig(e);
        for (const vrf of changed) {
          for (const p of this.peers) {
            for (const [prefix] of this.rib.entries(vrf)) p.markDirty(vrf, prefix);
            for (const prefix of p.advertisedPrefixes(vrf)) p.markDirty(vrf, prefix);
          }
        }
        return;
      }
      case 'DaemonStarted':
      case 'DaemonStopped':
        return;
      default: {
        const never: never = e;
        throw new TypeError(`unhandled event ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * Rebuilds the projection from the Rib after it failed (the runner's restore): VRF attributes from the
   * config in force, seq at the Rib's, and every active peer resends its whole table.
   */
  resync(): this {
    if (this.rib.config) this.applyConfig(this.rib.config);
    this.seq = this.rib.seq;
    for (const p of this.peers) for (const f of p.sessionFamilies) p.refresh(f);
    return this;
  }

  /** Updates the VRF attributes; returns the VRFs whose attributes changed or that went away. */
  private applyConfig(e: ConfigApplied): string[] {
    this.configVersion = e.configVersion;
    const changed: string[] = [];
    const seen = new Set<string>(['']);
    for (const v of e.vrfs) {
      if (v.name === '') continue;
      seen.add(v.name);
      const old = this.adverts.get(v.name);
      if (old && sameAttributes(old, v)) continue;
      const rd = rdOf(v.rd);
      if (rd === undefined) {
        if (old) changed.push(v.name);
        this.adverts.delete(v.name);
        continue;
      }
      const routeTargets = v.exportRts.map(rdOf).filter((x): x is RdRt => x !== undefined);
      this.adverts.set(
        v.name,
        Object.freeze({
          vrf: v.name,
          rd,
          routeTargets: Object.freeze(routeTargets),
          labels: Object.freeze([v.label]),
          configVersion: e.configVersion,
        }),
      );
      changed.push(v.name);
    }
    for (const vrf of [...this.adverts.keys()]) {
      if (!seen.has(vrf)) {
        this.adverts.delete(vrf);
        changed.push(vrf);
      }
    }
    return changed;
  }
}

interface Walk {
  readonly vrfs: string[];
  vrfIndex: number;
  iter: Iterator<[string, readonly unknown[]]> | undefined;
  /** Families walked; those in `force` are resent even when the peer already has them. */
  readonly families: Set<OutboundFamily>;
  readonly force: Set<OutboundFamily>;
  /** End-of-RIB for every session family when the walk ends (the initial table). */
  endOfRib: boolean;
  total: number;
  visited: number;
}

/** Per-peer outbound queue and Adj-RIB-Out. Inactive (ignores changes) while no session is up. */
export class AdjRibOut {
  private readonly table: BgpOutbound;
  private families = new Set<OutboundFamily>();
  private activeFlag = false;
  private readonly dirty = new Map<string, Set<string>>();
  private dirtyCount = 0;
  private walk: Walk | undefined;
  private readonly advertised = new Map<string, Map<string, SentRoute>>();
  private policy: ExportPolicy | undefined;
  private readonly sentCounts = new Map<OutboundFamily, number>();
  private endOfRibSent = false;

  /** @internal use BgpOutbound.createPeer */
  constructor(table: BgpOutbound) {
    this.table = table;
  }

  get active(): boolean {
    return this.activeFlag;
  }

  /** Families of the current session. */
  get sessionFamilies(): readonly OutboundFamily[] {
    return OUTBOUND_FAMILIES.filter((f) => this.families.has(f));
  }

  /** A session came up carrying `families`: the peer holds nothing; send the table, then End-of-RIB. */
  start(families: readonly OutboundFamily[]): void {
    this.reset();
    this.activeFlag = true;
    this.families = new Set(families);
    this.endOfRibSent = false;
    this.beginWalk(new Set(families), new Set(), true);
  }

  /** The session went down: forget what it was sent. */
  stop(): void {
    this.reset();
  }

  /**
   * Sets the peer's export policy. A different one (by fingerprint) re-evaluates every route the peer
   * has or could have; only those whose result changed go out again.
   */
  setPolicy(policy: ExportPolicy | undefined): void {
    if (policy?.fingerprint === this.policy?.fingerprint) return;
    this.policy = policy;
    if (!this.activeFlag) return;
    for (const vrf of this.table.vrfs()) {
      for (const [prefix] of this.table.rib.entries(vrf)) this.markDirty(vrf, prefix);
    }
    for (const [vrf, sent] of this.advertised) for (const prefix of sent.keys()) this.markDirty(vrf, prefix);
  }

  /** The export policy in force. */
  get exportPolicy(): ExportPolicy | undefined {
    return this.policy;
  }

  /** The routes of `family` this session advertised and did not withdraw, with why. */
  *adjRibOut(family?: OutboundFamily): Generator<{ vrf: string; prefix: string; sent: SentRoute }> {
    for (const [vrf, sent] of this.advertised) {
      for (const [prefix, s] of sent) {
        if (family === undefined || outboundFamily(vrf, prefix) === family) yield { vrf, prefix, sent: s };
      }
    }
  }

  /** Stop following the table for good. */
  close(): void {
    this.reset();
    this.table.removePeer(this);
  }

  /** The peer asked for `family` again (RFC 2918): resend all of it. */
  refresh(family: OutboundFamily): void {
    if (!this.activeFlag || !this.families.has(family)) return;
    const w = this.walk;
    if (w) {
      // Restart the walk covering the family too; families not forced skip what the peer has.
      w.families.add(family);
      w.force.add(family);
      this.beginWalk(w.families, w.force, w.endOfRib);
    } else {
      this.beginWalk(new Set([family]), new Set([family]), false);
    }
  }

  /** Whether End-of-RIB went out for this session (the initial table is complete at the peer). */
  get initialTableSent(): boolean {
    return this.endOfRibSent;
  }

  /** Routes waiting to be sent: changed keys plus what the table walk has still to visit. */
  get depth(): number {
    const w = this.walk;
    return this.dirtyCount + (w ? Math.max(0, w.total - w.visited) : 0);
  }

  /** Whether `next` has anything to give. */
  get hasWork(): boolean {
    return this.activeFlag && (this.dirtyCount > 0 || this.walk !== undefined);
  }

  /** Routes this session advertised and did not withdraw, per family. */
  sent(family: OutboundFamily): number {
    return this.sentCounts.get(family) ?? 0;
  }

  /** @internal */
  markDirty(vrf: string, prefix: string): void {
    if (!this.activeFlag) return;
    let set = this.dirty.get(vrf);
    if (set === undefined) {
      set = new Set();
      this.dirty.set(vrf, set);
    }
    if (set.has(prefix)) return;
    set.add(prefix);
    this.dirtyCount++;
  }

  /** @internal prefixes of `vrf` this session advertised. */
  advertisedPrefixes(vrf: string): string[] {
    return [...(this.advertised.get(vrf)?.keys() ?? [])];
  }

  /**
   * Takes up to about `maxRoutes` routes of work: changed keys first (they are what latency is measured
   * on), then the table walk, then End-of-RIB. Routes sharing family and attributes come in one chunk.
   */
  next(maxRoutes: number): OutboundChunk[] {
    if (!this.activeFlag) return [];
    const out = new ChunkCollector();
    let taken = 0;
    for (const [vrf, set] of this.dirty) {
      for (const prefix of set) {
        set.delete(prefix);
        this.dirtyCount--;
        taken += this.resolve(vrf, prefix, false, out);
        if (taken >= maxRoutes) break;
      }
      if (set.size === 0) this.dirty.delete(vrf);
      if (taken >= maxRoutes) return out.chunks;
    }
    const w = this.walk;
    while (w && taken < maxRoutes) {
      if (w.iter === undefined) {
        const vrf = w.vrfs[w.vrfIndex];
        if (vrf === undefined) {
          this.walk = undefined;
          if (w.endOfRib) {
            for (const f of this.sessionFamilies) out.endOfRib(f);
            this.endOfRibSent = true;
          }
          break;
        }
        w.iter = this.table.rib.entries(vrf);
      }
      const vrf = w.vrfs[w.vrfIndex]!;
      const r = w.iter.next();
      if (r.done) {
        w.iter = undefined;
        w.vrfIndex++;
        continue;
      }
      w.visited++;
      const prefix = r.value[0];
      const family = outboundFamily(vrf, prefix);
      if (!w.families.has(family)) continue;
      taken += this.resolve(vrf, prefix, w.force.has(family), out);
    }
    return out.chunks;
  }

  private reset(): void {
    this.activeFlag = false;
    this.families.clear();
    this.dirty.clear();
    this.dirtyCount = 0;
    this.walk = undefined;
    this.advertised.clear();
    this.sentCounts.clear();
    this.endOfRibSent = false;
  }

  private beginWalk(families: Set<OutboundFamily>, force: Set<OutboundFamily>, endOfRib: boolean): void {
    const vrfs = this.table.vrfs();
    this.walk = {
      vrfs,
      vrfIndex: 0,
      iter: undefined,
      families,
      force,
      endOfRib,
      total: vrfs.reduce((n, v) => n + this.table.rib.size(v), 0),
      visited: 0,
    };
  }

  /** Works out what (vrf, prefix) needs at the peer; returns the routes it put into `out`. */
  private resolve(vrf: string, prefix: string, force: boolean, out: ChunkCollector): number {
    const family = outboundFamily(vrf, prefix);
    if (!this.families.has(family)) return 0;
    const adv = this.table.advertisement(vrf);
    const paths = adv !== undefined ? this.table.rib.lookup(vrf, prefix) : undefined;
    let present = paths !== undefined && paths.length > 0;
    let attributes = NO_POLICY_ATTRIBUTES;
    let statement: string | undefined;
    if (present && this.policy) {
      const d = this.policy.evaluate(prefix);
      statement = d.statement;
      if (d.accepted) attributes = d.attributes;
      else present = false;
    }
    let sentMap = this.advertised.get(vrf);
    const sent = sentMap?.get(prefix);
    if (present && adv !== undefined && paths !== undefined) {
      if (
        sent !== undefined &&
        sent.advertisement === adv &&
        sent.attributes.key === attributes.key &&
        !force
      )
        return 0;
      let n = 1;
      if (sent !== undefined && sent.advertisement.rd?.text !== adv.rd?.text) {
        out.withdraw(family, prefix, sent.advertisement); // another NLRI: the old one must go
        n++;
      }
      out.announce(family, prefix, adv, attributes);
      if (sentMap === undefined) {
        sentMap = new Map();
        this.advertised.set(vrf, sentMap);
      }
      let seq = 0;
      for (const p of paths) if (p.seq > seq) seq = p.seq;
      sentMap.set(prefix, {
        advertisement: adv,
        attributes,
        seq,
        statement,
        at: Date.now(),
        configVersion: this.table.configVersion,
      });
      if (sent === undefined) this.sentCounts.set(family, this.sent(family) + 1);
      return n;
    }
    if (sent === undefined) return 0;
    out.withdraw(family, prefix, sent.advertisement);
    sentMap!.delete(prefix);
    if (sentMap!.size === 0) this.advertised.delete(vrf);
    this.sentCounts.set(family, this.sent(family) - 1);
    return 1;
  }
}

/** Groups routes into chunks by (kind, family, attributes), keeping first-seen order. */
class ChunkCollector {
  readonly chunks: OutboundChunk[] = [];
  private readonly announces = new Map<
    VrfAdvertisement,
    Map<PolicyAttributes, Map<OutboundFamily, OutboundRoute[]>>
  >();
  private readonly withdrawals = new Map<OutboundFamily, OutboundRoute[]>();

  announce(
    family: OutboundFamily,
    prefix: string,
    adv: VrfAdvertisement,
    attributes: PolicyAttributes,
  ): void {
    let byAttrs = this.announces.get(adv);
    if (byAttrs === undefined) {
      byAttrs = new Map();
      this.announces.set(adv, byAttrs);
    }
    let byFamily = byAttrs.get(attributes);
    if (byFamily === undefined) {
      byFamily = new Map();
      byAttrs.set(attributes, byFamily);
    }
    let routes = byFamily.get(family);
    if (routes === undefined) {
      routes = [];
      byFamily.set(family, routes);
      this.chunks.push({ kind: 'announce', family, advertisement: adv, attributes, routes });
    }
    routes.push(
      adv.rd === undefined ? { family, prefix } : { family, prefix, rd: adv.rd, labels: adv.labels },
    );
  }

  withdraw(family: OutboundFamily, prefix: string, sent: VrfAdvertisement): void {
    let routes = this.withdrawals.get(family);
    if (routes === undefined) {
      routes = [];
      this.withdrawals.set(family, routes);
      this.chunks.push({ kind: 'withdraw', family, routes });
    }
    routes.push(
      sent.rd === undefined ? { family, prefix } : { family, prefix, rd: sent.rd, labels: sent.labels },
    );
  }

  endOfRib(family: OutboundFamily): void {
    this.chunks.push({ kind: 'end-of-rib', family });
  }
}
