import type {
  LabelSelector, LoadResult, Namespace, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicyRule, PodTemplate, PolicyType,
} from '@driftwatch/policy-engine';

/** The directions of a NetworkPolicy, as the REST API and the diff name them. */
export type RuleDirection = 'ingress' | 'egress';

/**
 * One rule of a direction that differs between two revisions. `beforeIndex`/`afterIndex` are the rule's place
 * in `spec.ingress` / `spec.egress` (0-based) of each revision; `before`/`after` the rule as loaded (peers are
 * the entries of `from`/`to`, defaulted as the engine reads them).
 */
export interface RuleChange {
  readonly change: 'added' | 'removed' | 'changed';
  readonly beforeIndex: number | null;
  readonly afterIndex: number | null;
  readonly before: NetworkPolicyRule | null;
  readonly after: NetworkPolicyRule | null;
}

/** What changed in one policy (same namespace and name in both revisions); unchanged fields are left out. */
export interface PolicyChange {
  readonly namespace: string;
  readonly name: string;
  readonly podSelector?: { readonly before: LabelSelector; readonly after: LabelSelector };
  readonly policyTypes?: { readonly before: readonly PolicyType[]; readonly after: readonly PolicyType[] };
  readonly ingress: readonly RuleChange[];
  readonly egress: readonly RuleChange[];
}

