import { connectSql } from './sql-client.js';

/** The shape of a synthetic data set (see {@link insertSyntheticFlowRecords}). */
export interface SyntheticFlowRecordOptions {
  /** Records to insert. */
  readonly count: number;
  /** Window starts are spread evenly over [from, to), in 10 s windows, oldest first (the writer's order). */
  readonly from: Date;
  readonly to: Date;
  /** Namespaces `<prefix>-000` … (default 200 and `ns`). */
  readonly namespaces?: number;
  readonly namespacePrefix?: string;
  /** Varies the pseudo-random choices (default 1); the same options and seed give the same rows. */
  readonly seed?: number;
}

/**
 * For tests and benchmarks only: inserts `count` realistic flow records generated inside PostgreSQL (one
 * `INSERT … SELECT generate_series`, so a million rows take seconds, not a minute of client round trips), after
 * creating the daily partitions of the range. Per record: a source workload (`wl-0`…`wl-4`) in one of the
 * namespaces; the destination in the same namespace (60%), another one (37%) or an external address (3%); a port
 * among 53 (UDP), 80, 443, 5432, 6379, 8080, 9090; labels 85% allowed, 8% unlabeled replies, 4% denied and 3%
 * unexpected (half `unenforced-deny`, half `unexpected-drop`), with the matching observed verdict; 1 to 20 flows.
 * Analyzes the table afterwards (as autovacuum would, later). Returns the number of rows inserted.
 */
export async function insertSyntheticFlowRecords(url: string, options: SyntheticFlowRecordOptions): Promise<number> {
  const sql = connectSql(url, 1);
  const namespaces = options.namespaces ?? 200;
  const prefix = options.namespacePrefix ?? 'ns';
  const seed = options.seed ?? 1;
  const spanSeconds = (options.to.getTime() - options.from.getTime()) / 1000;
  try {
    await sql`select driftwatch_ensure_partitions('flow_records', (${options.from.toISOString()}::timestamptz at time zone 'UTC')::date,
      ((${options.to.toISOString()}::timestamptz at time zone 'UTC')::date - (${options.from.toISOString()}::timestamptz at time zone 'UTC')::date) + 1)`;
    const result = await sql`
      insert into flow_records (window_start, window_end, source, cluster, src_namespace, src_workload, src_ip, dst_namespace,
        dst_workload, dst_ip, dst_port, protocol, direction, observed, drop_reason, event, label, drift_kind, policy_revision_id,
        flow_count, first_seen, last_seen, sample_flow_id, issues)
      select ws, ws + interval '10 seconds', 'hubble', '', src_ns, 'wl-' || (h3 % 5), null,
        case when ext then null else dst_ns end, case when ext then null else 'wl-' || (h4 % 5) end,
        case when ext then ('203.0.113.' || (h4 % 250 + 1))::inet end,
        port, case when port = 53 then 'UDP' else 'TCP' end, case when i % 2 = 0 then 'egress' else 'ingress' end,
        case when lbl = 'denied' or kind = 'unexpected-drop' then 'dropped' else 'forwarded' end,
        case when lbl = 'denied' or kind = 'unexpected-drop' then 'POLICY_DENIED' end,
        case when lbl is null then 'reply' else 'connection' end,
        lbl::flow_label, kind::drift_kind, 1, 1 + h5 % 20, ws + (h5 % 10) * interval '1 second', ws + (h5 % 10) * interval '1 second',
        'syn-' || ${seed}::int || '-' || i, '{}'::text[]
      from (
        select i, ws, h3, h4, h5, src_ns, port, ext,
          case when r < 60 then src_ns else ${prefix}::text || '-' || lpad((h2 % ${namespaces}::int)::text, 3, '0') end as dst_ns,
          case when r2 < 85 then 'allowed' when r2 < 93 then null when r2 < 97 then 'denied' else 'unexpected' end as lbl,
          case when r2 >= 97 then case when r2 % 2 = 0 then 'unenforced-deny' else 'unexpected-drop' end end as kind
        from (
          select i,
            ${options.from.toISOString()}::timestamptz
              + floor(((i - 1) * ${spanSeconds}::float8 / ${options.count}::int) / 10) * interval '10 seconds' as ws,
            ${prefix}::text || '-' || lpad(((hashint8extended(i, ${seed}::int8 * 10 + 1) & 9223372036854775807) % ${namespaces}::int)::text, 3, '0') as src_ns,
            (hashint8extended(i, ${seed}::int8 * 10 + 2) & 9223372036854775807) as h2,
            (hashint8extended(i, ${seed}::int8 * 10 + 3) & 9223372036854775807) as h3,
            (hashint8extended(i, ${seed}::int8 * 10 + 4) & 9223372036854775807) as h4,
            (hashint8extended(i, ${seed}::int8 * 10 + 5) & 9223372036854775807) as h5,
            (hashint8extended(i, ${seed}::int8 * 10 + 6) & 9223372036854775807) % 100 as r,
            (hashint8extended(i, ${seed}::int8 * 10 + 7) & 9223372036854775807) % 100 as r2,
            (hashint8extended(i, ${seed}::int8 * 10 + 8) & 9223372036854775807) % 100 < 3 as ext,
            (array[53, 80, 443, 5432, 6379, 8080, 9090])[1 + (hashint8extended(i, ${seed}::int8 * 10 + 9) & 9223372036854775807) % 7] as port
          from generate_series(1, ${options.count}::int) as i
        ) g
      ) s`;
    await sql`analyze flow_records`;
    return result.count;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
