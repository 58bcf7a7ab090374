import type { DriftKind } from '@driftwatch/flow';
import type { Decision, PolicySnapshot } from '@driftwatch/policy-engine';

/**
 * Whether a new revision makes an alert's connection consistent: the connection (the endpoints, port and
 * protocol of the decision the alert recorded) is evaluated against `snapshot`, and the half of the observed
 * direction now says allow for an `unenforced-deny` (the forwarded traffic is declared), deny for an
 * `unexpected-drop`. False when the explanation holds no decision. Pure; never throws.
 */
export function isConsistentNow(drift: DriftKind, explanation: unknown, snapshot: PolicySnapshot): boolean {
  const recorded = explanation as { decision?: Decision; direction?: string } | null;
  const decision = recorded?.decision;
  if (!recorded || !decision?.source || !decision.destination) return false;
  const now = snapshot.evaluate(decision.source, decision.destination, decision.port, decision.protocol);
  const verdict = recorded.direction === 'egress' ? now.egress.verdict : recorded.direction === 'ingress' ? now.ingress.verdict : now.verdict;
  return drift === 'unenforced-deny' ? verdict === 'allow' : verdict === 'deny';
}
