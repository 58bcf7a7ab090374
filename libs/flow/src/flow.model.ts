import type { FlowIssueCode, ObservedVerdict as ContractObservedVerdict } from '@driftwatch/contracts';

/**
 * The normalized flow: one observed event from a source (a Hubble `Flow`, a Calico Goldmane `Flow` bucket, a
 * Calico Enterprise flow-log line), in the vocabulary of ARCHITECTURE.md §1. Every normalizer in this lib
 * produces exactly this shape, so classification and storage never look at a source's wire format.
 */

/** Which kind of source produced the flow. */
export type FlowSourceKind = 'hubble' | 'goldmane' | 'calico-enterprise';

/**
 * Where the verdict was observed: `egress` at the source (its egress policy), `ingress` at the destination.
 * Hubble: `traffic_direction`, else the trace observation point; Calico: reporter `Src` = egress, `Dst` = ingress.
 */
export type FlowDirection = 'egress' | 'ingress' | 'unknown';

/**
 * What the network did.
 * - `forwarded`: passed (Hubble FORWARDED, Calico action Allow).
 * - `dropped`: dropped; see `dropReason` and `policyDrop` (Hubble DROPPED, Calico action Deny).
 * - `audit`: a policy would have dropped it but runs in audit mode, so it passed (Hubble AUDIT).
 * - `redirected`: the L3/L4 policy allowed it and handed it to the L7 proxy (Hubble REDIRECTED). For the
 *   NetworkPolicy comparison this is a forward: NetworkPolicy has no L7 rules, and Cilium only redirects
 *   traffic that its L3/L4 policy admitted.
 * - `traced` / `translated`: observed before any verdict (Hubble TRACED), or an address translation seen by
 *   the socket load balancer (Hubble TRANSLATED). Neither is a policy decision, so such flows are never
 *   connection events (see {@link FlowEventKind}).
 * - `error`: the datapath reported an error (Hubble ERROR).
 * - `unknown`: no verdict given (Hubble VERDICT_UNKNOWN or an unknown number; Calico action unspecified).
 * The list is spelled once, as `OBSERVED_VERDICTS` in libs/contracts.
 */
export type ObservedVerdict = ContractObservedVerdict;

/**
 * What the event is, which decides whether it is classified.
 * - `connection`: a connection attempt (or a dropped forward packet) with a verdict. Classify it.
 * - `established`: a forward-direction packet of a connection that started earlier (TCP without SYN, Hubble
 *   trace reason ESTABLISHED, a Calico bucket with no connection started in it). Count it, do not classify it.
 * - `reply`: the reply direction of a connection. Count it, never classify it.
 * - `l7`: an L7 proxy access-log record (Hubble event type 129). Count it.
 * - `sock`: a socket-level trace (Hubble trace-sock, event type 7). Count it.
 * - `no-verdict`: no policy verdict to compare (verdict unknown, error, traced or translated). Count it.
 * - `other`: debug, capture, agent or unknown event types. Count it.
 */
export type FlowEventKind = 'connection' | 'established' | 'reply' | 'l7' | 'sock' | 'no-verdict' | 'other';

/** Layer-4 protocol. The named ones are what NetworkPolicy and the sources use; others pass through as given. */
export type FlowProtocol = 'TCP' | 'UDP' | 'SCTP' | 'ICMPv4' | 'ICMPv6' | (string & {});

/**
 * What an endpoint is.
 * - `pod`: a Kubernetes pod (Cilium cluster identity, Calico WorkloadEndpoint).
 * - `external`: outside the cluster: Cilium `reserved:world*`, `cidr:`/`fqdn:` identities; Calico Network
 *   (`pub`/`pvt`) and NetworkSet.
 * - `host`: a node's own host namespace (`reserved:host`, Calico HostEndpoint).
 * - `remote-node`: another node of the cluster (`reserved:remote-node`).
 * - `other-reserved`: any other reserved identity (health, init, ingress, unmanaged, kube-apiserver alone).
 * - `unknown`: the source told us nothing about this side (for example Hubble's `"source":{}`).
 */
