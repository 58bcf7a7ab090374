/**
 * Calico Goldmane `goldmane.Flow` → {@link Flow}. Reads protojson (lowerCamel names, `Key`, int64 strings,
 * enum names), the @grpc/proto-loader object (`keepCase: true, longs: String, enums: String`), Goldmane's
 * emitter NDJSON (snake_case, enum numbers, int64 numbers), and the `FlowResult {id, flow}` /
 * `FlowUpdate {flow}` wrappers. One Goldmane flow is one node's view of one aggregated connection key for
 * one interval. See shared/reference/calico-api.md.
 */
import { calicoAction, calicoDirection, calicoEndpoint, calicoProtocol } from './calico-endpoint.js';
import { ACTION_NAMES, calicoDenyReason, goldmanePolicies, policiesKey } from './calico-policies.js';
import { field, FieldError, isRec, optEnum, optInt, optRec, optStr, optStrList, toErrorResult, type Rec } from './field-reader.js';
import type { Flow, FlowCounters, FlowEventKind, ObservedVerdict } from './flow.model.js';
import { collectIssues } from './flow-issues.js';
import { errorResult, normalizeJsonText, skipResult, type CalicoNormalizeResult } from './normalize-result.js';
import { stableHash64 } from './stable-hash.js';
import { storableFlow } from './storable.js';

/** Options of the Calico normalizers. */
export interface CalicoNormalizeOptions {
  /** Cluster the source belongs to (Calico flows do not name it). */
  readonly cluster?: string;
  /**
   * The reporting node when known. Goldmane flows carry no node name: a FlowCollector server passes the
   * Felix peer address here, so two nodes' identical buckets keep distinct dedupe ids.
   */
  readonly node?: string;
}

const ENDPOINT_TYPE_NAMES: ReadonlyMap<number, string> = new Map([[1, 'WorkloadEndpoint'], [2, 'HostEndpoint'], [3, 'NetworkSet'], [4, 'Network']]);
const REPORTER_NAMES: ReadonlyMap<number, string> = new Map([[1, 'Src'], [2, 'Dst']]);

function int(rec: Rec, proto: string, json: string, path: string): number {
  return optInt(field(rec, proto, json), path, proto) ?? 0;
}

/** Strings default to '' (proto3), so every encoding of a flow yields the same dedupe key. */
function str(rec: Rec, proto: string, json: string, path: string): string {
  return optStr(field(rec, proto, json), path, proto) ?? '';
}

/** The verdict, event kind and count a Calico action and its connection counters make. */
export function calicoOutcome(action: 'allow' | 'deny' | undefined, started: number | undefined): { verdict: ObservedVerdict; event: FlowEventKind } {
  if (action === undefined) return { verdict: 'unknown', event: 'no-verdict' };
  if (action === 'deny') return { verdict: 'dropped', event: 'connection' };
  return { verdict: 'forwarded', event: started === 0 ? 'established' : 'connection' };
}

