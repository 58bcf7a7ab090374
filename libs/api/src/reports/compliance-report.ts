import {
  COMPLIANCE_CSV_COLUMNS, type ComplianceFinding, type ComplianceReport, type NamespaceCompliance,
} from '@driftwatch/contracts';
import type { NamespaceAlerts, ObservedPod } from '@driftwatch/persistence';
import type { Endpoint, LabelSelector, NetworkPolicy, PodEndpoint, PolicySnapshot } from '@driftwatch/policy-engine';
import { csvRows } from '../http/csv.js';

/** What a compliance report is made from: the active revision compiled, and what the database says of the range. */
export interface ComplianceInput {
  readonly revision: { readonly id: number; readonly activatedAt: Date | null; readonly snapshot: PolicySnapshot } | null;
  readonly from: Date;
  readonly to: Date;
  /** The namespaces to report on. */
  readonly namespaces: readonly string[];
  /** Namespaces on either side of the range's records. */
  readonly seen: ReadonlySet<string>;
  /** Workloads seen in the range's traffic, with the labels their flows carried. */
  readonly observedPods: readonly ObservedPod[];
  /** Rules that admitted allowed records of the range judged against the revision, and how many records those were. */
  readonly usedRules: ReadonlySet<string>;
  readonly attributedRecords: number;
  readonly alerts: ReadonlyMap<string, NamespaceAlerts>;
}

interface KnownPod {
  readonly name: string;
  readonly kind: string;
  readonly source: 'inventory' | 'traffic';
  readonly endpoint: PodEndpoint;
}

/** Any address: the peer of the probes that ask the engine which policies select a pod. */
const PROBE: Endpoint = Object.freeze({ kind: 'external', ip: '192.0.2.1' });

/**
 * Builds the report (pure). Which policies select a pod is the engine's own answer: the policies that isolate
 * it for each direction in a decision about it (`isolatingPolicies`), so selectors are matched exactly as
 * verdicts match them. A deny-all is a policy of the namespace with an empty podSelector, the direction in its
 * policyTypes and no rule of that direction (the guide's `default-deny`).
 */
export function buildComplianceReport(input: ComplianceInput): ComplianceReport {
  const namespaces = input.namespaces.map((ns) => namespaceReport(ns, input));
  return {
    revision: input.revision && { id: input.revision.id, activatedAt: input.revision.activatedAt?.toISOString() ?? null },
    from: input.from.toISOString(),
    to: input.to.toISOString(),
    attributedRecords: input.attributedRecords,
    namespaces,
    findings: namespaces.flatMap((report) => findingsOf(report, input)),
  };
}

/** Namespaces the revision declares: Namespace objects, and the namespaces of its policies and pods. */
export function declaredNamespaces(snapshot: PolicySnapshot): Set<string> {
  return new Set([...snapshot.namespaces.map((n) => n.name), ...snapshot.policies.map((p) => p.namespace), ...snapshot.pods.map((p) => p.namespace)]);
}

function namespaceReport(namespace: string, input: ComplianceInput): NamespaceCompliance {
  const snapshot = input.revision?.snapshot;
  const policies = snapshot?.policies.filter((p) => p.namespace === namespace) ?? [];
  const pods = knownPods(namespace, snapshot, input.observedPods);
  const selecting = new Set<string>();
  const isolated = { ingress: 0, egress: 0 };
  const unselected: KnownPod[] = [];
  for (const pod of pods) {
    const ingress = snapshot?.evaluate(PROBE, pod.endpoint, 1, 'TCP').ingress.isolatingPolicies ?? [];
    const egress = snapshot?.evaluate(pod.endpoint, PROBE, 1, 'TCP').egress.isolatingPolicies ?? [];
    for (const ref of [...ingress, ...egress]) selecting.add(ref.name);
    if (ingress.length > 0) isolated.ingress++;
    if (egress.length > 0) isolated.egress++;
    if (ingress.length === 0 && egress.length === 0) unselected.push(pod);
  }
  const rules = policies.flatMap((p) => ruleRefs(p));
  const alerts = input.alerts.get(namespace) ?? { count: 0, ids: [] };
  return {
    namespace,
    declared: snapshot !== undefined && declaredNamespaces(snapshot).has(namespace),
    seenInTraffic: input.seen.has(namespace),
    defaultDeny: { ingress: denyAll(policies, 'Ingress'), egress: denyAll(policies, 'Egress') },
    everyPodIsolated: { ingress: pods.length > 0 && isolated.ingress === pods.length, egress: pods.length > 0 && isolated.egress === pods.length },
    pods: { inventory: pods.filter((p) => p.source === 'inventory').length, traffic: pods.filter((p) => p.source === 'traffic').length },
    unselectedPods: unselected.map(({ name, kind, source }) => ({ name, kind, source })),
    // With no pod known there is nothing to tell a selector that matches nothing from one that waits for its pods.
    policiesSelectingNothing: pods.length === 0 ? [] : policies.filter((p) => !selecting.has(p.name)).map((p) => p.name),
    rules: { total: rules.length, unused: rules.filter((ref) => !input.usedRules.has(ref)) },
    openAlerts: { count: alerts.count, ids: alerts.ids },
  };
}

