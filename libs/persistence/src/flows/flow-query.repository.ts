import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { type FlowEvidence, type FlowRecord, type FlowRecordPosition } from '@driftwatch/contracts';
import { scopeCondition, type NamespaceScope } from '../alerts/alert.types.js';
import {
  afterPosition, allOf, drivingConditions, filterConditions, microsToIso, namespaceSides, type FlowRecordFilter, type Fragment,
} from './flow-filter.sql.js';
import { RECORD_VALUES, toFlowRecord } from './flow-record-values.js';
import { COPIED_RECORD_COLUMNS, copiedRecordBatches, type CopiedRecordBatch } from './flow-record-copy.js';
import { inlineSql } from './sql-literal.js';
import type { Sql } from './sql-client.js';

/** Marks the export statement, so that it can be told apart in `pg_stat_activity` (see `runningExports`). */
export const FLOW_EXPORT_MARK = '/* driftwatch:flows-export */';

const NEWEST_FIRST = 'order by r.window_start desc, r.id desc';

type Row = Record<string, unknown>;

const recordOf = (r: Row): FlowRecord => toFlowRecord(r['v'] as string);

/** Options of an export. */
export interface FlowExportOptions {
  /** Stop after this many records. */
  readonly max?: number | undefined;
  /** Records per batch (default 1000): about what the export holds in memory at once. */
  readonly batchSize?: number | undefined;
}

/** The evidence kept for a record: at most this many rows are returned. */
const EVIDENCE_LIMIT = 100;

/**
 * Reads `flow_records` and their evidence for the API, always within a namespace scope, applied in SQL (before
 * any limit). Newest first by (window_start desc, id desc): the primary key's order, so keyset pages are stable
 * while rows are inserted.
 */
export class FlowQueryRepository {
  /** `exportSql`: the pool exports run on (each holds a connection while it streams); default `sql`. */
  constructor(
    private readonly sql: Sql,
    private readonly exportSql: Sql = sql,
  ) {}

  /** One page after `after` (a previous page's last record); `nextCursor` is the id of the page's last record when more follow. */
  async page(filter: FlowRecordFilter, scope: NamespaceScope, after: FlowRecordPosition | undefined, limit: number): Promise<{ records: FlowRecord[]; nextCursor: string | null }> {
    const rows = await this.select(filter, scope, after, limit + 1);
    const records = rows.slice(0, limit).map(recordOf);
    return { records, nextCursor: rows.length > limit ? (records[records.length - 1]?.id ?? null) : null };
  }

  /**
   * Every record the filter matches, newest first, in batches, read through `COPY (SELECT …) TO STDOUT` on a
   * connection of the export pool held for the export: PostgreSQL writes plain column text at its own pace (a
   * quarter of the work of building JSON per row in SQL), the consumer makes records or their JSON of each batch, and the next bytes are read
   * only when the consumer asks for the next batch, so memory holds about one batch and a slow consumer slows the
   * database down (TCP backpressure). COPY takes no parameters: the filter's values are written as literals
   * ({@link inlineSql}). Ending the iteration early (`break`, `return`, an error) cancels the statement
   * (`pg_cancel_backend`) and reads what was already on its way until PostgreSQL stops (a backend blocked on a full
   * socket does not act on a cancel), so the connection goes back to the pool clean.
   */
  async *export(filter: FlowRecordFilter, scope: NamespaceScope, options: FlowExportOptions = {}): AsyncGenerator<CopiedRecordBatch> {
    const conn = await this.exportSql.reserve();
    let stream: Readable | undefined;
    try {
      // the times are parsed as UTC ISO text; the pid is what a cancel names
      const [session] = await conn<{ pid: number }[]>`
        select pg_backend_pid() as pid, set_config('TimeZone', 'UTC', false), set_config('DateStyle', 'ISO, YMD', false)`;
      const where = allOf(conn, filterConditions(conn, filter, scope));
      const sides = namespaceSides(conn, filter.namespace);
      const namespace = sides ? conn`(${sides[0]} or ${sides[1]})` : conn`true`;
      const limit = options.max === undefined ? conn`` : conn`limit ${options.max}`;
      const select = conn`select ${conn.unsafe(COPIED_RECORD_COLUMNS)} from flow_records r
        where ${where} and ${namespace} ${conn.unsafe(NEWEST_FIRST)} ${limit}`;
      stream = await conn.unsafe(`${FLOW_EXPORT_MARK} copy (${inlineSql(select)}) to stdout`).readable();
      let complete = false;
      try {
        yield* copiedRecordBatches(stream, options.batchSize ?? 1000);
        complete = true;
      } finally {
        if (!complete) await this.abandon(session?.pid, stream);
      }
    } finally {
      // postgres.js (3.4) pauses the socket when the stream's buffer is full and resumes it only when the stream is
      // read again: when the buffer filled on the last rows, the socket stays paused after the COPY ends and the
      // connection's next statement never hears its answer (porsager/postgres#499, fix proposed in #1016). The
      // stream's _read is what resumes the socket. The statement after it completes only after the COPY's own
      // ReadyForQuery, so the connection is idle when it goes back to the pool.
      stream?._read(0);
      await conn`select 1`.catch(() => undefined);
      conn.release();
    }
  }

  /** Cancels the export statement of backend `pid` and reads its stream to the end (or the cancel's error). */
  private async abandon(pid: number | undefined, stream: Readable): Promise<void> {
    if (stream.destroyed || stream.readableEnded) return;
    const ended = finished(stream).catch(() => undefined);
    if (pid !== undefined) await this.sql`select pg_cancel_backend(${pid})`.catch(() => undefined);
    stream.on('error', () => undefined);
    stream.resume();
    await ended;
  }

