import type { FlowIssueCode, NormalizeErrorCode } from '@driftwatch/contracts';
import type { Flow } from './flow.model.js';

/** Why a message could not be normalized: the closed list is in @driftwatch/contracts. */
export type { NormalizeErrorCode };

/** A normalization problem as data: `path` names the offending field (`flow.l4.TCP.destination_port`). */
export interface NormalizeError {
  readonly code: NormalizeErrorCode;
  readonly path: string | undefined;
  readonly message: string;
}

/** A flow came out. */
export interface FlowResult {
  readonly ok: true;
  readonly kind: 'flow';
  readonly flow: Flow;
}

/** The message is valid but carries nothing to record (an unknown response type, an agent event, ...). */
export interface SkipResult {
  readonly ok: true;
  readonly kind: 'skip';
  readonly reason: string;
}

/** The message could not be normalized. Never thrown: returned. */
export interface ErrorResult {
  readonly ok: false;
  readonly kind: 'error';
  readonly error: NormalizeError;
}

/** Result of the Calico normalizers. */
export type CalicoNormalizeResult = FlowResult | SkipResult | ErrorResult;

/** Hubble Relay node states (`relay.NodeState`). */
export type HubbleNodeState =
  | 'UNKNOWN_NODE_STATE'
  | 'NODE_CONNECTED'
  | 'NODE_UNAVAILABLE'
  | 'NODE_GONE'
  | 'NODE_ERROR'
  | (string & {});

/** A Relay `node_status` response: nodes connected or lost. */
export interface HubbleNodeStatus {
  readonly state: HubbleNodeState;
  readonly nodeNames: readonly string[];
  readonly message: string | undefined;
  /** Response time, epoch milliseconds, when given. */
  readonly time: number | undefined;
  readonly node: string | undefined;
}

/** A `lost_events` response: events dropped upstream (a gap in the data). */
export interface HubbleLostEvents {
  /** `PERF_EVENT_RING_BUFFER`, `OBSERVER_EVENTS_QUEUE`, `HUBBLE_RING_BUFFER` or `UNKNOWN_LOST_EVENT_SOURCE`. */
  readonly source: string;
  readonly numEventsLost: number;
  readonly cpu: number | undefined;
  readonly first: number | undefined;
  readonly last: number | undefined;
  readonly time: number | undefined;
  readonly node: string | undefined;
  /** `count_clamped` when `numEventsLost` was beyond 2^53 − 1 (e.g. 2^64 − 1) and was clamped to it. */
  readonly issues: readonly FlowIssueCode[];
}

/** A Hubble `node_status` response came out. */
export interface NodeStatusResult {
  readonly ok: true;
  readonly kind: 'node_status';
  readonly nodeStatus: HubbleNodeStatus;
}

/** A Hubble `lost_events` response came out. */
export interface LostEventsResult {
  readonly ok: true;
  readonly kind: 'lost_events';
  readonly lostEvents: HubbleLostEvents;
}

/** Result of the Hubble normalizers: one per `GetFlowsResponse` (or per JSON line). */
export type HubbleNormalizeResult = FlowResult | NodeStatusResult | LostEventsResult | SkipResult | ErrorResult;

/** Builds an error result. */
export function errorResult(code: NormalizeErrorCode, message: string, path?: string): ErrorResult {
  return { ok: false, kind: 'error', error: { code, path, message } };
}

/** Builds a skip result. */
export function skipResult(reason: string): SkipResult {
  return { ok: true, kind: 'skip', reason };
}

/**
 * Parses one JSON text (a line, or a whole document) and hands the value to `normalize`: a blank text is
 * skipped, text that is not JSON is an `invalid_json` error. Shared by every `…Line`/`…Json` normalizer.
 */
export function normalizeJsonText<R>(text: string, normalize: (value: unknown) => R): R | SkipResult | ErrorResult {
  if (text.trim() === '') return skipResult('blank line');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return errorResult('invalid_json', `not JSON: ${(error as Error).message}`);
  }
  return normalize(parsed);
}
