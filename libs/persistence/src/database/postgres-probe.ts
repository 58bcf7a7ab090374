import pg from 'pg';

/** One line explaining why a Postgres server did not answer, without the password. */
export function describeConnectionError(error: unknown): string {
  const e = error as { code?: string; message?: string };
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
      return 'host not found';
    case 'ETIMEDOUT':
      return 'timed out';
    case '28P01':
    case '28000':
      return `authentication failed (${e.message ?? e.code})`;
    default:
      return e.message ?? String(error);
  }
}

/** Where a URL points, for logs: `user@host:port/database`, never the password. */
export function describeUrl(url: string): string {
  const u = new URL(url);
  const user = u.username ? `${decodeURIComponent(u.username)}@` : '';
  return `${user}${u.hostname}:${u.port || '5432'}${u.pathname || '/'}`;
}

/** Replaces the database of a postgres URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** The database named by a postgres URL (Postgres' default: the user name). */
export function databaseOf(url: string): string {
  const u = new URL(url);
  return decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres';
}

/** Runs one query on a short-lived connection that gives up after `timeoutMs`. */
export async function queryOnce<T extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
  timeoutMs = 3000,
): Promise<pg.QueryResult<T>> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await client.query<T>(sql, params);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** True when a server answers a trivial query at `url` within `timeoutMs`. */
export async function answers(url: string, timeoutMs = 1500): Promise<boolean> {
  try {
    await queryOnce(url, 'select 1', [], timeoutMs);
    return true;
  } catch {
    return false;
  }
}

/**
 * Creates `database` on the server of `url` unless it exists. Connects to the server's `postgres` database to do
 * so; a concurrent creation by another process is not an error.
 */
export async function ensureDatabase(url: string, database: string): Promise<boolean> {
  const admin = withDatabase(url, 'postgres');
  const found = await queryOnce(admin, 'select 1 from pg_database where datname = $1', [database]);
  if (found.rowCount) return false;
  try {
    await queryOnce(admin, `create database "${database.replaceAll('"', '""')}"`);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '42P04') return false;
    throw error;
  }
}

/** Drops `database` (terminating its sessions) if it exists. */
export async function dropDatabase(url: string, database: string): Promise<void> {
  await queryOnce(withDatabase(url, 'postgres'), `drop database if exists "${database.replaceAll('"', '""')}" with (force)`);
}
