import { AuditLogRepository } from '../audit/audit-log.repository.js';
import type { Sql } from '../flows/sql-client.js';
import { AlertEventRepository, recordAlertEvents } from './alert-event.repository.js';
import {
  scopeCondition, SUMMARY_COLUMNS, toSummary, type AlertDetail, type AlertDriftKind, type AlertEventRecord, type AlertSeverity,
  type AlertStatus, type AlertSummary, type NamespaceScope, type SummaryRow,
} from './alert.types.js';

/** Filters of the alert list; every one optional. `cursor` is the `nextCursor` of the previous page. */
export interface AlertFilter {
  readonly status?: readonly AlertStatus[];
  readonly severity?: readonly AlertSeverity[];
  readonly kind?: readonly AlertDriftKind[];
  /** Alerts with this namespace on either side. */
  readonly namespace?: string;
  /** Alerts seen at or after this time. */
  readonly since?: Date;
  readonly cursor?: string;
  readonly limit: number;
}

/** Evidence kept for an alert's connection (raw bodies of its flows, with their explanations). */
export interface AlertEvidence {
  readonly flowId: string;
  readonly observedAt: string;
  readonly direction: string;
  readonly body: unknown;
  readonly explanation: unknown;
}

/** A change a person asks for. */
export type AlertAction =
  | { readonly kind: 'acknowledge' }
  | { readonly kind: 'resolve' }
  | { readonly kind: 'suppress'; readonly until: Date; readonly reason: string };

/** The outcome of an action: done, no such alert in the caller's scope, or not possible in its state. */
export type AlertActionResult =
  | { readonly kind: 'done'; readonly alert: AlertSummary; readonly event: AlertEventRecord }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'conflict'; readonly message: string };

const DETAIL_COLUMNS = `${SUMMARY_COLUMNS}, a.connection_key, a.explanation, a.sample_flow`;

/** Alerts as the API reads and changes them, always within the caller's namespace scope. */
export class AlertRepository {
  private readonly events: AlertEventRepository;

  constructor(private readonly sql: Sql) {
    this.events = new AlertEventRepository(sql);
  }

  /** Newest alert first (keyset on id); `nextCursor` is set when there are more. */
  async list(filter: AlertFilter, scope: NamespaceScope): Promise<{ alerts: AlertSummary[]; nextCursor: string | null }> {
    const sql = this.sql;
    const rows = await sql<SummaryRow[]>`
      select ${sql.unsafe(SUMMARY_COLUMNS)} from alerts a
      where ${scopeCondition(sql, scope)}
        and ${filter.status?.length ? sql`a.status::text = any(${sql.array([...filter.status])}::text[])` : sql`true`}
        and ${filter.severity?.length ? sql`a.severity = any(${sql.array([...filter.severity])}::text[])` : sql`true`}
        and ${filter.kind?.length ? sql`a.drift_kind::text = any(${sql.array([...filter.kind])}::text[])` : sql`true`}
        and ${filter.namespace !== undefined ? sql`(a.src_namespace = ${filter.namespace} or a.dst_namespace = ${filter.namespace})` : sql`true`}
        and ${filter.since ? sql`a.last_seen >= ${filter.since.toISOString()}::timestamptz` : sql`true`}
        and ${filter.cursor ? sql`a.id < ${filter.cursor}::int8` : sql`true`}
      order by a.id desc limit ${filter.limit + 1}`;
    const alerts = rows.slice(0, filter.limit).map(toSummary);
    return { alerts, nextCursor: rows.length > filter.limit ? (alerts[alerts.length - 1]?.id ?? null) : null };
  }

  /** Unresolved alerts (open, acknowledged, suppressed) of every scope, counted by severity and status (metrics). */
  async unresolvedCounts(): Promise<{ severity: AlertSeverity; status: AlertStatus; count: number }[]> {
    const rows = await this.sql<{ severity: AlertSeverity; status: AlertStatus; count: number }[]>`
      select a.severity, a.status::text as status, count(*)::int as count from alerts a
      where a.status <> 'resolved' group by a.severity, a.status`;
    return rows.map((r) => ({ severity: r.severity, status: r.status, count: r.count }));
  }

  /** Unresolved alerts by status, in every namespace (the console's status line of `serve`). */
  async countUnresolved(): Promise<{ open: number; acknowledged: number; suppressed: number }> {
    const rows = await this.sql<{ status: string; n: number }[]>`
      select a.status::text as status, count(*)::int as n from alerts a where a.status <> 'resolved' group by a.status`;
    const count = (status: string) => rows.find((r) => r.status === status)?.n ?? 0;
    return { open: count('open'), acknowledged: count('acknowledged'), suppressed: count('suppressed') };
  }

