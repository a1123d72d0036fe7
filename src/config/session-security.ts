// GoBGP's per-neighbor transport security keys: `[neighbors.config] auth-password` (TCP-MD5, RFC 2385),
// `[neighbors.transport.config] ttl`, `[neighbors.ebgp-multihop.config] enabled / multihop-ttl` and
// `[neighbors.ttl-security.config] enabled / ttl-min` (GTSM, RFC 5082), with GoBGP's defaults.
import type { TableReader } from './reader.js';

/** Linux's TCP_MD5SIG_MAXKEYLEN. */
const MAX_KEY_BYTES = 80;

export interface SessionSecurity {
  readonly authPassword?: string;
  /** `[neighbors.transport.config] ttl`: the TTL of what we send, whatever the peer type. */
  readonly ttl?: number;
  readonly ebgpMultihop?: { readonly enabled: boolean; readonly multihopTtl: number };
  readonly ttlSecurity?: { readonly enabled: boolean; readonly ttlMin: number };
}

export function readAuthPassword(c: TableReader): string | undefined {
  const password = c.string('auth-password');
  if (password === undefined || password === '') return undefined;
  if (Buffer.byteLength(password, 'utf8') > MAX_KEY_BYTES)
    c.report.error(c.at('auth-password'), `longer than ${MAX_KEY_BYTES} bytes (the TCP-MD5 key limit)`);
  return password;
}

export function readTransportTtl(tc: TableReader): number | undefined {
  const ttl = tc.number('ttl', { min: 0, max: 255 });
  return ttl === 0 ? undefined : ttl;
}

/** Reads `ebgp-multihop` and `ttl-security` of one neighbor (or peer group). */
export function readTtlSections(n: TableReader): Pick<SessionSecurity, 'ebgpMultihop' | 'ttlSecurity'> {
  const out: { -readonly [K in keyof SessionSecurity]: SessionSecurity[K] } = {};
  const mh = n.table('ebgp-multihop')?.table('config');
  if (mh !== undefined) {
    const enabled = mh.boolean('enabled') ?? false;
    // GoBGP fills multihop-ttl 255 when multihop is enabled without one.
    const multihopTtl = mh.number('multihop-ttl', { min: 1, max: 255 }) ?? 255;
    mh.finish();
    out.ebgpMultihop = { enabled, multihopTtl };
  }
  const ts = n.table('ttl-security')?.table('config');
  if (ts !== undefined) {
    const enabled = ts.boolean('enabled') ?? false;
    const ttlMin = ts.number('ttl-min', { min: 1, max: 255 }) ?? 255;
    ts.finish();
    out.ttlSecurity = { enabled, ttlMin };
  }
  return out;
}
