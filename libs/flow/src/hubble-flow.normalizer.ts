/**
 * Hubble `flow.Flow` → {@link Flow}. One function reads every encoding we receive: `hubble observe -o json`
 * (proto field names, enum names, 64-bit integers as strings, RFC 3339 times, bare BoolValues), protojson with
 * lowerCamel names, enum numbers, and the objects @grpc/proto-loader decodes with `{keepCase: true,
 * longs: String, enums: String, defaults: false, oneofs: true}` (Timestamp `{seconds, nanos}`, BoolValue
 * `{value}`). This is the hot path: no regular expressions, no per-field path strings, shared label objects.
 */
import type { CiliumLabelCache } from './cilium-labels.js';
import { field, FieldError, optBool, optEnum, optInt, optNonEmptyStr, optPort, optRec, optStrList, type Rec } from './field-reader.js';
import type { Flow, FlowDirection, FlowEndpoint, FlowEventKind, FlowProtocol, ObservedVerdict } from './flow.model.js';
import { hubbleEndpoint, hubbleService } from './hubble-endpoint.js';
import {
  DROP_REASON_CODES, DROP_REASON_NAMES, EVENT_TYPE, FLOW_TYPE_NAMES, POLICY_DROP_CODES, TRACE_OBSERVATION_POINT_NAMES,
  TRACE_REASON_NAMES, TRACE_SUB_TYPE_POINTS, TRAFFIC_DIRECTION_NAMES, VERDICT_NAMES,
} from './hubble-enums.js';
import { collectIssues } from './flow-issues.js';
import { hubblePolicies } from './hubble-policies.js';
import { stableHash64 } from './stable-hash.js';
import { optTimestampMs, timestampKey } from './timestamp.js';

/** Options of the Hubble normalizers. */
export interface HubbleNormalizeOptions {
  /** Cluster to record when the node name has no `<cluster>/` prefix. */
  readonly cluster?: string;
  /** Shared label cache (see `createHubbleNormalizer`); without one every label list is parsed. */
  readonly labelCache?: CiliumLabelCache;
}

/** The message a flow came in, for evidence and defaults. Error paths always start at `flow`. */
export interface HubbleEnvelope {
  readonly raw: unknown;
  /** `GetFlowsResponse.node_name` / `.time`, used when the flow lacks its own. */
  readonly nodeName: string | undefined;
  readonly time: unknown;
}

const VERDICTS: Readonly<Record<string, ObservedVerdict>> = {
  FORWARDED: 'forwarded', DROPPED: 'dropped', AUDIT: 'audit', REDIRECTED: 'redirected', TRACED: 'traced',
  TRANSLATED: 'translated', ERROR: 'error',
};

const L4_PROTOCOLS = ['TCP', 'UDP', 'SCTP', 'ICMPv4', 'ICMPv6', 'VRRP', 'IGMP'] as const;

interface L4 {
  protocol: FlowProtocol | undefined;
  srcPort: number | undefined;
  dstPort: number | undefined;
  /** Reply flag the TCP flags imply: SYN alone = false, SYN+ACK = true; `established` when flags show no SYN. */
  synReply: boolean | undefined;
  established: boolean;
  /** ICMP echo request (false) / reply (true). */
  icmpReply: boolean | undefined;
}

function readL4(value: unknown, path: string): L4 {
  const out: L4 = { protocol: undefined, srcPort: undefined, dstPort: undefined, synReply: undefined, established: false, icmpReply: undefined };
  const l4 = optRec(value, path);
  if (l4 === undefined) return out;
  for (const name of L4_PROTOCOLS) {
    const body = l4[name];
    if (body === undefined || body === null) continue;
    const rec = optRec(body, path, name);
    if (rec === undefined) continue;
    out.protocol = name;
    if (name === 'TCP' || name === 'UDP' || name === 'SCTP') {
      out.srcPort = optPort(field(rec, 'source_port', 'sourcePort'), path, `${name}.source_port`);
      out.dstPort = optPort(field(rec, 'destination_port', 'destinationPort'), path, `${name}.destination_port`);
      if (name === 'TCP') {
        const flags = optRec(rec['flags'], path, 'TCP.flags');
        if (flags !== undefined) {
          const syn = flags['SYN'] === true;
          const ack = flags['ACK'] === true;
          if (syn) out.synReply = ack;
          else if (ack || flags['FIN'] === true || flags['RST'] === true || flags['PSH'] === true) out.established = true;
        }
      }
    } else if (name === 'ICMPv4' || name === 'ICMPv6') {
      const type = optInt(rec['type'], path, name === 'ICMPv4' ? 'ICMPv4.type' : 'ICMPv6.type') ?? 0;
      if (name === 'ICMPv4') out.icmpReply = type === 0 ? true : type === 8 ? false : undefined;
      else out.icmpReply = type === 129 ? true : type === 128 ? false : undefined;
    }
    break;
  }
  return out;
}

