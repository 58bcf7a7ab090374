/**
 * The compliance report: per namespace, how the active revision isolates it (default deny, pods no policy
 * selects, policies that select nothing), which rules admitted no traffic in a time range, and its open alerts.
 */
import { z } from 'zod';
import { errorBody, isoDateTimeInput, isoTime, namespaceName } from './common.js';
import type { RouteContract } from './route-contract.js';
import { checkTimeRange } from './whatif.js';

/** What a finding says; one CSV row each. */
export const COMPLIANCE_FINDING_CODES = [
  'no_default_deny_ingress',
  'no_default_deny_egress',
  'pod_not_selected',
  'policy_selects_nothing',
  'rule_unused',
  'alert_open',
] as const;
export type ComplianceFindingCode = (typeof COMPLIANCE_FINDING_CODES)[number];
export const complianceFindingCodeSchema = z.enum(COMPLIANCE_FINDING_CODES);

/** What each finding code means (the README and the CSV's readers go by this). */
export const COMPLIANCE_FINDING_MEANINGS: Readonly<Record<ComplianceFindingCode, string>> = {
  no_default_deny_ingress: 'no policy selects every pod of the namespace for Ingress with no ingress rule (a deny-all)',
  no_default_deny_egress: 'no policy selects every pod of the namespace for Egress with no egress rule (a deny-all)',
  pod_not_selected: 'a pod or workload (of the manifests, or seen in traffic) that no policy selects: all its traffic is allowed',
  policy_selects_nothing: 'a policy whose podSelector matches no pod or workload known (manifests, traffic of the range)',
  rule_unused: 'a rule that admitted no traffic of the range (judged against the active revision) that an earlier rule, in the canonical order of policies and rules, had not admitted first: removing it changes no verdict of that traffic',
  alert_open: 'a drift alert with the namespace on either side that is open or acknowledged',
};

/** Default range of the report when `from`/`to` are left out: the 7 days before now. */
export const COMPLIANCE_DEFAULT_DAYS = 7;

/** `GET /api/v1/reports/compliance` query. */
export const complianceQuerySchema = z
  .object({
    /** One namespace (default: every namespace of the revision and of the range's traffic the key may read). */
    namespace: namespaceName.optional(),
    from: isoDateTimeInput.optional(),
    to: isoDateTimeInput.optional(),
    format: z.enum(['json', 'csv'], { error: 'must be json or csv' }).default('json'),
  })
  .strict()
  .transform((q) => {
    const to = q.to ?? new Date();
    const from = q.from ?? new Date(to.getTime() - COMPLIANCE_DEFAULT_DAYS * 86_400_000);
    return { ...q, from, to };
  })
  .superRefine(checkTimeRange);
export type ComplianceQuery = z.output<typeof complianceQuerySchema>;

/** One finding: a CSV row. `subject` names what it is about (a policy, a rule, a pod, an alert id). */
export const complianceFindingSchema = z.object({
  namespace: z.string(),
  code: complianceFindingCodeSchema,
  subject: z.string(),
  detail: z.string(),
});
export type ComplianceFinding = z.infer<typeof complianceFindingSchema>;

const byDirection = <T extends z.ZodType>(schema: T) => z.object({ ingress: schema, egress: schema });

/** A pod (a Pod, or a workload's pod template) or a workload seen in traffic. */
export const compliancePodSchema = z.object({
  name: z.string(),
  /** Pod, Deployment, StatefulSet, ...; `observed` for a workload known only from traffic. */
  kind: z.string(),
  source: z.enum(['inventory', 'traffic']),
});

export const namespaceComplianceSchema = z.object({
  namespace: z.string(),
  /** Whether the active revision declares it (a Namespace, or a policy, Pod or workload in it). */
  declared: z.boolean(),
  /** Whether records of the range have it on either side. */
  seenInTraffic: z.boolean(),
  /** The deny-all policies for each direction (empty: none). */
  defaultDeny: byDirection(z.array(z.string())),
  /** Whether every pod known (manifests, traffic) is isolated for the direction; false when none is known. */
  everyPodIsolated: byDirection(z.boolean()),
  pods: z.object({ inventory: z.number().int(), traffic: z.number().int() }),
  unselectedPods: z.array(compliancePodSchema),
  policiesSelectingNothing: z.array(z.string()),
  /** Rules of the namespace's policies (`namespace/policy#ingress[0]`) and those that admitted no traffic. */
  rules: z.object({ total: z.number().int(), unused: z.array(z.string()) }),
  openAlerts: z.object({ count: z.number().int(), ids: z.array(z.string()) }),
});
export type NamespaceCompliance = z.infer<typeof namespaceComplianceSchema>;

export const complianceReportSchema = z.object({
  /** The active revision the report judges with; null when none was ever recorded. */
  revision: z.object({ id: z.number().int(), activatedAt: isoTime.nullable() }).nullable(),
  from: isoTime,
  to: isoTime,
  /** Allowed records of the range judged against the active revision, whose rules count as used. */
  attributedRecords: z.number().int(),
  namespaces: z.array(namespaceComplianceSchema),
  /** Every finding of every namespace, in the order the CSV lists them. */
  findings: z.array(complianceFindingSchema),
});
export type ComplianceReport = z.infer<typeof complianceReportSchema>;

/** The CSV header of `format=csv`. */
export const COMPLIANCE_CSV_COLUMNS = ['namespace', 'finding', 'subject', 'detail'] as const;

export const reportsRoutes: readonly RouteContract[] = [
  {
    method: 'get',
    path: '/api/v1/reports/compliance',
    summary: 'Compliance report per namespace',
    description:
      'Per namespace (of the active revision and of the traffic of [from, to), those the key may read): default deny for ' +
      'ingress and egress, pods no policy selects, policies that select nothing, rules that admitted no traffic of the ' +
      `range, open alerts. Default range: the ${COMPLIANCE_DEFAULT_DAYS} days before now. format=csv answers one row per finding ` +
      `(${COMPLIANCE_CSV_COLUMNS.join(', ')}). 403 when namespace is one the key may not read.`,
    tag: 'reports',
    access: 'viewer',
    query: complianceQuerySchema,
    responses: {
      200: { description: 'the report (JSON), or its findings as CSV', schema: complianceReportSchema, contentTypes: ['application/json', 'text/csv'] },
      403: { description: 'a namespace outside the key\'s scope', schema: errorBody },
    },
  },
];
