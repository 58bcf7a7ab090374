import { silentLogger, type Logger } from '@driftwatch/common';
import { HOUR_MS } from '../flows/connection-hours.sql.js';
import { connectSql, textArray, type Sql } from '../flows/sql-client.js';

/** How long flows and evidence are kept, in days (FLOW_RETENTION_DAYS, EVIDENCE_RETENTION_DAYS). */
export interface RetentionPolicy {
  readonly flowDays: number;
  readonly evidenceDays: number;
}

/**
 * The time-partitioned tables retention applies to, with their partition key. Alerts and the audit log are kept.
 * `rollup`: the table's hourly rollup (`connection_hours`, keyed by `hour`), which loses what the table loses: the
 * hours of a dropped partition (in the drop's transaction), and rows of the default partition by whole hours.
 * `identities`: the table its records point at by id (`endpoint_identities`), pruned of the rows no record kept
 * can point at (see {@link pruneIdentities}).
 */
const TABLES = [
  { table: 'flow_records', column: 'window_start', days: (p: RetentionPolicy) => p.flowDays, setting: 'FLOW_RETENTION_DAYS', rollup: 'connection_hours', identities: 'endpoint_identities' },
  { table: 'evidence_flows', column: 'observed_at', days: (p: RetentionPolicy) => p.evidenceDays, setting: 'EVIDENCE_RETENTION_DAYS', rollup: undefined, identities: undefined },
] as const;

/** Rows deleted from a default partition per statement, so no statement holds many row locks or runs long. */
const DELETE_BATCH = 5000;
const DAY_MS = 86_400_000;
/**
 * How long before the oldest record kept an identity must have been last seen to be pruned: its `last_seen` is at
 * most two hours behind the latest record pointing at it (twice IDENTITY_REFRESH_MS); the rest is room to spare.
 */
const IDENTITY_MARGIN_MS = DAY_MS;

/** Knobs of one pass; the defaults are what `serve` uses. */
export interface RetentionPassOptions {
  /** One line per drop (log), partitions put off (warn). */
  readonly logger?: Logger;
  /** The time the cutoffs are counted back from (default: now). */
  readonly now?: Date;
  /** How long a drop waits for its lock before it is put off to the next pass (default 5,000 ms). */
  readonly lockTimeoutMs?: number;
}

/** What one pass did. */
export interface RetentionOutcome {
  /** Partitions dropped, oldest first: every row in them was older than the table's cutoff. */
  readonly dropped: readonly { readonly table: string; readonly partition: string; readonly upTo: Date }[];
  /**
   * Rows older than the cutoff deleted from each table's default partition (only tables where some were), rows of
   * `connection_hours` deleted for hours whose records were deleted there (`partition: 'connection_hours'`), and
   * endpoint identities no record kept can point at (`partition: 'endpoint_identities'`).
   */
  readonly deleted: readonly { readonly table: string; readonly partition: string; readonly rows: number }[];
  /** Partitions that could not be dropped now (locked by a writer for 5 s, or taken by another process's pass). */
  readonly deferred: readonly string[];
}

/**
 * Drops what is older than the retention of each time-partitioned table: every daily partition whose upper
 * bound is at or before `now - days` (so only partitions wholly older than the cutoff; bounds are read from the
 * catalog, not from names), oldest first, each in a transaction of its own that waits at most 5 s for its lock
 * (a partition a writer holds is retried at the next pass, never waited on). The default partition is never
 * dropped; rows that landed there (late or replayed flows, a day without a partition) and are older than the
 * cutoff are deleted in batches (for `flow_records`, by whole UTC hours: those of hours that end at or before the
 * cutoff). Several processes may run passes at once: a transaction-scoped advisory lock lets one drop at a time,
 * and a partition another process dropped is skipped. Logs one line per drop.
 *
 * The hourly rollup of `flow_records` (`connection_hours`) keeps exactly the hours whose records are kept: a
 * dropped partition's hours go in the drop's transaction, and the hours deleted from the default partition after
 * its rows (an hour's records are all in one partition: the daily partitions are whole UTC days). Hours of a
 * partition that stays (put off, or holding the cutoff) stay, with their records. Then endpoint identities that no
 * record kept can point at are deleted ({@link pruneIdentities}).
 */
