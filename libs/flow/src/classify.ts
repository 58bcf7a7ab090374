import type { DriftKind, FlowIssueCode, FlowLabel } from '@driftwatch/contracts';
import type { Decision, Endpoint, PodEndpoint, PolicySnapshot, Verdict } from '@driftwatch/policy-engine';
import type { EndpointKind, Flow, FlowEndpoint, ObservedVerdict } from './flow.model.js';

export type { DriftKind, FlowLabel };

/**
 * The outcome of classifying one flow.
 * - `label` is undefined when the event is not a connection attempt (replies, established packets, L7 records,
 *   events with no verdict): such flows are counted, never labeled, never drift.
 * - `declared` is the engine's decision (both halves) when policies were consulted; `declaredVerdict` the half
 *   that the flow's direction is compared with (the whole verdict when the direction is unknown).
 * - `issues` are the missing facts of the flow and of the decision, sorted and unique.
 */
export interface Classification {
  readonly label: FlowLabel | undefined;
  readonly drift: DriftKind | undefined;
  readonly declared: Decision | undefined;
  readonly declaredVerdict: 'allow' | 'deny' | undefined;
  readonly issues: readonly FlowIssueCode[];
}

/** The protocols NetworkPolicy covers; flows of any other are labeled by the observed verdict alone. */
const POLICY_PROTOCOLS: ReadonlySet<string> = new Set(['TCP', 'UDP', 'SCTP']);

/** Whether NetworkPolicy covers a protocol (TCP, UDP, SCTP), so that the declared policies are consulted for it. */
export function isPolicyProtocol(protocol: string | undefined): boolean {
  return protocol !== undefined && POLICY_PROTOCOLS.has(protocol);
}

/**
 * Whether the engine judges a flow side as a pod (a pod with a namespace); every other side (no namespace, a
 * host, another node, a reserved identity, an external peer) is judged as an external peer by its address.
 */
export function judgedAsPod(side: FlowEndpoint): boolean {
  return side.kind === 'pod' && side.namespace !== undefined;
}

/** A label and, for `unexpected`, its drift kind. */
export interface Judgement {
  readonly label: FlowLabel;
  readonly drift: DriftKind | undefined;
}

const ALLOWED: Judgement = Object.freeze({ label: 'allowed', drift: undefined });
const DENIED: Judgement = Object.freeze({ label: 'denied', drift: undefined });
const UNENFORCED_DENY: Judgement = Object.freeze({ label: 'unexpected', drift: 'unenforced-deny' });
const UNEXPECTED_DROP: Judgement = Object.freeze({ label: 'unexpected', drift: 'unexpected-drop' });

/**
 * The table of README "How flows are judged", spelled once: what the network did (`observed`, and for a drop
 * whether a policy dropped it) against what the declared policies say for the observed direction (`declared`;
 * undefined for a protocol NetworkPolicy does not cover, which is labeled by the observed verdict alone).
 * Forwarded, audit and redirected all count as "not dropped". Pure; returns shared frozen objects.
 */
export function judgeConnection(observed: ObservedVerdict, policyDrop: boolean, declared: Verdict | undefined): Judgement {
  const dropped = observed === 'dropped';
  if (declared === undefined) return dropped ? DENIED : ALLOWED;
  // not dropped: forwarded, redirected to the L7 proxy (admitted at L3/L4), or audit (a would-be drop that passed)
  if (!dropped) return declared === 'allow' ? ALLOWED : UNENFORCED_DENY;
  if (declared === 'deny') return DENIED;
  return policyDrop ? UNEXPECTED_DROP : ALLOWED; // a non-policy drop (reason kept) of an allowed connection is not drift
}

