// GoBGP's routing policy config (docs/sources/policy.md, pkg/config/oc/bgp_configs.go): defined-sets
// (prefix-sets with masklength-range, neighbor-sets, bgp-defined-sets community-sets), policy-definitions
// with statements, and apply-policy export lists. Read with GoBGP's key names and defaults; every name a
// statement or apply-policy refers to must be defined. Only export policy is used by ribjournal (it
// imports no routes from peers), so import/in policy keys are warnings.
import ipaddr from 'ipaddr.js';
import { isRdRtError, parsePrefix, parseRdRt, type RdRt } from '../shared/index.js';
import type { KeyPath } from './path.js';
import type { Report, TableReader } from './reader.js';

export type MatchSetOption = 'any' | 'all' | 'invert';

/** One `[[defined-sets.prefix-sets.prefix-list]]` entry: a prefix and the lengths it matches. */
export interface PrefixSetEntry {
  /** Canonical prefix text. */
  readonly prefix: string;
  readonly minLength: number;
  readonly maxLength: number;
}

export interface PrefixSet {
  readonly name: string;
  readonly prefixes: readonly PrefixSetEntry[];
}

export interface NeighborSet {
  readonly name: string;
  /** Canonical addresses or prefixes (GoBGP accepts both). */
  readonly neighbors: readonly string[];
}

export interface CommunitySet {
  readonly name: string;
  /** Exact values (RFC 1997 32-bit) and, for entries that are no community, anchored regular expressions. */
  readonly communities: readonly number[];
  readonly patterns: readonly string[];
}

/** An extended community a policy sets: a route target or a route origin (site of origin). */
export interface ExtCommunityValue {
  readonly subtype: 'route-target' | 'route-origin';
  readonly value: RdRt;
}

export type SetOption = 'add' | 'replace' | 'remove';

export interface StatementConditions {
  readonly prefixSet?: { readonly name: string; readonly option: 'any' | 'invert' };
  readonly neighborSet?: { readonly name: string; readonly option: 'any' | 'invert' };
  readonly communitySet?: { readonly name: string; readonly option: MatchSetOption };
}

export interface StatementActions {
  /** 'none': continue with the next statement (GoBGP's default). */
  readonly disposition: 'accept' | 'reject' | 'none';
  readonly community?: { readonly option: SetOption; readonly communities: readonly number[] };
  readonly largeCommunity?: {
    readonly option: SetOption;
    readonly communities: readonly (readonly [number, number, number])[];
  };
  readonly extCommunity?: { readonly option: SetOption; readonly communities: readonly ExtCommunityValue[] };
  /** set-med: "100" sets, "+10"/"-10" add or subtract. */
  readonly med?: { readonly op: 'set' | 'add' | 'subtract'; readonly value: number };
  readonly localPref?: number;
  readonly asPathPrepend?: { readonly as: number | 'last-as'; readonly repeat: number };
}

export interface PolicyStatement {
  readonly name: string;
  readonly conditions: StatementConditions;
  readonly actions: StatementActions;
}

export interface PolicyDefinition {
  readonly name: string;
  readonly statements: readonly PolicyStatement[];
}

/** `[global.apply-policy.config]` or `[neighbors.apply-policy.config]`, export side. */
export interface ApplyPolicy {
  readonly exportPolicies: readonly string[];
  /** default-export-policy; "accept-route" by default as GoBGP. */
  readonly defaultExport: 'accept' | 'reject';
}

/** All policy definitions and sets of the config. */
export interface PolicyConfig {
  readonly prefixSets: readonly PrefixSet[];
  readonly neighborSets: readonly NeighborSet[];
  readonly communitySets: readonly CommunitySet[];
  readonly definitions: readonly PolicyDefinition[];
}

export const EMPTY_POLICY_CONFIG: PolicyConfig = {
  prefixSets: [],
  neighborSets: [],
  communitySets: [],
  definitions: [],
};

/** RFC 1997, RFC 3765, RFC 7999, RFC 8326, RFC 7611 well-known communities, named as GoBGP names them. */
export const WELL_KNOWN_COMMUNITIES: Readonly<Record<string, number>> = {
  'graceful-shutdown': 0xffff0000,
  'accept-own': 0xffff0001,
  'llgr-stale': 0xffff0006,
  'no-llgr': 0xffff0007,
  blackhole: 0xffff029a,
  'no-export': 0xffffff01,
  'no-advertise': 0xffffff02,
  'no-export-subconfed': 0xffffff03,
  'no-peer': 0xffffff04,
};

