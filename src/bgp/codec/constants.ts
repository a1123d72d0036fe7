// Wire constants of BGP-4 (RFC 4271) and the extensions this codec speaks: multiprotocol (RFC 4760),
// capabilities (RFC 5492), route refresh (RFC 2918, RFC 7313), 4-octet AS (RFC 6793), graceful restart
// (RFC 4724), extended next hop (RFC 8950), extended messages (RFC 8654), extended communities (RFC 4360).
// Numbers are the IANA registry values.

/** RFC 4271 4.1: the 16-octet marker, the length and the type. */
export const BGP_HEADER_LENGTH = 19;
export const BGP_MARKER_LENGTH = 16;
/** RFC 4271 4.1: largest message without RFC 8654 extended messages. */
export const BGP_MAX_MESSAGE_LENGTH = 4096;
/** RFC 8654: largest message once both sides announced the extended message capability. */
export const BGP_MAX_EXTENDED_MESSAGE_LENGTH = 65535;
export const BGP_VERSION = 4;
/** RFC 6793: the 2-octet stand-in for a 4-octet AS number. */
export const AS_TRANS = 23456;

export const BGP_MSG_OPEN = 1;
export const BGP_MSG_UPDATE = 2;
export const BGP_MSG_NOTIFICATION = 3;
export const BGP_MSG_KEEPALIVE = 4;
export const BGP_MSG_ROUTE_REFRESH = 5;

/** RFC 4271 6.1: the smallest legal length of each message type (header included). */
export const BGP_MIN_LENGTH: Readonly<Record<number, number>> = {
  [BGP_MSG_OPEN]: 29,
  [BGP_MSG_UPDATE]: 23,
  [BGP_MSG_NOTIFICATION]: 21,
  [BGP_MSG_KEEPALIVE]: 19,
  [BGP_MSG_ROUTE_REFRESH]: 23,
};

// NOTIFICATION error codes (RFC 4271 4.5, RFC 7313 for 7).
export const ERR_HEADER = 1;
export const ERR_OPEN = 2;
export const ERR_UPDATE = 3;
export const ERR_HOLD_TIMER = 4;
export const ERR_FSM = 5;
export const ERR_CEASE = 6;
export const ERR_ROUTE_REFRESH = 7;

// Message Header Error subcodes.
export const ERR_HEADER_NOT_SYNCHRONIZED = 1;
export const ERR_HEADER_BAD_LENGTH = 2;
export const ERR_HEADER_BAD_TYPE = 3;

// OPEN Message Error subcodes (RFC 4271 6.2, RFC 5492 for 7).
export const ERR_OPEN_UNSPECIFIC = 0;
export const ERR_OPEN_UNSUPPORTED_VERSION = 1;
export const ERR_OPEN_BAD_PEER_AS = 2;
export const ERR_OPEN_BAD_BGP_ID = 3;
export const ERR_OPEN_UNSUPPORTED_OPT_PARAM = 4;
export const ERR_OPEN_UNACCEPTABLE_HOLD_TIME = 6;
export const ERR_OPEN_UNSUPPORTED_CAPABILITY = 7;

// UPDATE Message Error subcodes (RFC 4271 6.3).
export const ERR_UPDATE_MALFORMED_ATTR_LIST = 1;
export const ERR_UPDATE_UNRECOGNIZED_WELL_KNOWN = 2;
export const ERR_UPDATE_MISSING_WELL_KNOWN = 3;
export const ERR_UPDATE_ATTR_FLAGS = 4;
export const ERR_UPDATE_ATTR_LENGTH = 5;
export const ERR_UPDATE_INVALID_ORIGIN = 6;
export const ERR_UPDATE_INVALID_NEXT_HOP = 8;
export const ERR_UPDATE_OPTIONAL_ATTR = 9;
export const ERR_UPDATE_INVALID_NETWORK = 10;
export const ERR_UPDATE_MALFORMED_AS_PATH = 11;

// Cease subcodes (RFC 4486).
export const CEASE_MAX_PREFIXES = 1;
export const CEASE_ADMIN_SHUTDOWN = 2;
export const CEASE_PEER_DECONFIGURED = 3;
export const CEASE_ADMIN_RESET = 4;
export const CEASE_CONNECTION_REJECTED = 5;
export const CEASE_OTHER_CONFIG_CHANGE = 6;
export const CEASE_COLLISION_RESOLUTION = 7;
export const CEASE_OUT_OF_RESOURCES = 8;

// ROUTE-REFRESH Message Error subcode (RFC 7313).
export const ERR_ROUTE_REFRESH_INVALID_LENGTH = 1;

