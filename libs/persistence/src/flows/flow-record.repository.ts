import type { DriftKind, FlowIssueCode, FlowLabel } from '@driftwatch/contracts';
import type { RecordedConnection } from '@driftwatch/flow';
import { connectionHoursReturning, connectionHoursUpsert } from './connection-hours.sql.js';
import type { Sql } from './sql-client.js';

/** One aggregated row of `flow_records`: flows of one window with the same key, verdict and label. */
export interface FlowRecordRow extends RecordedConnection {
  readonly windowStart: Date;
  readonly windowEnd: Date;
  readonly source: string;
  readonly cluster: string;
  readonly event: string;
  readonly label: FlowLabel | null;
  readonly driftKind: DriftKind | null;
  readonly policyRevisionId: number | null;
  readonly flowCount: number;
  readonly firstSeen: Date;
  readonly lastSeen: Date;
  readonly sampleFlowId: string | null;
  /** The missing facts of the flows in this record, sorted. */
  readonly issues: readonly FlowIssueCode[];
  /**
   * Endpoint identities of the sides (`endpoint_identities.id`; `EXTERNAL_IDENTITY`, 0, for a side judged as an external peer);
   * null or absent when not known (records of events that are not connections, rows written by older code).
   */
  readonly srcIdentity?: string | null;
  readonly dstIdentity?: string | null;
  /** For an allowed record: the rules that admitted its flows (`namespace/policy#ingress[0]`), sorted; else null or absent. */
  readonly allowedBy?: readonly string[] | null;
}

/** Totals of stored flows per label and drift kind (label null = counted, not classified). */
export interface FlowTotals {
  readonly label: FlowLabel | null;
  readonly driftKind: DriftKind | null;
  readonly event: string;
  readonly flows: number;
  readonly records: number;
}

const isoOrNull = (d: Date) => d.toISOString();

/**
 * Writes and reads `flow_records`. Writes are one `INSERT … SELECT FROM unnest(…)` per batch, never row by row,
 * that also adds the batch to the hourly rollup `connection_hours` (see {@link FlowRecordRepository.insert}).
 */
