/**
 * One side of a Hubble flow (`flow.Endpoint` plus the IP, DNS names and Service Hubble reports beside it)
 * as a {@link FlowEndpoint}. See shared/reference/hubble-api.md §7 for identities and labels.
 */
import { type CiliumLabelCache, type CiliumLabels, NO_STRINGS, parseCiliumLabelsUncached } from './cilium-labels.js';
import { field, optInt, optNonEmptyStr, optRec, optRecList, optStrList, type Rec } from './field-reader.js';
import type { EndpointKind, EndpointService, FlowEndpoint, Workload } from './flow.model.js';
import { inferWorkload } from './workload-name.js';

/** Node-local CIDR/FQDN identities have the scope `1 << 24` in their top byte; remote nodes `2 << 24`. */
const LOCAL_SCOPE = 1 << 24;
const REMOTE_NODE_SCOPE = 2 << 24;
const FIRST_CLUSTER_IDENTITY = 256;

function reservedKind(reserved: readonly string[]): EndpointKind | undefined {
  let host = false;
  let remoteNode = false;
  for (const name of reserved) {
    if (name === 'world' || name === 'world-ipv4' || name === 'world-ipv6') return 'external';
    if (name === 'host') host = true;
    else if (name === 'remote-node') remoteNode = true;
  }
  if (host) return 'host';
  if (remoteNode) return 'remote-node';
  return reserved.length > 0 ? 'other-reserved' : undefined;
}

function identityKind(identity: number | undefined): EndpointKind {
  if (identity === undefined || identity === 0) return 'unknown';
  if (identity === 1) return 'host';
  if (identity === 2 || identity === 9 || identity === 10) return 'external';
  if (identity === 6) return 'remote-node';
  if (identity < FIRST_CLUSTER_IDENTITY) return 'other-reserved';
  if (identity >= LOCAL_SCOPE && identity < REMOTE_NODE_SCOPE) return 'external';
  if (identity >= REMOTE_NODE_SCOPE && identity < 3 << 24) return 'remote-node';
  return 'pod';
}

function workloadOf(list: readonly Rec[] | undefined, podName: string | undefined, path: string): Workload | undefined {
  const first = list?.[0];
  if (first !== undefined) {
    const name = optNonEmptyStr(first['name'], path, 'workloads[0].name');
    if (name !== undefined) {
      return { name, kind: optNonEmptyStr(first['kind'], path, 'workloads[0].kind'), inferred: false };
    }
  }
  return podName === undefined ? undefined : inferWorkload(podName);
}

/** Reads a Hubble `Service` message. */
export function hubbleService(value: unknown, path: string): EndpointService | undefined {
  const rec = optRec(value, path);
  if (rec === undefined) return undefined;
  const name = optNonEmptyStr(rec['name'], path, 'name');
  if (name === undefined) return undefined;
  return { name, namespace: optNonEmptyStr(rec['namespace'], path, 'namespace'), port: undefined, portName: undefined };
}

/**
 * Builds a FlowEndpoint from a Hubble `Endpoint` message (which may be absent or `{}`).
 * Kind: a namespace or pod name makes a pod; otherwise the reserved labels decide (`world*`, `cidr:` and
 * `fqdn:` before `host`, `host` before `remote-node`, so the composite identities `kube-apiserver + world`
 * and `host + remote-node` read as external and host); otherwise the identity number does.
 */
export function hubbleEndpoint(
  value: unknown,
  ip: string | undefined,
  dnsNames: readonly string[] | undefined,
  service: EndpointService | undefined,
  cache: CiliumLabelCache | undefined,
  path: string,
): FlowEndpoint {
  const rec = optRec(value, path);
  let identity: number | undefined;
  let parsed: CiliumLabels;
  let namespace: string | undefined;
  let podName: string | undefined;
  let workloads: readonly Rec[] | undefined;
  let cluster: string | undefined;
  let endpointId: number | undefined;
  if (rec === undefined) {
    parsed = parseCiliumLabelsUncached(undefined);
  } else {
    identity = optInt(rec['identity'], path, 'identity');
    const labelList = optStrList(rec['labels'], path, 'labels');
    parsed = cache === undefined ? parseCiliumLabelsUncached(labelList) : cache.get(identity, labelList);
    namespace = optNonEmptyStr(rec['namespace'], path, 'namespace');
    podName = optNonEmptyStr(field(rec, 'pod_name', 'podName'), path, 'pod_name');
    workloads = optRecList(rec['workloads'], path, 'workloads');
    cluster = optNonEmptyStr(field(rec, 'cluster_name', 'clusterName'), path, 'cluster_name');
    endpointId = optInt(rec['ID'] ?? rec['id'], path, 'ID');
  }
  namespace ??= parsed.namespace;
  let kind: EndpointKind;
  if (namespace !== undefined || podName !== undefined) kind = 'pod';
  else if (parsed.cidr !== undefined || parsed.fqdn) kind = 'external';
  else kind = reservedKind(parsed.reserved) ?? identityKind(identity);
  const isPod = kind === 'pod';
  const endpoint: FlowEndpoint = {
    kind,
    namespace,
    podName,
    workload: isPod ? workloadOf(workloads, podName, path) : undefined,
    labels: isPod ? parsed.labels : undefined,
    namespaceLabels: isPod ? parsed.namespaceLabels : undefined,
    ip,
    identity: identity === 0 ? undefined : identity,
    endpointId: endpointId === 0 ? undefined : endpointId,
    reserved: parsed.reserved,
    cidr: parsed.cidr,
    dnsNames: dnsNames ?? NO_STRINGS,
    cluster: cluster ?? parsed.cluster,
    service,
    reportedName: undefined,
  };
  // Rare: a separate shape only for endpoints whose labels were cut, so the common one stays monomorphic.
  return isPod && parsed.truncated ? { ...endpoint, labelsTruncated: true } : endpoint;
}
