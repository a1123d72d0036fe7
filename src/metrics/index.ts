// metrics/: the daemon's Prometheus metrics (prom-client, one Registry per daemon), served at /metrics.
export { createDaemonMetrics } from './metrics.js';
export type { DaemonMetrics, MetricSources, MetricsOptions, ReloadResult } from './metrics.js';
