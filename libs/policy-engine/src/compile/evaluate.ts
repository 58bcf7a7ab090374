import type { Direction, HalfDecision, IssueCode, Verdict } from '../decision.js';
import { protocolIndex, type CompiledPolicy, type CompiledRule } from './compiled-policy.js';
import { IP_INVALID, IP_NONE, type Identity, type NamespaceIdentity, type PolicySelection, type PolicySet } from './identity.js';
import { matchSelector, type CompiledSelector } from './selectors.js';

/** What a decision holds apart from its endpoints, port and protocol; shared by every decision equal to it. */
export interface DecisionCore {
  readonly verdict: Verdict;
  readonly egress: HalfDecision;
  readonly ingress: HalfDecision;
  readonly issues: readonly IssueCode[];
}

/** Issue codes in sorted order; bit i of an issue mask stands for ISSUES[i]. */
const ISSUES: readonly IssueCode[] = [
  'invalid_ip',
  'invalid_port',
  'named_port_unresolved',
  'namespace_labels_unknown',
  'pod_ip_unknown',
  'pod_labels_unknown',
  'unsupported_protocol',
];
const INVALID_IP = 1 << 0;
export const INVALID_PORT = 1 << 1;
const NAMED_PORT_UNRESOLVED = 1 << 2;
const NAMESPACE_LABELS_UNKNOWN = 1 << 3;
const POD_IP_UNKNOWN = 1 << 4;
const POD_LABELS_UNKNOWN = 1 << 5;
export const UNSUPPORTED_PROTOCOL = 1 << 6;

const ISSUE_LISTS: readonly (readonly IssueCode[])[] = Array.from({ length: 1 << ISSUES.length }, (_, mask) =>
  Object.freeze(ISSUES.filter((_, bit) => mask & (1 << bit))),
);

const NO_POLICIES: readonly never[] = Object.freeze([]);

function constantHalf(direction: Direction, applicable: boolean): HalfDecision {
  return Object.freeze({ direction, verdict: 'allow', applicable, isolated: false, isolatingPolicies: NO_POLICIES });
}

const NOT_APPLICABLE = { egress: constantHalf('egress', false), ingress: constantHalf('ingress', false) };
const NOT_ISOLATED = { egress: constantHalf('egress', true), ingress: constantHalf('ingress', true) };

const ALL = -2;
const NONE = -1;

/**
 * NetworkPolicy v1 evaluation over interned identities. The connection is allowed when the source's egress half
 * and the destination's ingress half both allow it; a half allows when no policy selects the pod for that
 * direction, or when any rule of any selecting policy matches both the peer and the port (policies are a union,
 * there are no deny rules). Pure apart from memo tables; not reentrant (one evaluation at a time, as JS runs).
 */
export class Evaluator {
  /** Every distinct decision core made so far; decisions are cached as indexes into it. */
  readonly cores: DecisionCore[] = [];
  private readonly coreIds = new Map<HalfDecision, Map<HalfDecision, Map<number, number>>>();
  private readonly policySets = new Map<string, PolicySet>();
  private issues = 0;

  constructor(
    private readonly byNamespace: ReadonlyMap<string, readonly CompiledPolicy[]>,
    /** Size of the revision's selector table: the length of every memo. */
    private readonly selectorCount: number,
  ) {}

  /** Decides a connection and returns the index of its core in `cores` (equal decisions share one core). */
  decide(source: Identity, destination: Identity, port: number, protocol: number, initialIssues: number): number {
    this.issues = initialIssues;
    const egress = this.half('egress', source, destination, destination, port, protocol);
    const ingress = this.half('ingress', destination, source, destination, port, protocol);
    return this.core(egress, ingress, this.issues);
  }

  private core(egress: HalfDecision, ingress: HalfDecision, issues: number): number {
    let byIngress = this.coreIds.get(egress);
    if (byIngress === undefined) this.coreIds.set(egress, (byIngress = new Map()));
    let byIssues = byIngress.get(ingress);
    if (byIssues === undefined) byIngress.set(ingress, (byIssues = new Map()));
    let id = byIssues.get(issues);
    if (id === undefined) {
      id = this.cores.length;
      const verdict: Verdict = egress.verdict === 'allow' && ingress.verdict === 'allow' ? 'allow' : 'deny';
      this.cores.push(Object.freeze({ verdict, egress, ingress, issues: ISSUE_LISTS[issues] as readonly IssueCode[] }));
      byIssues.set(issues, id);
    }
    return id;
  }

  private half(direction: Direction, subject: Identity, peer: Identity, destination: Identity, port: number, protocol: number): HalfDecision {
    if (subject.external) return NOT_APPLICABLE[direction];
    const selection = this.selection(subject, direction);
    if (selection.policies.length === 0) return NOT_ISOLATED[direction];
    for (const policy of selection.policies) {
      for (const rule of policy[direction] as readonly CompiledRule[]) {
        const portIndex = this.matchPorts(rule, port, protocol, destination);
        if (portIndex === NONE) continue;
        const peerIndex = this.matchPeers(rule, policy.namespace, peer);
        if (peerIndex === NONE) continue;
        return allowedHalf(direction, selection.set, policy, rule, peerIndex, portIndex);
      }
    }
    return deniedHalf(direction, selection.set);
  }

