import type { Sql } from '../src/flows/sql-client.js';

/**
 * Rows where `connection_hours` differs from the rollup computed again from `flow_records` (each row prefixed
 * `stored` or `expected`): empty when the rollup is exact. Compares every hour, key and sum, the last time seen included.
 */
export async function connectionHoursDrift(sql: Sql): Promise<string[]> {
  const rows = await sql<{ side: string; row: string }[]>`
    with expected as (
      select date_trunc('hour', window_start, 'UTC') as hour, source, cluster, src_namespace, src_workload,
        case when src_workload is null then src_ip end as src_ip, dst_namespace, dst_workload, case when dst_workload is null then dst_ip end as dst_ip,
        dst_port, protocol, label, drift_kind, sum(flow_count)::int8 as flows, count(*)::int8 as records, max(last_seen) as last_seen
      from flow_records group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13
    ), stored as (
      select hour, source, cluster, src_namespace, src_workload, src_ip, dst_namespace, dst_workload, dst_ip, dst_port, protocol, label,
        drift_kind, flows, records, last_seen
      from connection_hours
    )
    select 'stored' as side, d::text as row from (select * from stored except all select * from expected) d
    union all
    select 'expected', d::text from (select * from expected except all select * from stored) d
    order by 2, 1 limit 50`;
  return rows.map((r) => `${r.side} ${r.row}`);
}
