export { resolveDatabase, DatabaseUnavailableError, type ResolvedDatabase, type DatabaseConfig } from './database/resolve-database.js';
export { startEmbeddedPostgres, type EmbeddedPostgres } from './database/embedded-postgres.js';
export { ensureDatabase, dropDatabase, withDatabase, describeUrl } from './database/postgres-probe.js';
export { countRowsOfEveryTable, openRowCounter, type RowCounter } from './database/row-counts.js';
export { applyMigrations, createMigration } from './migrations/migrator.js';
export { PersistenceModule } from './persistence.module.js';
export { DatabaseHealthRepository } from './health/database-health.repository.js';
export { FlowStore, type BatchOutcome, type FlowBatch, type UnstorableRows } from './flows/flow-store.js';
export { isUnavailable } from './flows/write-errors.js';
export type { FlowRecordRow, FlowTotals } from './flows/flow-record.repository.js';
export { EXTERNAL_IDENTITY, IDENTITY_REFRESH_MS, type EndpointIdentityRow, type IdentityLabels } from './flows/endpoint-identity.repository.js';
export type { EvidenceRow } from './flows/evidence.repository.js';
export {
  POLICY_ACTIVATION_CHANNEL, PolicyRevisionRepository, type ActivationActor, type ActivationOutcome, type NewPolicyRevision, type PolicyRevisionDetail,
  type PolicyRevisionSummary, type PolicySourceKind, type RecordOutcome,
} from './flows/policy-revision.repository.js';
export type { CollectorState, CollectorEventRow } from './flows/collector-state.repository.js';
export { enqueueWebhookDeliveries, WEBHOOK_DELIVERY_CHANNEL, WEBHOOK_SEVERITIES, type OutboxEvent } from './webhooks/webhook-outbox.js';
export {
  WebhookDeliveryQueue,
  type AttemptOutcome,
  type AttemptResult,
  type ClaimedDelivery,
  type ClaimOptions,
} from './webhooks/webhook-delivery-queue.js';
export {
  WebhookNameTakenError,
  WebhookRepository,
  type DeliveryView,
  type NewWebhook,
  type WebhookChanges,
  type WebhookView,
} from './webhooks/webhook.repository.js';
export { AlertStore } from './alerts/alert-store.js';
export {
  FLOW_STATS_CHANNEL, FlowStatsChannel, flowStatsPayloads, parseFlowStatsPayload, type FlowStatsCounts, type NamespaceFlowCounts,
} from './flows/flow-stats.channel.js';
export { AlertStoreProvider, FlowQueriesProvider, RateLimitProvider, ReportStoreProvider } from './persistence.module.js';
export { RateLimitRepository, type RateLimitCount } from './ratelimit/rate-limit.repository.js';
export { FlowQueries } from './flows/flow-queries.js';
export { FLOW_EXPORT_MARK, type FlowExportOptions } from './flows/flow-query.repository.js';
export type { CopiedRecordBatch } from './flows/flow-record-copy.js';
export type { FlowRecordFilter } from './flows/flow-filter.sql.js';
export { insertSyntheticFlowRecords, type SyntheticFlowRecordOptions } from './flows/synthetic-flow-records.js';
export { ALERT_EVENTS_CHANNEL, AlertEventFeed, AlertEventRepository } from './alerts/alert-event.repository.js';
export type { AlertCount, OpenOutcome, UnresolvedAlert } from './alerts/alert-lifecycle.repository.js';
export type { AlertAction, AlertActionResult, AlertEvidence, AlertFilter } from './alerts/alert.repository.js';
export {
  ALERT_EVENT_TYPES, type AlertCandidate, type AlertDetail, type AlertDriftKind, type AlertEventRecord, type AlertEventType,
  type AlertResolution, type AlertSeverity, type AlertStatus, type AlertSummary, type NamespaceScope,
} from './alerts/alert.types.js';
export { ApiKeyRepository, type ApiKeyRole, type ApiKeyRow, type NewApiKey } from './keys/api-key.repository.js';
export { AuditLogRepository } from './audit/audit-log.repository.js';
export type { AuditEntry, AuditFilter, AuditRow } from './audit/audit-log.repository.js';
export { applyRetention, RetentionJob, type RetentionJobOptions, type RetentionOutcome, type RetentionPassOptions, type RetentionPolicy } from './retention/retention.js';
export { isStatementTimeout, ReportStore, type ReportStoreOptions } from './reports/report-store.js';
export { StoredConnectionReader, type StoredConnectionQuery } from './reports/stored-connections.reader.js';
export { ComplianceRepository, OBSERVED_POD_LIMIT, type NamespaceAlerts, type ObservedPod, type RevisionDocuments } from './reports/compliance.repository.js';
export { runWhatIf, WhatIfTooLargeError, type WhatIfCandidate, type WhatIfQuery } from './reports/whatif-run.js';
