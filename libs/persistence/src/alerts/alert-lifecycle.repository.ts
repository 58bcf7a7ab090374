import type postgres from 'postgres';
import type { Sql } from '../flows/sql-client.js';
import { recordAlertEvents } from './alert-event.repository.js';
import { SUMMARY_COLUMNS, toSummary, type AlertCandidate, type AlertEventRecord, type AlertEventType, type AlertSummary, type SummaryRow } from './alert.types.js';

/** What became of a candidate: a new alert, a resolved one reopened, or counts added to the open one. */
export interface OpenOutcome {
  readonly connectionKey: string;
  readonly driftKind: AlertCandidate['driftKind'];
  readonly outcome: 'opened' | 'reopened' | 'existing';
  readonly alert: AlertSummary;
}

/** Flows counted for an alert since the last write. */
export interface AlertCount {
  readonly alertId: string;
  readonly flowCount: number;
  readonly lastSeen: Date;
}

/** An unresolved alert as a policy revision re-checks it. */
export interface UnresolvedAlert {
  readonly id: string;
  readonly driftKind: AlertCandidate['driftKind'];
  readonly explanation: unknown;
}

const UNIQUE_VIOLATION = '23505';

/**
 * The drift detector's writes. The database is the truth: one unresolved alert per (connection key, drift kind)
 * is guaranteed by the partial unique index, so restarts and several collectors never duplicate one. Every
 * change writes its events (and their webhook deliveries) in the same transaction.
 */
