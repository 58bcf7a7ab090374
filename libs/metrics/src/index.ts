/**
 * @driftwatch/metrics: the Prometheus metrics of a Driftwatch process (prom-client), beside the import chain like
 * config and common: every room may import it, it imports only contracts. Libraries never import prom-client:
 * the pipeline exposes its counters for scrapes ({@link PipelineStatsView}), other events arrive through hooks
 * the app wires (batch written, webhook attempt), and the API serves `/metrics`.
 */
export {
  DriftwatchMetrics, FLOW_COUNT_LABELS, UNRESOLVED_STATUSES, WEBHOOK_OUTCOMES,
  type DriftwatchMetricsOptions, type FlowCountLabel, type PipelineStatsView, type SourceStats, type UnresolvedAlertCount, type WebhookOutcome,
} from './driftwatch-metrics.js';
export { hasBearerToken } from './bearer.js';
export { startMetricsServer, type MetricsServer, type MetricsServerOptions } from './metrics-server.js';
