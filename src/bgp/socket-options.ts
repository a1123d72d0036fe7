// TCP socket options Node's `net` does not offer, set with setsockopt(2) through koffi (a maintained FFI
// package that ships its prebuilt binaries inside the npm package, so nothing is compiled at install):
//   TCP_MD5SIG (RFC 2385; linux/tcp.h struct tcp_md5sig) — the key for one peer address, set on the
//     listening socket for passive sessions and on the connecting socket before its SYN;
//   IP_TTL / IPV6_UNICAST_HOPS — the TTL of what we send (eBGP 1 unless multihop, as GoBGP);
//   IP_MINTTL / IPV6_MINHOPCOUNT — GTSM (RFC 5082): the kernel drops segments arriving with less.
// Active opens need the options before connect(), which `net.connect` gives no hook for: the socket is
// created here and handed to `new net.Socket({ fd })`, whose connect() then uses that descriptor.
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import koffi from 'koffi';
import { RibjournalError } from '../shared/index.js';

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const IPPROTO_IP = 0;
const IPPROTO_TCP = 6;
const IPPROTO_IPV6 = 41;
const IP_TTL = 2;
const IP_MINTTL = 21;
const IPV6_UNICAST_HOPS = 16;
const IPV6_MINHOPCOUNT = 73;
const TCP_MD5SIG = 14;
/** sizeof(struct tcp_md5sig): sockaddr_storage 128, flags, prefixlen, keylen u16, ifindex u32, key[80]. */
const TCP_MD5SIG_SIZE = 216;
export const TCP_MD5SIG_MAXKEYLEN = 80;

interface Libc {
  socket: (domain: number, type: number, protocol: number) => number;
  setsockopt: (fd: number, level: number, name: number, value: Buffer, length: number) => number;
  close: (fd: number) => number;
}

let libc: Libc | undefined;
function load(): Libc {
  if (libc) return libc;
  const lib = koffi.load('libc.so.6');
  libc = {
    socket: lib.func('int socket(int, int, int)') as Libc['socket'],
    setsockopt: lib.func('int setsockopt(int, int, int, const void *, uint32_t)') as Libc['setsockopt'],
    close: lib.func('int close(int)') as Libc['close'],
  };
  return libc;
}

function fail(what: string): never {
  const errno = koffi.errno();
  throw new RibjournalError('BGP_SOCKET_OPTION', `${what} failed (errno ${errno})`);
}

function setInt(fd: number, level: number, name: number, value: number, what: string): void {
  const buf = Buffer.alloc(4);
  buf.writeInt32LE(value);
  if (load().setsockopt(fd, level, name, buf, 4) !== 0) fail(what);
}

/** The descriptor of a Node socket or server (Linux: the libuv handle's fd), if it has one yet. */
export function fdOf(handleOwner: net.Socket | net.Server): number | undefined {
  const fd = (handleOwner as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/** Writes a sockaddr_in / sockaddr_in6 (IPv4 peers on an IPv6 socket: v4-mapped) at buf[0]. */
function writeSockaddr(buf: Buffer, address: string, v6Socket: boolean): void {
  const addr = ipaddr.parse(address);
  if (!v6Socket && addr.kind() === 'ipv4') {
    buf.writeUInt16LE(AF_INET, 0);
    Buffer.from(addr.toByteArray()).copy(buf, 4);
    return;
  }
  buf.writeUInt16LE(AF_INET6, 0);
  const v6 = addr.kind() === 'ipv4' ? (addr as ipaddr.IPv4).toIPv4MappedAddress() : addr;
  Buffer.from(v6.toByteArray()).copy(buf, 8);
}

/**
 * Sets (or, with an empty key, removes) the TCP-MD5 key for segments to and from `peer` on socket
 * `fd`. `v6Socket`: the socket is AF_INET6 (IPv4 peers are then named v4-mapped).
 */
export function setTcpMd5Key(fd: number, peer: string, key: string, v6Socket: boolean): void {
  const k = Buffer.from(key, 'utf8');
  if (k.length > TCP_MD5SIG_MAXKEYLEN)
    throw new RibjournalError('BAD_ARGUMENT', `TCP-MD5 key longer than ${TCP_MD5SIG_MAXKEYLEN} bytes`);
  const buf = Buffer.alloc(TCP_MD5SIG_SIZE);
  writeSockaddr(buf, peer, v6Socket);
  buf.writeUInt16LE(k.length, 130);
  k.copy(buf, 136);
  if (load().setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, buf, TCP_MD5SIG_SIZE) !== 0)
    fail(`setsockopt(TCP_MD5SIG) for ${peer}`);
}

/** The TTL (hop limit) of packets sent on `fd`. */
export function setTtl(fd: number, v6Socket: boolean, ttl: number): void {
  if (v6Socket) setInt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl, 'setsockopt(IPV6_UNICAST_HOPS)');
  // A dual-stack socket talking IPv4 uses the IPv4 option too; on a pure IPv6 one it is harmless.
  if (!v6Socket) setInt(fd, IPPROTO_IP, IP_TTL, ttl, 'setsockopt(IP_TTL)');
}

/** GTSM (RFC 5082): drop segments whose TTL (hop limit) is below `min`. */
export function setMinTtl(fd: number, v6Socket: boolean, min: number): void {
  if (v6Socket) setInt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, min, 'setsockopt(IPV6_MINHOPCOUNT)');
  else setInt(fd, IPPROTO_IP, IP_MINTTL, min, 'setsockopt(IP_MINTTL)');
}

/** What an outgoing BGP connection needs before its SYN. */
export interface ConnectSocketOptions {
  readonly peer: string;
  readonly md5Key?: string | undefined;
  readonly ttl?: number | undefined;
  readonly minTtl?: number | undefined;
}

/**
 * A not yet connected net.Socket whose descriptor already carries the MD5 key and TTLs; call
 * `connect` on it. Without any option it is a plain `new net.Socket()`.
 */
export function socketForConnect(
  o: ConnectSocketOptions,
  socketOptions: net.SocketConstructorOpts = {},
): net.Socket {
  if (o.md5Key === undefined && o.ttl === undefined && o.minTtl === undefined)
    return new net.Socket(socketOptions);
  const v6 = !net.isIPv4(o.peer);
  const c = load();
  const fd = c.socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) fail('socket()');
  try {
    if (o.md5Key !== undefined) setTcpMd5Key(fd, o.peer, o.md5Key, v6);
    if (o.ttl !== undefined) setTtl(fd, v6, o.ttl);
    if (o.minTtl !== undefined) setMinTtl(fd, v6, o.minTtl);
  } catch (err) {
    c.close(fd);
    throw err;
  }
  return new net.Socket({ ...socketOptions, fd, readable: true, writable: true });
}