/** "65100:10", a 32-bit decimal, or a well-known name; undefined when it is none of them. */
export function parseCommunity(text: string): number | undefined {
  const known = WELL_KNOWN_COMMUNITIES[text.toLowerCase()];
  if (known !== undefined) return known;
  let m = /^(\d{1,5}):(\d{1,5})$/.exec(text);
  if (m) {
    const hi = Number(m[1]);
    const lo = Number(m[2]);
    return hi <= 0xffff && lo <= 0xffff ? hi * 0x10000 + lo : undefined;
  }
  m = /^\d{1,10}$/.exec(text);
  if (m) {
    const v = Number(text);
    return v <= 0xffffffff ? v : undefined;
  }
  return undefined;
}

/** "global:local1:local2" (RFC 8092), each 32 bits. */
export function parseLargeCommunity(text: string): [number, number, number] | undefined {
  const m = /^(\d{1,10}):(\d{1,10}):(\d{1,10})$/.exec(text);
  if (!m) return undefined;
  const parts = [Number(m[1]), Number(m[2]), Number(m[3])] as [number, number, number];
  return parts.every((p) => p <= 0xffffffff) ? parts : undefined;
}

/** "rt:65000:1" / "soo:10.0.0.1:5" as GoBGP writes them (the subtype is case-insensitive). */
export function parseExtCommunity(text: string): ExtCommunityValue | { error: string } {
  const colon = text.indexOf(':');
  const kind = colon < 0 ? '' : text.slice(0, colon).toLowerCase();
  const subtype = kind === 'rt' ? 'route-target' : kind === 'soo' ? 'route-origin' : undefined;
  if (subtype === undefined)
    return { error: `"${text}" is not an extended community (write rt:ASN:nn or soo:ASN:nn)` };
  const value = parseRdRt(text.slice(colon + 1));
  if (isRdRtError(value)) return value;
  return { subtype, value };
}

/** Text of a community as GoBGP prints it: a well-known name or "hi:lo". */
export function formatCommunity(value: number): string {
  for (const [name, v] of Object.entries(WELL_KNOWN_COMMUNITIES)) if (v === value) return name;
  return `${Math.floor(value / 0x10000)}:${value & 0xffff}`;
}

function readOption<T extends string>(t: TableReader, key: string, allowed: readonly T[], fallback: T): T {
  const text = t.string(key);
  if (text === undefined) return fallback;
  const lower = text.toLowerCase() as T;
  if (allowed.includes(lower)) return lower;
  t.report.error(t.at(key), `"${text}" is not one of ${allowed.join(', ')}`);
  return fallback;
}

function readDisposition(t: TableReader, key: string): 'accept' | 'reject' | 'none' | undefined {
  const text = t.string(key);
  if (text === undefined) return undefined;
  switch (text.toLowerCase()) {
    case 'accept-route':
      return 'accept';
    case 'reject-route':
      return 'reject';
    case 'none':
    case '':
      return 'none';
  }
  t.report.error(t.at(key), `"${text}" is not accept-route or reject-route`);
  return undefined;
}

/** Names defined in a list, each once; a duplicate is an error at its name. */
function uniqueName(report: Report, seen: Map<string, KeyPath>, name: string, at: KeyPath): boolean {
  if (seen.has(name)) {
    report.error(at, `"${name}" is defined twice`);
    return false;
  }
  seen.set(name, at);
  return true;
}

