/**
 * @driftwatch/contracts: the closed vocabularies (labels, drift kinds, issue and malformed codes, collector event
 * kinds, severities, alert event types) as `as const` lists, their types and zod enums. Beside the import chain:
 * every room may import it; it imports nothing from the workspace.
 */
export {
  ALERT_EVENT_TYPES, alertEventTypeSchema, ALERT_STATUSES, alertStatusSchema, type AlertStatus, COLLECTOR_EVENT_KINDS, collectorEventKindSchema, DRIFT_KINDS, driftKindSchema,
  FLOW_LABELS, flowLabelSchema, SEVERITIES, severitySchema,
  type AlertEventType, type CollectorEventKind, type DriftKind, type FlowLabel, type Severity,
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