export type EndpointKind = 'pod' | 'external' | 'host' | 'remote-node' | 'other-reserved' | 'unknown';

/** The workload owning a pod, as the source reports it; `inferred` when we derived it from a pod name. */
export interface Workload {
  readonly name: string;
  readonly kind: string | undefined;
  readonly inferred: boolean;
}

/** A Kubernetes Service the source associated with the endpoint. */
export interface EndpointService {
  readonly name: string;
  readonly namespace: string | undefined;
  readonly port: number | undefined;
  readonly portName: string | undefined;
}

/** A read-only label map. Normalizers build it without a prototype, so any label key is safe. */
export type LabelMap = Readonly<Record<string, string>>;

/** One side of a flow. Fields a source does not report are `undefined`, never guessed. */
export interface FlowEndpoint {
  readonly kind: EndpointKind;
  readonly namespace: string | undefined;
  readonly podName: string | undefined;
  readonly workload: Workload | undefined;
  /**
   * The pod's own labels, without the source prefix (`k8s:`) and without Cilium bookkeeping labels
   * (`io.kubernetes.pod.namespace`, `io.cilium.k8s.policy.*`, `io.cilium.k8s.namespace.labels.*`).
   * `undefined` when the source did not report them (then the flow carries a `pod_labels_unknown` issue).
   * Normalizers share one frozen object between flows with the same label set.
   */
  readonly labels: LabelMap | undefined;
  /** The namespace's labels (Cilium `io.cilium.k8s.namespace.labels.*`); `undefined` when not reported. */
  readonly namespaceLabels: LabelMap | undefined;
  /** Set when `labels` or `namespaceLabels` were cut to the limits of flow-limits.ts (issue `labels_truncated`). */
  readonly labelsTruncated?: true;
  readonly ip: string | undefined;
  /** Cilium security identity. */
  readonly identity: number | undefined;
  /** Cilium endpoint id: set only for an endpoint local to the node that observed the flow. */
  readonly endpointId: number | undefined;
  /** Cilium reserved label names without the prefix, e.g. `['kube-apiserver', 'world']`; empty when none. */
  readonly reserved: readonly string[];
  /** The longest-prefix `cidr:` label of a Cilium CIDR identity, IPv6 written with `:`. */
  readonly cidr: string | undefined;
  /** DNS names the source knows for this IP (Hubble `source_names`/`destination_names`, Calico `dest_domains`). */
  readonly dnsNames: readonly string[];
  /** Cluster of the endpoint (Hubble `cluster_name` or the `io.cilium.k8s.policy.cluster` label). */
  readonly cluster: string | undefined;
  readonly service: EndpointService | undefined;
  /**
   * The name exactly as the source reported it when it is not a pod name: Calico aggregated names
   * (`checkoutservice-598d5b586d-*`), `pub`/`pvt`, a host endpoint's node name, a network set's name.
   */
  readonly reportedName: string | undefined;
}

/** The effect of a reported policy rule. */
export type PolicyEffect = 'allow' | 'deny' | 'pass' | 'unknown';

/** A policy that selected the policy in an end-of-tier hit (Calico). */
export interface PolicyRef {
  readonly kind: string | undefined;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly tier: string | undefined;
}

/**
 * A policy the source says took part in the verdict, kept as evidence (Hubble `*_allowed_by`/`*_denied_by`,
 * Calico policy traces). Not used to classify: classification recomputes the verdict from the declared policies.
 */
