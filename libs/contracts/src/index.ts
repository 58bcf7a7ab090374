/**
 * @driftwatch/contracts: the closed vocabularies (labels, drift kinds, issue and malformed codes, collector event
 * kinds, severities, alert event types) as `as const` lists, their types and zod enums. Beside the import chain:
 * every room may import it; it imports nothing from the workspace.
 */
export {
  ALERT_EVENT_TYPES, alertEventTypeSchema, COLLECTOR_EVENT_KINDS, collectorEventKindSchema, DRIFT_KINDS, driftKindSchema,
  FLOW_LABELS, flowLabelSchema, OBSERVED_VERDICTS, observedVerdictSchema, SEVERITIES, severitySchema,
  type AlertEventType, type CollectorEventKind, type DriftKind, type FlowLabel, type ObservedVerdict, type Severity,
} from './vocabulary.js';
export { FLOW_ISSUE_CODES, FLOW_ISSUE_MEANINGS, flowIssueCodeSchema, isFlowIssueCode, type FlowIssueCode } from './flow-issues.js';
export {
  isMalformedCode, MALFORMED_CODES, MALFORMED_MEANINGS, malformedCodeSchema, NORMALIZE_ERROR_CODES, NORMALIZE_ERROR_MEANINGS,
  type MalformedCode, type NormalizeErrorCode,
} from './malformed.js';
export {
  collectorSchema, collectorsResponse, connectionEdgeSchema, connectionsQuery, connectionsResponse, decodeFlowRecordId, DEFAULT_FLOW_RANGE_MS,
  encodeFlowRecordId, FLOW_EXPORT_COLUMNS, FLOW_EXPORT_FORMATS, FLOW_LABEL_FILTERS, flowEvidenceResponse, flowEvidenceSchema, flowExportQuery,
  flowListQuery, flowListResponse, flowRecordParams, flowRecordSchema, flowsRoutes, flowTimeRange,
  type Collector, type CollectorsResponse, type ConnectionEdge, type ConnectionsQuery, type ConnectionsResponse, type EndpointFilter,
  type FlowEvidence, type FlowEvidenceResponse, type FlowExportQuery, type FlowLabelFilter, type FlowListQuery, type FlowListResponse,
  type FlowRecord, type FlowRecordPosition,
} from './api/flows.js';