function readPrefixSets(ds: TableReader): PrefixSet[] {
  const out: PrefixSet[] = [];
  const seen = new Map<string, KeyPath>();
  for (const ps of ds.tableArray('prefix-sets') ?? []) {
    const name = ps.string('prefix-set-name');
    if (name === undefined && !ps.has('prefix-set-name'))
      ps.report.error(ps.path, 'prefix-set-name is required');
    const prefixes: PrefixSetEntry[] = [];
    for (const entry of ps.tableArray('prefix-list') ?? []) {
      const text = entry.string('ip-prefix');
      const range = entry.string('masklength-range');
      entry.finish();
      if (text === undefined) {
        if (!entry.has('ip-prefix')) entry.report.error(entry.path, 'ip-prefix is required');
        continue;
      }
      const p = parsePrefix(text);
      if (p === null) {
        entry.report.error(entry.at('ip-prefix'), `"${text}" is not an IPv4 or IPv6 prefix`);
        continue;
      }
      let minLength = p.length;
      let maxLength = p.length;
      if (range !== undefined) {
        const m = /^(\d{1,3})\.\.(\d{1,3})$/.exec(range.trim());
        const bits = p.family === 'ipv4' ? 32 : 128;
        const lo = m ? Number(m[1]) : NaN;
        const hi = m ? Number(m[2]) : NaN;
        if (!m || lo > hi || hi > bits || lo < p.length) {
          entry.report.error(
            entry.at('masklength-range'),
            `"${range}" is not a length range MIN..MAX with ${p.length} <= MIN <= MAX <= ${bits}`,
          );
          continue;
        }
        minLength = lo;
        maxLength = hi;
      }
      prefixes.push({ prefix: p.canonical, minLength, maxLength });
    }
    ps.finish();
    if (name !== undefined && uniqueName(ps.report, seen, name, ps.at('prefix-set-name')))
      out.push({ name, prefixes });
  }
  return out;
}

function readNeighborSets(ds: TableReader): NeighborSet[] {
  const out: NeighborSet[] = [];
  const seen = new Map<string, KeyPath>();
  for (const ns of ds.tableArray('neighbor-sets') ?? []) {
    const name = ns.string('neighbor-set-name');
    if (name === undefined && !ns.has('neighbor-set-name'))
      ns.report.error(ns.path, 'neighbor-set-name is required');
    const neighbors: string[] = [];
    for (const item of ns.stringList('neighbor-info-list') ?? []) {
      const text = item.value;
      const prefix = text.includes('/') ? parsePrefix(text) : null;
      if (prefix !== null) neighbors.push(prefix.canonical);
      else if (!text.includes('/') && ipaddr.isValid(text)) neighbors.push(ipaddr.parse(text).toString());
      else ns.report.error(item.path, `"${text}" is not an address or prefix`);
    }
    ns.finish();
    if (name !== undefined && uniqueName(ns.report, seen, name, ns.at('neighbor-set-name')))
      out.push({ name, neighbors });
  }
  return out;
}

function readCommunitySets(bds: TableReader): CommunitySet[] {
  const out: CommunitySet[] = [];
  const seen = new Map<string, KeyPath>();
  for (const cs of bds.tableArray('community-sets') ?? []) {
    const name = cs.string('community-set-name');
    if (name === undefined && !cs.has('community-set-name'))
      cs.report.error(cs.path, 'community-set-name is required');
    const communities: number[] = [];
    const patterns: string[] = [];
    for (const item of cs.stringList('community-list') ?? []) {
      const exact = parseCommunity(item.value);
      if (exact !== undefined) {
        communities.push(exact);
        continue;
      }
      try {
        new RegExp(item.value);
        patterns.push(item.value);
      } catch {
        cs.report.error(item.path, `"${item.value}" is neither a community nor a regular expression`);
      }
    }
    cs.finish();
    if (name !== undefined && uniqueName(cs.report, seen, name, cs.at('community-set-name')))
      out.push({ name, communities, patterns });
  }
  return out;
}

interface Names {
  readonly prefixSets: ReadonlySet<string>;
  readonly neighborSets: ReadonlySet<string>;
  readonly communitySets: ReadonlySet<string>;
}

function readSetRef<O extends string>(
  c: TableReader,
  key: string,
  setKey: string,
  defined: ReadonlySet<string>,
  options: readonly O[],
): { name: string; option: O } | undefined {
  const m = c.table(key);
  if (m === undefined) return undefined;
  const name = m.string(setKey);
  const option = readOption(m, 'match-set-options', options, options[0]!);
  m.finish();
  if (name === undefined) {
    if (!m.has(setKey)) m.report.error(m.path, `${setKey} is required`);
    return undefined;
  }
  if (!defined.has(name)) {
    m.report.error(
      m.at(setKey),
      `unknown ${setKey} "${name}" (defined: ${defined.size === 0 ? 'none' : [...defined].join(', ')})`,
    );
    return undefined;
  }
  return { name, option };
}

