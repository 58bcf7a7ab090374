import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyMigrations, createMigration, dropDatabase, ensureDatabase, withDatabase } from '../src/index.js';
import { defaultMigrationsDir, readMigrationFolders } from '../src/migrations/migration-files.js';
import { connectSql } from '../src/flows/sql-client.js';
import { connectionHoursDrift } from './connection-hours-check.js';

const serverUrl = inject('serverUrl');
const databaseUrl = await workerDatabaseUrl(serverUrl, inject('templateDatabase'));

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe('ensureDatabase with a template', () => {
  it('copies a migrated database: every migration recorded, nothing left to apply; an existing database is left alone', async () => {
    const name = `driftwatch_copy_${randomBytes(4).toString('hex')}`;
    const url = withDatabase(serverUrl, name);
    try {
      expect(await ensureDatabase(serverUrl, name, { template: inject('templateDatabase') })).toBe(true);
      const recorded = await query<{ migration_name: string }>(url, 'select migration_name from _prisma_migrations where finished_at is not null order by 1');
      expect(recorded.map((r) => r.migration_name)).toEqual(readMigrationFolders().map((f) => f.name));
      expect(await applyMigrations(url)).toEqual([]);
      expect(await ensureDatabase(serverUrl, name, { template: inject('templateDatabase') })).toBe(false);
    } finally {
      await dropDatabase(serverUrl, name);
    }
  });
});

describe('applyMigrations on an empty database', () => {
  const name = `driftwatch_migrate_${randomBytes(4).toString('hex')}`;
  const url = withDatabase(serverUrl, name);
  beforeAll(() => ensureDatabase(serverUrl, name));
  afterAll(() => dropDatabase(serverUrl, name));

  it('applies every migration, records it as Prisma does, and a second run applies nothing', async () => {
    const folders = readMigrationFolders();
    expect(folders.length).toBeGreaterThan(0);
    expect(await applyMigrations(url)).toEqual(folders.map((f) => f.name));

    const recorded = await query<{ migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null }>(
      url,
      'select migration_name, checksum, finished_at, rolled_back_at from _prisma_migrations order by migration_name',
    );
    expect(recorded.map((r) => r.migration_name)).toEqual(folders.map((f) => f.name));
    for (const [i, row] of recorded.entries()) {
      expect(row.checksum).toBe(folders[i]?.checksum);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
    }
    expect(await applyMigrations(url)).toEqual([]);
  });

  it('creates the core tables', async () => {
    const tables = await query<{ relname: string }>(
      url,
      `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition order by 1`,
    );
    expect(tables.map((t) => t.relname)).toEqual([
      '_prisma_migrations',
      'alert_events',
      'alerts',
      'api_keys',
      'audit_log',
      'collector_events',
      'collector_state',
      'connection_hours',
      'endpoint_identities',
      'evidence_flows',
      'flow_records',
      'policy_revisions',
      'rate_limit_counters',
      'webhook_attempts',
      'webhook_deliveries',
      'webhooks',
    ]);
  });
});

describe('time partitions of flow records', () => {
  const url = databaseUrl;
  const insert = `insert into flow_records (direction, observed, event, protocol, source, label, first_seen, last_seen, window_start, window_end, flow_count)
                  values ('egress', 'forwarded', 'connection', 'TCP', 'hubble', 'allowed', $1, $1, $1, $1, 1) returning tableoid::regclass::text as part`;

  it('routes today\'s rows to a daily partition and very old rows to the default partition', async () => {
    const now = new Date();
    const day = now.toISOString().slice(0, 10).replaceAll('-', '');
    const [today] = await query<{ part: string }>(url, insert, [now]);
    expect(today?.part).toBe(`flow_records_p${day}`);
    const [old] = await query<{ part: string }>(url, insert, [new Date('2001-01-01T00:00:00Z')]);
    expect(old?.part).toBe('flow_records_default');
  });

  it('creates further partitions idempotently', async () => {
    const [first] = await query<{ n: number }>(url, `select driftwatch_ensure_partitions('flow_records', '2030-01-01', 3) as n`);
    const [again] = await query<{ n: number }>(url, `select driftwatch_ensure_partitions('flow_records', '2030-01-01', 3) as n`);
    expect([first?.n, again?.n]).toEqual([3, 0]);
  });
});