  /** One alert with its explanation, sample flow, evidence and events; undefined outside the scope. */
  async get(id: string, scope: NamespaceScope): Promise<{ alert: AlertDetail; evidence: AlertEvidence[]; events: AlertEventRecord[] } | undefined> {
    const sql = this.sql;
    const [row] = await sql<SummaryRow[]>`
      select ${sql.unsafe(DETAIL_COLUMNS)} from alerts a where a.id = ${id}::int8 and ${scopeCondition(sql, scope)}`;
    if (!row) return undefined;
    const alert: AlertDetail = {
      ...toSummary(row),
      connectionKey: row['connection_key'] as string,
      explanation: row['explanation'],
      sampleFlow: row['sample_flow'],
    };
    const sampleId = (alert.sampleFlow as { id?: unknown } | null)?.id;
    const evidence = await sql<{ flow_id: string; observed_at: Date; direction: string; body: unknown; explanation: unknown }[]>`
      select flow_id, observed_at, direction, body, explanation from evidence_flows
      where (flow_id = ${typeof sampleId === 'string' ? sampleId : ''})
         or (drift_kind = ${alert.driftKind}::drift_kind
             and src_namespace is not distinct from ${alert.srcNamespace} and src_workload is not distinct from ${alert.srcWorkload}
             and dst_namespace is not distinct from ${alert.dstNamespace} and dst_workload is not distinct from ${alert.dstWorkload}
             and observed_at between ${alert.firstSeen}::timestamptz - interval '1 minute' and ${alert.lastSeen}::timestamptz + interval '1 minute')
      order by observed_at desc limit 10`;
    return {
      alert,
      evidence: evidence.map((e) => ({ flowId: e.flow_id, observedAt: e.observed_at.toISOString(), direction: e.direction, body: e.body, explanation: e.explanation })),
      events: await this.events.ofAlert(id),
    };
  }

  /**
   * Acknowledges, resolves or silences an alert for `actor` (an API key prefix): the change, its event (with
   * webhook deliveries and NOTIFY) and the audit entry in one transaction.
   */
  async act(id: string, action: AlertAction, actor: string, scope: NamespaceScope): Promise<AlertActionResult> {
    return this.sql.begin(async (tx) => {
      const sql = tx as unknown as Sql;
      const [current] = await sql<{ status: AlertStatus }[]>`
        select a.status::text as status from alerts a where a.id = ${id}::int8 and ${scopeCondition(sql, scope)} for update`;
      if (!current) return { kind: 'not-found' as const };
      if (current.status === 'resolved') return { kind: 'conflict' as const, message: `alert ${id} is resolved` };
      let rows: SummaryRow[];
      let type: 'alert.acknowledged' | 'alert.resolved' | 'alert.suppressed';
      let details: Record<string, unknown> = {};
      switch (action.kind) {
        case 'acknowledge':
          if (current.status === 'acknowledged') return { kind: 'conflict' as const, message: `alert ${id} is already acknowledged` };
          type = 'alert.acknowledged';
          rows = await sql<SummaryRow[]>`
            update alerts a set acknowledged_at = now(), acknowledged_by = ${actor},
              status = case when a.status = 'suppressed' then a.status else 'acknowledged' end
            where a.id = ${id}::int8 returning ${sql.unsafe(SUMMARY_COLUMNS)}`;
          break;
        case 'resolve':
          type = 'alert.resolved';
          rows = await sql<SummaryRow[]>`
            update alerts a set status = 'resolved', resolved_at = now(), resolution = ${sql.json({ reason: 'manual', by: actor })}
            where a.id = ${id}::int8 returning ${sql.unsafe(SUMMARY_COLUMNS)}`;
          break;
        case 'suppress':
          type = 'alert.suppressed';
          details = { until: action.until.toISOString(), reason: action.reason };
          rows = await sql<SummaryRow[]>`
            update alerts a set status = 'suppressed', suppressed_until = ${action.until.toISOString()}::timestamptz,
              suppressed_reason = ${action.reason}, suppressed_by = ${actor}
            where a.id = ${id}::int8 returning ${sql.unsafe(SUMMARY_COLUMNS)}`;
          break;
      }
      const alert = toSummary(rows[0] as SummaryRow);
      const [event] = await recordAlertEvents(sql, [{ type, alert }]);
      await AuditLogRepository.record(sql, { actor, action: type, targetType: 'alert', targetId: id, details });
      return { kind: 'done' as const, alert, event: event as AlertEventRecord };
    });
  }
}
