// `ribjournal neighbor` (the BGP neighbors, with `gobgp neighbor`'s columns) and
// `ribjournal neighbor ADDRESS` (one neighbor in detail, with what ribjournal adds: prefixes sent per
// family and the outbound queue).
import type { Command } from 'commander';
import { clientFor, onlineOptions } from './client.js';
import type { OnlineOptions } from './client.js';
import { tolerateEpipe, writeOut } from './output.js';
import { parseCommunity } from '../config/index.js';
import { RibjournalError } from '../shared/index.js';

interface MessageCounts {
  readonly open: number;
  readonly update: number;
  readonly notification: number;
  readonly keepalive: number;
  readonly routeRefresh: number;
}

/** A neighbor as the API returns it. */
export interface ApiNeighbor {
  readonly address: string;
  readonly peerAs: number;
  readonly localAs: number;
  readonly passive: boolean;
  readonly state: 'IDLE' | 'CONNECT' | 'ACTIVE' | 'OPENSENT' | 'OPENCONFIRM' | 'ESTABLISHED';
  readonly established: boolean;
  readonly since: string | null;
  readonly routerId: string | null;
  readonly localAddress: string | null;
  readonly holdTime: number | null;
  readonly keepaliveTime: number | null;
  readonly families: readonly string[];
  readonly prefixesSent: readonly { readonly family: string; readonly count: number }[];
  readonly prefixesReceived: number;
  readonly queueDepth: number;
  readonly queuedBytes: number;
  readonly initialTableSent: boolean;
  readonly flaps: number;
  readonly lastError: string | null;
  readonly messages: { readonly sent: MessageCounts; readonly received: MessageCounts };
}

const FIELDS = `address peerAs localAs passive state established since routerId localAddress holdTime
  keepaliveTime families prefixesSent { family count } prefixesReceived queueDepth queuedBytes
  initialTableSent flaps lastError
  messages { sent { open update notification keepalive routeRefresh }
             received { open update notification keepalive routeRefresh } }`;

/** gobgp's short state names (cmd/gobgp/neighbor.go). */
const STATE: Readonly<Record<ApiNeighbor['state'], string>> = {
  IDLE: 'Idle',
  CONNECT: 'Connect',
  ACTIVE: 'Active',
  OPENSENT: 'Sent',
  OPENCONFIRM: 'Confirm',
  ESTABLISHED: 'Establ',
};

