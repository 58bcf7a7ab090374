import type { DriftKind, Flow, FlowEndpoint } from '@driftwatch/flow';

/** One side of an alert's connection: a pod by namespace and workload, anything else by its IP. */
export interface AlertSide {
  readonly namespace: string | null;
  readonly workload: string | null;
  readonly ip: string | null;
}

/** The side of a flow as an alert records it (the same reading as the flow records). */
export function alertSide(endpoint: FlowEndpoint): AlertSide {
  if (endpoint.kind === 'pod') {
    const workload = endpoint.workload?.name ?? endpoint.podName ?? endpoint.reportedName ?? null;
    return { namespace: endpoint.namespace ?? null, workload, ip: workload === null ? (endpoint.ip ?? null) : null };
  }
  return { namespace: endpoint.namespace ?? null, workload: endpoint.reportedName ?? null, ip: endpoint.ip ?? null };
}

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