export class FlowRecordRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Inserts a batch in one statement (one transaction), which also adds its flows to `connection_hours` (a
   * data-modifying CTE: the records and their rollup commit together, or neither does).
   */
  async insert(rows: readonly FlowRecordRow[]): Promise<void> {
    if (rows.length === 0) return;
    const col = <T>(pick: (r: FlowRecordRow) => T) => rows.map(pick);
    const sql = this.sql;
    await sql`
      with ins as (insert into flow_records (window_start, window_end, source, cluster, src_namespace, src_workload, src_ip,
        dst_namespace, dst_workload, dst_ip, dst_port, protocol, direction, observed, drop_reason, event, label,
        drift_kind, policy_revision_id, flow_count, first_seen, last_seen, sample_flow_id, issues, src_identity, dst_identity, allowed_by)
      select w0::timestamptz, w1::timestamptz, src, cl, sns, swl, sip::inet, dns, dwl, dip::inet, dp, pr, dir, obs, dr, ev,
        lb::flow_label, dk::drift_kind, rev, fc, fs::timestamptz, ls::timestamptz, sid,
        case when iss = '' then '{}'::text[] else string_to_array(iss, ',') end, sidt, didt,
        case when ab is null then null when ab = '' then '{}'::text[] else string_to_array(ab, ',') end
      from unnest(
        ${sql.array(col((r) => isoOrNull(r.windowStart)))}::text[], ${sql.array(col((r) => isoOrNull(r.windowEnd)))}::text[],
        ${sql.array(col((r) => r.source))}::text[], ${sql.array(col((r) => r.cluster))}::text[],
        ${sql.array(col((r) => r.srcNamespace))}::text[], ${sql.array(col((r) => r.srcWorkload))}::text[],
        ${sql.array(col((r) => r.srcIp))}::text[], ${sql.array(col((r) => r.dstNamespace))}::text[],
        ${sql.array(col((r) => r.dstWorkload))}::text[], ${sql.array(col((r) => r.dstIp))}::text[],
        ${sql.array(col((r) => r.dstPort))}::int4[], ${sql.array(col((r) => r.protocol))}::text[],
        ${sql.array(col((r) => r.direction))}::text[], ${sql.array(col((r) => r.observed))}::text[],
        ${sql.array(col((r) => r.dropReason))}::text[], ${sql.array(col((r) => r.event))}::text[],
        ${sql.array(col((r) => r.label))}::text[], ${sql.array(col((r) => r.driftKind))}::text[],
        ${sql.array(col((r) => r.policyRevisionId))}::int4[], ${sql.array(col((r) => r.flowCount))}::int8[],
        ${sql.array(col((r) => isoOrNull(r.firstSeen)))}::text[], ${sql.array(col((r) => isoOrNull(r.lastSeen)))}::text[],
        ${sql.array(col((r) => r.sampleFlowId))}::text[], ${sql.array(col((r) => r.issues.join(',')))}::text[],
        ${sql.array(col((r) => r.srcIdentity ?? null))}::int8[], ${sql.array(col((r) => r.dstIdentity ?? null))}::int8[],
        ${sql.array(col((r) => r.allowedBy?.join(',') ?? null))}::text[]
      ) as t(w0, w1, src, cl, sns, swl, sip, dns, dwl, dip, dp, pr, dir, obs, dr, ev, lb, dk, rev, fc, fs, ls, sid, iss, sidt, didt, ab)
      returning ${connectionHoursReturning(sql)})
      ${connectionHoursUpsert(sql, 'ins')}`;
  }

  /** Flows per label, drift kind and event, of the windows starting in [since, until). */
  async totals(since?: Date, until?: Date): Promise<FlowTotals[]> {
    const rows = await this.sql<{ label: string | null; drift_kind: string | null; event: string; flows: string; records: string }[]>`
      select label::text, drift_kind::text, event, sum(flow_count)::text as flows, count(*)::text as records
      from flow_records where ${since ? this.sql`window_start >= ${since}` : this.sql`true`}
        and ${until ? this.sql`window_start < ${until}` : this.sql`true`}
      group by 1, 2, 3 order by 1, 2, 3`;
    return rows.map((r) => ({ label: r.label as FlowLabel | null, driftKind: r.drift_kind as DriftKind | null, event: r.event, flows: Number(r.flows), records: Number(r.records) }));
  }

  /** Every record, oldest window first: for audits of small ranges and for tests. */
  async list(limit = 1000): Promise<FlowRecordRow[]> {
    const rows = await this.sql<Record<string, unknown>[]>`
      select window_start, window_end, source, cluster, src_namespace, src_workload, host(src_ip) as src_ip,
        dst_namespace, dst_workload, host(dst_ip) as dst_ip, dst_port, protocol, direction, observed, drop_reason, event,
        label::text, drift_kind::text, policy_revision_id, flow_count::int8 as flow_count, first_seen, last_seen,
        sample_flow_id, issues, src_identity::text, dst_identity::text, allowed_by
      from flow_records order by window_start, id limit ${limit}`;
    return rows.map((r) => ({
      windowStart: r['window_start'] as Date,
      windowEnd: r['window_end'] as Date,
      source: r['source'] as string,
      cluster: r['cluster'] as string,
      srcNamespace: r['src_namespace'] as string | null,
      srcWorkload: r['src_workload'] as string | null,
      srcIp: r['src_ip'] as string | null,
      dstNamespace: r['dst_namespace'] as string | null,
      dstWorkload: r['dst_workload'] as string | null,
      dstIp: r['dst_ip'] as string | null,
      dstPort: r['dst_port'] as number | null,
      protocol: r['protocol'] as string,
      direction: r['direction'] as string,
      observed: r['observed'] as string,
      dropReason: r['drop_reason'] as string | null,
      event: r['event'] as string,
      label: r['label'] as FlowRecordRow['label'],
      driftKind: r['drift_kind'] as FlowRecordRow['driftKind'],
      policyRevisionId: r['policy_revision_id'] as number | null,
      flowCount: Number(r['flow_count']),
      firstSeen: r['first_seen'] as Date,
      lastSeen: r['last_seen'] as Date,
      sampleFlowId: r['sample_flow_id'] as string | null,
      issues: r['issues'] as FlowIssueCode[],
      srcIdentity: r['src_identity'] as string | null,
      dstIdentity: r['dst_identity'] as string | null,
      allowedBy: r['allowed_by'] as string[] | null,
    }));
  }

  /** Creates the daily partitions of both flow tables from yesterday to `days` ahead. Returns how many were made. */
  async ensurePartitions(days = 8): Promise<number> {
    const [row] = await this.sql<{ n: number }[]>`
      select driftwatch_ensure_partitions('flow_records', (now() at time zone 'UTC')::date - 1, ${days + 1})
           + driftwatch_ensure_partitions('evidence_flows', (now() at time zone 'UTC')::date - 1, ${days + 1}) as n`;
    return row?.n ?? 0;
  }
}
