// `[[bmp-servers]]` as GoBGP reads them (docs/sources/bmp.md): address, port (default 11019),
// route-monitoring-policy, statistics-timeout (seconds; 0: no statistics reports), sys-name.
import ipaddr from 'ipaddr.js';
import type { TableReader } from './reader.js';

export type RouteMonitoringPolicy = 'pre-policy' | 'post-policy' | 'local-rib' | 'all' | 'both';

export interface BmpServerConfig {
  readonly address: string;
  readonly port: number;
  readonly routeMonitoringPolicy: RouteMonitoringPolicy;
  readonly statisticsTimeout: number;
  readonly sysName: string | undefined;
}

const POLICIES: readonly RouteMonitoringPolicy[] = ['pre-policy', 'post-policy', 'local-rib', 'all', 'both'];
const DEFAULT_BMP_PORT = 11019;

export function readBmpServers(root: TableReader): BmpServerConfig[] {
  const out: BmpServerConfig[] = [];
  for (const s of root.tableArray('bmp-servers') ?? []) {
    const c = s.table('config');
    s.finish();
    if (c === undefined) {
      s.report.error(s.path, '[bmp-servers.config] is missing (address is required)');
      continue;
    }
    const address = c.string('address');
    if (address === undefined && !c.has('address')) c.report.error(c.path, 'address is required');
    else if (address !== undefined && !ipaddr.isValid(address))
      c.report.error(c.at('address'), `"${address}" is not an IPv4 or IPv6 address`);
    const port = c.number('port', { min: 1, max: 65535 }) ?? DEFAULT_BMP_PORT;
    const policyText = c.string('route-monitoring-policy') ?? 'pre-policy';
    const routeMonitoringPolicy = POLICIES.find((p) => p === policyText.toLowerCase());
    if (routeMonitoringPolicy === undefined)
      c.report.error(c.at('route-monitoring-policy'), `"${policyText}" is not one of ${POLICIES.join(', ')}`);
    else if (routeMonitoringPolicy === 'pre-policy')
      c.report.warn(
        c.at('route-monitoring-policy'),
        'ribjournal keeps no Adj-RIB-In to monitor: only Peer Up/Down and statistics are sent (use post-policy, local-rib or all)',
      );
    const statisticsTimeout = c.number('statistics-timeout', { min: 0, max: 65535 }) ?? 3600;
    const sysName = c.string('sys-name');
    c.ignore(['route-mirroring-enabled'], 'route mirroring is not supported by ribjournal');
    c.finish();
    if (address === undefined || !ipaddr.isValid(address) || routeMonitoringPolicy === undefined) continue;
    out.push({
      address: ipaddr.parse(address).toString(),
      port,
      routeMonitoringPolicy,
      statisticsTimeout,
      sysName,
    });
  }
  return out;
}
