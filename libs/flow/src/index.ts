/**
 * @driftwatch/flow: the normalized Flow model and pure normalizers for Hubble and Calico flow data.
 * No I/O, no framework. Normalizers never throw on bad input; they return results.
 */
export type {
  EndpointKind, EndpointService, Flow, FlowCounters, FlowDirection, FlowEndpoint, FlowEventKind, FlowIssue,
  FlowIssueCode, FlowProtocol, FlowSourceKind, LabelMap, ObservedVerdict, PolicyEffect, PolicyRef, ReportedPolicy,
  Workload,
} from './flow.model.js';
export type {
  CalicoNormalizeResult, ErrorResult, FlowResult, HubbleLostEvents, HubbleNodeState, HubbleNodeStatus,
  HubbleNormalizeResult, LostEventsResult, NodeStatusResult, NormalizeError, NormalizeErrorCode, SkipResult,
} from './normalize-result.js';
export type { HubbleNormalizeOptions } from './hubble-flow.normalizer.js';
export {
  createHubbleNormalizer, normalizeHubbleJsonLine, normalizeHubbleResponse, type HubbleNormalizer,
} from './hubble-response.normalizer.js';
export { normalizeGoldmaneFlow, normalizeGoldmaneJson, type CalicoNormalizeOptions } from './goldmane.normalizer.js';
export { normalizeCalicoEnterpriseLine, normalizeCalicoEnterpriseRecord } from './calico-enterprise.normalizer.js';
export { detectFlowFormat, normalizeFlowJsonLine } from './flow-format.js';
export { CiliumLabelCache, parseCiliumLabels, type CiliumLabels } from './cilium-labels.js';
export { parsePolicyString } from './calico-policies.js';
export { inferWorkload } from './workload-name.js';
export { parseRfc3339 } from './timestamp.js';
export { DROP_REASON_NAMES, isPolicyDropReason, POLICY_DROP_CODES } from './hubble-enums.js';
export {
  classify, declaredFor, FlowClassifier, isPolicyProtocol, judgeConnection, judgedAsPod, type Classification, type DriftKind, type FlowLabel,
  type Judgement,
} from './classify.js';
export type { FlowObserver } from './flow-observer.js';
export {
  connectionSide, recordedConnection, recordedConnectionKey, type ConnectionSide, type RecordedConnection, type RecordedConnectionKey,
} from './connection-side.js';
export { FLOW_LIMITS } from './flow-limits.js';
export { isIpAddress } from './ip-address.js';
export { storableFlow } from './storable.js';
export type { ClassifierLimits } from './classify.js';
export { evaluateWhatIf, WhatIfEvaluator, type StoredConnection, type StoredSide, type WhatIfOutcome } from './whatif.js';
