import { connectionHoursReturning, connectionHoursUpsert } from './connection-hours.sql.js';
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
 * namespaces and one of that workload's 4 peers (so a cluster of `n` namespaces has about 20·n edges), each on one
 * port among 53 (UDP), 80, 443, 5432, 6379, 8080, 9090: a workload of the same namespace (60% of peers), of another
 * one (37%) or an external address (3%); labels 85% allowed, 8% unlabeled replies, 4% denied and 3%
 * unexpected (half `unenforced-deny`, half `unexpected-drop`), with the matching observed verdict; 1 to 20 flows.
 * The same statement adds the records to the hourly rollup `connection_hours`, as the writer does. Analyzes both
 * tables afterwards (as autovacuum would, later). Returns the number of rows inserted.
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
    // h(i, k): the k-th pseudo-random non-negative int8 of row i (or of a peer); the same seed gives the same rows
    const [inserted] = await sql<{ n: string }[]>`
      with ins as (insert into flow_records (window_start, window_end, source, cluster, src_namespace, src_workload, src_ip, dst_namespace,
        dst_workload, dst_ip, dst_port, protocol, direction, observed, drop_reason, event, label, drift_kind, policy_revision_id,
        flow_count, first_seen, last_seen, sample_flow_id, issues)
      select ws, ws + interval '10 seconds', 'hubble', '', ${prefix}::text || '-' || lpad(src::text, 3, '0'), 'wl-' || wl, null,
        case when ext then null else ${prefix}::text || '-' || lpad(dst::text, 3, '0') end, case when ext then null else 'wl-' || ((peer >> 8) % 5) end,
        case when ext then ('203.0.113.' || ((peer >> 8) % 250 + 1))::inet end,
        port, case when port = 53 then 'UDP' else 'TCP' end, case when i % 2 = 0 then 'egress' else 'ingress' end,
        case when lbl = 'denied' or kind = 'unexpected-drop' then 'dropped' else 'forwarded' end,
        case when lbl = 'denied' or kind = 'unexpected-drop' then 'POLICY_DENIED' end,
        case when lbl is null then 'reply' else 'connection' end,
        lbl::flow_label, kind::drift_kind, 1, 1 + h5 % 20, ws + (h5 % 10) * interval '1 second', ws + (h5 % 10) * interval '1 second',
        'syn-' || ${seed}::int || '-' || i, '{}'::text[]
      from (
        select i, ws, src, wl, peer, h5, r2,
          peer % 100 < 3 as ext,
          case when peer % 100 < 63 then src else (peer >> 16) % ${namespaces}::int end as dst,
          (array[53, 80, 443, 5432, 6379, 8080, 9090])[1 + (peer >> 24) % 7] as port,
          case when r2 < 85 then 'allowed' when r2 < 93 then null when r2 < 97 then 'denied' else 'unexpected' end as lbl,
          case when r2 >= 97 then case when r2 % 2 = 0 then 'unenforced-deny' else 'unexpected-drop' end end as kind
        from (
          select i, ws, src, wl, h5, r2,
            -- each workload talks to 4 peers (a workload, or an address outside), each on one port
            hashint8extended((src * 5 + wl) * 4 + k, ${seed}::int8) & 9223372036854775807 as peer
          from (
            select i,
              ${options.from.toISOString()}::timestamptz
                + floor(((i - 1) * ${spanSeconds}::float8 / ${options.count}::int) / 10) * interval '10 seconds' as ws,
              (hashint8extended(i, ${seed}::int8 * 10 + 1) & 9223372036854775807) % ${namespaces}::int as src,
              (hashint8extended(i, ${seed}::int8 * 10 + 3) & 9223372036854775807) % 5 as wl,
              (hashint8extended(i, ${seed}::int8 * 10 + 4) & 9223372036854775807) % 4 as k,
              hashint8extended(i, ${seed}::int8 * 10 + 5) & 9223372036854775807 as h5,
              (hashint8extended(i, ${seed}::int8 * 10 + 7) & 9223372036854775807) % 100 as r2
            from generate_series(1, ${options.count}::int) as i
          ) g
        ) p
      ) s
      returning ${connectionHoursReturning(sql)}),
      rolled as (${connectionHoursUpsert(sql, 'ins')})
      select count(*)::text as n from ins`;
    await sql`analyze flow_records`;
    await sql`analyze connection_hours`;
    return Number(inserted?.n ?? 0);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
