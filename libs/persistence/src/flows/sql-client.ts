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
