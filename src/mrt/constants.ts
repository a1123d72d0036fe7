// MRT type and subtype codes (RFC 6396 sections 4 and 5; IANA "Multi-Threaded Routing Toolkit (MRT)").

/** Timestamp (4), Type (2), Subtype (2), Length (4). The _ET types add a microsecond field (counted in Length). */
export const MRT_HEADER_LENGTH = 12;

export const TABLE_DUMP_V2 = 13;
export const BGP4MP = 16;
export const BGP4MP_ET = 17;

// TABLE_DUMP_V2 subtypes (4.3).
export const PEER_INDEX_TABLE = 1;
export const RIB_IPV4_UNICAST = 2;
export const RIB_IPV4_MULTICAST = 3;
export const RIB_IPV6_UNICAST = 4;
export const RIB_IPV6_MULTICAST = 5;
export const RIB_GENERIC = 6;

// BGP4MP subtypes (4.4).
export const BGP4MP_STATE_CHANGE = 0;
export const BGP4MP_MESSAGE = 1;
export const BGP4MP_MESSAGE_AS4 = 4;
export const BGP4MP_STATE_CHANGE_AS4 = 5;