export async function applyRetention(sql: Sql, policy: RetentionPolicy, options: RetentionPassOptions = {}): Promise<RetentionOutcome> {
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? new Date();
  const lockTimeoutMs = options.lockTimeoutMs ?? 5000;
  const dropped: { table: string; partition: string; upTo: Date }[] = [];
  const deleted: { table: string; partition: string; rows: number }[] = [];
  const deferred: string[] = [];
  for (const spec of TABLES) {
    const days = spec.days(policy);
    const exact = new Date(now.getTime() - days * DAY_MS);
    // with a rollup, the default partition loses whole hours only (so the rollup can lose the same)
    const cutoff = spec.rollup ? new Date(Math.floor(exact.getTime() / HOUR_MS) * HOUR_MS) : exact;
    const partitions = await sql<{ name: string; lower: Date | null; upper: Date | null; is_default: boolean }[]>`
      select c.relname as name,
             pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT' as is_default,
             (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\)'))[1]::timestamptz as lower,
             (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1]::timestamptz as upper
      from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = ${spec.table}::regclass
      order by 4 nulls last`;
    const gone = new Set<string>();
    for (const partition of partitions) {
      if (partition.is_default || partition.upper === null || partition.upper.getTime() > exact.getTime()) continue;
      const { lower, upper } = partition;
      const alongside = spec.rollup && lower
        ? (tx: Sql) => tx`delete from ${tx(spec.rollup)} where hour >= ${lower} and hour < ${upper}`.then(() => undefined)
        : undefined;
      const outcome = await dropPartition(sql, partition.name, lockTimeoutMs, alongside);
      if (outcome !== 'deferred') gone.add(partition.name);
      if (outcome === 'dropped') {
        dropped.push({ table: spec.table, partition: partition.name, upTo: partition.upper });
        logger.log(`retention: dropped ${partition.name} (rows before ${partition.upper.toISOString()}; ${spec.setting}=${days})`);
      } else if (outcome === 'deferred') {
        deferred.push(partition.name);
        logger.warn(`retention: ${partition.name} is in use; dropping it at the next pass`);
      }
    }
    for (const partition of partitions.filter((p) => p.is_default)) {
      let rows = 0;
      for (;;) {
        const result = await sql`
          with doomed as (select ctid from ${sql(partition.name)} where ${sql(spec.column)} < ${cutoff} limit ${DELETE_BATCH})
          delete from ${sql(partition.name)} d using doomed where d.ctid = doomed.ctid`;
        rows += result.count;
        if (result.count < DELETE_BATCH) break;
      }
      if (rows > 0) {
        deleted.push({ table: spec.table, partition: partition.name, rows });
        logger.log(`retention: deleted ${rows} row(s) before ${cutoff.toISOString()} from ${partition.name} (${spec.setting}=${days})`);
      }
    }
    if (spec.rollup) {
      // hours before the cutoff outside every daily partition still there: their records were in the default
      // partition (deleted above) or in a partition dropped by now (its hours went with it)
      const kept = partitions.filter((p) => !p.is_default && !gone.has(p.name) && p.lower && p.upper && p.lower.getTime() < cutoff.getTime());
      const lowers = kept.map((p) => (p.lower as Date).toISOString());
      const uppers = kept.map((p) => (p.upper as Date).toISOString());
      let rows = 0;
      for (;;) {
        const result = await sql`
          with doomed as (
            select ctid from ${sql(spec.rollup)} h
            where h.hour < ${cutoff}
              and not exists (select 1 from unnest(${textArray(sql, lowers)}::timestamptz[], ${textArray(sql, uppers)}::timestamptz[]) as p(lo, hi) where h.hour >= p.lo and h.hour < p.hi)
            limit ${DELETE_BATCH})
          delete from ${sql(spec.rollup)} d using doomed where d.ctid = doomed.ctid`;
        rows += result.count;
        if (result.count < DELETE_BATCH) break;
      }
      if (rows > 0) {
        deleted.push({ table: spec.rollup, partition: spec.rollup, rows });
        logger.log(`retention: deleted ${rows} row(s) before ${cutoff.toISOString()} from ${spec.rollup}, the hours of deleted ${spec.table} (${spec.setting}=${days})`);
      }
    }
    if (spec.identities) {
      // the oldest record kept is no older than the default partition's cutoff or the lower bound of the oldest
      // partition still there (the one that holds the cutoff, or one put off); a partition whose bounds the
      // catalog does not give in days (no lower bound) keeps every identity
      let oldest = cutoff.getTime();
      for (const p of partitions) if (!p.is_default && !gone.has(p.name)) oldest = Math.min(oldest, p.lower?.getTime() ?? -Infinity);
      if (Number.isFinite(oldest)) {
        const before = new Date(oldest - IDENTITY_MARGIN_MS);
        const rows = await pruneIdentities(sql, spec.identities, before);
        if (rows > 0) {
          deleted.push({ table: spec.identities, partition: spec.identities, rows });
          logger.log(`retention: deleted ${rows} row(s) last seen before ${before.toISOString()} from ${spec.identities}, a day before every ${spec.table} kept (${spec.setting}=${days})`);
        }
      }
    }
  }
  return { dropped, deleted, deferred };
}

