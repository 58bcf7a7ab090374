import { connectSql } from '../flows/sql-client.js';

/** Counts the rows of every table of a database, again and again, over one connection. */
export interface RowCounter {
  /** Rows per table of the `public` schema (partitions counted under their parent), by name, in one statement. */
  count(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/**
 * A {@link RowCounter} on `databaseUrl`: what tests compare before and after a request that must change nothing.
 * The tables are listed once, when it opens. `rate_limit_counters` is left out: every counted request writes it,
 * whatever it asks.
 */
export async function openRowCounter(databaseUrl: string): Promise<RowCounter> {
  const sql = connectSql(databaseUrl, 1);
  try {
    const tables = await sql<{ name: string }[]>`
      select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition and c.relname <> 'rate_limit_counters'
      order by c.relname`;
    const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
    const literal = (name: string) => `'${name.replace(/'/g, "''")}'`;
    const statement = tables.length === 0
      ? `select '{}'::jsonb as counts`
      : `select jsonb_build_object(${tables.map(({ name }) => `${literal(name)}, (select count(*) from ${ident(name)})`).join(', ')}) as counts`;
    return {
      count: async () => ((await sql.unsafe<{ counts: Record<string, number> }[]>(statement))[0]?.counts ?? {}),
      close: () => sql.end({ timeout: 5 }),
    };
  } catch (error) {
    await sql.end({ timeout: 5 });
    throw error;
  }
}

/** The rows of every table of the `public` schema, once (see {@link openRowCounter}). */
export async function countRowsOfEveryTable(databaseUrl: string): Promise<Record<string, number>> {
  const counter = await openRowCounter(databaseUrl);
  try {
    return await counter.count();
  } finally {
    await counter.close();
  }
}
