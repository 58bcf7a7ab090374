/**
 * Pieces shared by the Calico normalizers (Goldmane `Flow` and Enterprise flow logs): endpoints, protocol,
 * reporter and action. See shared/reference/calico-api.md §3–§6.
 */
import { NO_STRINGS, parseKeyValueLabels } from './cilium-labels.js';
import type { EndpointKind, EndpointService, FlowDirection, FlowEndpoint, FlowProtocol } from './flow.model.js';
import { inferWorkload } from './workload-name.js';

/** Calico writes `-` for "none" in names, namespaces and service fields. */
export function calicoText(value: string | undefined): string | undefined {
  return value === undefined || value === '' || value === '-' ? undefined : value;
}

const ENDPOINT_KINDS: Readonly<Record<string, EndpointKind>> = {
  WorkloadEndpoint: 'pod', wep: 'pod',
  HostEndpoint: 'host', hep: 'host',
  NetworkSet: 'external', ns: 'external',
  Network: 'external', net: 'external',
};

/** What a Calico record says about one side. */
export interface CalicoSide {
  /** Goldmane `EndpointType` name or Enterprise `wep`/`hep`/`ns`/`net`. */
  readonly type: string | undefined;
  /** The pod name (Enterprise `source_name`), or `-`. */
  readonly name: string | undefined;
  /** The aggregated name (Goldmane `*_name`, Enterprise `*_name_aggr`): `frontend-5f7c9d-*`, `pub`, a node. */
  readonly aggregatedName: string | undefined;
  readonly namespace: string | undefined;
  readonly labels: readonly string[] | undefined;
  readonly ip: string | undefined;
  readonly service: EndpointService | undefined;
  readonly dnsNames: readonly string[] | undefined;
}

/**
 * Builds a FlowEndpoint from a Calico side. Pods get labels (Calico reports `k=v`, the intersection over the
 * aggregated pods) and a workload inferred from the name; Calico never reports namespace labels. A pod name
 * ending in `*` is an aggregate, not a pod: it is kept as `reportedName` only.
 */
export function calicoEndpoint(side: CalicoSide): FlowEndpoint {
  const kind: EndpointKind = side.type === undefined ? 'unknown' : (ENDPOINT_KINDS[side.type] ?? 'unknown');
  const namespace = calicoText(side.namespace);
  const name = calicoText(side.name);
  const aggregated = calicoText(side.aggregatedName);
  const isPod = kind === 'pod';
  const podName = isPod ? (name !== undefined && !name.endsWith('*') ? name : aggregated !== undefined && !aggregated.endsWith('*') ? aggregated : undefined) : undefined;
  const nameForWorkload = podName ?? aggregated;
  const labels = isPod ? parseKeyValueLabels(side.labels) : undefined;
  const endpoint: FlowEndpoint = {
    kind,
    namespace,
    podName,
    workload: isPod && nameForWorkload !== undefined ? inferWorkload(nameForWorkload) : undefined,
    labels: labels?.labels,
    namespaceLabels: undefined,
    ip: side.ip === '' ? undefined : side.ip,
    identity: undefined,
    endpointId: undefined,
    reserved: NO_STRINGS,
    cidr: undefined,
    dnsNames: side.dnsNames ?? NO_STRINGS,
    cluster: undefined,
    service: side.service,
    reportedName: aggregated !== undefined && aggregated !== podName ? aggregated : isPod ? undefined : name,
  };
  // Rare: a separate shape only for endpoints whose labels were cut, so the common one stays monomorphic.
  return labels?.truncated === true ? { ...endpoint, labelsTruncated: true } : endpoint;
}

/** Calico protocol names (`tcp`, `udp`, `sctp`, `icmp`, `icmp6`, or a number) in our spelling. */
export function calicoProtocol(proto: string | undefined): FlowProtocol | undefined {
  if (proto === undefined || proto === '') return undefined;
  switch (proto.toLowerCase()) {
    case 'tcp': return 'TCP';
    case 'udp': return 'UDP';
    case 'sctp': return 'SCTP';
    case 'icmp': return 'ICMPv4';
    case 'icmp6': return 'ICMPv6';
    default: return proto;
  }
}

/** Reporter `Src` (egress evaluation at the source) / `Dst` (ingress at the destination). */
export function calicoDirection(reporter: string | undefined): FlowDirection {
  const r = reporter?.toLowerCase();
  return r === 'src' ? 'egress' : r === 'dst' ? 'ingress' : 'unknown';
}

/** Flow action `Allow` / `Deny` (any case); anything else is not a verdict. */
export function calicoAction(action: string | undefined): 'allow' | 'deny' | undefined {
  const a = action?.toLowerCase();
  return a === 'allow' ? 'allow' : a === 'deny' ? 'deny' : undefined;
}
