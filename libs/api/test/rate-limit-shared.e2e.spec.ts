import { createConnection, createServer, type Server } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { RateLimitRepository, withDatabase } from '@driftwatch/persistence';
import { createTestDatabase, unusedPort, type TestDatabase } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SharedThrottlerStorage } from '../src/http/shared-throttler.storage.js';
import { createKey, startApi } from './support/api-app.js';

describe('the rate limit, shared by the API processes on one database', () => {
  let database: TestDatabase;
  let one: { app: INestApplication; url: string };
  let two: { app: INestApplication; url: string };
  beforeAll(async () => {
    database = await createTestDatabase(inject('serverUrl'), inject('templateDatabase'), 'api_rate_limit');
    [one, two] = await Promise.all([startApi(database.url, { rateLimitPerMinute: 10 }), startApi(database.url, { rateLimitPerMinute: 10 })]);
  });
  afterAll(async () => {
    await Promise.all([one?.app.close(), two?.app.close()]);
    await database?.drop();
  });

  const get = (base: string, key: string) => fetch(`${base}/api/v1/collectors`, { headers: { authorization: `Bearer ${key}` } });

  it('gives a key one budget over both: 6 requests to one and 4 to the other pass, the 11th is 429 with Retry-After', async () => {
    const [key, other] = [(await createKey(database.url, 'viewer')).key, (await createKey(database.url, 'viewer')).key];
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await get(one.url, key)).status);
    for (let i = 0; i < 4; i += 1) statuses.push((await get(two.url, key)).status);
    expect(statuses).toEqual(Array(10).fill(200));
    const limited = await get(two.url, key);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect((await get(one.url, key)).status).toBe(429);
    const fresh = await get(one.url, other);
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('x-ratelimit-remaining')).toBe('9');
  });
});

describe('the rate limit while the database cannot be reached', () => {
  let port: number;
  let proxy: Server | undefined;
  afterAll(async () => {
    await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
  });

  it('counts in the process (200, then 429), logs that once, and goes back to the database when it answers', async () => {
    port = await unusedPort();
    const database = await createTestDatabase(inject('serverUrl'), inject('templateDatabase'), 'api_rate_limit_down');
    const upstream = new URL(inject('serverUrl'));
    const url = new URL(withDatabase(inject('serverUrl'), database.name));
    url.host = `127.0.0.1:${port}`;
    const counters = RateLimitRepository.open(url.toString(), 1);
    let now = 1_000_000;
    const storage = new SharedThrottlerStorage(counters, () => now);
    const warnings: string[] = [];
    (storage as unknown as { log: { warn: (line: string) => void; log: (line: string) => void } }).log = {
      warn: (line) => warnings.push(line),
      log: (line) => warnings.push(line),
    };
    try {
      const refused = [];
      for (let i = 0; i < 3; i += 1) refused.push(await storage.increment('default:key:a', 60_000, 2, 60_000, 'default'));
      expect(refused.map((r) => r.isBlocked)).toEqual([false, false, true]);
      expect(refused[2]!.timeToBlockExpire).toBeGreaterThan(0);
      expect(storage.degraded).toBe(true);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^rate limit counts fall back to this process/);

      // the database is back (a proxy on the port that refused), and the retry is due
      proxy = createServer((client) => {
        const server = createConnection(Number(upstream.port || 5432), upstream.hostname);
        client.pipe(server).pipe(client);
        client.on('error', () => server.destroy());
        server.on('error', () => client.destroy());
      });
      await new Promise<void>((resolve) => proxy!.listen(port, '127.0.0.1', resolve));
      expect(await storage.increment('default:key:a', 60_000, 2, 60_000, 'default')).toMatchObject({ totalHits: 3, isBlocked: true });
      now += 5_000;
      expect(await storage.increment('default:key:a', 60_000, 2, 60_000, 'default')).toMatchObject({ totalHits: 1, isBlocked: false });
      expect(storage.degraded).toBe(false);
      expect(warnings).toEqual([warnings[0], 'rate limit counts are shared through the database again']);
    } finally {
      storage.onApplicationShutdown();
      await counters.close();
      await database.drop();
    }
  });
});
