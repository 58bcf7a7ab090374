/**
 * @driftwatch/contracts: the closed vocabularies (labels, drift kinds, issue and malformed codes, collector event
 * kinds, severities, alert event types) as `as const` lists, their types and zod enums. Beside the import chain:
 * every room may import it; it imports nothing from the workspace.
 */
export {
  ALERT_EVENT_TYPES, alertEventTypeSchema, ALERT_STATUSES, alertStatusSchema, type AlertStatus, COLLECTOR_EVENT_KINDS, collectorEventKindSchema, DRIFT_KINDS, driftKindSchema,
  FLOW_LABELS, flowLabelSchema, OBSERVED_VERDICTS, observedVerdictSchema, SEVERITIES, severitySchema,
  type AlertEventType, type CollectorEventKind, type DriftKind, type FlowLabel, type ObservedVerdict, type Severity,
} from './vocabulary.js';
export { FLOW_ISSUE_CODES, FLOW_ISSUE_MEANINGS, flowIssueCodeSchema, isFlowIssueCode, type FlowIssueCode } from './flow-issues.js';
export {
  isMalformedCode, MALFORMED_CODES, MALFORMED_MEANINGS, malformedCodeSchema, NORMALIZE_ERROR_CODES, NORMALIZE_ERROR_MEANINGS,
  type MalformedCode, type NormalizeErrorCode,
} from './malformed.js';

// REST, socket.io and webhook contracts (the OpenAPI document is generated from API_ROUTES)
export type { HttpMethod, RouteAccess, RouteContract } from './api/route-contract.js';
export { API_ROUTES } from './api/routes.js';
export {
  API_KEY_SCHEME, buildOpenApiDocument, operationId, pathParameterNames, standardErrorStatuses,
  type OpenApiDocument, type OpenApiOperation, type OpenApiOptions,
} from './api/openapi.js';
export {
  decimalId, emptyBody, errorBody, fieldIssue, isoDateTimeInput, isoTime, listOf, NAMESPACE_NAME, namespaceName, validationErrorBody,
  type ErrorBody, type FieldIssue, type ValidationErrorBody,
} from './api/common.js';
export {
  alertActionResult, alertDetail, alertEvent, alertEvidence, alertId, alertList, alertListQuery, alertResolution, alertsRoutes,
  alertSummary, alertWithEvidence, suppressBody, type AlertResolution, type AlertSummaryBody,
} from './api/alerts.js';
export {
  basicUrlProblem, createWebhookSchema, deliveriesQuerySchema, deliveryView, rotateSecretSchema, updateWebhookSchema, webhookDeliveryBody,
  webhookId, webhooksRoutes, webhookTestPayload, webhookView, webhookWithSecret, type UrlProblem, type WebhookDeliveryBody,
  type WebhookTestPayload,
} from './api/webhooks.js';
export {
  alertEventMessage, effectiveFilterSchema, flowsStatsEvent, subscribeAck, subscribePayload,
  type AlertEventMessage, type EffectiveFilter, type FlowStatsEvent, type SubscribeAck, type SubscribePayload,
} from './api/realtime.js';
export { healthReport, healthRoutes, type HealthReport } from './api/health.js';
export { DOCS_ASSETS, metaRoutes, type DocsAsset } from './api/meta.js';
export {
  ACTIVATION_NOTE, createPolicyRevisionBody, createPolicyRevisionQuery, declaredPolicy, networkPolicy, policiesRoutes, policyActivation,
  policyDiffParams, policyDocument, policyListQuery, policyProblem, policyRevisionCreated, policyRevisionDetail, policyRevisionDiff,
  policyRevisionId, policyRevisionList, policyRevisionParams, policyRevisionSummary, policyRule, policyUnprocessable,
  POLICY_UPLOAD_DEFAULT_NAME, POLICY_UPLOAD_MAX_BYTES, POLICY_UPLOAD_MAX_DOCUMENTS, POLICY_UPLOAD_MAX_TOTAL_BYTES, POLICY_YAML_CONTENT_TYPES,
} from './api/policies.js';
export {
  AUDIT_ACTIONS, AUDIT_SYSTEM_ACTORS, AUDIT_TARGET_TYPES, auditEntry, auditEntryId, auditLogPage, auditLogQuery, auditRoutes,
  type AuditAction, type AuditTargetType,
} from './api/audit.js';
export {
  CANDIDATE_LIMITS, candidateDocumentSchema, checkTimeRange, connectionEndSchema, MAX_RANGE_DAYS,
  WHATIF_SAMPLES_PER_TRANSITION, WHATIF_TIME_LIMIT_SECONDS, whatIfCandidateSchema, whatIfRequestSchema, whatIfResultSchema, whatifRoutes,
  whatIfSampleSchema, whatIfTotalsSchema, whatIfTransitionSchema,
  type ConnectionEnd, type WhatIfRequest, type WhatIfResult, type WhatIfSample, type WhatIfTransition,
} from './api/whatif.js';
export {
  COMPLIANCE_CSV_COLUMNS, COMPLIANCE_DEFAULT_DAYS, COMPLIANCE_FINDING_CODES, COMPLIANCE_FINDING_MEANINGS, complianceFindingCodeSchema,
  complianceFindingSchema, complianceQuerySchema, complianceReportSchema, compliancePodSchema, namespaceComplianceSchema, reportsRoutes,
  type ComplianceFinding, type ComplianceFindingCode, type ComplianceQuery, type ComplianceReport, type NamespaceCompliance,
} from './api/reports.js';
export { pageRoutes } from './api/page.js';
export { metricsRoutes } from './api/metrics.js';
export {
  collectorSchema, collectorsResponse, connectionEdgeSchema, connectionsQuery, connectionsResponse, decodeFlowRecordId, DEFAULT_FLOW_RANGE_MS,
  encodeFlowRecordId, FLOW_EXPORT_COLUMNS, FLOW_EXPORT_FORMATS, FLOW_LABEL_FILTERS, flowEvidenceResponse, flowEvidenceSchema, flowExportQuery,
  flowListQuery, flowListResponse, flowRecordParams, flowRecordSchema, flowsRoutes, flowTimeRange,
  type Collector, type CollectorsResponse, type ConnectionEdge, type ConnectionsQuery, type ConnectionsResponse, type EndpointFilter,
  type FlowEvidence, type FlowEvidenceResponse, type FlowExportQuery, type FlowLabelFilter, type FlowListQuery, type FlowListResponse,
  type FlowRecord, type FlowRecordPosition,
} from './api/flows.js';