function directionOf(name: string | undefined): FlowDirection | undefined {
  return name === 'EGRESS' ? 'egress' : name === 'INGRESS' ? 'ingress' : undefined;
}

/**
 * Direction from the trace observation point when Hubble gives no `traffic_direction`: arriving at an
 * endpoint is its ingress; leaving an endpoint (or a to-stack/overlay/network/host point whose source is an
 * endpoint of this node) is the source's egress. For a reply the connection runs the other way, so without
 * a known reply flag the point says nothing.
 */
function directionFromPoint(point: string | undefined, src: FlowEndpoint, isReply: boolean | undefined): FlowDirection {
  if (isReply === undefined) return 'unknown';
  let dir: FlowDirection = 'unknown';
  if (point === 'TO_ENDPOINT') dir = 'ingress';
  else if (point === 'FROM_ENDPOINT') dir = 'egress';
  else if (
    src.endpointId !== undefined &&
    (point === 'TO_STACK' || point === 'TO_OVERLAY' || point === 'TO_NETWORK' || point === 'TO_HOST' || point === 'TO_CRYPTO')
  ) {
    dir = 'egress';
  }
  if (isReply === true && dir !== 'unknown') dir = dir === 'egress' ? 'ingress' : 'egress';
  return dir;
}

function eventKindOf(
  flowType: string | undefined, eventType: number | undefined, verdict: ObservedVerdict,
  isReply: boolean | undefined, established: boolean,
): FlowEventKind {
  if (flowType === 'L7' || eventType === EVENT_TYPE.accessLog) return 'l7';
  if (flowType === 'SOCK' || eventType === EVENT_TYPE.traceSock) return 'sock';
  if (eventType === EVENT_TYPE.debug || eventType === EVENT_TYPE.capture || eventType === EVENT_TYPE.agent) return 'other';
  if (verdict === 'unknown' || verdict === 'traced' || verdict === 'translated' || verdict === 'error') return 'no-verdict';
  if (isReply === true) return 'reply';
  if (established && verdict !== 'dropped') return 'established';
  return 'connection';
}

function aggregateCount(value: unknown, path: string): number {
  const agg = optRec(value, path);
  if (agg === undefined) return 1;
  const n =
    (optInt(field(agg, 'ingress_flow_count', 'ingressFlowCount'), path, 'ingress_flow_count') ?? 0) +
    (optInt(field(agg, 'egress_flow_count', 'egressFlowCount'), path, 'egress_flow_count') ?? 0) +
    (optInt(field(agg, 'unknown_direction_flow_count', 'unknownDirectionFlowCount'), path, 'unknown_direction_flow_count') ?? 0);
  return n > 0 ? n : 1;
}

/**
 * An id for flows without `uuid` (Cilium before 1.14): a hash of what identifies the event, in a form that is
 * the same for its JSON and gRPC encodings.
 */
function derivedId(
  node: string | undefined, time: unknown, srcIp: string | undefined, dstIp: string | undefined, l4: L4, verdict: string,
  eventType: number | undefined, subType: number | undefined, point: string | undefined,
): string {
  const t = timestampKey(time);
  return `h-${stableHash64(`${node}|${t}|${srcIp}|${dstIp}|${l4.protocol}|${l4.srcPort}|${l4.dstPort}|${verdict}|${eventType ?? 0}|${subType ?? 0}|${point}`)}`; // proto3: absent = 0
}

/**
 * Normalizes one Hubble `Flow` object (already known to be an object). Throws {@link FieldError} on a bad
 * field; callers catch it (see `normalizeHubbleResponse`).
 */