/** gobgp's time delta: HH:MM:SS, with "Nd " in front past a day. */
export function formatTimedelta(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const two = (n: number): string => String(n).padStart(2, '0');
  const hms = `${two(Math.floor(s / 3600) % 24)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
  const days = Math.floor(s / 86400);
  return days > 0 ? `${days}d ${hms}` : hms;
}

function upDown(n: ApiNeighbor, nowMs: number): string {
  if (n.since === null) return 'never';
  return formatTimedelta((nowMs - Date.parse(n.since)) / 1000);
}

/** Sort key as gobgp sorts: IPv4 before IPv6, then by address octets. */
function addressKey(address: string): string {
  if (!address.includes(':'))
    return `4${address
      .split('.')
      .map((o) => o.padStart(3, '0'))
      .join('.')}`;
  const [head = '', tail = ''] = address.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t]
    : h;
  return `6${groups.map((g) => g.padStart(4, '0')).join(':')}`;
}

/** The `gobgp neighbor` table: Peer, AS, Up/Down, State, #Received, Accepted. */
export function renderNeighbors(neighbors: readonly ApiNeighbor[], nowMs: number): string {
  const rows = [...neighbors].sort((a, b) => (addressKey(a.address) < addressKey(b.address) ? -1 : 1));
  const times = rows.map((n) => upDown(n, nowMs));
  const addrWidth = Math.max(0, ...rows.map((n) => n.address.length));
  const asWidth = Math.max(2, ...rows.map((n) => String(n.peerAs).length));
  const timeWidth = Math.max('Up/Down'.length, ...times.map((t) => t.length));
  const line = (peer: string, as: string, time: string, state: string, rcv: string, acc: string): string =>
    `${peer.padEnd(addrWidth)} ${as.padStart(asWidth)} ${time.padStart(timeWidth)} ${state.padEnd(11)} |${rcv.padStart(9)} ${acc.padStart(9)}\n`;
  let out = line('Peer', 'AS', 'Up/Down', 'State', '#Received', 'Accepted');
  rows.forEach((n, i) => {
    const received = String(n.prefixesReceived);
    out += line(n.address, String(n.peerAs), times[i]!, STATE[n.state], received, received);
  });
  return out;
}

/** One neighbor in detail, in the manner of `gobgp neighbor ADDRESS`. */
export function renderNeighbor(n: ApiNeighbor, nowMs: number): string {
  const lines: string[] = [];
  lines.push(`BGP neighbor is ${n.address}, remote AS ${n.peerAs}${n.passive ? ', passive' : ''}`);
  lines.push(`  BGP version 4, remote router ID ${n.routerId ?? 'unknown'}`);
  const up = n.established && n.since !== null ? `, up for ${upDown(n, nowMs)}` : '';
  lines.push(`  BGP state = ${n.state}${up}`);
  lines.push(`  BGP OutQ = ${n.queueDepth} routes (${n.queuedBytes} octets buffered), Flops = ${n.flaps}`);
  lines.push(`  Local address is ${n.localAddress ?? 'unknown'}, local ASN: ${n.localAs}`);
  if (n.holdTime !== null)
    lines.push(`  Hold time is ${n.holdTime}, keepalive interval is ${n.keepaliveTime ?? 0} seconds`);
  if (n.lastError !== null) lines.push(`  Last error: ${n.lastError}`);
  if (n.families.length > 0) {
    lines.push(`  Families: ${n.families.join(', ')}${n.initialTableSent ? ' (End-of-RIB sent)' : ''}`);
  }
  const s = n.messages.sent;
  const r = n.messages.received;
  const row = (name: string, a: number, b: number): string =>
    `    ${name.padEnd(14)} ${String(a).padStart(10)} ${String(b).padStart(10)}`;
  lines.push('  Message statistics:', '                         Sent       Rcvd');
  lines.push(row('Opens:', s.open, r.open));
  lines.push(row('Notifications:', s.notification, r.notification));
  lines.push(row('Updates:', s.update, r.update));
  lines.push(row('Keepalives:', s.keepalive, r.keepalive));
  lines.push(row('Route Refresh:', s.routeRefresh, r.routeRefresh));
  const total = (m: MessageCounts): number =>
    m.open + m.notification + m.update + m.keepalive + m.routeRefresh;
  lines.push(row('Total:', total(s), total(r)));
  lines.push('  Route statistics:');
  const advertised = n.prefixesSent.reduce((sum, p) => sum + p.count, 0);
  lines.push(`    Advertised:    ${String(advertised).padStart(10)}`);
  // Per family, right-aligned with the totals (column 29).
  for (const p of n.prefixesSent) {
    const label = `      ${p.family}:`;
    lines.push(`${label}${String(p.count).padStart(Math.max(1, 29 - label.length))}`);
  }
  lines.push(`    Received:      ${String(n.prefixesReceived).padStart(10)}`);
  lines.push(`    Accepted:      ${String(n.prefixesReceived).padStart(10)}`);
  return `${lines.join('\n')}\n`;
}

/** A route of adj-in / adj-out as the API returns it. */
export interface ApiAdjRibRoute {
  readonly family: string;
  readonly vrf: string | null;
  readonly rd: string | null;
  readonly prefix: string;
  readonly nextHop: string | null;
  readonly asPath: readonly number[];
  readonly med: number | null;
  readonly localPref: number | null;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
  readonly extCommunities: readonly string[];
  readonly labels: readonly number[];
  readonly at: string;
  readonly seq: number | null;
  readonly configVersion: number | null;
  readonly statement: string | null;
}

const ADJ_FIELDS = `family vrf rd prefix nextHop asPath med localPref communities largeCommunities
  extCommunities labels at seq configVersion statement`;

/** gobgp's Attrs column: `[{Origin: i} {Med: 10} {LocalPref: 100} {Communities: 65001:1} ...]`. */
function attrsText(r: ApiAdjRibRoute): string {
  const parts = ['{Origin: i}'];
  if (r.med !== null) parts.push(`{Med: ${r.med}}`);
  if (r.localPref !== null) parts.push(`{LocalPref: ${r.localPref}}`);
  if (r.communities.length > 0) parts.push(`{Communities: ${r.communities.join(', ')}}`);
  if (r.extCommunities.length > 0) parts.push(`{Extcomms: [${r.extCommunities.join('], [')}]}`);
  if (r.largeCommunities.length > 0) parts.push(`{LargeCommunity: [ ${r.largeCommunities.join(', ')}]}`);
  return `[${parts.join(' ')}]`;
}

/**
 * `gobgp neighbor ADDR adj-in|adj-out` columns (Network, [Labels,] Next Hop, AS_PATH, Age, Attrs); adj-out
 * adds why each route was sent: the journal seq, the config version and the policy statement.
 */
export function renderAdjRib(routes: readonly ApiAdjRibRoute[], out: boolean, nowMs: number): string {
  if (routes.length === 0) return 'Network not in table\n';
  const vpn = routes.some((r) => r.rd !== null);
  const rows = routes.map((r) => {
    const cells = [
      r.rd !== null ? `${r.rd}:${r.prefix}` : r.prefix,
      ...(vpn ? [`[${r.labels.join(',')}]`] : []),
      r.nextHop ?? '',
      `[${r.asPath.join(' ')}]`,
      formatTimedelta((nowMs - Date.parse(r.at)) / 1000),
      attrsText(r),
    ];
    if (out)
      cells.push(
        `seq ${r.seq ?? '-'}, config v${r.configVersion ?? '-'}${r.statement !== null ? `, ${r.statement}` : ''}`,
      );
    return cells;
  });
  const header = ['Network', ...(vpn ? ['Labels'] : []), 'Next Hop', 'AS_PATH', 'Age', 'Attrs'];
  if (out) header.push('Why');
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((c) => c[i]!.length)));
  const line = (cells: readonly string[]): string =>
    `   ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join(' ')}\n`;
  return line(header) + rows.map((c) => `*> ${line(c).slice(3)}`).join('');
}

const AFI_SAFI: Readonly<Record<string, readonly [number, number]>> = {
  'ipv4-unicast': [1, 1],
  'ipv6-unicast': [2, 1],
  'l3vpn-ipv4-unicast': [1, 128],
  'l3vpn-ipv6-unicast': [2, 128],
};

/** gobgp's `-j` shape for `neighbor ADDR adj-in|adj-out`: paths by destination, attributes by type code. */
export function gobgpAdjJson(routes: readonly ApiAdjRibRoute[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const r of routes) {
    const key = r.rd !== null ? `${r.rd}:${r.prefix}` : r.prefix;
    const attrs: unknown[] = [{ type: 1, value: 0 }];
    attrs.push({
      type: 2,
      as_paths: r.asPath.length > 0 ? [{ segment_type: 2, num: r.asPath.length, asns: [...r.asPath] }] : [],
    });
    if (r.family === 'ipv4-unicast') attrs.push({ type: 3, nexthop: r.nextHop ?? '' });
    if (r.med !== null) attrs.push({ type: 4, metric: r.med });
    if (r.localPref !== null) attrs.push({ type: 5, value: r.localPref });
    if (r.communities.length > 0) attrs.push({ type: 8, communities: r.communities.map(parseCommunity) });
    if (r.family !== 'ipv4-unicast') {
      const [afi, safi] = AFI_SAFI[r.family] ?? [0, 0];
      attrs.push({ type: 14, nexthop: r.nextHop ?? '', afi, safi });
    }
    if (r.extCommunities.length > 0)
      attrs.push({
        type: 16,
        value: r.extCommunities.map((e) => ({
          subtype: e.startsWith('soo:') ? 3 : 2,
          value: e.slice(e.indexOf(':') + 1),
        })),
      });
    if (r.largeCommunities.length > 0)
      attrs.push({
        type: 32,
        value: r.largeCommunities.map((l) => {
          const [a = 0, b = 0, c = 0] = l.split(':').map(Number);
          return { ASN: a, LocalData1: b, LocalData2: c };
        }),
      });
    const nlri = r.rd !== null ? { prefix: r.prefix, labels: [...r.labels], rd: r.rd } : { prefix: r.prefix };
    (out[key] ??= []).push({
      nlri,
      age: Math.floor(Date.parse(r.at) / 1000),
      best: false,
      attrs,
      stale: false,
    });
  }
  return out;
}

export function registerNeighbor(program: Command): void {
  onlineOptions(
    program
      .command('neighbor')
      .description(
        'BGP neighbors (gobgp neighbor), one neighbor in detail: neighbor ADDRESS, or what was sent to and received from it: neighbor ADDRESS adj-out|adj-in [-a FAMILY]',
      )
      .argument('[address]', 'neighbor address')
      .argument('[table]', 'adj-out (post-policy, as sent, with why) or adj-in (as the peer sent it)')
      .option('-a, --address-family <family>', 'ipv4, ipv6, vpnv4 or vpnv6', 'ipv4'),
  ).action(
    async (
      address: string | undefined,
      table: string | undefined,
      opts: OnlineOptions & { addressFamily: string; output?: string },
    ) => {
      tolerateEpipe();
      const client = clientFor(opts);
      if (address !== undefined && table !== undefined) {
        if (table !== 'adj-out' && table !== 'adj-in')
          throw new RibjournalError('BAD_ARGUMENT', `unknown table "${table}" (adj-out or adj-in)`);
        const field = table === 'adj-out' ? 'adjOut' : 'adjIn';
        const { neighbor } = await client.query<{ neighbor: Record<string, ApiAdjRibRoute[]> }>(
          `query Adj($address: String!, $family: String) { neighbor(address: $address) { ${field}(family: $family) { ${ADJ_FIELDS} } } }`,
          { address, family: opts.addressFamily },
        );
        const routes = neighbor[field] ?? [];
        await writeOut(
          opts.output === 'json'
            ? `${JSON.stringify(routes)}\n`
            : opts.json
              ? `${JSON.stringify(gobgpAdjJson(routes))}\n`
              : renderAdjRib(routes, table === 'adj-out', Date.now()),
        );
        return;
      }
      if (address === undefined) {
        const { neighbors } = await client.query<{ neighbors: ApiNeighbor[] }>(`{ neighbors { ${FIELDS} } }`);
        await writeOut(opts.json ? `${JSON.stringify(neighbors)}\n` : renderNeighbors(neighbors, Date.now()));
        return;
      }
      const { neighbor } = await client.query<{ neighbor: ApiNeighbor }>(
        `query Neighbor($address: String!) { neighbor(address: $address) { ${FIELDS} } }`,
        { address },
      );
      await writeOut(opts.json ? `${JSON.stringify(neighbor)}\n` : renderNeighbor(neighbor, Date.now()));
    },
  );
}
