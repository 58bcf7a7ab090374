import postgres from 'postgres';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RateLimitRepository } from '../src/index.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

let sql: postgres.Sql;
let counters: RateLimitRepository;
beforeAll(() => {
  sql = postgres(databaseUrl, { max: 1, onnotice: () => undefined });
  counters = RateLimitRepository.open(databaseUrl, 2);
});
afterAll(async () => {
  await counters.close();
  await sql.end();
});

/** Ends the key's window (and block) now, as a minute passing would. */
const expire = (key: string) => sql`
  update rate_limit_counters set expires_at = now() - interval '1 ms',
    blocked_until = case when blocked_until is not null then now() - interval '1 ms' end
  where key like ${`%:${key}`}`;

describe('RateLimitRepository', () => {
  it('keeps its counts in an UNLOGGED table', async () => {
    expect(await sql`select relpersistence from pg_class where relname = 'rate_limit_counters'`).toEqual([{ relpersistence: 'u' }]);
  });

  it('counts a key in a fixed window, blocks it past the limit without counting on, and starts a new window once it ended', async () => {
    const key = `spec:${Math.random()}`;
    const seen = [];
    for (let i = 0; i < 4; i += 1) seen.push(await counters.increment(key, 60_000, 3, 60_000));
    expect(seen.map((c) => [c.totalHits, c.isBlocked])).toEqual([[1, false], [2, false], [3, false], [4, true]]);
    expect(seen[0]!.timeToExpire).toBeGreaterThan(58);
    expect(seen[0]!.timeToExpire).toBeLessThanOrEqual(60);
    expect(seen[3]!.timeToBlockExpire).toBeGreaterThan(58);
    expect(seen[3]!.timeToBlockExpire).toBeLessThanOrEqual(60);
    const stillBlocked = await counters.increment(key, 60_000, 3, 60_000);
    expect(stillBlocked).toMatchObject({ totalHits: 4, isBlocked: true });

    expect(await counters.increment(`other:${key}`, 60_000, 3, 60_000)).toMatchObject({ totalHits: 1, isBlocked: false });

    await expire(key);
    expect(await counters.increment(key, 60_000, 3, 60_000)).toMatchObject({ totalHits: 1, isBlocked: false, timeToBlockExpire: 0 });
  });

  it('without a block duration, refuses until the window ends; a window that ended unblocked starts over too', async () => {
    const key = `spec:${Math.random()}`;
    await counters.increment(key, 60_000, 1, 0);
    const refused = await counters.increment(key, 60_000, 1, 0);
    expect(refused.isBlocked).toBe(true);
    expect(refused.timeToBlockExpire).toBe(refused.timeToExpire);
    await expire(key);
    expect(await counters.increment(key, 60_000, 1, 0)).toMatchObject({ totalHits: 1, isBlocked: false });
    await expire(key);
    expect(await counters.increment(key, 60_000, 1, 0)).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('keeps one count per limit and window length, so processes configured alike share it', async () => {
    const key = `spec:${Math.random()}`;
    await counters.increment(key, 60_000, 5, 60_000);
    expect((await counters.increment(key, 60_000, 5, 60_000)).totalHits).toBe(2);
    expect((await counters.increment(key, 60_000, 6, 60_000)).totalHits).toBe(1);
  });

  it('counts concurrent requests of one key exactly', async () => {
    const key = `spec:${Math.random()}`;
    const results = await Promise.all(Array.from({ length: 40 }, () => counters.increment(key, 60_000, 30, 60_000)));
    expect(results.map((r) => r.totalHits).sort((a, b) => a - b).slice(0, 31)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    expect(results.filter((r) => r.isBlocked)).toHaveLength(10);
  });

  it('deletes the rows whose window and block have ended, and only those', async () => {
    const [live, ended] = [`spec:${Math.random()}`, `spec:${Math.random()}`];
    await counters.increment(live, 60_000, 5, 60_000);
    await counters.increment(ended, 60_000, 5, 60_000);
    await expire(ended);
    expect(await counters.deleteExpired()).toBeGreaterThanOrEqual(1);
    const keys = (await sql<{ key: string }[]>`select key from rate_limit_counters`).map((r) => r.key);
    expect(keys).toContain(`5/60000:${live}`);
    expect(keys).not.toContain(`5/60000:${ended}`);
  });
});
