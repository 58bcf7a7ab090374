/**
 * Hubble `observer.GetFlowsResponse` → a flow, a node status, a lost-events record, or a skip. Accepts the
 * gRPC-decoded object, a parsed `hubble observe -o json` line (wrapped `{"flow":…,"node_name","time"}`) and
 * the legacy bare `Flow` line. Never throws: bad input comes back as an error result.
 */
import type { FlowIssueCode } from '@driftwatch/contracts';
import { CiliumLabelCache } from './cilium-labels.js';
import { field, isRec, optEnum, optInt, optNonEmptyStr, optRec, optStrList, toErrorResult, type Rec } from './field-reader.js';
import { LOST_EVENT_SOURCE_NAMES, NODE_STATE_NAMES } from './hubble-enums.js';
import { hubbleFlowToFlow, type HubbleNormalizeOptions } from './hubble-flow.normalizer.js';
import { errorResult, normalizeJsonText, skipResult, type HubbleNormalizeResult } from './normalize-result.js';
import { MAX_COUNTER } from './flow-limits.js';
import { storableFlow, textProblem, timeProblem } from './storable.js';
import { optTimestampMs } from './timestamp.js';

const NO_NAMES: readonly string[] = Object.freeze([]);
const NO_ISSUES: readonly FlowIssueCode[] = Object.freeze([]);
const COUNT_CLAMPED: readonly FlowIssueCode[] = Object.freeze(['count_clamped']);

/** Keys only a bare `Flow` (not a response wrapper) carries at its top level. */
const BARE_FLOW_KEYS = ['verdict', 'IP', 'l4', 'source', 'destination', 'event_type', 'eventType', 'Type', 'uuid'];

function looksLikeBareFlow(input: Rec): boolean {
  for (const key of BARE_FLOW_KEYS) if (input[key] !== undefined) return true;
  return false;
}

function int32Value(value: unknown, path: string): number | undefined {
  if (isRec(value)) return optInt(value['value'], path) ?? 0;
  return optInt(value, path);
}

function normalizeNodeStatus(body: Rec, input: Rec, node: string | undefined): HubbleNormalizeResult {
  const nodeStatus = {
    state: optEnum(field(body, 'state_change', 'stateChange'), NODE_STATE_NAMES, 'node_status', 'state_change') ?? 'UNKNOWN_NODE_STATE',
    nodeNames: optStrList(field(body, 'node_names', 'nodeNames'), 'node_status', 'node_names') ?? NO_NAMES,
    message: optNonEmptyStr(body['message'], 'node_status', 'message'),
    time: optTimestampMs(input['time'], 'time'),
    node,
  };
  let problem = textProblem(nodeStatus.state, 'node_status.state_change') ?? textProblem(nodeStatus.message, 'node_status.message') ??
    textProblem(node, 'node_name') ?? timeProblem(nodeStatus.time, 'time');
  for (let i = 0; problem === undefined && i < nodeStatus.nodeNames.length; i++) {
    problem = textProblem(nodeStatus.nodeNames[i], `node_status.node_names[${i}]`);
  }
  if (problem) return errorResult(problem.code, problem.message, problem.path);
  return { ok: true, kind: 'node_status', nodeStatus };
}

function normalizeLostEvents(body: Rec, input: Rec, node: string | undefined): HubbleNormalizeResult {
  const lost = optInt(field(body, 'num_events_lost', 'numEventsLost'), 'lost_events', 'num_events_lost') ?? 0;
  if (lost < 0) return errorResult('invalid_field', 'lost_events.num_events_lost must not be negative', 'lost_events.num_events_lost');
  const lostEvents = {
    source: optEnum(body['source'], LOST_EVENT_SOURCE_NAMES, 'lost_events', 'source') ?? 'UNKNOWN_LOST_EVENT_SOURCE',
    numEventsLost: Math.min(lost, MAX_COUNTER),
    cpu: int32Value(body['cpu'], 'lost_events.cpu'),
    first: optTimestampMs(body['first'], 'lost_events', 'first'),
    last: optTimestampMs(body['last'], 'lost_events', 'last'),
    time: optTimestampMs(input['time'], 'time'),
    node,
    issues: lost > MAX_COUNTER ? COUNT_CLAMPED : NO_ISSUES,
  };
  const problem = textProblem(lostEvents.source, 'lost_events.source') ?? textProblem(node, 'node_name') ??
    timeProblem(lostEvents.first, 'lost_events.first') ?? timeProblem(lostEvents.last, 'lost_events.last') ?? timeProblem(lostEvents.time, 'time');
  if (problem) return errorResult(problem.code, problem.message, problem.path);
  return { ok: true, kind: 'lost_events', lostEvents };
}

