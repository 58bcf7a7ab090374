/**
 * Builders of single flow messages as each source sends them, and of normalized `Flow` objects, for table tests
 * and property tests: one ordinary message per format, overridden field by field. The one home for such builders
 * (libs/flow, libs/collector and libs/persistence tests take them from here).
 */
import type { Flow, FlowEndpoint } from '@driftwatch/flow';

type Rec = Record<string, unknown>;

/** 2026-02-24T08:43:39Z in seconds, the time of every built message unless overridden. */
export const MESSAGE_TIME_SECONDS = 1_771_922_619;

/** The Hubble `Endpoint` of a labeled pod in namespace `shop`. */
export function hubbleEndpointMessage(app: string, identity: number, overrides: Rec = {}): Rec {
  return {
    identity, namespace: 'shop', pod_name: `${app}-7d4d858f75-j76f7`,
    labels: [`k8s:app=${app}`, 'k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=shop', 'k8s:io.kubernetes.pod.namespace=shop'],
    ...overrides,
  };
}

/**
 * A `GetFlowsResponse` as `hubble observe -o json` prints it, around a TCP SYN frontend → backend on 8080;
 * `flow` overrides fields of the flow, `response` fields of the wrapper.
 */
export function hubbleResponseMessage(flow: Rec = {}, response: Rec = {}): Rec {
  const time = new Date(MESSAGE_TIME_SECONDS * 1000).toISOString();
  return {
    flow: {
      time, uuid: '5d8c1c7e-7b61-4d3a-9a0b-2f8f6c3e1a01', verdict: 'FORWARDED',
      IP: { source: '10.0.0.10', destination: '10.0.0.20', ipVersion: 'IPv4' },
      l4: { TCP: { source_port: 40000, destination_port: 8080, flags: { SYN: true } } },
      source: hubbleEndpointMessage('frontend', 5001), destination: hubbleEndpointMessage('backend', 5002),
      Type: 'L3_L4', event_type: { type: 4 }, traffic_direction: 'EGRESS', node_name: 'node-1', ...flow,
    },
    node_name: 'node-1',
    time,
    ...response,
  };
}

/** A Calico Goldmane `Flow` in protojson (lowerCamel names, int64 as strings), an allowed TCP bucket; overridden by `key` and `flow`. */
export function goldmaneFlowMessage(key: Rec = {}, flow: Rec = {}): Rec {
  return {
    Key: {
      sourceName: 'frontend-7d4d858f75-*', sourceNamespace: 'shop', sourceType: 'WorkloadEndpoint',
      destName: 'backend-5c9f8b7d6c-*', destNamespace: 'shop', destType: 'WorkloadEndpoint', destPort: '8080',
      destServiceName: '-', destServiceNamespace: '-', destServicePortName: '-', proto: 'tcp', reporter: 'Src', action: 'Allow',
      ...key,
    },
    startTime: String(MESSAGE_TIME_SECONDS), endTime: String(MESSAGE_TIME_SECONDS + 15),
    sourceLabels: ['app=frontend'], destLabels: ['app=backend'],
    packetsIn: '3', packetsOut: '2', bytesIn: '300', bytesOut: '200', numConnectionsStarted: '1', numConnectionsCompleted: '1',
    ...flow,
  };
}

/** A Calico Enterprise flow-log record (as one `flows.log` line parses), a denied TCP connection; overridden by `record`. */
export function enterpriseRecordMessage(record: Rec = {}): Rec {
  return {
    start_time: MESSAGE_TIME_SECONDS, end_time: MESSAGE_TIME_SECONDS + 300, source_ip: '10.48.116.157', source_name: 'multitool',
    source_name_aggr: 'multitool', source_namespace: 'default', source_port: null, source_type: 'wep',
    source_labels: { labels: ['run=multitool'] }, dest_ip: '10.48.127.224', dest_name: 'checkoutservice-598d5b586d-wsvmz',
    dest_name_aggr: 'checkoutservice-598d5b586d-*', dest_namespace: 'hipstershop', dest_port: 5050, dest_type: 'wep',
    dest_labels: { labels: ['app=checkoutservice'] }, dest_service_namespace: '-', dest_service_name: '-', dest_service_port: '-',
    proto: 'tcp', action: 'deny', reporter: 'dst', bytes_in: 300, bytes_out: 0, num_flows: 1, num_flows_started: 1,
    num_flows_completed: 1, packets_in: 5, packets_out: 0, host: 'node-2',
    ...record,
  };
}

/** A normalized pod endpoint in namespace `shop` (override anything, e.g. `labels: undefined`). */
export function podEndpoint(name: string, labels: Record<string, string> | undefined, ip: string, overrides: Partial<FlowEndpoint> = {}): FlowEndpoint {
  return {
    kind: 'pod', namespace: 'shop', podName: `${name}-6d4f9-abcde`, workload: { name, kind: 'Deployment', inferred: false },
    labels, namespaceLabels: { 'kubernetes.io/metadata.name': 'shop', team: 'retail' }, ip, identity: undefined,
    endpointId: undefined, reserved: [], cidr: undefined, dnsNames: [], cluster: undefined, service: undefined, reportedName: undefined,
    ...overrides,
  };
}

/** A normalized external endpoint. */
export function externalEndpoint(ip: string): FlowEndpoint {
  return { ...podEndpoint('x', undefined, ip), kind: 'external', namespace: undefined, podName: undefined, workload: undefined, namespaceLabels: undefined };
}

/** A normalized flow: a forwarded TCP connection frontend → backend on 8080 at egress, overridden by `overrides`. */
export function buildFlow(overrides: Partial<Flow> = {}): Flow {
  return {
    source: 'hubble', id: 'f', time: MESSAGE_TIME_SECONDS * 1000, timeText: undefined, endTime: undefined, cluster: undefined, node: undefined,
    src: podEndpoint('frontend', { app: 'frontend' }, '10.0.0.10'), dst: podEndpoint('backend', { app: 'backend' }, '10.0.0.20'),
    protocol: 'TCP', srcPort: 40000, dstPort: 8080, direction: 'egress', verdict: 'forwarded',
    dropReason: undefined, dropReasonCode: undefined, policyDrop: false, isReply: false, event: 'connection', count: 1,
    eventType: 4, observationPoint: undefined, policies: [], issues: [], counters: undefined, raw: undefined,
    ...overrides,
  };
}
