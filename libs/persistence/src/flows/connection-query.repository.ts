import type { ConnectionEdge } from '@driftwatch/contracts';
import type { NamespaceScope } from '../alerts/alert.types.js';
import { HOUR_MS } from './connection-hours.sql.js';
import { allOf, dimensionConditions, filterOnRollupDimensions, namespaceSides, type FlowRecordFilter, type Fragment } from './flow-filter.sql.js';
import type { Sql } from './sql-client.js';

type Row = Record<string, unknown>;

/** Where the flows of a range are read: whole hours from `connection_hours`, the rest from `flow_records`. */
export interface ConnectionRangePlan {
  /** Whole hours [from, to) read from the rollup; undefined when the range holds none or the filter needs records. */
  readonly hours: { readonly from: Date; readonly to: Date } | undefined;
  /** Ranges read from `flow_records` (the partial hours at either end, or the whole range). */
  readonly records: readonly { readonly from: Date; readonly to: Date }[];
}

/**
 * How {@link ConnectionQueryRepository.edges} splits a range: the whole UTC hours inside [from, to) from the rollup
 * and the partial hours at either end from the records, when the filter uses only dimensions the rollup keeps;
 * otherwise (or when no whole hour fits) the whole range from the records.
 */
export function planConnectionRange(filter: FlowRecordFilter): ConnectionRangePlan {
  const from = filter.from.getTime();
  const to = filter.to.getTime();
  const first = Math.ceil(from / HOUR_MS) * HOUR_MS;
  const end = Math.floor(to / HOUR_MS) * HOUR_MS;
  if (!filterOnRollupDimensions(filter) || first >= end) return { hours: undefined, records: from < to ? [{ from: filter.from, to: filter.to }] : [] };
  const records = [];
  if (from < first) records.push({ from: filter.from, to: new Date(first) });
  if (end < to) records.push({ from: new Date(end), to: filter.to });
  return { hours: { from: new Date(first), to: new Date(end) }, records };
}

/**
 * Connections as edges: flows summed per (source, destination, port, protocol) over a range, per label, within a
 * namespace scope (in SQL). A side's address is dropped when its workload is known, so the pods of one workload
 * make one edge. The whole hours of the range come from the hourly rollup `connection_hours` (kept by the writer
 * in the statement that inserts the records), the partial hours at either end from `flow_records`; a filter the
 * rollup cannot answer (an endpoint by address or CIDR, the observed verdict, the policy revision) reads the
 * records of the whole range. Both give the same answer (test/connection-rollup.spec.ts).
 */
export class ConnectionQueryRepository {
  constructor(private readonly sql: Sql) {}

  /** The `limit` edges with the most flows (ties: the most recently seen first). */
  async edges(filter: FlowRecordFilter, scope: NamespaceScope, limit: number): Promise<ConnectionEdge[]> {
    return this.query(filter, scope, limit, planConnectionRange(filter));
  }

  /** The same answer from `flow_records` alone (what the rollup is checked against). */
  async edgesFromRecords(filter: FlowRecordFilter, scope: NamespaceScope, limit: number): Promise<ConnectionEdge[]> {
    return this.query(filter, scope, limit, { hours: undefined, records: [{ from: filter.from, to: filter.to }] });
  }

  private async query(filter: FlowRecordFilter, scope: NamespaceScope, limit: number, plan: ConnectionRangePlan): Promise<ConnectionEdge[]> {
    const sql = this.sql;
    const sides = namespaceSides(sql, filter.namespace);
    const where = allOf(sql, [...dimensionConditions(sql, filter, scope), sides ? sql`(${sides[0]} or ${sides[1]})` : sql`true`]);
    // each part summed per edge on its own (the rollup's part with its statistics: a hash of a few thousand
    // edges, not a sort of every row), then the parts summed together
    const perEdge = (flows: Fragment) => sql`
      coalesce(sum(${flows}) filter (where r.label = 'allowed'), 0) as allowed,
      coalesce(sum(${flows}) filter (where r.label = 'denied'), 0) as denied,
      coalesce(sum(${flows}) filter (where r.label = 'unexpected'), 0) as unexpected,
      coalesce(sum(${flows}) filter (where r.label is null), 0) as unlabeled,
      sum(${flows}) as flows, max(r.last_seen) as last_seen`;
    const parts: Fragment[] = [];
    if (plan.hours) {
      parts.push(sql`
        select r.src_namespace, r.src_workload, r.src_ip, r.dst_namespace, r.dst_workload, r.dst_ip, r.dst_port, r.protocol,
          ${perEdge(sql`r.flows`)}
        from connection_hours r
        where r.hour >= ${plan.hours.from.toISOString()}::timestamptz and r.hour < ${plan.hours.to.toISOString()}::timestamptz and ${where}
        group by 1, 2, 3, 4, 5, 6, 7, 8`);
    }
    for (const range of plan.records) {
      // grouped on the addresses themselves; host() only on the edges that are answered
      parts.push(sql`
        select r.src_namespace, r.src_workload, case when r.src_workload is null then r.src_ip end as src_ip,
          r.dst_namespace, r.dst_workload, case when r.dst_workload is null then r.dst_ip end as dst_ip, r.dst_port, r.protocol,
          ${perEdge(sql`r.flow_count`)}
        from flow_records r
        where r.window_start >= ${range.from.toISOString()}::timestamptz and r.window_start < ${range.to.toISOString()}::timestamptz and ${where}
        group by 1, 2, 3, 4, 5, 6, 7, 8`);
    }
    if (parts.length === 0) return [];
    const edges = parts.length === 1
      ? (parts[0] as Fragment)
      : sql`
        select p.src_namespace, p.src_workload, p.src_ip, p.dst_namespace, p.dst_workload, p.dst_ip, p.dst_port, p.protocol,
          sum(p.allowed) as allowed, sum(p.denied) as denied, sum(p.unexpected) as unexpected, sum(p.unlabeled) as unlabeled,
          sum(p.flows) as flows, max(p.last_seen) as last_seen
        from (${parts.slice(1).reduce((acc, part) => sql`${acc} union all ${part}`, parts[0] as Fragment)}) p
        group by 1, 2, 3, 4, 5, 6, 7, 8`;
    // ordered by the sums as numbers (`e.`: a bare `flows` would name the text column selected, and sort 9 above 1000)
    const rows = await sql<Row[]>`
      select e.src_namespace, e.src_workload, host(e.src_ip) as src_ip, e.dst_namespace, e.dst_workload, host(e.dst_ip) as dst_ip,
        e.dst_port, e.protocol, e.allowed::text, e.denied::text, e.unexpected::text, e.unlabeled::text, e.flows::text, e.last_seen
      from (${edges}) e
      order by e.flows desc, e.last_seen desc, e.src_namespace, e.src_workload, e.src_ip, e.dst_namespace, e.dst_workload, e.dst_ip,
        e.dst_port, e.protocol
      limit ${limit}`;
    return rows.map((r) => ({
      src: { namespace: r['src_namespace'] as string | null, workload: r['src_workload'] as string | null, ip: r['src_ip'] as string | null },
      dst: { namespace: r['dst_namespace'] as string | null, workload: r['dst_workload'] as string | null, ip: r['dst_ip'] as string | null },
      port: r['dst_port'] as number | null,
      protocol: r['protocol'] as string,
      counts: { allowed: Number(r['allowed']), denied: Number(r['denied']), unexpected: Number(r['unexpected']), unlabeled: Number(r['unlabeled']) },
      flows: Number(r['flows']),
      lastSeen: (r['last_seen'] as Date).toISOString(),
    }));
  }
}