const UNSUPPORTED_CONDITIONS = [
  'match-ext-community-set',
  'match-large-community-set',
  'match-as-path-set',
  'as-path-length',
  'community-count',
  'route-type',
  'rpki-validation-result',
  'next-hop-in-list',
  'afi-safi-in',
  'origin-eq',
  'match-role',
];

function readConditions(t: TableReader | undefined, names: Names): StatementConditions {
  if (t === undefined) return {};
  const prefixSet = readSetRef(t, 'match-prefix-set', 'prefix-set', names.prefixSets, ['any', 'invert']);
  const neighborSet = readSetRef(t, 'match-neighbor-set', 'neighbor-set', names.neighborSets, [
    'any',
    'invert',
  ]);
  const bgp = t.table('bgp-conditions');
  let communitySet: StatementConditions['communitySet'];
  if (bgp !== undefined) {
    communitySet = readSetRef(bgp, 'match-community-set', 'community-set', names.communitySets, [
      'any',
      'all',
      'invert',
    ]);
    // A condition left out would widen what the statement applies to (a reject could hit every route).
    for (const key of UNSUPPORTED_CONDITIONS)
      if (bgp.has(key)) bgp.report.error(bgp.at(key), 'this condition is not supported by ribjournal');
    bgp.ignore(UNSUPPORTED_CONDITIONS);
    bgp.finish();
  }
  t.finish();
  return {
    ...(prefixSet ? { prefixSet } : {}),
    ...(neighborSet ? { neighborSet } : {}),
    ...(communitySet ? { communitySet } : {}),
  };
}

function readSetAction<V>(
  a: TableReader,
  key: string,
  parse: (text: string) => V | { error: string } | undefined,
  what: string,
): { option: SetOption; communities: V[] } | undefined {
  const t = a.table(key);
  if (t === undefined) return undefined;
  const option = readOption(t, 'options', ['add', 'replace', 'remove'], 'add');
  const method = t.table(`${key}-method`);
  t.finish();
  const communities: V[] = [];
  if (method !== undefined) {
    for (const item of method.stringList('communities-list') ?? []) {
      const v = parse(item.value);
      if (v === undefined) method.report.error(item.path, `"${item.value}" is not ${what}`);
      else if (typeof v === 'object' && v !== null && 'error' in v) method.report.error(item.path, v.error);
      else communities.push(v);
    }
    method.ignore(['community-set-ref'], 'community-set-ref is not supported by ribjournal');
    method.finish();
  }
  return { option, communities };
}

function readActions(t: TableReader | undefined): StatementActions {
  if (t === undefined) return { disposition: 'none' };
  const disposition = readDisposition(t, 'route-disposition') ?? 'none';
  const b = t.table('bgp-actions');
  t.finish();
  if (b === undefined) return { disposition };
  const community = readSetAction(
    b,
    'set-community',
    parseCommunity,
    'a community (ASN:nn or a well-known name)',
  );
  const largeCommunity = readSetAction(
    b,
    'set-large-community',
    parseLargeCommunity,
    'a large community (g:l1:l2)',
  );
  const extCommunity = readSetAction(b, 'set-ext-community', parseExtCommunity, 'an extended community');
  let med: StatementActions['med'];
  const medText = b.peek('set-med');
  if (typeof medText === 'number') b.number('set-med', { min: 0, max: 0xffffffff });
  const medString = typeof medText === 'number' ? String(medText) : b.string('set-med');
  if (medString !== undefined) {
    const m = /^([+-]?)(\d{1,10})$/.exec(medString.trim());
    if (m && Number(m[2]) <= 0xffffffff)
      med = { op: m[1] === '+' ? 'add' : m[1] === '-' ? 'subtract' : 'set', value: Number(m[2]) };
    else b.report.error(b.at('set-med'), `"${medString}" is not a MED: write "100", "+10" or "-10"`);
  }
  const localPref = b.number('set-local-pref', { min: 0, max: 0xffffffff });
  let asPathPrepend: StatementActions['asPathPrepend'];
  const pp = b.table('set-as-path-prepend');
  if (pp !== undefined) {
    const asText = pp.peek('as');
    let as: number | 'last-as' | undefined;
    if (typeof asText === 'number') as = pp.number('as', { min: 1, max: 0xffffffff });
    else {
      const s = pp.string('as');
      if (s === 'last-as') as = 'last-as';
      else if (s !== undefined && /^\d{1,10}$/.test(s) && Number(s) >= 1 && Number(s) <= 0xffffffff)
        as = Number(s);
      else if (s !== undefined) pp.report.error(pp.at('as'), `"${s}" is not an AS number or "last-as"`);
      else if (!pp.has('as')) pp.report.error(pp.path, 'as is required');
    }
    const repeat = pp.number('repeat-n', { min: 1, max: 255 }) ?? 1;
    pp.finish();
    if (as !== undefined) asPathPrepend = { as, repeat };
  }
  b.ignore(['set-next-hop', 'set-route-origin'], 'this action is not supported by ribjournal');
  b.finish();
  return {
    disposition,
    ...(community ? { community } : {}),
    ...(largeCommunity ? { largeCommunity } : {}),
    ...(extCommunity ? { extCommunity } : {}),
    ...(med ? { med } : {}),
    ...(localPref !== undefined ? { localPref } : {}),
    ...(asPathPrepend ? { asPathPrepend } : {}),
  };
}

