/**
 * Hubble's policy correlation (`egress_allowed_by`, `ingress_allowed_by`, `egress_denied_by`,
 * `ingress_denied_by`: repeated `flow.Policy`) as {@link ReportedPolicy} evidence.
 */
import { field, optInt, optNonEmptyStr, optRecList, optStrList, type Rec } from './field-reader.js';
import type { PolicyEffect, ReportedPolicy } from './flow.model.js';

const NO_POLICIES: readonly ReportedPolicy[] = Object.freeze([]);

const LISTS = [
  ['egress_allowed_by', 'egressAllowedBy', 'egress', 'allow'],
  ['ingress_allowed_by', 'ingressAllowedBy', 'ingress', 'allow'],
  ['egress_denied_by', 'egressDeniedBy', 'egress', 'deny'],
  ['ingress_denied_by', 'ingressDeniedBy', 'ingress', 'deny'],
] as const satisfies ReadonlyArray<readonly [string, string, 'egress' | 'ingress', PolicyEffect]>;

function revisionText(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value === '' || value === '0' ? undefined : value;
  const n = optInt(value, path, 'revision');
  return n === undefined || n === 0 ? undefined : String(n);
}

/** The policies Hubble reports for a flow; a shared empty list when none (the common case). */
export function hubblePolicies(flow: Rec, path: string): readonly ReportedPolicy[] {
  let out: ReportedPolicy[] | undefined;
  for (const [protoName, jsonName, direction, effect] of LISTS) {
    const list = optRecList(field(flow, protoName, jsonName), path, protoName);
    if (list === undefined) continue;
    for (const policy of list) {
      (out ??= []).push({
        effect,
        direction,
        name: optNonEmptyStr(policy['name'], path, protoName) ?? '',
        namespace: optNonEmptyStr(policy['namespace'], path, protoName),
        kind: optNonEmptyStr(policy['kind'], path, protoName),
        tier: undefined,
        policyIndex: undefined,
        ruleIndex: undefined,
        revision: revisionText(policy['revision'], `${path}.${protoName}`),
        labels: optStrList(policy['labels'], path, protoName),
        pending: false,
        trigger: undefined,
      });
    }
  }
  return out ?? NO_POLICIES;
}