/** Normalizes a Goldmane Flow whose outer shape is known to be an object. Throws FieldError on bad fields. */
function goldmaneFlowToFlow(flow: Rec, raw: unknown, options: CalicoNormalizeOptions | undefined): Flow {
  const key = optRec(flow['Key'] ?? flow['key'], 'flow', 'Key');
  if (key === undefined) throw new FieldError('missing_field', 'flow.Key', 'flow.Key is missing');
  const kp = 'flow.Key';
  const start = optInt(field(flow, 'start_time', 'startTime'), 'flow', 'start_time');
  if (start === undefined) throw new FieldError('missing_field', 'flow.start_time', 'flow.start_time is missing');
  const end = optInt(field(flow, 'end_time', 'endTime'), 'flow', 'end_time');

  const srcType = optEnum(field(key, 'source_type', 'sourceType'), ENDPOINT_TYPE_NAMES, kp, 'source_type');
  const dstType = optEnum(field(key, 'dest_type', 'destType'), ENDPOINT_TYPE_NAMES, kp, 'dest_type');
  const srcName = str(key, 'source_name', 'sourceName', kp);
  const dstName = str(key, 'dest_name', 'destName', kp);
  const srcNs = str(key, 'source_namespace', 'sourceNamespace', kp);
  const dstNs = str(key, 'dest_namespace', 'destNamespace', kp);
  const dstPort = int(key, 'dest_port', 'destPort', kp);
  if (dstPort < 0 || dstPort > 65535) throw new FieldError('invalid_field', 'flow.Key.dest_port', 'flow.Key.dest_port must be a port number');
  const svcName = str(key, 'dest_service_name', 'destServiceName', kp);
  const svcNs = str(key, 'dest_service_namespace', 'destServiceNamespace', kp);
  const svcPortName = str(key, 'dest_service_port_name', 'destServicePortName', kp);
  const svcPort = int(key, 'dest_service_port', 'destServicePort', kp);
  const proto = str(key, 'proto', 'proto', kp);
  const reporter = optEnum(key['reporter'], REPORTER_NAMES, kp, 'reporter');
  const actionName = optEnum(key['action'], ACTION_NAMES, kp, 'action');
  const policies = goldmanePolicies(optRec(key['policies'], kp, 'policies'), 'flow.Key.policies');

  const counters: FlowCounters = {
    packetsIn: int(flow, 'packets_in', 'packetsIn', 'flow'),
    packetsOut: int(flow, 'packets_out', 'packetsOut', 'flow'),
    bytesIn: int(flow, 'bytes_in', 'bytesIn', 'flow'),
    bytesOut: int(flow, 'bytes_out', 'bytesOut', 'flow'),
    connectionsStarted: int(flow, 'num_connections_started', 'numConnectionsStarted', 'flow'),
    connectionsCompleted: int(flow, 'num_connections_completed', 'numConnectionsCompleted', 'flow'),
    connectionsLive: int(flow, 'num_connections_live', 'numConnectionsLive', 'flow'),
  };
  const serviceName = svcName === '-' || svcName === '' ? undefined : svcName;
  const src = calicoEndpoint({
    type: srcType, name: srcName, aggregatedName: srcName, namespace: srcNs,
    labels: optStrList(field(flow, 'source_labels', 'sourceLabels'), 'flow', 'source_labels'),
    ip: undefined, service: undefined, dnsNames: undefined,
  });
  const dst = calicoEndpoint({
    type: dstType, name: dstName, aggregatedName: dstName, namespace: dstNs,
    labels: optStrList(field(flow, 'dest_labels', 'destLabels'), 'flow', 'dest_labels'),
    ip: undefined,
    service: serviceName === undefined ? undefined : {
      name: serviceName,
      namespace: svcNs === '-' || svcNs === '' ? undefined : svcNs,
      port: svcPort === 0 ? undefined : svcPort,
      portName: svcPortName === '-' || svcPortName === '' ? undefined : svcPortName,
    },
    dnsNames: undefined,
  });
  const action = calicoAction(actionName);
  const { verdict, event } = calicoOutcome(action, counters.connectionsStarted);
  const direction = calicoDirection(reporter);
  const node = options?.node;
  const id = `c-${stableHash64(
    `g|${node}|${srcType}|${srcNs}|${srcName}|${dstType}|${dstNs}|${dstName}|${dstPort}|${svcNs}|${svcName}|` +
    `${svcPortName}|${svcPort}|${proto}|${reporter}|${actionName}|${policiesKey(policies)}|${start}`,
  )}`;
  return {
    source: 'goldmane',
    id,
    time: start * 1000,
    timeText: undefined,
    endTime: end === undefined ? undefined : end * 1000,
    cluster: options?.cluster,
    node,
    src,
    dst,
    protocol: calicoProtocol(proto),
    srcPort: undefined,
    dstPort: dstPort === 0 ? undefined : dstPort,
    direction,
    verdict,
    dropReason: action === 'deny' ? calicoDenyReason(policies) : undefined,
    dropReasonCode: undefined,
    policyDrop: action === 'deny',
    isReply: false,
    event,
    count: counters.connectionsStarted,
    eventType: undefined,
    observationPoint: undefined,
    policies,
    issues: collectIssues(src, dst, event, direction, false),
    counters,
    raw,
  };
}

/**
 * Normalizes one Goldmane Flow (or a `FlowResult`/`FlowUpdate` wrapping one). Never throws; a message
 * without a flow is skipped, a malformed one is an error result naming the field. Unknown fields are ignored.
 */
export function normalizeGoldmaneFlow(input: unknown, options?: CalicoNormalizeOptions): CalicoNormalizeResult {
  if (!isRec(input)) return errorResult('not_an_object', 'a Goldmane flow must be a JSON object');
  try {
    let flow: Rec = input;
    if (input['Key'] === undefined && input['key'] === undefined) {
      const inner = optRec(input['flow'], 'flow');
      if (inner === undefined) return skipResult('message carries no flow');
      flow = inner;
    }
    return storableFlow(goldmaneFlowToFlow(flow, input, options));
  } catch (error) {
    return toErrorResult(error);
  }
}

/** Parses and normalizes Goldmane protojson text (a Flow, FlowResult or FlowUpdate, possibly pretty-printed). */
export function normalizeGoldmaneJson(text: string, options?: CalicoNormalizeOptions): CalicoNormalizeResult {
  return normalizeJsonText(text, (value) => normalizeGoldmaneFlow(value, options));
}