describe('the connection_hours migration on a database with records', () => {
  const name = `driftwatch_migrate_rollup_${randomBytes(4).toString('hex')}`;
  const url = withDatabase(serverUrl, name);
  const before = mkdtempSync(join(tmpdir(), 'driftwatch-migrations-'));
  beforeAll(async () => {
    await ensureDatabase(serverUrl, name);
    cpSync(defaultMigrationsDir, before, { recursive: true });
    for (const folder of readdirSync(before)) if (folder >= '20261202131500') rmSync(join(before, folder), { recursive: true });
  });
  afterAll(async () => {
    await dropDatabase(serverUrl, name);
    rmSync(before, { recursive: true, force: true });
  });

  it('fills the rollup from the records stored before, exactly, and keys nulls as equal', async () => {
    await applyMigrations(url, { migrationsDir: before });
    expect(await query(url, `select to_regclass('public.connection_hours') as t`)).toEqual([{ t: null }]);
    // records as an older writer stored them: two hours, sides with and without workloads, a label and none
    await query(url, `
      insert into flow_records (window_start, window_end, source, cluster, src_namespace, src_workload, src_ip, dst_namespace, dst_workload,
        dst_ip, dst_port, protocol, direction, observed, event, label, drift_kind, flow_count, first_seen, last_seen)
      select t, t + interval '10 seconds', 'hubble', '', 'a', case when i % 3 = 0 then null else 'web' end, ('10.0.0.' || i % 4)::inet,
        case when i % 5 = 0 then null else 'b' end, case when i % 5 = 0 then null else 'api' end, ('203.0.113.' || i % 2)::inet,
        case when i % 7 = 0 then null else 443 end, 'TCP', 'egress', 'forwarded', 'connection',
        case when i % 4 = 0 then null else 'allowed' end::flow_label, null, i, t, t + interval '1 second'
      from generate_series(1, 200) as i, lateral (select '2030-03-01T10:00:00Z'::timestamptz + i * interval '40 seconds' as t) w`);
    // (with the migrations that came after it)
    expect(await applyMigrations(url)).toEqual(readMigrationFolders().map((f) => f.name).filter((n) => n >= '20261202131500'));
    const sql = connectSql(url, 1);
    try {
      expect(await connectionHoursDrift(sql)).toEqual([]);
      const [rollup] = await sql<{ rows: number; records: number; flows: string }[]>`
        select count(*)::int as rows, sum(records)::int as records, sum(flows)::text as flows from connection_hours`;
      expect(rollup).toMatchObject({ records: 200, flows: String((200 * 201) / 2) });
      expect(rollup?.rows).toBeLessThan(100);
      // a key with nulls is one key: adding to it updates its row
      const [nulls] = await sql<{ hour: Date }[]>`select hour from connection_hours where dst_port is null and label is null and dst_workload is null limit 1`;
      expect(nulls).toBeDefined();
      const again = await sql`
        insert into connection_hours (hour, source, cluster, src_namespace, src_workload, src_ip, dst_namespace, dst_workload, dst_ip, dst_port,
          protocol, label, drift_kind, flows, records, last_seen)
        select hour, source, cluster, src_namespace, src_workload, src_ip, dst_namespace, dst_workload, dst_ip, dst_port, protocol, label, drift_kind,
          1, 1, last_seen
        from connection_hours where dst_port is null and label is null and dst_workload is null
        on conflict (hour, source, cluster, src_namespace, src_workload, src_ip, dst_namespace, dst_workload, dst_ip, dst_port, protocol, label, drift_kind)
        do nothing`;
      expect(again.count).toBe(0);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
});

describe('a failing migration', () => {
  const name = `driftwatch_migrate_bad_${randomBytes(4).toString('hex')}`;
  const url = withDatabase(serverUrl, name);
  const dir = mkdtempSync(join(tmpdir(), 'driftwatch-migrations-'));
  beforeAll(async () => {
    await ensureDatabase(serverUrl, name);
    cpSync(defaultMigrationsDir, dir, { recursive: true });
    const bad = join(dir, '29990101000000_broken');
    mkdirSync(bad);
    writeFileSync(join(bad, 'migration.sql'), 'CREATE TABLE "half_written" ("id" INTEGER);\nSELECT * FROM "no_such_table";\n');
  });
  afterAll(async () => {
    await dropDatabase(serverUrl, name);
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails naming the migration and leaves nothing of it behind', async () => {
    await expect(applyMigrations(url, { migrationsDir: dir })).rejects.toThrow(/29990101000000_broken[\s\S]*no_such_table|no_such_table[\s\S]*29990101000000_broken/);
    const half = await query(url, `select to_regclass('public.half_written') as t`);
    expect(half[0]).toEqual({ t: null });
    const recorded = await query<{ migration_name: string; finished_at: Date | null }>(
      url,
      'select migration_name, finished_at from _prisma_migrations order by migration_name',
    );
    expect(recorded.at(-1)).toMatchObject({ migration_name: '29990101000000_broken', finished_at: null });
    expect(readdirSync(dir)).toContain('29990101000000_broken');
  });
});

describe('migration files', () => {
  it('agree with prisma/schema.prisma: a new migration would be empty (hand edits are expressed in the schema)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftwatch-migrations-'));
    try {
      cpSync(defaultMigrationsDir, dir, { recursive: true });
      expect(await createMigration(databaseUrl, 'probe', { migrationsDir: dir })).toBeUndefined();
      expect(readdirSync(dir).filter((name) => name.endsWith('_probe'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checksums are the sha256 of migration.sql', () => {
    for (const folder of readMigrationFolders()) {
      expect(folder.checksum).toBe(createHash('sha256').update(folder.sql).digest('hex'));
    }
  });
});
