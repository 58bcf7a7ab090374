/**
 * Calico policy traces as {@link ReportedPolicy} evidence: Goldmane's structured `PolicyHit`s and Enterprise's
 * policy strings `<index>|<tier>|<name part>|<action>|<rule index>` (old 4-field strings have no rule index).
 * See shared/reference/calico-api.md §3 (PolicyHit, end of tier) and §6 (string forms).
 */
import { field, optEnum, optInt, optNonEmptyStr, optRec, optRecList, type Rec } from './field-reader.js';
import type { PolicyEffect, PolicyRef, ReportedPolicy } from './flow.model.js';

export const POLICY_KIND_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'CalicoNetworkPolicy'], [2, 'GlobalNetworkPolicy'], [3, 'StagedNetworkPolicy'], [4, 'StagedGlobalNetworkPolicy'],
  [5, 'StagedKubernetesNetworkPolicy'], [6, 'NetworkPolicy'], [7, 'AdminNetworkPolicy'], [8, 'BaselineAdminNetworkPolicy'],
  [9, 'Profile'], [10, 'EndOfTier'], [11, 'ClusterNetworkPolicy'],
]);

export const ACTION_NAMES: ReadonlyMap<number, string> = new Map([[1, 'Allow'], [2, 'Deny'], [3, 'Pass']]);

const NO_POLICIES: readonly ReportedPolicy[] = Object.freeze([]);

function effectOf(action: string | undefined): PolicyEffect {
  switch (action?.toLowerCase()) {
    case 'allow': return 'allow';
    case 'deny': return 'deny';
    case 'pass': return 'pass';
    default: return 'unknown';
  }
}

function goldmaneRef(value: unknown, path: string): PolicyRef | undefined {
  const rec = optRec(value, path);
  if (rec === undefined) return undefined;
  return {
    kind: optEnum(rec['kind'], POLICY_KIND_NAMES, path, 'kind'),
    name: optNonEmptyStr(rec['name'], path, 'name') ?? '',
    namespace: optNonEmptyStr(rec['namespace'], path, 'namespace'),
    tier: optNonEmptyStr(rec['tier'], path, 'tier'),
  };
}

function goldmaneHits(list: readonly Rec[] | undefined, pending: boolean, path: string, out: ReportedPolicy[]): void {
  if (list === undefined) return;
  for (const hit of list) {
    out.push({
      effect: effectOf(optEnum(hit['action'], ACTION_NAMES, path, 'action')),
      direction: undefined,
      name: optNonEmptyStr(hit['name'], path, 'name') ?? '',
      namespace: optNonEmptyStr(hit['namespace'], path, 'namespace'),
      kind: optEnum(hit['kind'], POLICY_KIND_NAMES, path, 'kind'),
      tier: optNonEmptyStr(hit['tier'], path, 'tier'),
      policyIndex: optInt(field(hit, 'policy_index', 'policyIndex'), path, 'policy_index') ?? 0,
      ruleIndex: optInt(field(hit, 'rule_index', 'ruleIndex'), path, 'rule_index') ?? 0,
      revision: undefined,
      labels: undefined,
      pending,
      trigger: goldmaneRef(hit['trigger'], `${path}.trigger`),
    });
  }
}

/** Reads a Goldmane `PolicyTrace` (enforced hits first, then pending ones marked `pending`). */
export function goldmanePolicies(trace: Rec | undefined, path: string): readonly ReportedPolicy[] {
  if (trace === undefined) return NO_POLICIES;
  const out: ReportedPolicy[] = [];
  goldmaneHits(optRecList(field(trace, 'enforced_policies', 'enforcedPolicies'), path, 'enforced_policies'), false, `${path}.enforced_policies`, out);
  goldmaneHits(optRecList(field(trace, 'pending_policies', 'pendingPolicies'), path, 'pending_policies'), true, `${path}.pending_policies`, out);
  return out.length === 0 ? NO_POLICIES : out;
}

/** The policy kind and name a string's name part stands for (both the ≤3.31/Enterprise and the 3.32 forms). */
function parseNamePart(tier: string, part: string): PolicyRef {
  const colon = part.indexOf(':');
  const slash = part.indexOf('/');
  if (colon > 0 && (slash < 0 || colon < slash)) {
    const kind = NEW_STYLE_KINDS[part.slice(0, colon)];
    if (kind !== undefined) {
      const rest = part.slice(colon + 1);
      const s = rest.indexOf('/');
      return { kind, tier, namespace: s < 0 ? undefined : rest.slice(0, s), name: s < 0 ? rest : rest.slice(s + 1) };
    }
  }
  const namespace = slash < 0 ? undefined : part.slice(0, slash);
  let rest = slash < 0 ? part : part.slice(slash + 1);
  if (tier === '__PROFILE__') {
    return { kind: 'Profile', tier: undefined, namespace: undefined, name: rest.startsWith('__PROFILE__.') ? rest.slice(12) : rest };
  }
  for (const [prefix, kind] of OLD_STYLE_PREFIXES) {
    if (rest.startsWith(prefix)) return { kind, tier, namespace, name: rest.slice(prefix.length) };
  }
  if (rest.startsWith(`${tier}.`)) rest = rest.slice(tier.length + 1);
  if (rest.startsWith('staged:')) {
    return { kind: namespace === undefined ? 'StagedGlobalNetworkPolicy' : 'StagedNetworkPolicy', tier, namespace, name: rest.slice(7) };
  }
  return { kind: namespace === undefined ? 'GlobalNetworkPolicy' : 'CalicoNetworkPolicy', tier, namespace, name: rest };
}

