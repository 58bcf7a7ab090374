/**
 * The engine's own input types: NetworkPolicy v1 objects after loading and defaulting, and the inventory
 * (namespaces, pods and workload pod templates) that selectors are matched against. Everything is plain,
 * readonly, JSON-friendly data.
 */

/** Labels of a pod or namespace, as in Kubernetes `metadata.labels`. */
export type Labels = Readonly<Record<string, string>>;

/** The protocols NetworkPolicy covers. */
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** Values of `spec.policyTypes`. */
export type PolicyType = 'Ingress' | 'Egress';

/** A file and a 1-based document number within it (YAML documents are separated by `---`). */
export interface Origin {
  readonly file: string;
  readonly document: number;
}

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  /** Empty for Exists and DoesNotExist. */
  readonly values: readonly string[];
}

/** A Kubernetes label selector. Both parts empty means "everything". */
export interface LabelSelector {
  readonly matchLabels: Labels;
  readonly matchExpressions: readonly LabelSelectorRequirement[];
}

export interface IpBlock {
  /** As written (a CIDR with host bits set is accepted, like the API server does, and means its network). */
  readonly cidr: string;
  readonly except: readonly string[];
}

/**
 * One entry of `from`/`to`. Either selectors (podSelector alone: pods of the policy's namespace;
 * namespaceSelector alone: every pod of the matching namespaces; both: AND) or an ipBlock.
 */
export interface NetworkPolicyPeer {
  readonly podSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly ipBlock?: IpBlock;
}

export interface NetworkPolicyPort {
  /** Defaulted to TCP when the manifest leaves it out. */
  readonly protocol: Protocol;
  /** A number, a named container port of the destination pod, or absent for every port of the protocol. */
  readonly port?: number | string;
  /** Only with a numeric port: the connection port must lie in [port, endPort]. */
  readonly endPort?: number;
}

/** One ingress or egress rule. An empty list means "all" (peers: every peer; ports: every port). */
export interface NetworkPolicyRule {
  readonly peers: readonly NetworkPolicyPeer[];
  readonly ports: readonly NetworkPolicyPort[];
}

/**
 * A networking.k8s.io/v1 NetworkPolicy after defaulting: `policyTypes` is always filled in (Ingress, plus Egress
 * when `spec.egress` has at least one rule), absent rule lists are empty lists, and `metadata.namespace`
 * defaults to `default`.
 */
export interface NetworkPolicy {
  readonly namespace: string;
  readonly name: string;
  readonly podSelector: LabelSelector;
  readonly policyTypes: readonly PolicyType[];
  readonly ingress: readonly NetworkPolicyRule[];
  readonly egress: readonly NetworkPolicyRule[];
  readonly origin?: Origin;
}

/** A namespace; `kubernetes.io/metadata.name` is always present in its labels, as the API server ensures. */
export interface Namespace {
  readonly name: string;
  readonly labels: Labels;
  readonly origin?: Origin;
}

/** The kinds whose pods (or pod templates) the inventory keeps. */
export type PodKind = 'Pod' | 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet' | 'Job' | 'CronJob';

/** A named container port, which named ports in NetworkPolicy rules resolve to. */
export interface NamedPort {
  readonly name: string;
  readonly port: number;
  readonly protocol: Protocol;
}

/**
 * A pod, or the pod template of a workload: the labels its pods carry and their named container ports.
 * `ips` is filled in for Pods that report `status.podIP(s)`; workloads have none.
 */
export interface PodTemplate {
  readonly namespace: string;
  readonly name: string;
  readonly kind: PodKind;
  readonly labels: Labels;
  readonly namedPorts: readonly NamedPort[];
  readonly ips: readonly string[];
  readonly origin?: Origin;
}