export function hubbleFlowToFlow(flow: Rec, envelope: HubbleEnvelope, options: HubbleNormalizeOptions | undefined): Flow {
  const path = 'flow';
  const timeValue = flow['time'] ?? envelope.time;
  const time = optTimestampMs(timeValue, path, 'time');
  if (time === undefined) throw new FieldError('missing_field', `${path}.time`, `${path}.time is missing`);

  const verdictName = optEnum(flow['verdict'], VERDICT_NAMES, path, 'verdict');
  const verdict: ObservedVerdict = verdictName === undefined ? 'unknown' : (VERDICTS[verdictName] ?? 'unknown');

  const ip = optRec(flow['IP'] ?? flow['ip'], path, 'IP');
  const srcIp = ip === undefined ? undefined : optNonEmptyStr(ip['source'], path, 'IP.source');
  const dstIp = ip === undefined ? undefined : optNonEmptyStr(ip['destination'], path, 'IP.destination');
  const l4 = readL4(flow['l4'], 'flow.l4');

  const cache = options?.labelCache;
  const src = hubbleEndpoint(
    flow['source'], srcIp, optStrList(field(flow, 'source_names', 'sourceNames'), path, 'source_names'),
    hubbleService(field(flow, 'source_service', 'sourceService'), 'flow.source_service'), cache, 'flow.source',
  );
  const dst = hubbleEndpoint(
    flow['destination'], dstIp, optStrList(field(flow, 'destination_names', 'destinationNames'), path, 'destination_names'),
    hubbleService(field(flow, 'destination_service', 'destinationService'), 'flow.destination_service'), cache,
    'flow.destination',
  );

  const eventTypeRec = optRec(field(flow, 'event_type', 'eventType'), path, 'event_type');
  const eventType = eventTypeRec === undefined ? undefined : optInt(eventTypeRec['type'], path, 'event_type.type');
  const subType = eventTypeRec === undefined ? undefined : optInt(field(eventTypeRec, 'sub_type', 'subType'), path, 'event_type.sub_type');
  const flowType = optEnum(flow['Type'] ?? flow['type'], FLOW_TYPE_NAMES, path, 'Type');
  let point = optEnum(field(flow, 'trace_observation_point', 'traceObservationPoint'), TRACE_OBSERVATION_POINT_NAMES, path, 'trace_observation_point');
  if (point === undefined && eventType === EVENT_TYPE.trace) point = TRACE_SUB_TYPE_POINTS[subType ?? 0];
  const traceReason = optEnum(field(flow, 'trace_reason', 'traceReason'), TRACE_REASON_NAMES, path, 'trace_reason');

  let isReply = optBool(field(flow, 'is_reply', 'isReply'), path, 'is_reply');
  if (isReply === undefined && optBool(flow['reply'], path, 'reply') === true) isReply = true;
  if (isReply === undefined) {
    if (traceReason === 'REPLY') isReply = true;
    else if (traceReason === 'NEW' || traceReason === 'ESTABLISHED') isReply = false;
    else isReply = l4.synReply ?? l4.icmpReply;
  }

  let dropReasonCode: number | undefined;
  let dropReason = optEnum(field(flow, 'drop_reason_desc', 'dropReasonDesc'), DROP_REASON_NAMES, path, 'drop_reason_desc');
  if (dropReason !== undefined) {
    dropReasonCode = DROP_REASON_CODES.get(dropReason);
    if (dropReasonCode === undefined) {
      const n = Number(dropReason);
      if (Number.isInteger(n)) dropReasonCode = n;
    }
  } else {
    dropReasonCode = optInt(field(flow, 'drop_reason', 'dropReason'), path, 'drop_reason');
    if (dropReasonCode === 0) dropReasonCode = undefined;
    if (dropReasonCode !== undefined) dropReason = DROP_REASON_NAMES.get(dropReasonCode) ?? String(dropReasonCode);
  }
  const event = eventKindOf(flowType, eventType, verdict, isReply, l4.established || traceReason === 'ESTABLISHED');
  const policyDrop =
    verdict === 'dropped' &&
    (dropReasonCode !== undefined ? POLICY_DROP_CODES.has(dropReasonCode) : event === 'l7');

  const direction =
    directionOf(optEnum(field(flow, 'traffic_direction', 'trafficDirection'), TRAFFIC_DIRECTION_NAMES, path, 'traffic_direction')) ??
    directionFromPoint(point, src, isReply);

  const nodeName = optNonEmptyStr(field(flow, 'node_name', 'nodeName'), path, 'node_name') ?? envelope.nodeName;
  // Recent Hubble names nodes `<cluster>/<node>` when the cluster is not called "default".
  const slash = nodeName === undefined ? -1 : nodeName.indexOf('/');
  const nodeCluster = slash < 0 ? undefined : nodeName?.slice(0, slash);
  const node = slash < 0 ? nodeName : nodeName?.slice(slash + 1);
  const uuid = optNonEmptyStr(flow['uuid'], path, 'uuid');

  return {
    source: 'hubble',
    id: uuid ?? derivedId(nodeName, timeValue, srcIp, dstIp, l4, verdict, eventType, subType, point),
    time,
    timeText: typeof timeValue === 'string' ? timeValue : undefined,
    endTime: undefined,
    cluster: nodeCluster ?? options?.cluster,
    node,
    src,
    dst,
    protocol: l4.protocol,
    srcPort: l4.srcPort,
    dstPort: l4.dstPort,
    direction,
    verdict,
    dropReason,
    dropReasonCode,
    policyDrop,
    isReply,
    event,
    count: aggregateCount(flow['aggregate'], 'flow.aggregate'),
    eventType,
    observationPoint: point,
    policies: hubblePolicies(flow, path),
    issues: collectIssues(src, dst, event, direction, isReply),
    counters: undefined,
    raw: envelope.raw,
  };
}
