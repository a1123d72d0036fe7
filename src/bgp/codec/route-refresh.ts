// ROUTE-REFRESH (RFC 2918 section 3) with the message subtypes of Enhanced Route Refresh (RFC 7313
// section 3: 0 normal, 1 Beginning-of-RIB-Refresh, 2 End-of-RIB-Refresh).
import { BGP_MSG_ROUTE_REFRESH, ERR_ROUTE_REFRESH, ERR_ROUTE_REFRESH_INVALID_LENGTH } from './constants.js';
import { BgpProtocolError } from './errors.js';
import { familyAfiSafi, familyOfAfiSafi, type BgpFamily } from './families.js';
import { frameMessage } from './reader.js';

export const ROUTE_REFRESH_NORMAL = 0;
export const ROUTE_REFRESH_BORR = 1;
export const ROUTE_REFRESH_EORR = 2;

/** A decoded ROUTE-REFRESH message. */
export interface RouteRefresh {
  readonly afi: number;
  readonly safi: number;
  /** 0 = request (RFC 2918), 1 = BoRR, 2 = EoRR (RFC 7313); other values are reserved. */
  readonly subtype: number;
  /** The family, when it is one this codec carries. */
  readonly family?: BgpFamily;
}

export function encodeRouteRefresh(family: BgpFamily, subtype = ROUTE_REFRESH_NORMAL): Buffer {
  const { afi, safi } = familyAfiSafi(family);
  return frameMessage(BGP_MSG_ROUTE_REFRESH, Uint8Array.of(afi >>> 8, afi & 0xff, subtype, safi));
}

/**
 * Decodes a ROUTE-REFRESH body. A BoRR/EoRR whose body is not exactly 4 octets is ROUTE-REFRESH
 * Message Error / Invalid Message Length with the whole message as data (RFC 7313 section 5); a
 * subtype-0 message may carry ORF entries (RFC 5291), which are ignored.
 */
export function decodeRouteRefresh(body: Uint8Array): RouteRefresh {
  if (
    body.length < 4 ||
    ((body[2] === ROUTE_REFRESH_BORR || body[2] === ROUTE_REFRESH_EORR) && body.length !== 4)
  ) {
    const whole = frameMessage(BGP_MSG_ROUTE_REFRESH, body);
    throw new BgpProtocolError(
      `ROUTE-REFRESH body of ${body.length} octets`,
      ERR_ROUTE_REFRESH,
      ERR_ROUTE_REFRESH_INVALID_LENGTH,
      whole,
    );
  }
  const afi = (body[0]! << 8) | body[1]!;
  const subtype = body[2]!;
  const safi = body[3]!;
  const family = familyOfAfiSafi(afi, safi);
  return family === undefined ? { afi, safi, subtype } : { afi, safi, subtype, family };
}
