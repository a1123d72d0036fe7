// Access control of the API. One bearer token grants everything; without it a request may only read
// (queries, subscriptions, /metrics), and only where reading is open: on a loopback listener, or where
// the operator set `[api] anonymous-read = true`. State changes (reload, reconcile, backup) always need
// the token, also on loopback. /healthz and /readyz need nothing. The token is compared in constant time
// (digests of equal length) and never logged or echoed.
import { createHash, timingSafeEqual } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { ErrorCode } from '../shared/index.js';
import { RibjournalError } from '../shared/index.js';

/** What a request may do: everything (it carried the token) or read only. */
export type Access = 'admin' | 'read';

/** The operator's choice: the token (if any) and whether requests without it may read. */
export interface AccessConfig {
  /** The bearer token; undefined: none configured (state changes are then refused). */
  readonly token?: string | undefined;
  /** `[api] anonymous-read`: requests without the token may read, also on a non-loopback listener. */
  readonly anonymousRead?: boolean | undefined;
}

/** Why a request or an operation was refused: a stable code, the HTTP status, a message. */
export interface Refusal {
  readonly code: ErrorCode;
  readonly status: number;
  readonly message: string;
}

const HINT = 'send "Authorization: Bearer <token>" (the CLI sends $RIBJOURNAL_TOKEN)';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The token a request carries: undefined when it has no Authorization header; null when it is not Bearer. */
export function bearerToken(authorization: string | null | undefined): string | null | undefined {
  if (authorization === null || authorization === undefined || authorization === '') return undefined;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  return m ? m[1]! : null;
}

/** The access policy in force on one listener; replaced as a whole on reload. */
export class ApiAccess {
  private tokenDigest: Buffer | undefined;
  private openRead = false;

  /** `loopback`: whether the listener is on a loopback address, where reading needs no token. */
  constructor(
    readonly loopback: boolean,
    config: AccessConfig = {},
  ) {
    this.set(config);
  }

  /** Throws CONFIG_INVALID when `config` would leave a non-loopback listener open to no one. */
  check(config: AccessConfig): void {
    if (this.loopback || config.token !== undefined || config.anonymousRead === true) return;
    throw new RibjournalError(
      'CONFIG_INVALID',
      'the API listens on a non-loopback address, so it needs a bearer token ([api] token-file, or ' +
        'RIBJOURNAL_TOKEN_FILE / RIBJOURNAL_TOKEN in the environment) or explicitly opened read access ' +
        '([api] anonymous-read = true); or listen on loopback ([api] listen = "127.0.0.1:8179")',
      { details: { keys: ['api.listen', 'api.token-file', 'api.anonymous-read'] } },
    );
  }

  /** Applies a new token / anonymous-read (after `check`). */
  set(config: AccessConfig): void {
    this.check(config);
    if (config.token !== undefined && config.token === '') {
      throw new RibjournalError('CONFIG_INVALID', 'the API token is empty');
    }
    this.tokenDigest = config.token === undefined ? undefined : digest(config.token);
    this.openRead = this.loopback || config.anonymousRead === true;
  }

  /** Whether a token is configured (state changes possible at all). */
  get hasToken(): boolean {
    return this.tokenDigest !== undefined;
  }

  /** Whether requests without a token may read. */
  get anonymousRead(): boolean {
    return this.openRead;
  }

  /** What a request with this Authorization header may do, or why it is refused outright. */
  decide(authorization: string | null | undefined): Access | Refusal {
    const presented = bearerToken(authorization);
    if (presented === null) {
      return {
        code: 'UNAUTHENTICATED',
        status: 401,
        message: `the Authorization header is not a bearer token: ${HINT}`,
      };
    }
    if (presented !== undefined && this.tokenDigest !== undefined) {
      if (timingSafeEqual(digest(presented), this.tokenDigest)) return 'admin';
      return { code: 'UNAUTHENTICATED', status: 401, message: 'wrong token' };
    }
    // No token presented, or none configured (a token cannot be checked then: the request is anonymous).
    if (this.openRead) return 'read';
    return {
      code: 'UNAUTHENTICATED',
      status: 401,
      message: `this API needs a token: ${HINT}`,
    };
  }

  /** Why a request with `access` may not change state, or undefined when it may. */
  refuseChange(access: Access): Refusal | undefined {
    if (access === 'admin') return undefined;
    if (this.tokenDigest === undefined) {
      return {
        code: 'TOKEN_NOT_CONFIGURED',
        status: 403,
        message:
          'state changes need the API token and none is configured: set [api] token-file (or ' +
          'RIBJOURNAL_TOKEN_FILE / RIBJOURNAL_TOKEN for the daemon) and restart or reload it',
      };
    }
    return {
      code: 'FORBIDDEN',
      status: 401,
      message: `read-only access: state changes need the token; ${HINT}`,
    };
  }
}

/** Whether `host` (an IP literal or a name) is a loopback address; a name must resolve only to loopback. */
export async function isLoopbackHost(host: string): Promise<boolean> {
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) !== 0) return isLoopbackIp(bare);
  if (bare.toLowerCase() === 'localhost') return true;
  try {
    const all = await lookup(bare, { all: true });
    return all.length > 0 && all.every((a) => isLoopbackIp(a.address));
  } catch {
    return false; // unresolvable: listen() reports it
  }
}

/** 127.0.0.0/8, ::1 and IPv4-mapped loopback; not the unspecified address (0.0.0.0, ::). */
export function isLoopbackIp(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let a = ipaddr.parse(address);
  if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) {
    a = (a as ipaddr.IPv6).toIPv4Address();
  }
  return a.range() === 'loopback';
}
