import pg from 'pg';
import { printable } from '@driftwatch/common';
import { redactUrl } from '@driftwatch/config';

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
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENOENT':
      return 'no such socket';
    case '28P01':
    case '28000':
      return `authentication failed (${firstLine(e.message ?? e.code)})`;
    case '3D000':
      return `database missing (${firstLine(e.message ?? e.code)})`;
    default:
      return firstLine(e.message ?? String(error));
  }
}

function firstLine(text: string): string {
  return printable(text.split('\n', 1)[0] ?? text);
}

/**
 * Where a URL points, for logs: `user@host:port/database`, never the password. The password is removed before
 * the URL is parsed ({@link redactUrl}), so even a URL that does not parse, or whose unencoded password holds a
 * `/`, shows nothing of it.
 */
export function describeUrl(url: string): string {
  const safe = redactUrl(url);
  if (!URL.canParse(safe)) return printable(safe.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, ''));
  const u = new URL(safe);
  const user = u.username && u.username !== '***' ? `${decodeURIComponent(u.username)}@` : '';
  return printable(`${user}${u.hostname}:${u.port || '5432'}${decodeURIComponent(u.pathname || '/')}`);
}

/** Errors that mean nothing answers at an address (so a fallback is allowed), as opposed to a server that refuses. */
const NOTHING_ANSWERS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOENT', 'ETIMEDOUT']);

/** True when `error` says that no server answered at all: refused, unreachable, no socket, or a timeout. */
export function isNothingAnswers(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  if (e.code !== undefined && NOTHING_ANSWERS.has(e.code)) return true;
  return e.code === undefined && /timeout expired|timed out|connection timeout/i.test(e.message ?? '');
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

/**
 * Whether a PostgreSQL server answers a trivial query at `url` within `timeoutMs`: true when it does, false when
 * nothing answers ({@link isNothingAnswers}). Any other outcome (authentication refused, database missing, TLS
 * refused, something that is not PostgreSQL) is rethrown: a server that answers "no" must never be mistaken for
 * no server.
 */
export async function answers(url: string, timeoutMs = 1500): Promise<boolean> {
  try {
    await queryOnce(url, 'select 1', [], timeoutMs);
    return true;
  } catch (error) {
    if (isNothingAnswers(error)) return false;
    throw error;
  }
}

/**
 * Creates `database` on the server of `url` unless it exists. Connects to the server's `postgres` database to do
 * so; a concurrent creation by another process is not an error. With `options.template`, the new database is a
 * copy of that one (`CREATE DATABASE … TEMPLATE`, which needs no session open on the template): tests copy a
 * migrated database instead of migrating each of theirs.
 */
export async function ensureDatabase(url: string, database: string, options: { template?: string } = {}): Promise<boolean> {
  const admin = withDatabase(url, 'postgres');
  const found = await queryOnce(admin, 'select 1 from pg_database where datname = $1', [database]);
  if (found.rowCount) return false;
  const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
  try {
    await queryOnce(admin, `create database ${quote(database)}${options.template === undefined ? '' : ` template ${quote(options.template)}`}`);
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
