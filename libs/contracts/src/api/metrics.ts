import type { RouteContract } from './route-contract.js';

/**
 * `GET /metrics`: Prometheus text, outside the `/api/v1` prefix (where scrapers look by default). Public unless
 * METRICS_TOKEN is set; then `Authorization: Bearer <METRICS_TOKEN>` is required (API keys are not accepted).
 */
export const metricsRoutes: readonly RouteContract[] = [
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics of this process',
    description:
      'Prometheus text exposition (version 0.0.4): flows by source and label, lost events, collector connections, pipeline queue, ' +
      'batch write latency, decision cache hit ratio, unresolved alerts by severity, webhook deliveries by outcome, and Node process ' +
      'metrics. No API key; when METRICS_TOKEN is set, `Authorization: Bearer <METRICS_TOKEN>` is required. Not rate-limited.',
    tag: 'metrics',
    access: 'public',
    rateLimited: false,
    responses: {
      200: { description: 'the metrics', contentTypes: ['text/plain; version=0.0.4; charset=utf-8'] },
      401: { description: 'METRICS_TOKEN is set and the request does not carry it' },
    },
  },
];
