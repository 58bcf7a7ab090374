import postgres from 'postgres';

/** The postgres.js client used for the hot paths (bulk inserts, COPY, LISTEN/NOTIFY). */
export type Sql = postgres.Sql;

/** How a pool's sessions present themselves and are set up. */
export interface SessionOptions {
  /** Names the sessions in `pg_stat_activity`. */
  readonly applicationName?: string;
  /** Run-time parameters set at connection (`{ jit: 'off' }`). */
  readonly settings?: Readonly<Record<string, string>>;
  /** How long connecting may take before the statement fails (default 10 s). */
  readonly connectTimeoutSeconds?: number;
}

/** Opens a postgres.js pool on `url`; notices are not printed, errors are thrown to the caller. */
export function connectSql(url: string, max = 4, session: SessionOptions = {}): Sql {
  const connection = { ...session.settings, ...(session.applicationName ? { application_name: session.applicationName } : {}) };
  return postgres(url, {
    max, onnotice: () => undefined, idle_timeout: 30, connect_timeout: session.connectTimeoutSeconds ?? 10, prepare: true,
    ...(Object.keys(connection).length > 0 ? { connection } : {}),
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