  /** Backends of this database running an export statement now (for metrics, and to prove exports stop). */
  async runningExports(): Promise<number> {
    const [row] = await this.sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'
        and starts_with(query, ${FLOW_EXPORT_MARK})`;
    return row?.n ?? 0;
  }

  /** The record at `position`, or undefined when there is none in the scope. */
  async record(position: FlowRecordPosition, scope: NamespaceScope): Promise<FlowRecord | undefined> {
    const row = await this.recordRow(position, scope);
    return row ? recordOf(row) : undefined;
  }

  /**
   * A record and the raw flows kept as its evidence, or undefined when there is no such record in the scope.
   * Evidence rows carry no record id: they belong to a record when observed in its window with the same source
   * kind, direction, label, drift kind, policy revision and both sides' namespace and workload, and, when the
   * engine decided (`explanation.decision`), the same destination port and protocol. Records that differ only in
   * an IP address, the observed verdict or the drop reason share their evidence.
   */
  async evidence(position: FlowRecordPosition, scope: NamespaceScope): Promise<{ record: FlowRecord; evidence: FlowEvidence[] } | undefined> {
    const row = await this.recordRow(position, scope);
    if (!row) return undefined;
    const record = recordOf(row);
    if (record.label !== 'denied' && record.label !== 'unexpected') return { record, evidence: [] };
    const sql = this.sql;
    const same = (column: string, value: unknown) => (value === null ? sql`${sql(column)} is null` : sql`${sql(column)} = ${value as string}`);
    const rows = await sql<Row[]>`
      select e.id::text as id, e.flow_id, e.observed_at, e.source, e.direction, e.label::text as label, e.drift_kind::text as drift_kind,
        e.policy_revision_id, e.explanation, e.body
      from evidence_flows e
      where e.observed_at >= ${microsToIso(position.windowStartMicros)}::timestamptz and e.observed_at < ${record.windowEnd}::timestamptz
        and e.source = ${record.source} and e.direction = ${record.direction} and e.label = ${record.label}::flow_label
        and ${record.driftKind === null ? sql`e.drift_kind is null` : sql`e.drift_kind = ${record.driftKind}::drift_kind`}
        and ${same('policy_revision_id', record.policyRevisionId)}
        and ${same('src_namespace', record.srcNamespace)} and ${same('src_workload', record.srcWorkload)}
        and ${same('dst_namespace', record.dstNamespace)} and ${same('dst_workload', record.dstWorkload)}
        and (e.explanation -> 'decision' is null
             or (e.explanation -> 'decision' -> 'port' = to_jsonb(${record.dstPort ?? 0}::int)
                 and e.explanation -> 'decision' ->> 'protocol' = ${record.protocol}))
      order by e.observed_at, e.id limit ${EVIDENCE_LIMIT}`;
    return { record, evidence: rows.map(toEvidence) };
  }

  private async recordRow(position: FlowRecordPosition, scope: NamespaceScope): Promise<Row | undefined> {
    const sql = this.sql;
    const [row] = await sql<Row[]>`
      select ${sql.unsafe(RECORD_VALUES)} from flow_records r
      where r.window_start = ${microsToIso(position.windowStartMicros)}::timestamptz and r.id = ${position.id}::int8
        and ${scopeCondition(sql, scope, 'r')}`;
    return row;
  }

  private async select(filter: FlowRecordFilter, scope: NamespaceScope, after: FlowRecordPosition | undefined, limit: number): Promise<Row[]> {
    const sql = this.sql;
    const drivers = drivingConditions(sql, filter.namespace, scope);
    const where: Fragment = allOf(sql, [...filterConditions(sql, filter, drivers?.coverScope ? '*' : scope), afterPosition(sql, after)]);
    if (drivers === undefined) {
      return sql<Row[]>`select ${sql.unsafe(RECORD_VALUES)} from flow_records r where ${where} ${sql.unsafe(NEWEST_FIRST)} limit ${limit}`;
    }
    if (drivers.conditions.length === 0) return [];
    // One ordered index scan per driving condition, each stopping after `limit` rows, merged: a busy namespace over a
    // long range costs a page, not every row it has.
    const parts = drivers.conditions.map(
      (driver) => sql`(select r.* from flow_records r where ${where} and ${driver} ${sql.unsafe(NEWEST_FIRST)} limit ${limit})`,
    );
    const union = parts.slice(1).reduce((acc, part) => sql`${acc} union all ${part}`, parts[0] as Fragment);
    return sql<Row[]>`select ${sql.unsafe(RECORD_VALUES)} from (${union}) r ${sql.unsafe(NEWEST_FIRST)} limit ${limit}`;
  }
}

interface StoredExplanation {
  readonly text?: unknown;
  readonly decision?: unknown;
  readonly issues?: unknown;
}

function toEvidence(r: Row): FlowEvidence {
  const explanation = (r['explanation'] ?? {}) as StoredExplanation;
  return {
    id: r['id'] as string,
    flowId: r['flow_id'] as string,
    observedAt: (r['observed_at'] as Date).toISOString(),
    source: r['source'] as string,
    direction: r['direction'] as string,
    label: r['label'] as FlowEvidence['label'],
    driftKind: r['drift_kind'] as FlowEvidence['driftKind'],
    policyRevisionId: r['policy_revision_id'] as number | null,
    decision: explanation.decision ?? null,
    explanation: typeof explanation.text === 'string' ? explanation.text : '',
    issues: Array.isArray(explanation.issues) ? explanation.issues.filter((i): i is string => typeof i === 'string') : [],
    body: r['body'],
  };
}