  private selection(subject: Identity, direction: Direction): PolicySelection {
    let selection = subject[direction];
    if (selection === undefined) {
      const candidates = (this.byNamespace.get(subject.namespace) ?? []).filter((p) => p[direction] !== undefined);
      const policies = candidates.filter((p) => this.matchPod(subject, p.podSelector));
      selection = { policies, set: this.policySet(policies), consultsLabels: candidates.length > 0 };
      subject[direction] = selection;
    }
    if (!subject.labelsKnown && selection.consultsLabels) this.issues |= POD_LABELS_UNKNOWN;
    return selection;
  }

  /** One shared PolicySet per distinct list of policies, so that equal halves (and decisions) are one object. */
  private policySet(policies: readonly CompiledPolicy[]): PolicySet {
    const key = policies.map((p) => p.index).join(',');
    let set = this.policySets.get(key);
    if (set === undefined) {
      set = { refs: Object.freeze(policies.map((p) => p.ref)), halves: new Map() };
      this.policySets.set(key, set);
    }
    return set;
  }

  /** Selector results are memoized per identity and per namespace identity: each is computed once per revision. */
  private matchPod(identity: Identity, selector: CompiledSelector): boolean {
    return memoized((identity.memo ??= new Int8Array(this.selectorCount)), selector, identity.labels);
  }

  private matchNamespace(ns: NamespaceIdentity, selector: CompiledSelector): boolean {
    return memoized((ns.memo ??= new Int8Array(this.selectorCount)), selector, ns.labels);
  }

  /** The index of the first port entry that matches, ALL when the rule lists no ports, NONE when none matches. */
  private matchPorts(rule: CompiledRule, port: number, protocol: number, destination: Identity): number {
    const ports = rule.ports;
    if (ports.length === 0) return ALL;
    for (let i = 0; i < ports.length; i++) {
      const entry = ports[i]!;
      if (entry.protocol !== protocol) continue;
      if (entry.name === undefined) {
        if (port >= entry.from && port <= entry.to) return i;
        continue;
      }
      // Named ports resolve on the destination pod, for both directions; external peers have none.
      if (destination.external) continue;
      const named = destination.namedPorts;
      if (named === undefined) {
        this.issues |= NAMED_PORT_UNRESOLVED;
        continue;
      }
      for (const candidate of named) {
        if (candidate.name === entry.name && candidate.port === port && protocolIndex(candidate.protocol) === protocol) return i;
      }
    }
    return NONE;
  }

  /** The index of the first peer that matches, ALL when the rule lists no peers, NONE when none matches. */
  private matchPeers(rule: CompiledRule, policyNamespace: string, peer: Identity): number {
    const peers = rule.peers;
    if (peers.length === 0) return ALL;
    for (let i = 0; i < peers.length; i++) {
      const entry = peers[i]!;
      if (entry.block >= 0) {
        const ipClass = peer.ipClass;
        if (ipClass.state === IP_NONE) this.issues |= POD_IP_UNKNOWN;
        else if (ipClass.state === IP_INVALID) this.issues |= INVALID_IP;
        else if (ipClass.blocks[entry.block] === 1) return i;
        continue;
      }
      if (peer.external) continue;
      if (entry.namespaceSelector === undefined) {
        if (peer.namespace !== policyNamespace) continue;
      } else {
        const ns = peer.ns as NamespaceIdentity;
        if (ns.assumed) this.issues |= NAMESPACE_LABELS_UNKNOWN;
        if (!this.matchNamespace(ns, entry.namespaceSelector)) continue;
      }
      if (entry.podSelector !== undefined) {
        if (!peer.labelsKnown) this.issues |= POD_LABELS_UNKNOWN;
        if (!this.matchPod(peer, entry.podSelector)) continue;
      }
      return i;
    }
    return NONE;
  }
}

/** The byte at a selector's id: 0 not computed yet, 1 no match, 2 match. */
function memoized(memo: Int8Array, selector: CompiledSelector, labels: ReadonlyMap<string, string>): boolean {
  const known = memo[selector.id];
  if (known !== 0) return known === 2;
  const result = matchSelector(selector, labels);
  memo[selector.id] = result ? 2 : 1;
  return result;
}

function deniedHalf(direction: Direction, set: PolicySet): HalfDecision {
  let half = set.halves.get(set);
  if (half === undefined) {
    half = Object.freeze({ direction, verdict: 'deny', applicable: true, isolated: true, isolatingPolicies: set.refs });
    set.halves.set(set, half);
  }
  return half;
}

function allowedHalf(direction: Direction, set: PolicySet, policy: CompiledPolicy, rule: CompiledRule, peer: number, port: number): HalfDecision {
  const matchKey = (peer + 2) * 65536 + (port + 2);
  let allowedBy = rule.matches.get(matchKey);
  if (allowedBy === undefined) {
    allowedBy = Object.freeze({ policy: policy.ref, rule: rule.index, peer: peer === ALL ? null : peer, port: port === ALL ? null : port });
    rule.matches.set(matchKey, allowedBy);
  }
  let half = set.halves.get(allowedBy);
  if (half === undefined) {
    half = Object.freeze({ direction, verdict: 'allow', applicable: true, isolated: true, isolatingPolicies: set.refs, allowedBy });
    set.halves.set(allowedBy, half);
  }
  return half;
}

