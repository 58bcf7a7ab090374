import type { Decision, Endpoint, HalfDecision, IssueCode, PolicyRef, RuleMatch } from './decision.js';

/** What each issue means for the reader, and what to do about it. */
const ISSUE_TEXT: Readonly<Record<IssueCode, string>> = {
  pod_labels_unknown: 'the labels of a pod were unknown, so it was treated as having none',
  namespace_labels_unknown:
    'the labels of a namespace were unknown, so only kubernetes.io/metadata.name was assumed (add its Namespace manifest to the revision)',
  named_port_unresolved: 'a named port could not be resolved because the destination pod\'s container ports were unknown',
  pod_ip_unknown: 'an ipBlock could not be checked because the pod\'s IP was unknown',
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

function policyName(ref: PolicyRef): string {
  return `${ref.namespace}/${ref.name}`;
}

/** `a`, `a and b`, `a, b and c` (`or` for the rules nobody matched). */
function listNames(refs: readonly PolicyRef[], conjunction: 'and' | 'or'): string {
  const names = refs.map(policyName);
  const last = names.pop();
  return names.length === 0 ? (last ?? '') : `${names.join(', ')} ${conjunction} ${last ?? ''}`;
}

function ruleName(direction: HalfDecision['direction'], match: RuleMatch): string {
  const peersKey = direction === 'ingress' ? 'from' : 'to';
  const peer = match.peer === null ? `any ${direction === 'ingress' ? 'source' : 'destination'}` : `${peersKey}[${match.peer}]`;
  const port = match.port === null ? 'any port' : `ports[${match.port}]`;
  return `${policyName(match.policy)} spec.${direction}[${match.rule}] (${peer}, ${port})`;
}

function halfText(decision: Decision, half: HalfDecision): string {
  const egress = half.direction === 'egress';
  const subject = endpointName(egress ? decision.source : decision.destination);
  const other = endpointName(egress ? decision.destination : decision.source);
  const what = `${egress ? 'egress from' : 'ingress to'} ${subject}`;
  if (!half.applicable) return `${what} is not subject to NetworkPolicy (external peer)`;
  if (!half.isolated) return `${what} is not isolated (no policy selects it for ${half.direction})`;
  if (half.allowedBy) return `${what} is admitted by ${ruleName(half.direction, half.allowedBy)}`;
  const by = listNames(half.isolatingPolicies, 'and');
  const of = listNames(half.isolatingPolicies, 'or');
  return `${subject} is isolated for ${half.direction} by ${by}, and no ${half.direction} rule of ${of} admits ${other} on ${decision.protocol} ${decision.port}`;
}

function issuesText(issues: readonly IssueCode[]): string {
  return issues.map((code) => `${code}: ${ISSUE_TEXT[code]}`).join('; ');
}

/**
 * Explains a decision in words a person can act on. `sentence` (default) gives one line, for example
 * `denied: payments/ledger is isolated for ingress by payments/default-deny, and no ingress rule of
 * payments/default-deny admits monitoring/prometheus on TCP 9100`; a denial names only the halves that deny.
 * `detailed` gives a header line and one line per half and for the issues. Pure formatting of the decision's data.
 */
export function renderExplanation(decision: Decision, style: 'sentence' | 'detailed' = 'sentence'): string {
  const halves = [decision.egress, decision.ingress];
  if (style === 'detailed') {
    const revision = decision.revision === undefined ? '' : ` (revision ${decision.revision})`;
    const lines = [
      `${decision.verdict}: ${endpointName(decision.source)} -> ${endpointName(decision.destination)} ${decision.protocol} ${decision.port}${revision}`,
      ...halves.map((half) => `  ${half.direction.padEnd(7)} ${half.verdict}: ${halfText(decision, half)}`),
    ];
    if (decision.issues.length > 0) lines.push(`  issues  ${issuesText(decision.issues)}`);
    return lines.join('\n');
  }
  const shown = decision.verdict === 'allow' ? halves : halves.filter((half) => half.verdict === 'deny');
  const text = `${decision.verdict === 'allow' ? 'allowed' : 'denied'}: ${shown.map((half) => halfText(decision, half)).join('; ')}`;
  return decision.issues.length > 0 ? `${text} (caution: ${issuesText(decision.issues)})` : text;
}