/** The issue of judging a side that is not an external peer as one, by side and endpoint kind. */
const AS_EXTERNAL: Readonly<Record<'src' | 'dst', Readonly<Record<Exclude<EndpointKind, 'external'>, FlowIssueCode>>>> = {
  src: {
    pod: 'src_pod_as_external', host: 'src_host_as_external', 'remote-node': 'src_remote_node_as_external',
    'other-reserved': 'src_other_reserved_as_external', unknown: 'src_unknown_as_external',
  },
  dst: {
    pod: 'dst_pod_as_external', host: 'dst_host_as_external', 'remote-node': 'dst_remote_node_as_external',
    'other-reserved': 'dst_other_reserved_as_external', unknown: 'dst_unknown_as_external',
  },
};

const SKIPPED: Classification = Object.freeze({
  label: undefined,
  drift: undefined,
  declared: undefined,
  declaredVerdict: undefined,
  issues: Object.freeze([]) as readonly FlowIssueCode[],
});

/** Bounds of the endpoint caches of a {@link FlowClassifier}. */
export interface ClassifierLimits {
  /** Pod endpoints remembered (default 50,000). */
  readonly maxPods: number;
  /** Approximate bytes of the labels those endpoints hold (default 32 MiB). */
  readonly maxPodBytes: number;
  /** External endpoints remembered, one per address (default 100,000; addresses are at most 45 characters). */
  readonly maxExternals: number;
}

const DEFAULT_LIMITS: ClassifierLimits = { maxPods: 50_000, maxPodBytes: 32 * 1024 * 1024, maxExternals: 100_000 };

/**
 * Classifies flows against one policy snapshot. Endpoint conversions are cached per classifier, so keep one per
 * snapshot and reuse it for every flow (the engine caches decisions per identity behind it). The caches are keyed
 * by what flows carry (attacker-chosen), so each is bounded in entries (and the pod cache in label bytes) and
 * cleared when full; the next flows simply convert again.
 */
export class FlowClassifier {
  private readonly pods = new Map<string, PodEndpoint>();
  private podBytes = 0;
  private readonly externals = new Map<string, Endpoint>();
  private readonly limits: ClassifierLimits;

