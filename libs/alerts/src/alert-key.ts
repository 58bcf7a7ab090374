import type { DriftKind, Flow, FlowEndpoint } from '@driftwatch/flow';

function sideText(endpoint: FlowEndpoint): string {
  if (endpoint.kind === 'pod') {
    const workload = endpoint.workload?.name ?? endpoint.podName ?? endpoint.reportedName;
    if (workload !== undefined) return `${endpoint.namespace ?? ''}/${workload}`;
  }
  return endpoint.ip ?? endpoint.reportedName ?? '?';
}

/**
 * The canonical text of a flow's connection key: cluster, source (namespace/workload, or IP for anything that
 * is not a pod), destination (the same), port and protocol. With the drift kind it identifies an alert.
 */
export function connectionKey(flow: Flow): string {
  return `${flow.cluster ?? ''}|${sideText(flow.src)}|${sideText(flow.dst)}|${flow.dstPort ?? ''}/${flow.protocol ?? ''}`;
}

/** The detector's map key: connection key and drift kind. */
export function alertKey(flow: Flow, drift: DriftKind): string {
  return `${drift}|${connectionKey(flow)}`;
}
