// Export policy as GoBGP evaluates it (pkg/server/policy.go, docs/sources/policy.md): the policies of
// the export-policy-list in order; in each, the statements in order; a statement whose conditions all
// hold applies its bgp-actions to the route, and its route-disposition (accept-route / reject-route)
// ends the evaluation; without one the next statement (then the next policy) sees the modified route.
// When no statement decides, default-export-policy does. As in GoBGP, the policy sees the route as it
// would be sent to the peer (eBGP: our AS already in AS_PATH), so "last-as" is our AS there.
//
// Pure: a compiled ExportPolicy is a function of (vrf, prefix); the neighbor-set conditions are decided
// once per peer at compile time. Attribute sets are interned, so equal results are the same object and
// the outbound projection can tell by identity whether a sent route changed.
import type {
  ApplyPolicy,
  ExtCommunityValue,
  PolicyConfig,
  PolicyStatement,
  SetOption,
} from '../../config/index.js';
import type { ExportDecision, ExportPolicy, PolicyAttributes } from '../../projections/bgp-outbound/index.js';
import { NO_POLICY_ATTRIBUTES } from '../../projections/bgp-outbound/index.js';
import { parsePrefix } from '../../shared/index.js';
import { parsePrefixInto, prefixInto } from '../codec/index.js';

/** The peer a policy is compiled for. */
export interface PolicyPeer {
  /** Canonical address text. */
  readonly address: string;
  /** The leftmost AS of the path as sent before policy: our AS toward eBGP, undefined toward iBGP. */
  readonly firstAs: number | undefined;
}

type Large = readonly [number, number, number];

interface Draft {
  communities: number[];
  large: Large[];
  ext: ExtCommunityValue[];
  med: number | undefined;
  localPref: number | undefined;
  prepend: number[];
}

interface CompiledPrefix {
  readonly v6: boolean;
  readonly bytes: Uint8Array;
  readonly length: number;
  readonly min: number;
  readonly max: number;
}

interface CompiledStatement {
  readonly name: string;
  /** undefined: no prefix condition. Returns whether the condition holds. */
  readonly prefix: ((v6: boolean, bytes: Uint8Array, length: number) => boolean) | undefined;
  readonly community: ((communities: readonly number[]) => boolean) | undefined;
  readonly apply: ((d: Draft) => void) | undefined;
  readonly disposition: 'accept' | 'reject' | 'none';
}

function prefixMatcher(entries: readonly CompiledPrefix[], invert: boolean) {
  return (v6: boolean, bytes: Uint8Array, length: number): boolean => {
    let hit = false;
    for (const e of entries) {
      if (e.v6 !== v6 || length < e.min || length > e.max) continue;
      const whole = e.length >>> 3;
      let same = true;
      for (let i = 0; i < whole; i++)
        if (bytes[i] !== e.bytes[i]) {
          same = false;
          break;
        }
      const rest = e.length & 7;
      if (same && rest !== 0) {
        const mask = (0xff << (8 - rest)) & 0xff;
        same = ((bytes[whole] ?? 0) & mask) === (e.bytes[whole]! & mask);
      }
      if (same) {
        hit = true;
        break;
      }
    }
    return invert ? !hit : hit;
  };
}

function communityText(c: number): string {
  return `${Math.floor(c / 0x10000)}:${c & 0xffff}`;
}

function communityMatcher(
  values: readonly number[],
  patterns: readonly string[],
  option: 'any' | 'all' | 'invert',
) {
  const regexps = patterns.map((p) => new RegExp(`^(?:${p})$`));
  const one = (has: readonly number[], v: number): boolean => has.includes(v);
  const onePattern = (has: readonly number[], r: RegExp): boolean =>
    has.some((c) => r.test(communityText(c)));
  return (has: readonly number[]): boolean => {
    if (option === 'all') return values.every((v) => one(has, v)) && regexps.every((r) => onePattern(has, r));
    const any = values.some((v) => one(has, v)) || regexps.some((r) => onePattern(has, r));
    return option === 'invert' ? !any : any;
  };
}

