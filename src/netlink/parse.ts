// Follows linux/rtnetlink.h (struct ifinfomsg, struct ifaddrmsg), linux/if_link.h (IFLA_*, IFLA_INFO_*,
// IFLA_VRF_*), linux/if_addr.h (IFA_*, IFA_F_*), linux/netlink.h (struct nlattr) and linux/if.h (IFF_*).
// Link and address messages as the `netlink` package decodes them (LinkMessage / AddressMessage), plus a
// direct decoder of address payloads for dumps of 100k addresses, where the package's generic decoding
// would be most of the cost. Pure: no socket, no clock.
import { endianness } from 'node:os';
import { ifla, type rt } from 'netlink';
import { RibjournalError, formatIpv6 } from '../shared/index.js';
import type { Address, Link } from './types.js';

export { formatIpv6 };

/** linux/socket.h address families as they appear in ifinfomsg.ifi_family and ifaddrmsg.ifa_family. */
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

/** linux/if_addr.h */
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_FLAGS = 8;
const IFA_F_DADFAILED = 0x08;
const IFA_F_TENTATIVE = 0x40;
/** sizeof(struct ifaddrmsg) */
const IFADDRMSG_LEN = 8;
/** linux/netlink.h: the top bits of nla_type are NLA_F_NESTED and NLA_F_NET_BYTEORDER. */
const NLA_TYPE_MASK = 0x3fff;
const NLA_HDRLEN = 4;

/** Netlink integers are in host byte order. */
const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * A link message (RTM_NEWLINK / RTM_DELLINK) as a Link; undefined when the message lacks what makes a link
 * (an ifindex and IFLA_IFNAME), which the kernel never sends but a replayed capture might.
 */
export function parseLinkMessage(msg: rt.LinkMessage): Link | undefined {
  const { data, attrs } = msg;
  // A link's own state comes as AF_UNSPEC (rtnl_fill_ifinfo). The bridge also sends AF_BRIDGE messages
  // about its ports (br_ifinfo_notify): its RTM_DELLINK means "left the bridge", not "deleted", and
  // taking it for a deletion would drop the port's addresses until the next scan.
  if (data.family !== undefined && data.family !== AF_UNSPEC) return undefined;
  const index = data.index;
  const name = attrs.ifname;
  if (index === undefined || index <= 0 || name === undefined) return undefined;
  const flags = data.flags;
  const adminUp = flags?.up === true;
  let kind: string | undefined;
  let vrfTable: number | undefined;
  if (attrs.linkinfo !== undefined) {
    // IFLA_LINKINFO is nested; the package leaves it as bytes because its content depends on the kind.
    const info = ifla.parseInfo(attrs.linkinfo);
    kind = info.kind;
    if (kind === 'vrf' && info.data !== undefined) vrfTable = ifla.parseVrf(info.data).table;
  }
  // IFLA_MASTER is only present while enslaved; 0 would mean "no master" if a kernel ever sent it.
  const master = attrs.master !== undefined && attrs.master > 0 ? attrs.master : undefined;
  return {
    index,
    name,
    // IFF_RUNNING is the kernel's netif_oper_up(): operstate UP (carrier) or UNKNOWN (loopback, tun).
    up: adminUp && flags?.running === true,
    adminUp,
    master,
    kind,
    vrfTable,
  };
}

/**
 * An address message (RTM_NEWADDR / RTM_DELADDR) as an Address; undefined for families other than
 * IPv4/IPv6 or a message without an address.
 */
export function parseAddressMessage(msg: rt.AddressMessage): Address | undefined {
  const { data, attrs } = msg;
  const index = data.index;
  if (index === undefined || index <= 0) return undefined;
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on point-to-point links and equal
  // to IFA_LOCAL otherwise (IPv6 sends only IFA_ADDRESS unless a peer is configured).
  const bytes = attrs.local ?? attrs.address;
  if (bytes === undefined) return undefined;
  // IFA_FLAGS (u32) supersedes the u8 ifa_flags, which cannot hold flags above bit 7.
  const flags = attrs.flags ?? data.flags;
  return toAddress(
    index,
    data.family ?? 0,
    data.prefixlen ?? 0,
    data.scope ?? 0,
    bytes,
    0,
    bytes.length,
    flags?.tentative === true,
    flags?.dadfailed === true,
  );
}

