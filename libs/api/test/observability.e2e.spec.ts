import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { createLogger } from '@driftwatch/common';
import { AlertStore, applyMigrations, dropDatabase, ensureDatabase, withDatabase } from '@driftwatch/persistence';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { NestLogger, REQUEST_ID_HEADER } from '../src/index.js';
import { createKey, startApi } from './support/api-app.js';
import { seedAlert } from '@driftwatch/testing';

// A database of this file's own: driftwatch_open_alerts counts every alert, and other files seed theirs in parallel.
const serverUrl = inject('serverUrl');
const name = `driftwatch_test_api_observability_${randomBytes(4).toString('hex')}`;
const databaseUrl = withDatabase(serverUrl, name);
const metricsToken = `metrics-${randomBytes(12).toString('hex')}`;

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics and request ids over real HTTP', () => {
  let app: INestApplication;
  let url: string;
  let open: { app: INestApplication; url: string };
  let store: AlertStore;
  const logLines: Record<string, unknown>[] = [];
  const lineWaiters = new Set<() => void>();
  /** The first log line that `predicate` holds for, as soon as it is written (the line of a request follows its answer). */
  const logLine = (predicate: (line: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const line = logLines.find(predicate);
        if (!line) return;
        lineWaiters.delete(check);
        clearTimeout(timer);
        resolve(line);
      };
      const timer = setTimeout(() => {
        lineWaiters.delete(check);
        reject(new Error('no such log line within 5 s'));
      }, 5000);
      lineWaiters.add(check);
      check();
    });
  beforeAll(async () => {
    await ensureDatabase(serverUrl, name);
    await applyMigrations(databaseUrl);
    const logger = createLogger({ level: 'debug', format: 'json', write: (line) => {
      logLines.push(JSON.parse(line) as Record<string, unknown>);
      for (const check of lineWaiters) check();
    } });
    open = await startApi(databaseUrl);
    // Nest's logger is one per process: the app created last sets it.
    ({ app, url } = await startApi(databaseUrl, { metricsToken, logger: new NestLogger(logger) }));
    store = AlertStore.open(databaseUrl, 2);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await open?.app.close();
    await store?.close();
    await dropDatabase(serverUrl, name);
  });

  it('is served at /metrics, outside /api/v1, without an API key and without a token when none is set', async () => {
    const response = await fetch(`${open.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('# TYPE driftwatch_flows_total counter');
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect((await fetch(`${open.url}/api/v1/metrics`)).status).toBe(404);
    // Every answer has a request id, outside the prefix and for routes that do not exist too.
    for (const path of ['/metrics', '/api/v1/metrics', '/nowhere']) {
      expect((await fetch(`${open.url}${path}`, { headers: { [REQUEST_ID_HEADER]: 'id-1' } })).headers.get(REQUEST_ID_HEADER), path).toBe('id-1');
    }
  });

  it('needs the METRICS_TOKEN when one is set, and no API key takes its place', async () => {
    const admin = (await createKey(databaseUrl, 'admin')).key;
    for (const authorization of [undefined, `Bearer ${admin}`, `Bearer ${metricsToken}x`, metricsToken, `Basic ${metricsToken}`]) {
      const response = await fetch(`${url}/metrics`, { headers: authorization ? { authorization } : {} });
      expect(response.status, String(authorization)).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(await response.json()).toMatchObject({ statusCode: 401, message: expect.stringContaining('METRICS_TOKEN') });
    }
    const ok = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
    expect(ok.status).toBe(200);
  });

  it('counts unresolved alerts by severity and status from the database on each scrape', async () => {
    const scrape = async () => (await fetch(`${open.url}/metrics`)).text();
    expect(sample(await scrape(), 'driftwatch_open_alerts{severity="critical",status="open"}')).toBe(0);
    await seedAlert(store, 'a', 'b', { severity: 'critical' });
    await seedAlert(store, 'a', 'c', { severity: 'critical' });
    const medium = await seedAlert(store, 'a', 'd', { severity: 'medium', driftKind: 'unexpected-drop' });
    await store.alerts.act(medium.id, { kind: 'acknowledge' }, 'test', '*');
    const resolved = await seedAlert(store, 'a', 'e', { severity: 'high' });
    await store.alerts.act(resolved.id, { kind: 'resolve' }, 'test', '*');
    const text = await scrape();
    expect(sample(text, 'driftwatch_open_alerts{severity="critical",status="open"}')).toBe(2);
    expect(sample(text, 'driftwatch_open_alerts{severity="medium",status="acknowledged"}')).toBe(1);
    expect(sample(text, 'driftwatch_open_alerts{severity="high",status="open"}')).toBe(0);
  });

  it('echoes a sane x-request-id, replaces any other with a UUID, and puts it on the request\'s log line', async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const cases: [string | undefined, (id: string) => boolean][] = [
      ['caller-chosen.id_1:2', (id) => id === 'caller-chosen.id_1:2'],
      ['x'.repeat(128), (id) => id === 'x'.repeat(128)],
      ['x'.repeat(129), (id) => uuid.test(id)],
      ['has space', (id) => uuid.test(id)],
      ['tab\there', (id) => uuid.test(id)],
      ['caf\u00e9', (id) => uuid.test(id)],
      [undefined, (id) => uuid.test(id)],
    ];
    for (const [sent, accepted] of cases) {
      const headers: Record<string, string> = sent === undefined ? {} : { [REQUEST_ID_HEADER]: sent };
      let response: Response;
      try {
        response = await fetch(`${url}/api/v1/alerts`, { headers });
      } catch {
        continue; // fetch itself refuses some header values (a tab, non-Latin-1): nothing reached the server
      }
      const id = response.headers.get(REQUEST_ID_HEADER) ?? '';
      expect(accepted(id), `${JSON.stringify(sent)} → ${id}`).toBe(true);
      expect(response.status).toBe(401);
      const line = await logLine((l) => l['reqId'] === id && l['context'] === 'HTTP');
      expect(line, `the log line of ${id}`).toMatchObject({ level: 'info', msg: 'GET /api/v1/alerts', status: 401, ms: expect.any(Number) });
    }
  });

  it('logs probes and scrapes at debug level, and never answers a random x-request-id with a 5xx', async () => {
    const response = await fetch(`${url}/api/v1/health`, { headers: { [REQUEST_ID_HEADER]: 'probe-1' } });
    expect(response.headers.get(REQUEST_ID_HEADER)).toBe('probe-1');
    expect(await logLine((l) => l['reqId'] === 'probe-1')).toMatchObject({ level: 'debug', msg: 'GET /api/v1/health', status: 200 });
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary-ascii', maxLength: 300 }), async (value) => {
        let answer: Response;
        try {
          answer = await fetch(`${url}/api/v1/health`, { headers: { [REQUEST_ID_HEADER]: value } });
        } catch {
          return; // a value fetch will not send
        }
        expect(answer.status).toBeLessThan(500);
        const id = answer.headers.get(REQUEST_ID_HEADER) ?? '';
        expect(id.length).toBeGreaterThan(0);
        expect(id.length).toBeLessThanOrEqual(128);
        expect(id).toMatch(/^[\x21-\x7e]+$/);
      }),
      { numRuns: 60 },
    );
  });
});
