import type { Decision, Direction, Endpoint, HalfDecision, IssueCode, PolicyRef, Verdict } from './decision.js';

/** Why a half decided as it did. */
export type HalfReason = 'external-peer' | 'not-isolated' | 'admitted' | 'no-rule-admits';

/** One half of a decision, in names rather than references: ready for an API response, an alert or a log. */
export interface HalfExplanation {
  readonly direction: Direction;
  readonly verdict: Verdict;
  readonly reason: HalfReason;
  /** The pod whose policies decide this half (`ns/name`), or the external address. */
  readonly subject: string;
  /** The other side of the connection. */
  readonly peer: string;
  /** Policies that isolate the subject for this direction, as `ns/name`. */
  readonly policies: readonly string[];
  /** For `admitted`: the policy and the manifest fields of the rule, peer and port entry that matched. */
  readonly admittedBy?: { readonly policy: string; readonly rule: string; readonly peer: string | null; readonly port: string | null };
  readonly text: string;
}

/** A decision explained: structured and JSON-friendly, with the one-line text. */
export interface Explanation {
  readonly verdict: Verdict;
  readonly text: string;
  readonly egress: HalfExplanation;
  readonly ingress: HalfExplanation;
  readonly issues: readonly { readonly code: IssueCode; readonly message: string }[];
}

/** What each issue means for the reader, and what to do about it. */
const ISSUE_TEXT: Readonly<Record<IssueCode, string>> = {
  pod_labels_unknown: 'the labels of a pod were unknown, so it was treated as having none',
  namespace_labels_unknown:
    'the labels of a namespace were unknown, so only kubernetes.io/metadata.name was assumed (add its Namespace manifest to the revision)',
  named_port_unresolved: "a named port could not be resolved because the destination pod's container ports were unknown",
  pod_ip_unknown: "an ipBlock could not be checked because the pod's IP was unknown",
  invalid_ip: 'an ipBlock could not be checked because the address is not a valid IP',
  invalid_port: 'the port is not a number from 0 to 65535, so only rules without ports could match',
  unsupported_protocol: 'NetworkPolicy covers TCP, UDP and SCTP only, so only rules without ports could match',
};

/** `ns/name`, `ns/{app=web}` for a pod known by labels only, or the address of an external peer. */
export function endpointName(endpoint: Endpoint): string {
  if (endpoint.kind === 'external') return endpoint.ip;
  if (endpoint.name !== undefined) return `${endpoint.namespace}/${endpoint.name}`;
  if (endpoint.labels !== undefined) {
    const labels = Object.entries(endpoint.labels)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`);
    return `${endpoint.namespace}/{${labels.join(',')}}`;
  }
  return endpoint.ip !== undefined ? `${endpoint.namespace}/${endpoint.ip}` : `a pod in ${endpoint.namespace}`;
}

const policyName = (ref: PolicyRef): string => `${ref.namespace}/${ref.name}`;

/** `a`, `a and b`, `a, b and c` (`or` for the rules nobody matched). */
function listNames(names: readonly string[], conjunction: 'and' | 'or'): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} ${conjunction} ${names[names.length - 1] ?? ''}`;
}

function explainHalf(decision: Decision, half: HalfDecision): HalfExplanation {
  const egress = half.direction === 'egress';
  const subject = endpointName(egress ? decision.source : decision.destination);
  const peer = endpointName(egress ? decision.destination : decision.source);
  const policies = half.isolatingPolicies.map(policyName);
  const base = { direction: half.direction, verdict: half.verdict, subject, peer, policies };
  const what = `${egress ? 'egress from' : 'ingress to'} ${subject}`;
  if (!half.applicable) return { ...base, reason: 'external-peer', text: `${what} is not subject to NetworkPolicy (external peer)` };
  if (!half.isolated) return { ...base, reason: 'not-isolated', text: `${what} is not isolated (no policy selects it for ${half.direction})` };
  const match = half.allowedBy;
  if (match) {
    const rule = `spec.${half.direction}[${match.rule}]`;
    const admittedBy = {
      policy: policyName(match.policy),
      rule,
      peer: match.peer === null ? null : `${rule}.${egress ? 'to' : 'from'}[${match.peer}]`,
      port: match.port === null ? null : `${rule}.ports[${match.port}]`,
    };
    const peerText = match.peer === null ? `any ${egress ? 'destination' : 'source'}` : `${egress ? 'to' : 'from'}[${match.peer}]`;
    const portText = match.port === null ? 'any port' : `ports[${match.port}]`;
    return { ...base, reason: 'admitted', admittedBy, text: `${what} is admitted by ${admittedBy.policy} ${rule} (${peerText}, ${portText})` };
  }
  return {
    ...base,
    reason: 'no-rule-admits',
    text:
      `${subject} is isolated for ${half.direction} by ${listNames(policies, 'and')}, and no ${half.direction} rule of ` +
      `${listNames(policies, 'or')} admits ${peer} on ${decision.protocol} ${decision.port}`,
  };
}

/**
 * A decision explained as data: each half with its reason, the policies by name and the manifest fields of the
 * rule that admitted it, the issues with what they mean, and the one-line text `renderExplanation` gives.
 */
export function explainDecision(decision: Decision): Explanation {
  const egress = explainHalf(decision, decision.egress);
  const ingress = explainHalf(decision, decision.ingress);
  const issues = decision.issues.map((code) => ({ code, message: ISSUE_TEXT[code] }));
  const shown = decision.verdict === 'allow' ? [egress, ingress] : [egress, ingress].filter((half) => half.verdict === 'deny');
  const text = `${decision.verdict === 'allow' ? 'allowed' : 'denied'}: ${shown.map((half) => half.text).join('; ')}`;
  const caution = issues.length === 0 ? '' : ` (caution: ${issues.map((i) => `${i.code}: ${i.message}`).join('; ')})`;
  return { verdict: decision.verdict, text: `${text}${caution}`, egress, ingress, issues };
}

/**
 * Explains a decision in words a person can act on. `sentence` (default) gives one line, for example
 * `denied: payments/ledger is isolated for ingress by payments/default-deny, and no ingress rule of
 * payments/default-deny admits monitoring/prometheus on TCP 9100`; a denial names only the halves that deny.
 * `detailed` gives a header line and one line per half and for the issues. Pure formatting of the decision's data.
 */
export function renderExplanation(decision: Decision, style: 'sentence' | 'detailed' = 'sentence'): string {
  const explanation = explainDecision(decision);
  if (style === 'sentence') return explanation.text;
  const revision = decision.revision === undefined ? '' : ` (revision ${decision.revision})`;
  const lines = [
    `${decision.verdict}: ${endpointName(decision.source)} -> ${endpointName(decision.destination)} ${decision.protocol} ${decision.port}${revision}`,
    ...[explanation.egress, explanation.ingress].map((half) => `  ${half.direction.padEnd(7)} ${half.verdict}: ${half.text}`),
  ];
  if (explanation.issues.length > 0) lines.push(`  issues  ${explanation.issues.map((i) => `${i.code}: ${i.message}`).join('; ')}`);
  return lines.join('\n');
}