function neighborIn(list: readonly string[], address: string): boolean {
  for (const item of list) {
    if (!item.includes('/')) {
      if (item === address) return true;
      continue;
    }
    const p = parsePrefix(item);
    const a = parsePrefix(`${address}/${address.includes(':') ? 128 : 32}`);
    if (p === null || a === null || p.family !== a.family) continue;
    if (parsePrefix(`${a.address}/${p.length}`)?.canonical === p.canonical) return true;
  }
  return false;
}

function setList<T>(list: T[], option: SetOption, values: readonly T[], same: (a: T, b: T) => boolean): T[] {
  switch (option) {
    case 'replace':
      return [...values];
    case 'remove':
      return list.filter((x) => !values.some((v) => same(x, v)));
    case 'add': {
      const out = [...list];
      for (const v of values) if (!out.some((x) => same(x, v))) out.push(v);
      return out;
    }
  }
}

const sameNumber = (a: number, b: number): boolean => a === b;
const sameLarge = (a: Large, b: Large): boolean => a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
const sameExt = (a: ExtCommunityValue, b: ExtCommunityValue): boolean =>
  a.subtype === b.subtype && a.value.text === b.value.text;

function compileActions(s: PolicyStatement, peer: PolicyPeer): ((d: Draft) => void) | undefined {
  const a = s.actions;
  const steps: ((d: Draft) => void)[] = [];
  if (a.community) {
    const { option, communities } = a.community;
    steps.push((d) => (d.communities = setList(d.communities, option, communities, sameNumber)));
  }
  if (a.largeCommunity) {
    const { option, communities } = a.largeCommunity;
    steps.push((d) => (d.large = setList(d.large, option, communities, sameLarge)));
  }
  if (a.extCommunity) {
    const { option, communities } = a.extCommunity;
    steps.push((d) => (d.ext = setList(d.ext, option, communities, sameExt)));
  }
  if (a.med) {
    const { op, value } = a.med;
    steps.push((d) => {
      const old = d.med ?? 0;
      const v = op === 'set' ? value : op === 'add' ? old + value : old - value;
      d.med = Math.min(0xffffffff, Math.max(0, v));
    });
  }
  if (a.localPref !== undefined) {
    const lp = a.localPref;
    steps.push((d) => (d.localPref = lp));
  }
  if (a.asPathPrepend) {
    const { as, repeat } = a.asPathPrepend;
    steps.push((d) => {
      const asn = as === 'last-as' ? (d.prepend[0] ?? peer.firstAs) : as;
      if (asn === undefined) return;
      d.prepend = [...(Array(repeat).fill(asn) as number[]), ...d.prepend];
    });
  }
  if (steps.length === 0) return undefined;
  return (d) => {
    for (const step of steps) step(d);
  };
}

/** The key of an attribute set: equal keys, equal bytes on the wire. */
function keyOf(d: Draft): string {
  return [
    d.communities.join(','),
    d.large.map((l) => l.join(':')).join(','),
    d.ext.map((e) => `${e.subtype}:${e.value.text}`).join(','),
    d.med ?? '',
    d.localPref ?? '',
    d.prepend.join(','),
  ].join('|');
}

function emptyDraft(): Draft {
  return { communities: [], large: [], ext: [], med: undefined, localPref: undefined, prepend: [] };
}

const EMPTY_KEY = keyOf(emptyDraft());

/**
 * Compiles the export policy of one peer: `apply` is its own apply-policy or the global one (undefined:
 * everything accepted as is). Statements whose neighbor-set does not hold for this peer are left out.
 */
