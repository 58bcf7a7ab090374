import postgres from 'postgres';

/** The postgres.js client used for the hot paths (bulk inserts, COPY, LISTEN/NOTIFY). */
export type Sql = postgres.Sql;

/**
 * Opens a postgres.js pool on `url`; notices are not printed, errors are thrown to the caller. `applicationName`
 * names the pool's sessions in `pg_stat_activity`.
 */
export function connectSql(url: string, max = 4, applicationName?: string): Sql {
  return postgres(url, {
    max, onnotice: () => undefined, idle_timeout: 30, connect_timeout: 10, prepare: true,
    ...(applicationName ? { connection: { application_name: applicationName } } : {}),
  });
}

/** The OID of `text[]`. */
const TEXT_ARRAY_OID = 1009;

/**
 * A `text[]` parameter. postgres.js infers an array's type from a map it fills on its first connection, so an
 * untyped `sql.array` in the very first statement of a pool is sent as plain text ("malformed array literal");
 * naming the type makes it right from the start.
 */
export function textArray(sql: Sql, values: readonly (string | null)[]) {
  return sql.array([...values] as string[], TEXT_ARRAY_OID);
}
