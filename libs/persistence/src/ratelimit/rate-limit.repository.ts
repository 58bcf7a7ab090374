import { connectSql, type Sql } from '../flows/sql-client.js';

/** One counted request's standing in its window, as @nestjs/throttler wants it (times in whole seconds, rounded up). */
export interface RateLimitCount {
  readonly totalHits: number;
  readonly timeToExpire: number;
  readonly isBlocked: boolean;
  readonly timeToBlockExpire: number;
}

/**
 * The rate limit's counts in `rate_limit_counters` (UNLOGGED), shared by every API process on the database: one
 * fixed window per key, counted by one statement per request. Times are the database's clock, so processes whose
 * clocks differ still agree on when a window ends. Close it when done.
 */
export class RateLimitRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Opens a small pool on `url`. Connecting gives up after 2 s (the caller falls back to counting in the process
   * rather than hold requests while the database cannot be reached).
   */
  static open(url: string, max = 4): RateLimitRepository {
    return new RateLimitRepository(connectSql(url, max, { applicationName: 'driftwatch rate limit', connectTimeoutSeconds: 2 }));
  }

  /**
   * Counts one request of `key` in one statement (an upsert of its row). A row whose window ended (or whose block
   * ended) starts a new window of `ttlMs` with this request. Within a window the count goes up by one; when it
   * goes over `limit` the key is blocked for `blockMs` (≤ 0: until the window ends) and requests are refused, not
   * counted, until then. `limit` and `ttlMs` are part of the row's key: processes configured alike share a
   * budget, and while a changed limit rolls out the old and the new one are counted apart.
   */
  async increment(key: string, ttlMs: number, limit: number, blockMs: number): Promise<RateLimitCount> {
    const id = `${limit}/${ttlMs}:${key}`;
    const ttl = Math.max(1, Math.round(ttlMs));
    const block = blockMs > 0 ? Math.round(blockMs) : null;
    // statement_timestamp() is one instant for the whole statement; `ended` says the row's window (or block) is over.
    const [row] = await this.sql<{ hits: number; expire: number; block: number | null }[]>`
      insert into rate_limit_counters as c (key, hits, expires_at, blocked_until)
      values (${id}, 1, statement_timestamp() + ${ttl}::int * interval '1 ms',
              case when 1 > ${limit}::int then statement_timestamp() + coalesce(${block}::int, ${ttl}::int) * interval '1 ms' end)
      on conflict (key) do update set
        hits = case when coalesce(c.blocked_until, c.expires_at) <= statement_timestamp() then 1
                    when c.blocked_until is not null then c.hits
                    else c.hits + 1 end,
        expires_at = case when coalesce(c.blocked_until, c.expires_at) <= statement_timestamp() then excluded.expires_at
                          else c.expires_at end,
        blocked_until = case when coalesce(c.blocked_until, c.expires_at) <= statement_timestamp() then excluded.blocked_until
                             when c.blocked_until is not null then c.blocked_until
                             when c.hits + 1 > ${limit}::int then coalesce(statement_timestamp() + ${block}::int * interval '1 ms', c.expires_at)
                             end
      returning hits,
        ceil(extract(epoch from expires_at - statement_timestamp()))::int as expire,
        ceil(extract(epoch from blocked_until - statement_timestamp()))::int as block`;
    return { totalHits: row!.hits, timeToExpire: row!.expire, isBlocked: row!.block !== null, timeToBlockExpire: row!.block ?? 0 };
  }

  /** Deletes the rows whose window and block have ended (rows of keys no longer in use); returns how many. */
  async deleteExpired(): Promise<number> {
    const rows = await this.sql`delete from rate_limit_counters where coalesce(blocked_until, expires_at) <= statement_timestamp()`;
    return rows.count;
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }
}