/**
 * The payload of an RTM_NEWADDR / RTM_DELADDR message (struct ifaddrmsg and its attributes) as an
 * Address, reading only what an Address holds. Same result as parseAddressMessage on the package's
 * decoding of the same bytes (a test holds them together), about ten times faster.
 */
export function decodeAddressPayload(payload: Uint8Array): Address | undefined {
  return decodeAddressNotification(payload)?.address;
}

/**
 * As decodeAddressPayload, with the kernel's octets of the address (4 or 16, one latin1 char each): a
 * notification carries them to the import state, which builds its prefix from them (issue 9.4). Dumps
 * keep only text.
 */
export function decodeAddressNotification(
  payload: Uint8Array,
): { address: Address; octets: string } | undefined {
  if (payload.length < IFADDRMSG_LEN) {
    throw new RibjournalError('NETLINK_FAILED', `ifaddrmsg truncated: ${payload.length} bytes`);
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const familyNum = payload[0]!;
  const prefixLength = payload[1]!;
  let flags = payload[2]!;
  const scope = payload[3]!;
  const index = view.getUint32(4, LITTLE_ENDIAN);
  let addressAt = -1;
  let addressLen = 0;
  let localAt = -1;
  let localLen = 0;
  let at = IFADDRMSG_LEN;
  while (at + NLA_HDRLEN <= payload.length) {
    const len = view.getUint16(at, LITTLE_ENDIAN);
    if (len < NLA_HDRLEN || at + len > payload.length) {
      throw new RibjournalError(
        'NETLINK_FAILED',
        `ifaddrmsg attribute at byte ${at} has a bad length ${len}`,
      );
    }
    const type = view.getUint16(at + 2, LITTLE_ENDIAN) & NLA_TYPE_MASK;
    const valueAt = at + NLA_HDRLEN;
    const valueLen = len - NLA_HDRLEN;
    if (type === IFA_ADDRESS) {
      addressAt = valueAt;
      addressLen = valueLen;
    } else if (type === IFA_LOCAL) {
      localAt = valueAt;
      localLen = valueLen;
    } else if (type === IFA_FLAGS && valueLen >= 4) {
      flags = view.getUint32(valueAt, LITTLE_ENDIAN);
    }
    at += (len + 3) & ~3; // NLA_ALIGN
  }
  if (index <= 0) return undefined;
  const [from, length] = localAt >= 0 ? [localAt, localLen] : [addressAt, addressLen];
  if (from < 0) return undefined;
  const address = toAddress(
    index,
    familyNum,
    prefixLength,
    scope,
    payload,
    from,
    length,
    (flags & IFA_F_TENTATIVE) !== 0,
    (flags & IFA_F_DADFAILED) !== 0,
  );
  if (address === undefined) return undefined;
  let octets = '';
  for (let i = from; i < from + length; i++) octets += String.fromCharCode(payload[i]!);
  return { address, octets };
}

function toAddress(
  index: number,
  familyNum: number,
  prefixLength: number,
  scope: number,
  bytes: Uint8Array,
  from: number,
  length: number,
  tentative: boolean,
  dadFailed: boolean,
): Address | undefined {
  let family: Address['family'];
  let address: string;
  if (familyNum === AF_INET && length === 4) {
    family = 'ipv4';
    address = `${bytes[from]}.${bytes[from + 1]}.${bytes[from + 2]}.${bytes[from + 3]}`;
  } else if (familyNum === AF_INET6 && length === 16) {
    family = 'ipv6';
    address = formatIpv6(bytes, from);
  } else {
    return undefined;
  }
  return { index, family, address, prefixLength, scope, tentative, dadFailed };
}
