import type { Severity } from '@driftwatch/contracts';
import type { DriftKind } from '@driftwatch/flow';
import type { Decision, PolicyRef, PolicySnapshot } from '@driftwatch/policy-engine';

export type { Severity };

/**
 * Policies of a snapshot that deny all ingress to the pods they select (`policyTypes` has Ingress and there is
 * no ingress rule): default-deny policies. Computed once per snapshot.
 */
const defaultDenyCache = new WeakMap<PolicySnapshot, ReadonlySet<string>>();

function defaultDenyIngress(snapshot: PolicySnapshot): ReadonlySet<string> {
  let found = defaultDenyCache.get(snapshot);
  if (!found) {
    found = new Set(
      snapshot.policies.filter((p) => p.policyTypes.includes('Ingress') && p.ingress.length === 0).map((p) => `${p.namespace}/${p.name}`),
    );
    defaultDenyCache.set(snapshot, found);
  }
  return found;
}

/**
 * The severity of a new drift alert (README, "Drift alerts"):
 * 1. `unexpected-drop`: medium (an outage risk or a policy outside Git, not a hole);
 * 2. `unenforced-deny` whose destination is outside the cluster (traffic the policies forbid left it): critical;
 * 3. `unenforced-deny` to a destination isolated for ingress by a default-deny policy of `snapshot`: critical;
 * 4. any other `unenforced-deny`: high.
 * Without the decision (no policies consulted) an unenforced deny is high. Pure; never throws.
 */
export function severityOf(drift: DriftKind, decision: Decision | undefined, snapshot: PolicySnapshot | undefined): Severity {
  if (drift === 'unexpected-drop') return 'medium';
  if (!decision) return 'high';
  if (decision.destination.kind === 'external') return 'critical';
  const ingress = decision.ingress;
  if (snapshot && ingress.isolated) {
    const denies = defaultDenyIngress(snapshot);
    if (ingress.isolatingPolicies.some((ref: PolicyRef) => denies.has(`${ref.namespace}/${ref.name}`))) return 'critical';
  }
  return 'high';
}
