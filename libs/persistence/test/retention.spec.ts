import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyMigrations, applyRetention, dropDatabase, ensureDatabase, withDatabase } from '../src/index.js';
import { connectionHoursReturning, connectionHoursUpsert } from '../src/flows/connection-hours.sql.js';
import { EndpointIdentityRepository } from '../src/flows/endpoint-identity.repository.js';
import { connectSql, type Sql } from '../src/flows/sql-client.js';
import { connectionHoursDrift } from './connection-hours-check.js';

/**
 * Retention on real daily partitions, in a database of its own (the pass deletes old rows of the default
 * partition, which other tests of the run's database write to).
 */
const serverUrl = inject('serverUrl');
const name = `driftwatch_retention_${randomBytes(4).toString('hex')}`;
let sql: Sql;

beforeAll(async () => {
  await ensureDatabase(serverUrl, name);
  await applyMigrations(withDatabase(serverUrl, name));
  sql = connectSql(withDatabase(serverUrl, name), 3);
}, 60_000);
afterAll(async () => {
  await sql.end({ timeout: 5 });
  await dropDatabase(serverUrl, name);
});

async function partitions(table: string): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = ${table}::regclass order by 1`;
  return rows.map((r) => r.name);
}

/** Records at these times, with their hourly rollup (as the writer adds it). */
async function insertFlows(times: readonly string[]): Promise<void> {
  await sql`
    with ins as (
      insert into flow_records (direction, observed, event, protocol, source, label, first_seen, last_seen, window_start, window_end, flow_count)
      select 'egress', 'forwarded', 'connection', 'TCP', 'hubble', 'allowed', t, t, t, t, 1 from unnest(${sql.array([...times])}::timestamptz[]) as t
      returning ${connectionHoursReturning(sql)})
    ${connectionHoursUpsert(sql, 'ins')}`;
}

/** The hours of the rollup (ISO), oldest first, with the records summed in each. */
async function rollupHours(): Promise<Record<string, number>> {
  const rows = await sql<{ hour: Date; records: number }[]>`select hour, sum(records)::int as records from connection_hours group by 1 order by 1`;
  return Object.fromEntries(rows.map((r) => [r.hour.toISOString(), r.records]));
}

async function insertEvidence(times: readonly string[]): Promise<void> {
  await sql`
    insert into evidence_flows (observed_at, flow_id, source, direction, label, body, explanation)
    select t, 'f', 'hubble', 'egress', 'denied', '{}'::jsonb, '{}'::jsonb from unnest(${sql.array([...times])}::timestamptz[]) as t`;
}

async function rowsPerPartition(table: 'flow_records' | 'evidence_flows'): Promise<Record<string, number>> {
  const rows = await sql<{ part: string; n: number }[]>`
    select tableoid::regclass::text as part, count(*)::int as n from ${sql(table)} group by 1 order by 1`;
  return Object.fromEntries(rows.map((r) => [r.part, r.n]));
}

describe('retention by daily partitions', () => {
  it('drops only partitions wholly older than the cutoff, never the default one, and deletes old rows that landed in it', async () => {
    await sql`select driftwatch_ensure_partitions('flow_records', '2001-01-01', 6), driftwatch_ensure_partitions('evidence_flows', '2001-01-01', 6)`;
    // 2000-12-20 has no partition: those rows land in the default partition (12,000 of them: more than one delete batch).
    // 2001-01-04T05:00 is older than the cutoff below, in a partition that stays: it stays, and so does its hour.
    await insertFlows(['2001-01-01T10:00:00Z', '2001-01-03T23:59:59Z', '2001-01-04T05:00:00Z', '2001-01-04T12:00:00Z', '2001-01-05T00:00:00Z', ...Array(12_000).fill('2000-12-20T00:00:00Z'), '2030-06-01T00:00:00Z']);
    await insertEvidence(['2001-01-01T10:00:00Z', '2001-01-02T10:00:00Z', '2000-12-31T00:00:00Z']);
    expect(await rowsPerPartition('flow_records')).toMatchObject({ flow_records_default: 12_001, flow_records_p20010101: 1, flow_records_p20010103: 1, flow_records_p20010104: 2, flow_records_p20010105: 1 });
    expect(await rollupHours()).toEqual({
      '2000-12-20T00:00:00.000Z': 12_000, '2001-01-01T10:00:00.000Z': 1, '2001-01-03T23:00:00.000Z': 1, '2001-01-04T05:00:00.000Z': 1,
      '2001-01-04T12:00:00.000Z': 1, '2001-01-05T00:00:00.000Z': 1, '2030-06-01T00:00:00.000Z': 1,
    });

    const lines: string[] = [];
    const logger = { log: (l: string) => lines.push(l), warn: (l: string) => lines.push(`WARN ${l}`), error: (l: string) => lines.push(`ERROR ${l}`), debug: () => undefined };
    // Flows: cutoff 2001-01-04T06:00 (4 days before now): the partitions of Jan 1 to 3 end by then; Jan 4 is only partly older.
    // Evidence: cutoff 2001-01-02T06:00 (6 days): only Jan 1.
    const outcome = await applyRetention(sql, { flowDays: 4, evidenceDays: 6 }, { logger, now: new Date('2001-01-08T06:00:00Z') });

    expect(outcome.dropped.map((d) => d.partition)).toEqual(['flow_records_p20010101', 'flow_records_p20010102', 'flow_records_p20010103', 'evidence_flows_p20010101']);
    expect(outcome.deleted).toEqual([
      { table: 'flow_records', partition: 'flow_records_default', rows: 12_000 },
      { table: 'connection_hours', partition: 'connection_hours', rows: 1 },
      { table: 'evidence_flows', partition: 'evidence_flows_default', rows: 1 },
    ]);
    expect(outcome.deferred).toEqual([]);
    expect(lines).toEqual([
      'retention: dropped flow_records_p20010101 (rows before 2001-01-02T00:00:00.000Z; FLOW_RETENTION_DAYS=4)',
      'retention: dropped flow_records_p20010102 (rows before 2001-01-03T00:00:00.000Z; FLOW_RETENTION_DAYS=4)',
      'retention: dropped flow_records_p20010103 (rows before 2001-01-04T00:00:00.000Z; FLOW_RETENTION_DAYS=4)',
      'retention: deleted 12000 row(s) before 2001-01-04T06:00:00.000Z from flow_records_default (FLOW_RETENTION_DAYS=4)',
      'retention: deleted 1 row(s) before 2001-01-04T06:00:00.000Z from connection_hours, the hours of deleted flow_records (FLOW_RETENTION_DAYS=4)',
      'retention: dropped evidence_flows_p20010101 (rows before 2001-01-02T00:00:00.000Z; EVIDENCE_RETENTION_DAYS=6)',
      'retention: deleted 1 row(s) before 2001-01-02T06:00:00.000Z from evidence_flows_default (EVIDENCE_RETENTION_DAYS=6)',
    ]);

    const flows = await partitions('flow_records');
    expect(flows).toEqual(expect.arrayContaining(['flow_records_default', 'flow_records_p20010104', 'flow_records_p20010105', 'flow_records_p20010106']));
    expect(flows.filter((p) => p < 'flow_records_p20010104' && p.startsWith('flow_records_p2001'))).toEqual([]);
    expect(await rowsPerPartition('flow_records')).toMatchObject({ flow_records_default: 1, flow_records_p20010104: 2, flow_records_p20010105: 1 });
    // the rollup lost the hours its records lost, and only those: it still sums exactly the records kept
    expect(await rollupHours()).toEqual({
      '2001-01-04T05:00:00.000Z': 1, '2001-01-04T12:00:00.000Z': 1, '2001-01-05T00:00:00.000Z': 1, '2030-06-01T00:00:00.000Z': 1,
    });
    expect(await connectionHoursDrift(sql)).toEqual([]);
    expect(await rowsPerPartition('evidence_flows')).toEqual(expect.objectContaining({ evidence_flows_p20010102: 1 }));
    expect(Object.keys(await rowsPerPartition('evidence_flows'))).toEqual(['evidence_flows_p20010102']);

    // Today's partitions (made by the migration and kept ahead by collectors) are far from any cutoff.
    const today = new Date().toISOString().slice(0, 10).replaceAll('-', '');
    expect(flows).toContain(`flow_records_p${today}`);

    const again = await applyRetention(sql, { flowDays: 4, evidenceDays: 6 }, { logger, now: new Date('2001-01-08T06:00:00Z') });
    expect(again).toEqual({ dropped: [], deleted: [], deferred: [] });
  });

  it('puts off a partition a writer holds, and drops it at the next pass', async () => {
    await sql`select driftwatch_ensure_partitions('flow_records', '2002-02-01', 1)`;
    await insertFlows(['2002-02-01T12:00:00Z']);
    const lines: string[] = [];
    const logger = { log: (l: string) => lines.push(l), warn: (l: string) => lines.push(`WARN ${l}`), error: (l: string) => lines.push(`ERROR ${l}`), debug: () => undefined };
    const policy = { flowDays: 1, evidenceDays: 3650 };
    const now = new Date('2002-02-10T00:00:00Z');
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked: () => void = () => undefined;
    const holding = new Promise<void>((resolve) => (locked = resolve));
    const writer = sql.begin(async (tx) => {
      await tx`lock table flow_records_p20020201 in row exclusive mode`;
      locked();
      await held;
    });
    await holding;
    const first = await applyRetention(sql, policy, { logger, now, lockTimeoutMs: 200 });
    release();
    await writer;
    expect(first.deferred).toEqual(['flow_records_p20020201']);
    // (the first test's partitions of January 2001 are older than this cutoff too, and go in the same pass)
    expect(lines.filter((l) => l.includes('2002'))).toEqual(['WARN retention: flow_records_p20020201 is in use; dropping it at the next pass']);
    expect(await partitions('flow_records')).toContain('flow_records_p20020201');
    expect(await rollupHours()).toHaveProperty(['2002-02-01T12:00:00.000Z'], 1);
    const second = await applyRetention(sql, policy, { logger, now, lockTimeoutMs: 200 });
    expect(second.dropped.map((d) => d.partition)).toEqual(['flow_records_p20020201']);
    expect(await partitions('flow_records')).not.toContain('flow_records_p20020201');
    expect(await rollupHours()).not.toHaveProperty(['2002-02-01T12:00:00.000Z']);
    expect(await connectionHoursDrift(sql)).toEqual([]);
  });

  it('deletes rows of the default partition by whole hours when the cutoff falls inside one, and their hours with them', async () => {
    // no partitions in March 2003: every row lands in the default partition
    await insertFlows(['2003-03-09T05:59:59.999Z', '2003-03-09T06:00:00Z', '2003-03-09T06:29:59Z', '2003-03-09T06:45:00Z', '2003-03-09T07:00:00Z']);
    const lines: string[] = [];
    const logger = { log: (l: string) => lines.push(l), warn: (l: string) => lines.push(`WARN ${l}`), error: (l: string) => lines.push(`ERROR ${l}`), debug: () => undefined };
    // cutoff 2003-03-09T06:30: the hour of 05:00 is wholly older, the hour of 06:00 is not (its rows stay until the next pass)
    const outcome = await applyRetention(sql, { flowDays: 1, evidenceDays: 3650 }, { logger, now: new Date('2003-03-10T06:30:00Z') });
    expect(outcome.deleted).toEqual([
      { table: 'flow_records', partition: 'flow_records_default', rows: 1 },
      { table: 'connection_hours', partition: 'connection_hours', rows: 1 },
    ]);
    expect(lines.filter((l) => l.includes('deleted'))).toEqual([
      'retention: deleted 1 row(s) before 2003-03-09T06:00:00.000Z from flow_records_default (FLOW_RETENTION_DAYS=1)',
      'retention: deleted 1 row(s) before 2003-03-09T06:00:00.000Z from connection_hours, the hours of deleted flow_records (FLOW_RETENTION_DAYS=1)',
    ]);
    const kept = await sql<{ t: Date }[]>`select window_start as t from flow_records where window_start >= '2003-03-01' and window_start < '2003-04-01' order by 1`;
    expect(kept.map((r) => r.t.toISOString())).toEqual(['2003-03-09T06:00:00.000Z', '2003-03-09T06:29:59.000Z', '2003-03-09T06:45:00.000Z', '2003-03-09T07:00:00.000Z']);
    expect(await rollupHours()).toMatchObject({ '2003-03-09T06:00:00.000Z': 3, '2003-03-09T07:00:00.000Z': 1 });
    expect(await rollupHours()).not.toHaveProperty(['2003-03-09T05:00:00.000Z']);
    expect(await connectionHoursDrift(sql)).toEqual([]);
  });

  it('prunes endpoint identities last seen a day before the oldest record kept, and keeps those seen since', async () => {
    await sql`select driftwatch_ensure_partitions('flow_records', '2004-04-01', 6)`;
    const identities = new EndpointIdentityRepository(sql);
    const identity = (id: string, lastSeen: string) => ({ id, namespace: 'shop', labels: { app: id }, namespaceLabels: null, lastSeen: new Date(lastSeen) });
    await identities.insert([
      identity('41', '2004-04-02T23:59:59.999Z'), // pointed at by nothing kept: pruned
      identity('42', '2004-04-03T00:00:00.000Z'), // a day before the oldest partition kept, exactly: kept
      identity('43', '2004-04-03T22:45:00.000Z'), // last seen before cutoff - 1 day, but a record kept points at it
      identity('44', '2004-04-08T22:00:00.000Z'), // seen since the cutoff
    ]);
    // A record of 00:30 on the day that holds the cutoff (23:00): its partition stays, and so must identity 43,
    // which a collector may have last written up to two hours before the record (its flows then an hour past it).
    await sql`
      insert into flow_records (direction, observed, event, protocol, source, label, first_seen, last_seen, window_start, window_end, flow_count, src_identity, dst_identity)
      values ('egress', 'forwarded', 'connection', 'TCP', 'hubble', 'allowed', '2004-04-04T00:30:00Z', '2004-04-04T00:30:00Z', '2004-04-04T00:30:00Z', '2004-04-04T00:30:10Z', 1, 43, 0)`;
    const lines: string[] = [];
    const logger = { log: (l: string) => lines.push(l), warn: (l: string) => lines.push(`WARN ${l}`), error: (l: string) => lines.push(`ERROR ${l}`), debug: () => undefined };
    // cutoff 2004-04-04T23:00: the partitions of April 1 to 3 go, April 4 stays from 00:00
    const outcome = await applyRetention(sql, { flowDays: 4, evidenceDays: 3650 }, { logger, now: new Date('2004-04-08T23:00:00Z') });
    expect(outcome.dropped.map((d) => d.partition).filter((p) => p.includes('2004'))).toEqual(['flow_records_p20040401', 'flow_records_p20040402', 'flow_records_p20040403']);
    expect(outcome.deleted.filter((d) => d.table === 'endpoint_identities')).toEqual([{ table: 'endpoint_identities', partition: 'endpoint_identities', rows: 1 }]);
    expect(lines.filter((l) => l.includes('endpoint_identities'))).toEqual([
      'retention: deleted 1 row(s) last seen before 2004-04-03T00:00:00.000Z from endpoint_identities, a day before every flow_records kept (FLOW_RETENTION_DAYS=4)',
    ]);
    const kept = await sql<{ id: string }[]>`select id::text from endpoint_identities where id between 41 and 44 order by id`;
    expect(kept.map((r) => r.id)).toEqual(['42', '43', '44']);
  });

  it('keeps the identities of records in a partition put off until it is dropped', async () => {
    await sql`select driftwatch_ensure_partitions('flow_records', '2005-05-01', 1)`;
    await new EndpointIdentityRepository(sql).insert([{ id: '51', namespace: 'shop', labels: null, namespaceLabels: null, lastSeen: new Date('2005-05-01T10:00:00Z') }]);
    const policy = { flowDays: 1, evidenceDays: 3650 };
    const now = new Date('2005-05-10T00:00:00Z');
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked: () => void = () => undefined;
    const holding = new Promise<void>((resolve) => (locked = resolve));
    const writer = sql.begin(async (tx) => {
      await tx`lock table flow_records_p20050501 in row exclusive mode`;
      locked();
      await held;
    });
    await holding;
    const first = await applyRetention(sql, policy, { now, lockTimeoutMs: 200 });
    release();
    await writer;
    const stored = async () => (await sql<{ n: number }[]>`select count(*)::int as n from endpoint_identities where id = 51`)[0]?.n;
    // (the identities of the test before, last seen in 2004, go in the first pass)
    expect(first.deferred).toEqual(['flow_records_p20050501']);
    expect(await stored()).toBe(1);
    const second = await applyRetention(sql, policy, { now, lockTimeoutMs: 200 });
    expect(second.dropped.map((d) => d.partition)).toEqual(['flow_records_p20050501']);
    expect(second.deleted.filter((d) => d.table === 'endpoint_identities')).toEqual([{ table: 'endpoint_identities', partition: 'endpoint_identities', rows: 1 }]);
    expect(await stored()).toBe(0);
  });

  it('keeps an identity whose last_seen a writer moves forward while the pass deletes it', async () => {
    const identity = (lastSeen: string) => ({ id: '61', namespace: 'shop', labels: null, namespaceLabels: null, lastSeen: new Date(lastSeen) });
    await new EndpointIdentityRepository(sql).insert([identity('2006-06-01T00:00:00Z')]);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let written: () => void = () => undefined;
    const writing = new Promise<void>((resolve) => (written = resolve));
    // a collector's batch: its identities move forward first, and their rows stay locked until it commits
    const writer = sql.begin(async (tx) => {
      await new EndpointIdentityRepository(tx as unknown as Sql).insert([identity('2006-06-20T00:00:00Z')]);
      written();
      await held;
    });
    await writing;
    // identities last seen before 2006-06-08 go (cutoff 2006-06-09): 61 as committed, not as the writer leaves it
    const pass = applyRetention(sql, { flowDays: 1, evidenceDays: 3650 }, { now: new Date('2006-06-10T00:00:00Z') });
    for (;;) {
      const [waiting] = await sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
      if (waiting?.n) break;
    }
    release();
    await writer;
    expect((await pass).deleted.filter((d) => d.table === 'endpoint_identities')).toEqual([]);
    const [row] = await new EndpointIdentityRepository(sql).get(['61']);
    expect(row?.lastSeen?.toISOString()).toBe('2006-06-20T00:00:00.000Z');
  });
});