/**
 * Deletes the endpoint identities last seen before `before`, in batches. A record points at its identities by id
 * (no foreign key) and the writer moves an identity's `last_seen` forward to within two hours of the latest record
 * written to point at it (the collector queues it again every hour of flow time), so an identity last seen a day
 * before the oldest record kept has no record kept that points at it. An identity whose `last_seen` a writer moves
 * forward while it is being deleted is kept (the condition is checked again on the row the writer left).
 */
async function pruneIdentities(sql: Sql, table: string, before: Date): Promise<number> {
  let rows = 0;
  for (;;) {
    const result = await sql`
      with doomed as (select id from ${sql(table)} where last_seen < ${before} limit ${DELETE_BATCH})
      delete from ${sql(table)} d using doomed where d.id = doomed.id and d.last_seen < ${before}`;
    rows += result.count;
    if (result.count < DELETE_BATCH) return rows;
  }
}

/**
 * Drops one partition in a transaction of its own, with `alongside` (what goes with it) in the same transaction:
 * `gone` when another process dropped it first.
 */
async function dropPartition(sql: Sql, name: string, lockTimeoutMs: number, alongside?: (tx: Sql) => Promise<void>): Promise<'dropped' | 'deferred' | 'gone'> {
  try {
    return await sql.begin(async (tx) => {
      await tx`select set_config('lock_timeout', ${`${lockTimeoutMs}ms`}, true)`;
      const [lock] = await tx<{ locked: boolean }[]>`select pg_try_advisory_xact_lock(hashtext('driftwatch.retention')) as locked`;
      if (!lock?.locked) return 'deferred' as const;
      const [exists] = await tx<{ oid: string | null }[]>`select to_regclass(${name})::text as oid`;
      if (!exists?.oid) return 'gone' as const;
      await tx`drop table ${tx(name)}`;
      await alongside?.(tx as unknown as Sql);
      return 'dropped' as const;
    });
  } catch (error) {
    if ((error as { code?: string }).code === '55P03') return 'deferred'; // lock_not_available
    throw error;
  }
}

export interface RetentionJobOptions {
  readonly databaseUrl: string;
  readonly policy: RetentionPolicy;
  readonly logger?: Logger;
  /** Time between passes (default one hour); the first pass runs at start. */
  readonly intervalMs?: number;
}

/**
 * Runs {@link applyRetention} at start and then every hour (on a pool of its own, one connection), until
 * `stop`. A pass that fails (the database away) is logged and tried again at the next one.
 */
export class RetentionJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  private constructor(
    private readonly sql: Sql,
    private readonly options: RetentionJobOptions,
  ) {}

  static start(options: RetentionJobOptions): RetentionJob {
    const job = new RetentionJob(connectSql(options.databaseUrl, 1), options);
    job.pass();
    job.timer = setInterval(() => job.pass(), options.intervalMs ?? 3_600_000);
    job.timer.unref();
    return job;
  }

  /** The pass in progress, if any (tests await it). */
  get current(): Promise<void> | undefined {
    return this.running;
  }

  private pass(): void {
    if (this.running || this.stopped) return;
    const logger = this.options.logger ?? silentLogger;
    this.running = applyRetention(this.sql, this.options.policy, { logger })
      .then(
        () => undefined,
        (error: Error) => logger.warn(`retention: pass failed, trying again at the next pass: ${error.message}`),
      )
      .finally(() => {
        this.running = undefined;
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await this.sql.end({ timeout: 5 });
  }
}
