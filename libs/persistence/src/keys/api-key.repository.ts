import { AuditLogRepository } from '../audit/audit-log.repository.js';
import type { Sql } from '../flows/sql-client.js';

export type ApiKeyRole = 'viewer' | 'operator' | 'admin';

/** An API key as lists show it; the hash never leaves this repository except for verification. */
export interface ApiKeyRow {
  readonly id: number;
  readonly prefix: string;
  readonly name: string;
  readonly role: ApiKeyRole;
  /** `['*']` for every namespace. */
  readonly namespaces: readonly string[];
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

/** What creating a key stores: the prefix that names it and the sha256 of the whole key (never the key). */
export interface NewApiKey {
  readonly prefix: string;
  readonly hash: string;
  readonly name: string;
  readonly role: ApiKeyRole;
  readonly namespaces: readonly string[];
}

interface Row {
  id: number;
  prefix: string;
  name: string;
  role: ApiKeyRole;
  namespaces: string[] | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  hash: string;
}

const toKey = (r: Row): ApiKeyRow => ({
  id: r.id,
  prefix: r.prefix,
  name: r.name,
  role: r.role,
  namespaces: r.namespaces ?? ['*'],
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

/** `api_keys`. Creation and revocation write `audit_log` in the same transaction. */
export class ApiKeyRepository {
  constructor(private readonly sql: Sql) {}

  /** Stores a new key and its audit entry. Throws on a prefix or hash already taken (unique indexes). */
  async create(key: NewApiKey, actor: string): Promise<ApiKeyRow> {
    return this.sql.begin(async (tx) => this.insert(tx as unknown as Sql, key, actor));
  }

  /** True when some key is not revoked (then `serve` makes no admin token of its own). */
  async anyActive(): Promise<boolean> {
    const [row] = await this.sql<{ any: boolean }[]>`select exists (select 1 from api_keys where revoked_at is null) as any`;
    return row?.any === true;
  }

  private async insert(sql: Sql, key: NewApiKey, actor: string): Promise<ApiKeyRow> {
    const [row] = await sql<Row[]>`
      insert into api_keys (prefix, hash, name, role, namespaces)
      values (${key.prefix}, ${key.hash}, ${key.name}, ${key.role}::api_key_role, ${sql.array([...key.namespaces])}::text[])
      returning *, role::text as role`;
    if (!row) throw new Error('api key insert returned no row');
    await AuditLogRepository.record(sql, {
      actor,
      action: 'key.create',
      targetType: 'api_key',
      targetId: key.prefix,
      details: { name: key.name, role: key.role, namespaces: key.namespaces },
    });
    return toKey(row);
  }

  /** Every key, newest first (revoked ones included, marked). */
  async list(): Promise<ApiKeyRow[]> {
    const rows = await this.sql<Row[]>`select *, role::text as role from api_keys order by id desc`;
    return rows.map(toKey);
  }

  /** The key and its stored hash, for verification; revoked keys included (the caller refuses them). */
  async byPrefix(prefix: string): Promise<(ApiKeyRow & { readonly hash: string }) | undefined> {
    const [row] = await this.sql<Row[]>`select *, role::text as role from api_keys where prefix = ${prefix}`;
    return row ? { ...toKey(row), hash: row.hash } : undefined;
  }

  /**
   * Revokes a key and records it: `revoked` the first time, `already` when it was revoked before (nothing
   * written), `missing` when no key has that prefix.
   */
  async revoke(prefix: string, actor: string): Promise<'revoked' | 'already' | 'missing'> {
    return this.sql.begin(async (tx) => {
      const sql = tx as unknown as Sql;
      const [row] = await sql<{ revoked: boolean }[]>`
        select revoked_at is not null as revoked from api_keys where prefix = ${prefix} for update`;
      if (!row) return 'missing';
      if (row.revoked) return 'already';
      await sql`update api_keys set revoked_at = now() where prefix = ${prefix}`;
      await AuditLogRepository.record(sql, { actor, action: 'key.revoke', targetType: 'api_key', targetId: prefix, details: {} });
      return 'revoked';
    });
  }

  /** Sets last_used_at to now unless it was set less than a minute ago (the caller throttles too). */
  async touch(id: number): Promise<void> {
    await this.sql`
      update api_keys set last_used_at = now()
      where id = ${id} and (last_used_at is null or last_used_at < now() - interval '1 minute')`;
  }

  /** The prefixes among `prefixes` that are revoked or gone (for dropping live connections). */
  async revokedAmong(prefixes: readonly string[]): Promise<string[]> {
    if (prefixes.length === 0) return [];
    const rows = await this.sql<{ prefix: string }[]>`
      select p as prefix from unnest(${this.sql.array([...prefixes])}::text[]) as p
      where not exists (select 1 from api_keys k where k.prefix = p and k.revoked_at is null)`;
    return rows.map((r) => r.prefix);
  }
}