// OPEN optional parameter types (RFC 5492; 255 = RFC 9072 extended length marker).
export const OPT_PARAM_CAPABILITIES = 2;
export const OPT_PARAM_EXTENDED_LENGTH = 255;

// Capability codes.
export const CAP_MULTIPROTOCOL = 1;
export const CAP_ROUTE_REFRESH = 2;
export const CAP_EXTENDED_NEXT_HOP = 5;
export const CAP_EXTENDED_MESSAGE = 6;
export const CAP_GRACEFUL_RESTART = 64;
export const CAP_FOUR_OCTET_AS = 65;
export const CAP_ENHANCED_ROUTE_REFRESH = 70;

// Path attribute flags (RFC 4271 4.3).
export const ATTR_FLAG_OPTIONAL = 0x80;
export const ATTR_FLAG_TRANSITIVE = 0x40;
export const ATTR_FLAG_PARTIAL = 0x20;
export const ATTR_FLAG_EXTENDED_LENGTH = 0x10;

// Path attribute type codes.
export const ATTR_ORIGIN = 1;
export const ATTR_AS_PATH = 2;
export const ATTR_NEXT_HOP = 3;
export const ATTR_MED = 4;
export const ATTR_LOCAL_PREF = 5;
export const ATTR_ATOMIC_AGGREGATE = 6;
export const ATTR_AGGREGATOR = 7;
export const ATTR_COMMUNITIES = 8;
export const ATTR_ORIGINATOR_ID = 9;
export const ATTR_CLUSTER_LIST = 10;
export const ATTR_MP_REACH_NLRI = 14;
export const ATTR_MP_UNREACH_NLRI = 15;
export const ATTR_EXTENDED_COMMUNITIES = 16;
export const ATTR_AS4_PATH = 17;
export const ATTR_AS4_AGGREGATOR = 18;
export const ATTR_LARGE_COMMUNITIES = 32;

/** Names for logs and problem reports. */
export const ATTR_NAMES: Readonly<Record<number, string>> = {
  [ATTR_ORIGIN]: 'ORIGIN',
  [ATTR_AS_PATH]: 'AS_PATH',
  [ATTR_NEXT_HOP]: 'NEXT_HOP',
  [ATTR_MED]: 'MULTI_EXIT_DISC',
  [ATTR_LOCAL_PREF]: 'LOCAL_PREF',
  [ATTR_ATOMIC_AGGREGATE]: 'ATOMIC_AGGREGATE',
  [ATTR_AGGREGATOR]: 'AGGREGATOR',
  [ATTR_COMMUNITIES]: 'COMMUNITIES',
  [ATTR_ORIGINATOR_ID]: 'ORIGINATOR_ID',
  [ATTR_CLUSTER_LIST]: 'CLUSTER_LIST',
  [ATTR_MP_REACH_NLRI]: 'MP_REACH_NLRI',
  [ATTR_MP_UNREACH_NLRI]: 'MP_UNREACH_NLRI',
  [ATTR_EXTENDED_COMMUNITIES]: 'EXTENDED_COMMUNITIES',
  [ATTR_AS4_PATH]: 'AS4_PATH',
  [ATTR_AS4_AGGREGATOR]: 'AS4_AGGREGATOR',
  [ATTR_LARGE_COMMUNITIES]: 'LARGE_COMMUNITIES',
};

// ORIGIN values.
export const ORIGIN_IGP = 0;
export const ORIGIN_EGP = 1;
export const ORIGIN_INCOMPLETE = 2;

// AS_PATH segment types (RFC 4271 4.3, RFC 5065 for the confederation ones).
export const AS_SET = 1;
export const AS_SEQUENCE = 2;
export const AS_CONFED_SEQUENCE = 3;
export const AS_CONFED_SET = 4;

// Address families.
export const AFI_IPV4 = 1;
export const AFI_IPV6 = 2;
export const SAFI_UNICAST = 1;
export const SAFI_MPLS_VPN = 128;

// Extended community types and the route-target subtype (RFC 4360, RFC 5668).
export const EC_TYPE_TWO_OCTET_AS = 0x00;
export const EC_TYPE_IPV4 = 0x01;
export const EC_TYPE_FOUR_OCTET_AS = 0x02;
export const EC_SUBTYPE_ROUTE_TARGET = 0x02;

/** RFC 3107 3 / RFC 8277 2.4: the label field value for withdrawals that carry no real label. */
export const WITHDRAW_LABEL_COMPAT = 0x800000;