export interface ReportedPolicy {
  readonly effect: PolicyEffect;
  readonly direction: 'egress' | 'ingress' | undefined;
  readonly name: string;
  readonly namespace: string | undefined;
  /** Cilium `Policy.kind` or the Calico `PolicyKind` name (`NetworkPolicy`, `EndOfTier`, `Profile`, ...). */
  readonly kind: string | undefined;
  readonly tier: string | undefined;
  readonly policyIndex: number | undefined;
  /** Calico rule index; -1 = end of tier, -2 = unknown. */
  readonly ruleIndex: number | undefined;
  /** Cilium policy revision (a uint64, kept as its decimal string). */
  readonly revision: string | undefined;
  readonly labels: readonly string[] | undefined;
  /** Calico pending (staged / re-evaluated) trace rather than the enforced one. */
  readonly pending: boolean;
  readonly trigger: PolicyRef | undefined;
}

/** A missing or cut fact, recorded rather than guessed (ARCHITECTURE.md §3); the closed list is in @driftwatch/contracts. */
export type { FlowIssueCode };

/** One issue; `side` names the endpoint it concerns. */
export interface FlowIssue {
  readonly code: FlowIssueCode;
  readonly side: 'src' | 'dst' | undefined;
}

/** Counters of a Calico bucket (per reporting node and flush interval, deltas: sum them). */
export interface FlowCounters {
  readonly packetsIn: number;
  readonly packetsOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly connectionsStarted: number;
  readonly connectionsCompleted: number;
  readonly connectionsLive: number;
}

/** The normalized flow. */
export interface Flow {
  readonly source: FlowSourceKind;
  /**
   * Dedupe id. Hubble: the flow `uuid` (older Cilium has none: then `h-` + a hash of the event's identifying
   * fields). Calico: `c-` + a hash of (reporting node when known, every FlowKey field, start time).
   */
  readonly id: string;
  /** Event time (Calico: bucket start), epoch milliseconds. */
  readonly time: number;
  /** The original RFC 3339 time string when the source sent one (nanosecond precision). */
  readonly timeText: string | undefined;
  /** Calico: end of the bucket, epoch milliseconds. */
  readonly endTime: number | undefined;
  readonly cluster: string | undefined;
  /** Node that observed the event (Hubble `node_name` without a `<cluster>/` prefix; Calico reporter host). */
  readonly node: string | undefined;
  readonly src: FlowEndpoint;
  readonly dst: FlowEndpoint;
  readonly protocol: FlowProtocol | undefined;
  readonly srcPort: number | undefined;
  readonly dstPort: number | undefined;
  readonly direction: FlowDirection;
  readonly verdict: ObservedVerdict;
  /** Drop reason name (Hubble `DropReason`; Calico denials: `POLICY_DENIED` at end of tier, else `POLICY_DENY`). */
  readonly dropReason: string | undefined;
  /** Hubble drop reason number. */
  readonly dropReasonCode: number | undefined;
  /**
   * Dropped by a policy decision: Hubble POLICY_DENIED (133), POLICY_DENY (181) and AUTH_REQUIRED (189, the
   * policy demands mutual authentication that has not happened: a policy decision, not a network failure),
   * an L7 proxy denial, or Calico action Deny.
   */
  readonly policyDrop: boolean;
  /** `true` for the reply direction, `false` for the forward direction, `undefined` when not known. */
  readonly isReply: boolean | undefined;
  readonly event: FlowEventKind;
  /** Events this flow stands for: 1 for Hubble (or its aggregate counts); Calico: connections started. */
  readonly count: number;
  /** Hubble monitor event type (1 drop, 4 trace, 5 policy-verdict, 7 trace-sock, 129 L7, ...). */
  readonly eventType: number | undefined;
  /** Hubble trace observation point name (`TO_ENDPOINT`, `FROM_ENDPOINT`, ...). */
  readonly observationPoint: string | undefined;
  readonly policies: readonly ReportedPolicy[];
  readonly issues: readonly FlowIssue[];
  /** Calico bucket counters. */
  readonly counters: FlowCounters | undefined;
  /** The message as received (parsed JSON or the gRPC-decoded object), kept by reference for evidence. */
  readonly raw: unknown;
}
