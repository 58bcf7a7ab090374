import type { Labels, NamedPort } from './model.js';

/**
 * A pod side of a connection. Only `kind` and `namespace` are required: every fact left out is reported as an
 * issue code on the decisions that needed it, never guessed silently.
 *
 * - `labels` absent: the pod is treated as having no labels (`pod_labels_unknown`).
 * - `namespaceLabels` absent: taken from the revision's Namespace objects; when the revision does not know the
 *   namespace either, only `kubernetes.io/metadata.name=<namespace>` is assumed (`namespace_labels_unknown`).
 * - `ip` absent: ipBlock peers cannot match the pod (`pod_ip_unknown`, when an ipBlock was consulted).
 * - `namedPorts` absent: named ports in rules cannot be resolved on it as a destination (`named_port_unresolved`).
 *
 * The engine remembers what it derived from an endpoint object, so treat endpoint objects as immutable once
 * evaluated, and reuse them (for example the ones `PolicySnapshot.endpoint` returns) to keep lookups cheap.
 */
export interface PodEndpoint {
  readonly kind: 'pod';
  readonly namespace: string;
  /** Pod or workload name: used in explanations only; policies never select by name. */
  readonly name?: string;
  readonly labels?: Labels;
  readonly namespaceLabels?: Labels;
  readonly ip?: string;
  readonly namedPorts?: readonly NamedPort[];
}

/** A peer outside the cluster (or any address the revision knows no pod for). It has no policy of its own. */
export interface ExternalEndpoint {
  readonly kind: 'external';
  readonly ip: string;
}

export type Endpoint = PodEndpoint | ExternalEndpoint;

export type Verdict = 'allow' | 'deny';
export type Direction = 'egress' | 'ingress';

/** Facts a decision depended on but did not have. */
export type IssueCode =
  | 'pod_labels_unknown'
  | 'namespace_labels_unknown'
  | 'named_port_unresolved'
  | 'pod_ip_unknown'
  | 'invalid_ip'
  | 'invalid_port'
  | 'unsupported_protocol';

/** A NetworkPolicy by namespace and name. */
export interface PolicyRef {
  readonly namespace: string;
  readonly name: string;
}

/**
 * The rule that admitted a connection. Indexes are 0-based positions in the manifest:
 * `spec.<direction>[rule].<from|to>[peer]` and `spec.<direction>[rule].ports[port]`.
 * `peer` is null when the rule has no peers (it admits every peer), `port` when it has no ports.
 */
export interface RuleMatch {
  readonly policy: PolicyRef;
  readonly rule: number;
  readonly peer: number | null;
  readonly port: number | null;
}

/**
 * One direction of a connection: egress is judged by the source's policies, ingress by the destination's.
 *
 * - `applicable: false`: the endpoint of this half is external, so no policy applies (verdict allow).
 * - `isolated: false`: no policy selects the pod for this direction (verdict allow).
 * - `isolated: true`: `isolatingPolicies` are every policy that selects the pod for this direction; the verdict
 *   is allow with `allowedBy` set when one of their rules admits the connection, deny otherwise.
 */
export interface HalfDecision {
  readonly direction: Direction;
  readonly verdict: Verdict;
  readonly applicable: boolean;
  readonly isolated: boolean;
  readonly isolatingPolicies: readonly PolicyRef[];
  readonly allowedBy?: RuleMatch;
}

/**
 * The declared verdict for one connection, with both halves and their provenance. Plain data: it serializes
 * with JSON.stringify and is its own structured explanation; `renderExplanation` turns it into a sentence.
 * Kubernetes allows a connection only when both halves allow it.
 */
export interface Decision {
  readonly verdict: Verdict;
  /** The endpoints as given to `evaluate`. */
  readonly source: Endpoint;
  readonly destination: Endpoint;
  readonly port: number;
  readonly protocol: string;
  readonly egress: HalfDecision;
  readonly ingress: HalfDecision;
  /** Sorted, without duplicates. */
  readonly issues: readonly IssueCode[];
  readonly revision?: string | number;
}
