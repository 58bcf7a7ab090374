import type { ConnectionEdge } from '@driftwatch/contracts';
import type { NamespaceScope } from '../alerts/alert.types.js';
import { allOf, filterConditions, namespaceSides, type FlowRecordFilter } from './flow-filter.sql.js';
import type { Sql } from './sql-client.js';

type Row = Record<string, unknown>;

/**
 * Connections as edges: flows of `flow_records` summed per (source, destination, port, protocol) over a range,
 * per label, within a namespace scope (in SQL). A side's address is dropped when its workload is known, so the
 * pods of one workload make one edge.
 */
export class ConnectionQueryRepository {
  constructor(private readonly sql: Sql) {}

  /** The `limit` edges with the most flows (ties: the most recently seen first). */
  async edges(filter: FlowRecordFilter, scope: NamespaceScope, limit: number): Promise<ConnectionEdge[]> {
    const sql = this.sql;
    const sides = namespaceSides(sql, filter.namespace);
    const where = allOf(sql, [...filterConditions(sql, filter, scope), sides ? sql`(${sides[0]} or ${sides[1]})` : sql`true`]);
    // grouped on the addresses themselves; host() only on the edges that are answered
    const rows = await sql<Row[]>`
      select src_namespace, src_workload, host(src_ip) as src_ip, dst_namespace, dst_workload, host(dst_ip) as dst_ip, dst_port, protocol,
        allowed::text, denied::text, unexpected::text, unlabeled::text, flows::text, last_seen
      from (
        select r.src_namespace, r.src_workload, case when r.src_workload is null then r.src_ip end as src_ip,
          r.dst_namespace, r.dst_workload, case when r.dst_workload is null then r.dst_ip end as dst_ip, r.dst_port, r.protocol,
          coalesce(sum(r.flow_count) filter (where r.label = 'allowed'), 0) as allowed,
          coalesce(sum(r.flow_count) filter (where r.label = 'denied'), 0) as denied,
          coalesce(sum(r.flow_count) filter (where r.label = 'unexpected'), 0) as unexpected,
          coalesce(sum(r.flow_count) filter (where r.label is null), 0) as unlabeled,
          sum(r.flow_count) as flows, max(r.last_seen) as last_seen
        from flow_records r where ${where}
        group by 1, 2, 3, 4, 5, 6, 7, 8
      ) e
      order by flows desc, last_seen desc, src_namespace, src_workload, src_ip, dst_namespace, dst_workload, dst_ip, dst_port, protocol
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
