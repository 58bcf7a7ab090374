import type { FlowEndpoint } from './flow.model.js';

/**
 * One side of a connection as Driftwatch records it (flow records, alerts): a pod by namespace and workload
 * (its IP only when no workload or pod name is known), anything else by namespace, reported name and IP.
 */
export interface ConnectionSide {
  readonly namespace: string | null;
  readonly workload: string | null;
  readonly ip: string | null;
}

/**
 * What a flow record keeps of its connection and of what the network did with it (the `flow_records` columns of
 * these names): both sides as {@link connectionSide} reads them, the destination port, protocol, the direction it
 * was observed in, the observed verdict and drop reason. Stored rows and the what-if evaluator share it.
 */
export interface RecordedConnection {
  readonly srcNamespace: string | null;
  readonly srcWorkload: string | null;
  readonly srcIp: string | null;
  readonly dstNamespace: string | null;
  readonly dstWorkload: string | null;
  readonly dstIp: string | null;
  readonly dstPort: number | null;
  readonly protocol: string;
  readonly direction: string;
  readonly observed: string;
  readonly dropReason: string | null;
}

/** The {@link ConnectionSide} of a flow endpoint: the one reading every stored row and alert key uses. */
export function connectionSide(endpoint: FlowEndpoint): ConnectionSide {
  if (endpoint.kind === 'pod') {
    const workload = endpoint.workload?.name ?? endpoint.podName ?? endpoint.reportedName ?? null;
    return { namespace: endpoint.namespace ?? null, workload, ip: workload === null ? (endpoint.ip ?? null) : null };
  }
  return { namespace: endpoint.namespace ?? null, workload: endpoint.reportedName ?? null, ip: endpoint.ip ?? null };
}