const NEW_STYLE_KINDS: Readonly<Record<string, string>> = {
  np: 'CalicoNetworkPolicy', gnp: 'GlobalNetworkPolicy', knp: 'NetworkPolicy', snp: 'StagedNetworkPolicy',
  sgnp: 'StagedGlobalNetworkPolicy', sknp: 'StagedKubernetesNetworkPolicy', pro: 'Profile', kcnp: 'ClusterNetworkPolicy',
};

const OLD_STYLE_PREFIXES: ReadonlyArray<readonly [string, string]> = [
  ['staged:knp.default.', 'StagedKubernetesNetworkPolicy'],
  ['knp.default.', 'NetworkPolicy'],
  ['kanp.adminnetworkpolicy.', 'AdminNetworkPolicy'],
  ['kbanp.baselineadminnetworkpolicy.', 'BaselineAdminNetworkPolicy'],
];

/**
 * Parses one Enterprise policy string. A rule index of -1 (end of tier) becomes an `EndOfTier` hit whose
 * `trigger` is the named policy, as Goldmane reports it. A string that does not have 4 or 5 fields is kept
 * whole as the name with effect `unknown`, so odd data stays visible as evidence.
 */
export function parsePolicyString(text: string, pending: boolean): ReportedPolicy {
  const parts = text.split('|');
  if (parts.length !== 4 && parts.length !== 5) {
    return { effect: 'unknown', direction: undefined, name: text, namespace: undefined, kind: undefined, tier: undefined, policyIndex: undefined, ruleIndex: undefined, revision: undefined, labels: undefined, pending, trigger: undefined };
  }
  const [indexText, tier, namePart, action, ruleText] = parts as [string, string, string, string, string | undefined];
  const policyIndex = Number(indexText);
  const ruleIndex = ruleText === undefined ? undefined : Number(ruleText);
  const ref = parseNamePart(tier, namePart);
  const endOfTier = ruleIndex === -1;
  return {
    effect: effectOf(action),
    direction: undefined,
    name: endOfTier ? '' : ref.name,
    namespace: endOfTier ? undefined : ref.namespace,
    kind: endOfTier ? 'EndOfTier' : ref.kind,
    tier: tier === '__PROFILE__' ? undefined : tier,
    policyIndex: Number.isInteger(policyIndex) ? policyIndex : undefined,
    ruleIndex: ruleIndex !== undefined && Number.isInteger(ruleIndex) ? ruleIndex : undefined,
    revision: undefined,
    labels: undefined,
    pending,
    trigger: endOfTier ? ref : undefined,
  };
}

/** Parses Enterprise policy strings, sorted by policy index (the log writes them in random order). */
export function enterprisePolicies(enforced: readonly string[] | undefined, pending: readonly string[] | undefined): readonly ReportedPolicy[] {
  if (enforced === undefined && pending === undefined) return NO_POLICIES;
  const byIndex = (a: ReportedPolicy, b: ReportedPolicy): number => (a.policyIndex ?? 0) - (b.policyIndex ?? 0);
  const e = (enforced ?? []).map((text) => parsePolicyString(text, false)).sort(byIndex);
  const p = (pending ?? []).map((text) => parsePolicyString(text, true)).sort(byIndex);
  return [...e, ...p];
}

/**
 * The drop reason of a Calico denial, in Hubble's words: `POLICY_DENIED` when the deciding enforced hit is
 * an end of tier or a profile (no rule allowed the flow: default deny by isolation), else `POLICY_DENY`
 * (an explicit deny rule, or a trace we could not read).
 */
export function calicoDenyReason(policies: readonly ReportedPolicy[]): string {
  let deciding: ReportedPolicy | undefined;
  for (const p of policies) {
    if (!p.pending && p.effect === 'deny' && (deciding === undefined || (p.policyIndex ?? 0) >= (deciding.policyIndex ?? 0))) deciding = p;
  }
  if (deciding !== undefined && (deciding.kind === 'EndOfTier' || deciding.kind === 'Profile' || deciding.ruleIndex === -1)) return 'POLICY_DENIED';
  return 'POLICY_DENY';
}

/** A canonical text of policy hits for dedupe keys (same for every encoding of the same trace). */
export function policiesKey(policies: readonly ReportedPolicy[]): string {
  let out = '';
  for (const p of policies) {
    const t = p.trigger;
    out += `${p.pending ? 'p' : 'e'}:${p.kind}/${p.namespace}/${p.name}/${p.tier}/${p.effect}/${p.policyIndex}/${p.ruleIndex}` +
      (t === undefined ? ';' : `<${t.kind}/${t.namespace}/${t.name}/${t.tier};`);
  }
  return out;
}
