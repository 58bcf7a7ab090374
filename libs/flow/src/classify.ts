import type { DriftKind, FlowIssueCode, FlowLabel } from '@driftwatch/contracts';
import type { Decision, Endpoint, PodEndpoint, PolicySnapshot } from '@driftwatch/policy-engine';
import type { EndpointKind, Flow, FlowEndpoint } from './flow.model.js';

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

const POLICY_PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);

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
    const dropped = flow.verdict === 'dropped';
    if (protocol === undefined || !POLICY_PROTOCOLS.has(protocol)) {
      // NetworkPolicy covers TCP, UDP and SCTP only: label by the observed verdict alone, never drift.
      issues.add('protocol_not_covered');
      return result(dropped ? 'denied' : 'allowed', undefined, undefined, undefined, issues);
    }
    if (flow.dstPort === undefined) issues.add('port_unknown');
    const src = this.toEndpoint(flow.src, issues, 'src');
    const dst = this.toEndpoint(flow.dst, issues, 'dst');
    const decision = this.snapshot.evaluate(src, dst, flow.dstPort ?? 0, protocol);
    for (const code of decision.issues) issues.add(code);
    const declared =
      flow.direction === 'egress' ? decision.egress.verdict : flow.direction === 'ingress' ? decision.ingress.verdict : decision.verdict;
    if (!dropped) {
      // forwarded, redirected to the L7 proxy (admitted at L3/L4), or audit (would-be drop that passed)
      return declared === 'allow'
        ? result('allowed', undefined, decision, declared, issues)
        : result('unexpected', 'unenforced-deny', decision, declared, issues);
    }
    if (declared === 'deny') return result('denied', undefined, decision, declared, issues);
    return flow.policyDrop
      ? result('unexpected', 'unexpected-drop', decision, declared, issues)
      : result('allowed', undefined, decision, declared, issues); // a non-policy drop (reason kept) is not drift
  }

  private toEndpoint(side: FlowEndpoint, issues: Set<FlowIssueCode>, which: 'src' | 'dst'): Endpoint {
    if (side.kind === 'pod' && side.namespace !== undefined) return this.podEndpoint(side);
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

function result(
  label: FlowLabel,
  drift: DriftKind | undefined,
  declared: Decision | undefined,
  declaredVerdict: 'allow' | 'deny' | undefined,
  issues: Set<FlowIssueCode>,
): Classification {
  return { label, drift, declared, declaredVerdict, issues: issues.size === 0 ? [] : [...issues].sort() };
}

/** Classifies one flow against a snapshot (a convenience; use a FlowClassifier for streams of flows). */
export function classify(flow: Flow, snapshot: PolicySnapshot): Classification {
  return new FlowClassifier(snapshot).classify(flow);
}