export function compileExportPolicy(
  config: PolicyConfig,
  apply: ApplyPolicy | undefined,
  peer: PolicyPeer,
): ExportPolicy | undefined {
  if (apply === undefined) return undefined;
  const prefixSets = new Map(config.prefixSets.map((s) => [s.name, s]));
  const neighborSets = new Map(config.neighborSets.map((s) => [s.name, s]));
  const communitySets = new Map(config.communitySets.map((s) => [s.name, s]));
  const statements: CompiledStatement[] = [];
  const used: unknown[] = [];
  for (const name of apply.exportPolicies) {
    const def = config.definitions.find((d) => d.name === name);
    if (def === undefined) continue;
    used.push(def);
    for (const s of def.statements) {
      const c = s.conditions;
      if (c.neighborSet) {
        const set = neighborSets.get(c.neighborSet.name);
        used.push(set);
        const hit = set !== undefined && neighborIn(set.neighbors, peer.address);
        if (hit === (c.neighborSet.option === 'invert')) continue; // never holds for this peer
      }
      let prefix: CompiledStatement['prefix'];
      if (c.prefixSet) {
        const set = prefixSets.get(c.prefixSet.name);
        used.push(set);
        const entries: CompiledPrefix[] = (set?.prefixes ?? []).map((e) => {
          const v6 = e.prefix.includes(':');
          const bytes = new Uint8Array(16);
          const length = parsePrefixInto(e.prefix, v6, bytes);
          return { v6, bytes, length, min: e.minLength, max: e.maxLength };
        });
        prefix = prefixMatcher(entries, c.prefixSet.option === 'invert');
      }
      let community: CompiledStatement['community'];
      if (c.communitySet) {
        const set = communitySets.get(c.communitySet.name);
        used.push(set);
        community = communityMatcher(set?.communities ?? [], set?.patterns ?? [], c.communitySet.option);
      }
      statements.push({
        name: `${def.name}/${s.name}`,
        prefix,
        community,
        apply: compileActions(s, peer),
        disposition: s.actions.disposition,
      });
    }
  }
  const fingerprint = JSON.stringify({ apply, used, peer });
  const defaultAccept = apply.defaultExport === 'accept';
  const interned = new Map<string, PolicyAttributes>([[EMPTY_KEY, NO_POLICY_ATTRIBUTES]]);
  const scratch = new Uint8Array(16);

  const finish = (d: Draft): PolicyAttributes => {
    const key = keyOf(d);
    let attrs = interned.get(key);
    if (attrs === undefined) {
      attrs = Object.freeze({
        key,
        communities: Object.freeze(d.communities),
        largeCommunities: Object.freeze(d.large),
        extCommunities: Object.freeze(d.ext),
        med: d.med,
        localPref: d.localPref,
        asPathPrepend: Object.freeze(d.prepend),
      });
      interned.set(key, attrs);
    }
    return attrs;
  };

  // The only route-dependent inputs are the prefix conditions (neighbor-sets were decided above, and
  // community conditions see what earlier statements set, starting from nothing): so the decision is a
  // function of which prefix conditions hold, and is cached by that trace.
  const cache = new Map<number | string, ExportDecision>();
  // Up to 30 statements the trace is a number (bit i: statement i's prefix condition holds).
  const numeric = statements.length <= 30;
  const MAX_CACHED = 4096;
  const decide = (trace: readonly boolean[]): ExportDecision => {
    const d = emptyDraft();
    let decided: string | undefined;
    for (let i = 0; i < statements.length; i++) {
      const s = statements[i]!;
      if (!trace[i]) continue;
      if (s.community && !s.community(d.communities)) continue;
      s.apply?.(d);
      decided = s.name;
      if (s.disposition === 'reject') return { accepted: false, statement: s.name };
      if (s.disposition === 'accept') return { accepted: true, attributes: finish(d), statement: s.name };
    }
    if (!defaultAccept) return { accepted: false, statement: decided ?? 'default-export-policy' };
    return { accepted: true, attributes: finish(d), statement: decided ?? 'default-export-policy' };
  };
  const trace: boolean[] = statements.map(() => true);

  return {
    fingerprint,
    evaluate(prefix: string): ExportDecision {
      const v6 = prefix.includes(':');
      const length = prefixInto(prefix, v6, scratch);
      let bits = 0;
      let text = '';
      for (let i = 0; i < statements.length; i++) {
        const p = statements[i]!.prefix;
        const hit = p === undefined || (length >= 0 && p(v6, scratch, length));
        trace[i] = hit;
        if (numeric) {
          if (hit) bits |= 1 << i;
        } else text += hit ? '1' : '0';
      }
      const key = numeric ? bits : text;
      let decision = cache.get(key);
      if (decision === undefined) {
        if (cache.size >= MAX_CACHED) cache.clear();
        decision = decide(trace);
        cache.set(key, decision);
      }
      return decision;
    },
  };
}