function readDefinitions(root: TableReader, names: Names): PolicyDefinition[] {
  const out: PolicyDefinition[] = [];
  const seen = new Map<string, KeyPath>();
  for (const pd of root.tableArray('policy-definitions') ?? []) {
    const name = pd.string('name');
    if (name === undefined && !pd.has('name')) pd.report.error(pd.path, 'name is required');
    const statements: PolicyStatement[] = [];
    (pd.tableArray('statements') ?? []).forEach((st, i) => {
      const stName = st.string('name') ?? `${name ?? 'policy'}_stmt${i}`;
      const conditions = readConditions(st.table('conditions'), names);
      const actions = readActions(st.table('actions'));
      st.finish();
      statements.push({ name: stName, conditions, actions });
    });
    pd.finish();
    if (name !== undefined && uniqueName(pd.report, seen, name, pd.at('name')))
      out.push({ name, statements });
  }
  return out;
}

/** Reads `[defined-sets]` and `[[policy-definitions]]` from the document root. */
export function readPolicyConfig(root: TableReader): PolicyConfig {
  const ds = root.table('defined-sets');
  let prefixSets: PrefixSet[] = [];
  let neighborSets: NeighborSet[] = [];
  let communitySets: CommunitySet[] = [];
  if (ds !== undefined) {
    prefixSets = readPrefixSets(ds);
    neighborSets = readNeighborSets(ds);
    const bds = ds.table('bgp-defined-sets');
    if (bds !== undefined) {
      communitySets = readCommunitySets(bds);
      bds.ignore(['ext-community-sets', 'large-community-sets', 'as-path-sets']);
      bds.finish();
    }
    ds.ignore(['tag-sets']);
    ds.finish();
  }
  const names: Names = {
    prefixSets: new Set(prefixSets.map((s) => s.name)),
    neighborSets: new Set(neighborSets.map((s) => s.name)),
    communitySets: new Set(communitySets.map((s) => s.name)),
  };
  const definitions = readDefinitions(root, names);
  return { prefixSets, neighborSets, communitySets, definitions };
}

/**
 * Reads `apply-policy` of `[global]`, `[[neighbors]]` or `[[peer-groups]]` (its `config` table); the
 * policy names are checked against `defined`. undefined when there is no export side.
 */
export function readApplyPolicy(parent: TableReader, defined: ReadonlySet<string>): ApplyPolicy | undefined {
  const ap = parent.table('apply-policy');
  if (ap === undefined) return undefined;
  const c = ap.table('config');
  ap.finish();
  if (c === undefined) return undefined;
  const exportPolicies: string[] = [];
  const list = c.stringList('export-policy-list');
  for (const item of list ?? []) {
    if (defined.has(item.value)) exportPolicies.push(item.value);
    else
      c.report.error(
        item.path,
        `unknown policy "${item.value}" (defined in [[policy-definitions]]: ${defined.size === 0 ? 'none' : [...defined].join(', ')})`,
      );
  }
  const disposition = c.has('default-export-policy')
    ? readDisposition(c, 'default-export-policy')
    : undefined;
  c.ignore(
    ['import-policy-list', 'default-import-policy', 'in-policy-list', 'default-in-policy'],
    'ribjournal imports no routes from peers; only export policy applies',
  );
  c.finish();
  if (list === undefined && disposition === undefined) return undefined;
  return { exportPolicies, defaultExport: disposition === 'reject' ? 'reject' : 'accept' };
}