/**
 * Normalizes one `GetFlowsResponse` (gRPC-decoded or parsed JSON) or one bare Hubble `Flow`.
 * - `flow` → `{kind: 'flow'}`; `node_status` and `lost_events` → their typed records (data, not flows);
 * - a response with none of these (a newer oneof case, an exporter `agent_event`) → `{kind: 'skip'}`;
 * - anything malformed → `{ok: false, kind: 'error'}` naming the field. Unknown fields are ignored.
 */
export function normalizeHubbleResponse(input: unknown, options?: HubbleNormalizeOptions): HubbleNormalizeResult {
  if (!isRec(input)) return errorResult('not_an_object', 'a Hubble response must be a JSON object');
  try {
    const node = optNonEmptyStr(field(input, 'node_name', 'nodeName'), 'node_name');
    const flow = input['flow'];
    if (flow !== undefined && flow !== null) {
      if (!isRec(flow)) return errorResult('not_an_object', 'flow must be an object', 'flow');
      return storableFlow(hubbleFlowToFlow(flow, { raw: input, nodeName: node, time: input['time'] }, options));
    }
    const status = optRec(field(input, 'node_status', 'nodeStatus'), 'node_status');
    if (status !== undefined) return normalizeNodeStatus(status, input, node);
    const lost = optRec(field(input, 'lost_events', 'lostEvents'), 'lost_events');
    if (lost !== undefined) return normalizeLostEvents(lost, input, node);
    if (looksLikeBareFlow(input)) {
      return storableFlow(hubbleFlowToFlow(input, { raw: input, nodeName: undefined, time: undefined }, options));
    }
    for (const other of ['agent_event', 'agentEvent', 'debug_event', 'debugEvent']) {
      if (input[other] !== undefined) return skipResult(`${other} is not a flow`);
    }
    return skipResult('response carries no flow, node_status or lost_events');
  } catch (error) {
    return toErrorResult(error);
  }
}

/**
 * Normalizes one line of `hubble observe -o json` / `-o jsonpb` output or of the Hubble exporter's file
 * (wrapped or legacy bare `Flow`). Blank lines are skipped; text that is not JSON is an `invalid_json` error.
 */
export function normalizeHubbleJsonLine(line: string, options?: HubbleNormalizeOptions): HubbleNormalizeResult {
  return normalizeJsonText(line, (value) => normalizeHubbleResponse(value, options));
}

/** A Hubble normalizer with its own label cache: use one per stream. */
export interface HubbleNormalizer {
  /** See {@link normalizeHubbleResponse}. */
  response(input: unknown): HubbleNormalizeResult;
  /** See {@link normalizeHubbleJsonLine}. */
  jsonLine(line: string): HubbleNormalizeResult;
}

/**
 * Creates a Hubble normalizer that shares parsed label sets between flows of the same Cilium identity
 * (bounded to `maxIdentities`), which is what makes the hot path fast and lets flows share label objects.
 */
export function createHubbleNormalizer(options: { readonly cluster?: string; readonly maxIdentities?: number } = {}): HubbleNormalizer {
  const resolved: HubbleNormalizeOptions = {
    labelCache: new CiliumLabelCache(options.maxIdentities),
    ...(options.cluster === undefined ? {} : { cluster: options.cluster }),
  };
  return {
    response: (input) => normalizeHubbleResponse(input, resolved),
    jsonLine: (line) => normalizeHubbleJsonLine(line, resolved),
  };
}