/** Names of inventory objects (namespaces; pods and workloads as `Kind namespace/name`) that differ. */
export interface InventoryChanges {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

/** How a revision's declared policies (and the inventory they are matched against) differ from another's. */
export interface RevisionDiff {
  readonly policies: {
    readonly added: readonly NetworkPolicy[];
    readonly removed: readonly NetworkPolicy[];
    readonly changed: readonly PolicyChange[];
    readonly unchanged: number;
  };
  readonly namespaces: InventoryChanges;
  readonly pods: InventoryChanges;
}

/* ---- canonical forms: what "the same" means (order of peers, ports, labels and expressions does not count) ---- */

const sortedText = (values: readonly string[]): string[] => [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

function canonicalSelector(selector: LabelSelector | undefined): unknown {
  if (!selector) return null;
  const labels = sortedText(Object.keys(selector.matchLabels)).map((key) => [key, selector.matchLabels[key]]);
  const expressions = sortedText(selector.matchExpressions.map((e) => JSON.stringify([e.key, e.operator, sortedText([...new Set(e.values)])])));
  return [labels, [...new Set(expressions)]];
}

function canonicalPeer(peer: NetworkPolicyPeer): string {
  return JSON.stringify([
    canonicalSelector(peer.podSelector),
    canonicalSelector(peer.namespaceSelector),
    peer.ipBlock ? [peer.ipBlock.cidr, sortedText([...new Set(peer.ipBlock.except)])] : null,
  ]);
}

function canonicalPort(port: NetworkPolicyPort): string {
  return JSON.stringify([port.protocol, port.port ?? null, port.endPort ?? null]);
}

/** A rule's peers and ports as sets: a rule allows the union of its peers on the union of its ports. */
function ruleParts(rule: NetworkPolicyRule): { peers: string[]; ports: string[] } {
  return { peers: sortedText([...new Set(rule.peers.map(canonicalPeer))]), ports: sortedText([...new Set(rule.ports.map(canonicalPort))]) };
}

function ruleKey(rule: NetworkPolicyRule): string {
  const parts = ruleParts(rule);
  return JSON.stringify([parts.peers, parts.ports]);
}

const selectorKey = (selector: LabelSelector): string => JSON.stringify(canonicalSelector(selector));
const typesKey = (types: readonly PolicyType[]): string => JSON.stringify(sortedText([...new Set(types)]));

/** How alike two rules are, for pairing a removed rule with an added one as "changed": 0 (nothing shared) to 4. */
function likeness(a: NetworkPolicyRule, b: NetworkPolicyRule): number {
  const x = ruleParts(a);
  const y = ruleParts(b);
  const overlap = (p: readonly string[], q: readonly string[]): number => {
    if (p.length === 0 && q.length === 0) return 2;
    const shared = p.filter((v) => q.includes(v)).length;
    const union = new Set([...p, ...q]).size;
    return shared === union ? 2 : shared / union;
  };
  return overlap(x.peers, y.peers) + overlap(x.ports, y.ports);
}

/**
 * The rule changes of one direction. Rules of a direction are a union, so a rule that only moved is not a change:
 * equal rules are matched first wherever they stand (at the same index when possible). What is left is paired as
 * "changed" (the most alike pairs first, then the nearest), and the rest is "added" or "removed".
 */
export function diffRules(before: readonly NetworkPolicyRule[], after: readonly NetworkPolicyRule[]): RuleChange[] {
  const beforeKeys = before.map(ruleKey);
  const afterKeys = after.map(ruleKey);
  const matchedBefore = new Set<number>();
  const matchedAfter = new Set<number>();
  const match = (b: number, a: number) => {
    matchedBefore.add(b);
    matchedAfter.add(a);
  };
  for (let a = 0; a < after.length; a++) {
    if (a < before.length && beforeKeys[a] === afterKeys[a]) match(a, a);
  }
  for (let a = 0; a < after.length; a++) {
    if (matchedAfter.has(a)) continue;
    const b = beforeKeys.findIndex((key, i) => !matchedBefore.has(i) && key === afterKeys[a]);
    if (b !== -1) match(b, a);
  }
  const removed = before.map((_, i) => i).filter((i) => !matchedBefore.has(i));
  const added = after.map((_, i) => i).filter((i) => !matchedAfter.has(i));
  const candidates: { b: number; a: number; score: number }[] = [];
  for (const b of removed) for (const a of added) candidates.push({ b, a, score: likeness(before[b] as NetworkPolicyRule, after[a] as NetworkPolicyRule) });
  candidates.sort((x, y) => y.score - x.score || Math.abs(x.b - x.a) - Math.abs(y.b - y.a) || x.b - y.b || x.a - y.a);
  const changes: RuleChange[] = [];
  for (const { b, a } of candidates) {
    if (matchedBefore.has(b) || matchedAfter.has(a)) continue;
    match(b, a);
    changes.push({ change: 'changed', beforeIndex: b, afterIndex: a, before: before[b] as NetworkPolicyRule, after: after[a] as NetworkPolicyRule });
  }
  for (const b of removed) {
    if (!matchedBefore.has(b)) changes.push({ change: 'removed', beforeIndex: b, afterIndex: null, before: before[b] as NetworkPolicyRule, after: null });
  }
  for (const a of added) {
    if (!matchedAfter.has(a)) changes.push({ change: 'added', beforeIndex: null, afterIndex: a, before: null, after: after[a] as NetworkPolicyRule });
  }
  return changes.sort((x, y) => (x.afterIndex ?? x.beforeIndex ?? 0) - (y.afterIndex ?? y.beforeIndex ?? 0) || (x.beforeIndex ?? -1) - (y.beforeIndex ?? -1));
}

/** The changes of one policy, or undefined when it declares the same thing in both revisions. */
function diffPolicy(before: NetworkPolicy, after: NetworkPolicy): PolicyChange | undefined {
  const ingress = diffRules(before.ingress, after.ingress);
  const egress = diffRules(before.egress, after.egress);
  const selectorChanged = selectorKey(before.podSelector) !== selectorKey(after.podSelector);
  const typesChanged = typesKey(before.policyTypes) !== typesKey(after.policyTypes);
  if (!selectorChanged && !typesChanged && ingress.length === 0 && egress.length === 0) return undefined;
  return {
    namespace: after.namespace,
    name: after.name,
    ...(selectorChanged ? { podSelector: { before: before.podSelector, after: after.podSelector } } : {}),
    ...(typesChanged ? { policyTypes: { before: before.policyTypes, after: after.policyTypes } } : {}),
    ingress,
    egress,
  };
}

const policyId = (p: NetworkPolicy): string => `${p.namespace}/${p.name}`;
const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function diffInventory<T>(before: readonly T[], after: readonly T[], id: (value: T) => string, key: (value: T) => string): InventoryChanges {
  const old = new Map(before.map((value) => [id(value), key(value)]));
  const now = new Map(after.map((value) => [id(value), key(value)]));
  return {
    added: [...now.keys()].filter((name) => !old.has(name)).sort(byId),
    removed: [...old.keys()].filter((name) => !now.has(name)).sort(byId),
    changed: [...now.keys()].filter((name) => old.has(name) && old.get(name) !== now.get(name)).sort(byId),
  };
}

const namespaceKey = (n: Namespace): string => JSON.stringify(sortedText(Object.keys(n.labels)).map((k) => [k, n.labels[k]]));
const podKey = (p: PodTemplate): string =>
  JSON.stringify([
    sortedText(Object.keys(p.labels)).map((k) => [k, p.labels[k]]),
    sortedText(p.namedPorts.map((n) => `${n.name}/${n.protocol}/${n.port}`)),
    sortedText([...p.ips]),
  ]);

/**
 * How `after` differs from `before`, on the parsed objects (never the text: formatting, comments, file names,
 * the order of documents, of rules within a direction, and of peers, ports, labels and expressions within a rule
 * do not count). Policies are matched by namespace and name; for a changed policy every differing field is named,
 * down to the rule. Lists are sorted (policies by namespace/name), so the same two revisions always give the same
 * diff. Pure; never throws.
 */
export function diffRevisions(before: LoadResult, after: LoadResult): RevisionDiff {
  const old = new Map(before.policies.map((p) => [policyId(p), p]));
  const now = new Map(after.policies.map((p) => [policyId(p), p]));
  const ids = (map: Map<string, NetworkPolicy>, other: Map<string, NetworkPolicy>) => [...map.keys()].filter((id) => !other.has(id)).sort(byId);
  const changed: PolicyChange[] = [];
  let unchanged = 0;
  for (const id of [...now.keys()].filter((key) => old.has(key)).sort(byId)) {
    const change = diffPolicy(old.get(id) as NetworkPolicy, now.get(id) as NetworkPolicy);
    if (change) changed.push(change);
    else unchanged += 1;
  }
  return {
    policies: {
      added: ids(now, old).map((id) => now.get(id) as NetworkPolicy),
      removed: ids(old, now).map((id) => old.get(id) as NetworkPolicy),
      changed,
      unchanged,
    },
    namespaces: diffInventory(before.namespaces, after.namespaces, (n) => n.name, namespaceKey),
    pods: diffInventory(before.pods, after.pods, (p) => `${p.kind} ${p.namespace}/${p.name}`, podKey),
  };
}