export class AlertLifecycleRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * For each candidate, in one transaction: adds its counts to the unresolved alert of its key when there is one;
   * else reopens the newest resolved alert of its key (`alert.reopened`); else inserts a new alert
   * (`alert.opened`), `ON CONFLICT` with the partial unique index turning a concurrent insert into a count.
   */
  async open(candidates: readonly AlertCandidate[]): Promise<{ outcomes: OpenOutcome[]; events: AlertEventRecord[] }> {
    if (candidates.length === 0) return { outcomes: [], events: [] };
    return this.sql.begin(async (tx) => {
      const sql = tx as unknown as Sql;
      const outcomes: OpenOutcome[] = [];
      for (const c of candidates) outcomes.push(await this.openOne(tx, c));
      const events = await recordAlertEvents(
        sql,
        outcomes
          .filter((o) => o.outcome !== 'existing')
          .map((o) => ({ type: (o.outcome === 'opened' ? 'alert.opened' : 'alert.reopened') as AlertEventType, alert: o.alert })),
      );
      return { outcomes, events };
    });
  }

  private async openOne(tx: postgres.TransactionSql, c: AlertCandidate): Promise<OpenOutcome> {
    const sql = tx as unknown as Sql;
    const base = { connectionKey: c.connectionKey, driftKind: c.driftKind };
    const lastSeen = c.lastSeen.toISOString();
    const [existing] = await sql<SummaryRow[]>`
      update alerts a set flow_count = a.flow_count + ${c.flowCount}, last_seen = greatest(a.last_seen, ${lastSeen}::timestamptz),
        last_observed_at = now()
      where a.connection_key = ${c.connectionKey} and a.drift_kind = ${c.driftKind}::drift_kind and a.status <> 'resolved'
      returning ${sql.unsafe(SUMMARY_COLUMNS)}`;
    if (existing) return { ...base, outcome: 'existing', alert: toSummary(existing) };
    try {
      const [reopened] = await tx.savepoint(async (sp) => (sp as unknown as Sql)<SummaryRow[]>`
        update alerts a set status = 'open', resolved_at = null, resolution = null, acknowledged_at = null,
          acknowledged_by = null, suppressed_until = null, suppressed_reason = null, suppressed_by = null,
          flow_count = a.flow_count + ${c.flowCount}, last_seen = greatest(a.last_seen, ${lastSeen}::timestamptz),
          last_observed_at = now(), severity = ${c.severity}, policy_revision_id = ${c.policyRevisionId},
          explanation = ${sp.json(c.explanation as never)}, sample_flow = ${sp.json(c.sampleFlow as never)}
        where a.id = (select id from alerts where connection_key = ${c.connectionKey} and drift_kind = ${c.driftKind}::drift_kind
                      and status = 'resolved' order by id desc limit 1)
          and a.status = 'resolved'
        returning ${sp.unsafe(SUMMARY_COLUMNS)}`);
      if (reopened) return { ...base, outcome: 'reopened', alert: toSummary(reopened) };
    } catch (error) {
      // another collector opened this key meanwhile: fall through to the insert, which counts into it
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    }
    const [row] = await sql<(SummaryRow & { inserted: boolean })[]>`
      insert into alerts as a (connection_key, drift_kind, severity, cluster, src_namespace, src_workload, src_ip,
        dst_namespace, dst_workload, dst_ip, dst_port, protocol, flow_count, first_seen, last_seen, policy_revision_id,
        explanation, sample_flow, last_observed_at)
      values (${c.connectionKey}, ${c.driftKind}::drift_kind, ${c.severity}, ${c.cluster}, ${c.srcNamespace}, ${c.srcWorkload},
        ${c.srcIp}::inet, ${c.dstNamespace}, ${c.dstWorkload}, ${c.dstIp}::inet, ${c.dstPort}, ${c.protocol}, ${c.flowCount},
        ${c.firstSeen.toISOString()}::timestamptz, ${lastSeen}::timestamptz, ${c.policyRevisionId},
        ${sql.json(c.explanation as never)}, ${sql.json(c.sampleFlow as never)}, now())
      on conflict (connection_key, drift_kind) where status <> 'resolved'
      do update set flow_count = a.flow_count + excluded.flow_count, last_seen = greatest(a.last_seen, excluded.last_seen),
        last_observed_at = now()
      returning ${sql.unsafe(SUMMARY_COLUMNS)}, (xmax = 0) as inserted`;
    if (!row) throw new Error('alert insert returned no row');
    return { ...base, outcome: row.inserted ? 'opened' : 'existing', alert: toSummary(row) };
  }

  /**
   * Adds counts to unresolved alerts in one statement; `alert.updated` for each one that is not silenced.
   * `missing` lists the alerts that were resolved meanwhile (by hand, by another process): the caller reopens.
   */
  async addCounts(counts: readonly AlertCount[]): Promise<{ updated: AlertSummary[]; missing: string[]; events: AlertEventRecord[] }> {
    if (counts.length === 0) return { updated: [], missing: [], events: [] };
    return this.sql.begin(async (tx) => {
      const sql = tx as unknown as Sql;
      const rows = await sql<SummaryRow[]>`
        update alerts a set flow_count = a.flow_count + d.n, last_seen = greatest(a.last_seen, d.ls::timestamptz), last_observed_at = now()
        from unnest(${sql.array(counts.map((c) => c.alertId))}::text[], ${sql.array(counts.map((c) => c.flowCount))}::int8[],
                    ${sql.array(counts.map((c) => c.lastSeen.toISOString()))}::text[]) as d(id, n, ls)
        where a.id = d.id::int8 and a.status <> 'resolved'
        returning ${sql.unsafe(SUMMARY_COLUMNS)}`;
      const updated = rows.map(toSummary);
      const seen = new Set(updated.map((a) => a.id));
      const events = await recordAlertEvents(
        sql,
        updated.filter((a) => a.status !== 'suppressed').map((alert) => ({ type: 'alert.updated' as const, alert })),
      );
      return { updated, missing: counts.map((c) => c.alertId).filter((id) => !seen.has(id)), events };
    });
  }

  /**
   * Resolves every unresolved alert no detector has counted a flow for in `quietMs` (`alert.resolved`), except
   * `exceptIds` (alerts the caller holds counts for that it has not written yet).
   */
  async resolveQuiet(quietMs: number, exceptIds: readonly string[] = []): Promise<AlertEventRecord[]> {
    return this.sql.begin(async (tx) => {
      const sql = tx as unknown as Sql;
      const rows = await sql<SummaryRow[]>`
        update alerts a set status = 'resolved', resolved_at = now(), resolution = ${sql.json({ reason: 'quiet', quietMs })}
        where a.status <> 'resolved' and a.last_observed_at < now() - ${quietMs / 1000} * interval '1 second'
          and not (a.id = any(${sql.array([...exceptIds])}::int8[]))
        returning ${sql.unsafe(SUMMARY_COLUMNS)}`;
      return recordAlertEvents(sql, rows.map((r) => ({ type: 'alert.resolved' as const, alert: toSummary(r) })));
    });
  }

  /** Silences whose time is up: back to open (or acknowledged), `alert.updated`. */
  async expireSilences(): Promise<AlertEventRecord[]> {
    return this.sql.begin(async (tx) => {
      const sql = tx as unknown as Sql;
      const rows = await sql<SummaryRow[]>`
        update alerts a set status = case when a.acknowledged_at is null then 'open' else 'acknowledged' end::alert_status,
          suppressed_until = null
        where a.status = 'suppressed' and a.suppressed_until <= now()
        returning ${sql.unsafe(SUMMARY_COLUMNS)}`;
      return recordAlertEvents(sql, rows.map((r) => ({ type: 'alert.updated' as const, alert: toSummary(r) })));
    });
  }

  /**
   * A page of unresolved alerts with their explanations, by id, for re-checking against a new revision. Ordered by
   * the column `a.id`: a bare `id` would be the selected text, and a page ending at "1002" would skip 998 and 999.
   */
  async unresolved(afterId: string, limit = 500): Promise<UnresolvedAlert[]> {
    const rows = await this.sql<{ id: string; drift_kind: UnresolvedAlert['driftKind']; explanation: unknown }[]>`
      select a.id::text, a.drift_kind::text, a.explanation from alerts a
      where a.status <> 'resolved' and a.id > ${afterId}::int8 order by a.id limit ${limit}`;
    return rows.map((r) => ({ id: r.id, driftKind: r.drift_kind, explanation: r.explanation }));
  }

  /** Resolves these alerts because revision `revisionId` makes their connections consistent (`alert.resolved`). */
  async resolveByRevision(ids: readonly string[], revisionId: number | null): Promise<AlertEventRecord[]> {
    if (ids.length === 0) return [];
    return this.sql.begin(async (tx) => {
      const sql = tx as unknown as Sql;
      const rows = await sql<SummaryRow[]>`
        update alerts a set status = 'resolved', resolved_at = now(), resolution = ${sql.json({ reason: 'revision', revisionId })}
        where a.id = any(${sql.array([...ids])}::int8[]) and a.status <> 'resolved'
        returning ${sql.unsafe(SUMMARY_COLUMNS)}`;
      return recordAlertEvents(sql, rows.map((r) => ({ type: 'alert.resolved' as const, alert: toSummary(r) })));
    });
  }
}