/**
 * The pods of a namespace: the revision's Pods and workload templates, then the workloads seen in traffic that
 * the inventory does not name (with the labels their flows carried; one entry per distinct label set).
 */
function knownPods(namespace: string, snapshot: PolicySnapshot | undefined, observed: readonly ObservedPod[]): KnownPod[] {
  const pods: KnownPod[] = [];
  const names = new Set<string>();
  for (const pod of snapshot?.pods ?? []) {
    if (pod.namespace !== namespace) continue;
    const endpoint = snapshot?.endpoint(pod.namespace, pod.name, pod.kind);
    if (endpoint === undefined) continue;
    names.add(pod.name);
    pods.push({ name: pod.name, kind: pod.kind, source: 'inventory', endpoint });
  }
  for (const pod of observed) {
    if (pod.namespace !== namespace || names.has(pod.workload)) continue;
    const endpoint: PodEndpoint = {
      kind: 'pod', namespace, name: pod.workload, labels: pod.labels, ...(pod.namespaceLabels !== null ? { namespaceLabels: pod.namespaceLabels } : {}),
    };
    pods.push({ name: pod.workload, kind: 'observed', source: 'traffic', endpoint });
  }
  return pods;
}

function isEmptySelector(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels).length === 0 && selector.matchExpressions.length === 0;
}

function denyAll(policies: readonly NetworkPolicy[], type: 'Ingress' | 'Egress'): string[] {
  const rules = (p: NetworkPolicy) => (type === 'Ingress' ? p.ingress : p.egress);
  return policies.filter((p) => isEmptySelector(p.podSelector) && p.policyTypes.includes(type) && rules(p).length === 0).map((p) => p.name);
}

/** `namespace/policy#ingress[0]`, the way records name the rules that admitted them. */
function ruleRefs(policy: NetworkPolicy): string[] {
  const ref = (direction: string, i: number) => `${policy.namespace}/${policy.name}#${direction}[${i}]`;
  return [...policy.ingress.map((_, i) => ref('ingress', i)), ...policy.egress.map((_, i) => ref('egress', i))];
}

function findingsOf(report: NamespaceCompliance, input: ComplianceInput): ComplianceFinding[] {
  const ns = report.namespace;
  const findings: ComplianceFinding[] = [];
  const known = report.pods.inventory + report.pods.traffic;
  for (const direction of ['ingress', 'egress'] as const) {
    if (report.defaultDeny[direction].length > 0) continue;
    const anyway = report.everyPodIsolated[direction] ? `; each of the ${known} pods known is isolated by other policies` : '';
    findings.push({ namespace: ns, code: `no_default_deny_${direction}`, subject: ns, detail: `no deny-all policy for ${direction}${anyway}` });
  }
  for (const pod of report.unselectedPods) {
    const where = pod.source === 'inventory' ? 'in the manifests' : 'seen in traffic';
    findings.push({ namespace: ns, code: 'pod_not_selected', subject: `${pod.kind}/${pod.name}`, detail: `${where}; no policy selects it, so all its traffic is allowed` });
  }
  for (const name of report.policiesSelectingNothing) {
    findings.push({ namespace: ns, code: 'policy_selects_nothing', subject: name, detail: `its podSelector matches none of the ${known} pods known` });
  }
  const range = `${input.from.toISOString()} to ${input.to.toISOString()}`;
  for (const rule of report.rules.unused) {
    findings.push({ namespace: ns, code: 'rule_unused', subject: rule, detail: `admitted no traffic from ${range} that an earlier rule had not admitted first (revision ${input.revision?.id})` });
  }
  for (const id of report.openAlerts.ids) {
    findings.push({ namespace: ns, code: 'alert_open', subject: id, detail: 'drift alert open or acknowledged' });
  }
  return findings;
}

/** The findings as CSV (RFC 4180, CRLF), one row each; cells that a spreadsheet would run as a formula are defused. */
export function complianceCsv(report: ComplianceReport): string {
  const rows = [COMPLIANCE_CSV_COLUMNS as readonly string[], ...report.findings.map((f) => [f.namespace, f.code, f.subject, f.detail])];
  return csvRows(rows);
}
