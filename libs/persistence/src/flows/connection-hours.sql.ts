import type { Fragment } from './flow-filter.sql.js';
import type { Sql } from './sql-client.js';

/** One hour in milliseconds: the bucket of `connection_hours` (UTC hours, window starts in [hour, hour + 1 h)). */
export const HOUR_MS = 3_600_000;

/**
 * The statement that adds records to `connection_hours`, to follow a data-modifying CTE named `cte` whose rows
 * have the columns of `flow_records` it needs (`window_start, source, cluster, src_namespace, src_workload, src_ip,
 * dst_namespace, dst_workload, dst_ip, dst_port, protocol, label, drift_kind, flow_count, last_seen`): one row per
 * hour and key (a side's address only when its workload is not known), upserted in key order so that concurrent
 * writers lock the rows they share in the same order (no deadlock between two batches).
 */
export function connectionHoursUpsert(sql: Sql, cte: string): Fragment {
  return sql`
    insert into connection_hours as c (hour, source, cluster, src_namespace, src_workload, src_ip, dst_namespace, dst_workload,
      dst_ip, dst_port, protocol, label, drift_kind, flows, records, last_seen)
    select date_trunc('hour', window_start, 'UTC'), source, cluster, src_namespace, src_workload,
      case when src_workload is null then src_ip end, dst_namespace, dst_workload, case when dst_workload is null then dst_ip end,
      dst_port, protocol, label, drift_kind, sum(flow_count), count(*), max(last_seen)
    from ${sql(cte)}
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13
    order by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13
    on conflict (hour, source, cluster, src_namespace, src_workload, src_ip, dst_namespace, dst_workload, dst_ip, dst_port, protocol, label, drift_kind)
    do update set flows = c.flows + excluded.flows, records = c.records + excluded.records, last_seen = greatest(c.last_seen, excluded.last_seen)`;
}

/** The columns of `flow_records` that {@link connectionHoursUpsert} reads, for a `returning` clause. */
export function connectionHoursReturning(sql: Sql): Fragment {
  return sql`window_start, source, cluster, src_namespace, src_workload, src_ip, dst_namespace, dst_workload, dst_ip, dst_port, protocol,
    label, drift_kind, flow_count, last_seen`;
}