  constructor(
    readonly snapshot: PolicySnapshot,
    limits: Partial<ClassifierLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Entries and label bytes the caches hold (for tests). */
  get cached(): { readonly pods: number; readonly podBytes: number; readonly externals: number } {
    return { pods: this.pods.size, podBytes: this.podBytes, externals: this.externals.size };
  }

  /** Labels one flow exactly per the table of ARCHITECTURE.md §3. Pure: never throws, never mutates the flow. */
  classify(flow: Flow): Classification {
    if (flow.event !== 'connection') return SKIPPED;
    const issues = new Set<FlowIssueCode>(flow.issues.map((issue) => issue.code));
    const protocol = flow.protocol;
    if (protocol === undefined || !isPolicyProtocol(protocol)) {
      // NetworkPolicy covers TCP, UDP and SCTP only: label by the observed verdict alone, never drift.
      issues.add('protocol_not_covered');
      return result(judgeConnection(flow.verdict, flow.policyDrop, undefined), undefined, undefined, issues);
    }
    if (flow.dstPort === undefined) issues.add('port_unknown');
    const src = this.toEndpoint(flow.src, issues, 'src');
    const dst = this.toEndpoint(flow.dst, issues, 'dst');
    const decision = this.snapshot.evaluate(src, dst, flow.dstPort ?? 0, protocol);
    for (const code of decision.issues) issues.add(code);
    const declared = declaredFor(decision, flow.direction);
    return result(judgeConnection(flow.verdict, flow.policyDrop, declared), decision, declared, issues);
  }

  private toEndpoint(side: FlowEndpoint, issues: Set<FlowIssueCode>, which: 'src' | 'dst'): Endpoint {
    if (judgedAsPod(side)) return this.podEndpoint(side);
    if (side.kind !== 'external') issues.add(AS_EXTERNAL[which][side.kind]);
    const ip = side.ip ?? '';
    if (!side.ip) issues.add(which === 'src' ? 'src_ip_unknown' : 'dst_ip_unknown');
    let endpoint = this.externals.get(ip);
    if (!endpoint) {
      endpoint = Object.freeze({ kind: 'external', ip });
      if (this.externals.size >= this.limits.maxExternals) this.externals.clear();
      this.externals.set(ip, endpoint);
    }
    return endpoint;
  }

  /**
   * A pod endpoint for the engine: the flow's labels, else the labels of the pod or workload of the same name in
   * the revision's inventory; named ports always come from the inventory (flows do not carry container ports).
   */
  private podEndpoint(side: FlowEndpoint): PodEndpoint {
    const namespace = side.namespace ?? '';
    const name = side.workload?.name ?? side.podName;
    const labels = labelKey(side.labels);
    const namespaceLabels = labelKey(side.namespaceLabels);
    const key = `${namespace}\u0000${name ?? ''}\u0000${side.ip ?? ''}\u0000${labels.id}\u0000${namespaceLabels.id}`;
    let endpoint = this.pods.get(key);
    if (endpoint) return endpoint;
    const known =
      (side.podName !== undefined ? this.snapshot.endpoint(namespace, side.podName) : undefined) ??
      (side.workload !== undefined ? this.snapshot.endpoint(namespace, side.workload.name) : undefined);
    endpoint = Object.freeze({
      kind: 'pod' as const,
      namespace,
      ...(name !== undefined ? { name } : {}),
      ...((side.labels ?? known?.labels) !== undefined ? { labels: side.labels ?? known?.labels } : {}),
      ...((side.namespaceLabels ?? known?.namespaceLabels) !== undefined
        ? { namespaceLabels: side.namespaceLabels ?? known?.namespaceLabels }
        : {}),
      ...((side.ip ?? known?.ip) !== undefined ? { ip: side.ip ?? known?.ip } : {}),
      ...(known?.namedPorts !== undefined ? { namedPorts: known.namedPorts } : {}),
    });
    const bytes = 2 * key.length + labels.bytes + namespaceLabels.bytes + 128;
    if (this.pods.size >= this.limits.maxPods || this.podBytes + bytes > this.limits.maxPodBytes) {
      this.pods.clear();
      this.podBytes = 0;
    }
    this.pods.set(key, endpoint);
    this.podBytes += bytes;
    return endpoint;
  }
}

/** A label map's id and approximate size. */
interface LabelKey {
  readonly id: number;
  readonly bytes: number;
}

const NO_LABELS: LabelKey = { id: 0, bytes: 0 };

/** Label maps are shared frozen objects per label set (see the normalizers): identify them by object. */
const labelKeys = new WeakMap<object, LabelKey>();
let nextLabelId = 1;
function labelKey(labels: Readonly<Record<string, string>> | undefined): LabelKey {
  if (labels === undefined) return NO_LABELS;
  let key = labelKeys.get(labels);
  if (key === undefined) {
    let bytes = 0;
    for (const name in labels) bytes += 2 * (name.length + (labels[name] as string).length) + 32;
    key = { id: nextLabelId++, bytes };
    labelKeys.set(labels, key);
  }
  return key;
}

/** The verdict a flow of `direction` is compared with: that half's, or the whole verdict when the direction is unknown. */
export function declaredFor(decision: Decision, direction: string): Verdict {
  return direction === 'egress' ? decision.egress.verdict : direction === 'ingress' ? decision.ingress.verdict : decision.verdict;
}

function result(
  judgement: Judgement,
  declared: Decision | undefined,
  declaredVerdict: 'allow' | 'deny' | undefined,
  issues: Set<FlowIssueCode>,
): Classification {
  return { label: judgement.label, drift: judgement.drift, declared, declaredVerdict, issues: issues.size === 0 ? [] : [...issues].sort() };
}

/** Classifies one flow against a snapshot (a convenience; use a FlowClassifier for streams of flows). */
export function classify(flow: Flow, snapshot: PolicySnapshot): Classification {
  return new FlowClassifier(snapshot).classify(flow);
}
