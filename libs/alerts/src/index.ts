/**
 * @driftwatch/alerts: the drift detector and the alert lifecycle (a FlowObserver the app attaches to the
 * pipeline); alerts, their events and the outbox are written through @driftwatch/persistence.
 */
export { DriftDetector, type DriftDetectorOptions } from './drift-detector.js';
export { FlowStatsCounter, type FlowStatsCounterOptions } from './flow-stats.js';
export { alertKey, connectionKey } from './alert-key.js';
export { severityOf, type Severity } from './severity.js';
export { isConsistentNow } from './revision-check.js';
export { WebhookDispatcher, type WebhookDispatcherOptions, DEFAULT_RETRY_POLICY, type RetryPolicy } from './webhooks/index.js';
