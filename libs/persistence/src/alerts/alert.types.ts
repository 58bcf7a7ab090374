import type { AlertEventType, AlertResolution, AlertStatus, DriftKind, Severity } from '@driftwatch/contracts';
import type { RecordedConnectionKey } from '@driftwatch/flow';
import { textArray, type Sql } from '../flows/sql-client.js';

export type { AlertStatus } from '@driftwatch/contracts';

export { ALERT_EVENT_TYPES, type AlertEventType } from '@driftwatch/contracts';
export type AlertSeverity = Severity;
export type AlertDriftKind = DriftKind;

/** How an alert was resolved: quiet for `quietMs`, made consistent by a policy revision, or by hand. */
export type { AlertResolution } from '@driftwatch/contracts';

/**
 * An alert as events, lists and webhooks carry it (no explanation or sample flow). Ids are decimal strings
 * (bigint); times are ISO 8601.
 */
export interface AlertSummary extends RecordedConnectionKey {
  readonly id: string;
  readonly status: AlertStatus;
  readonly severity: AlertSeverity;
  readonly driftKind: AlertDriftKind;
  readonly cluster: string;
  readonly flowCount: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly policyRevisionId: number | null;
  readonly acknowledgedAt: string | null;
  readonly acknowledgedBy: string | null;
  readonly resolvedAt: string | null;
  readonly resolution: AlertResolution | null;
  readonly suppressedUntil: string | null;
  readonly suppressedReason: string | null;
  readonly suppressedBy: string | null;
}

/** An alert with its connection key, the decision's explanation and its sample flow. */
export interface AlertDetail extends AlertSummary {
  readonly connectionKey: string;
  readonly explanation: unknown;
  readonly sampleFlow: unknown;
}

/** One row of `alert_events`: the alert's state when it happened. */
export interface AlertEventRecord {
  readonly id: string;
  readonly alertId: string;
  readonly type: AlertEventType;
  readonly createdAt: string;
  readonly alert: AlertSummary;
}

/** What the drift detector knows when it opens (or counts) an alert. */
export interface AlertCandidate extends RecordedConnectionKey {
  readonly connectionKey: string;
  readonly driftKind: AlertDriftKind;
  readonly severity: AlertSeverity;
  readonly cluster: string;
  readonly flowCount: number;
  readonly firstSeen: Date;
  readonly lastSeen: Date;
  readonly policyRevisionId: number | null;
  readonly explanation: unknown;
  readonly sampleFlow: unknown;
}

/** Namespaces a caller may see: `'*'`, or a list (an alert is visible when either side is in it). */
export type NamespaceScope = readonly string[] | '*';

/** The SELECT list of {@link AlertSummary} over `alerts a`. */
export const SUMMARY_COLUMNS = `a.id::text as id, a.status::text as status, a.severity, a.drift_kind::text as drift_kind, a.cluster,
  a.src_namespace, a.src_workload, host(a.src_ip) as src_ip, a.dst_namespace, a.dst_workload, host(a.dst_ip) as dst_ip,
  a.dst_port, a.protocol, a.flow_count::text as flow_count, a.first_seen, a.last_seen, a.policy_revision_id,
  a.acknowledged_at, a.acknowledged_by, a.resolved_at, a.resolution, a.suppressed_until, a.suppressed_reason, a.suppressed_by`;

export type SummaryRow = Record<string, unknown>;

const iso = (value: unknown): string | null => (value instanceof Date ? value.toISOString() : value === null || value === undefined ? null : String(value));

/** Maps a row selected with {@link SUMMARY_COLUMNS}. */
export function toSummary(r: SummaryRow): AlertSummary {
  return {
    id: r['id'] as string,
    status: r['status'] as AlertStatus,
    severity: r['severity'] as AlertSeverity,
    driftKind: r['drift_kind'] as AlertDriftKind,
    cluster: r['cluster'] as string,
    srcNamespace: r['src_namespace'] as string | null,
    srcWorkload: r['src_workload'] as string | null,
    srcIp: r['src_ip'] as string | null,
    dstNamespace: r['dst_namespace'] as string | null,
    dstWorkload: r['dst_workload'] as string | null,
    dstIp: r['dst_ip'] as string | null,
    dstPort: r['dst_port'] as number | null,
    protocol: r['protocol'] as string,
    flowCount: Number(r['flow_count']),
    firstSeen: iso(r['first_seen']) as string,
    lastSeen: iso(r['last_seen']) as string,
    policyRevisionId: r['policy_revision_id'] as number | null,
    acknowledgedAt: iso(r['acknowledged_at']),
    acknowledgedBy: r['acknowledged_by'] as string | null,
    resolvedAt: iso(r['resolved_at']),
    resolution: (r['resolution'] as AlertResolution | null) ?? null,
    suppressedUntil: iso(r['suppressed_until']),
    suppressedReason: r['suppressed_reason'] as string | null,
    suppressedBy: r['suppressed_by'] as string | null,
  };
}

/**
 * `true`, or the namespace condition of a scope: either side's namespace in the list (a null side never counts;
 * an empty list is `false`, which the planner folds into reading nothing),
 * over the table aliased `alias` (`alerts a` by default; `flow_records r` for flows).
 */
export function scopeCondition(sql: Sql, scope: NamespaceScope, alias = 'a') {
  if (scope === '*') return sql`true`;
  if (scope.length === 0) return sql`false`;
  const namespaces = textArray(sql, scope);
  const table = sql(alias);
  return sql`(${table}.src_namespace = any(${namespaces}::text[]) or ${table}.dst_namespace = any(${namespaces}::text[]))`;
}
