import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import type { INestApplication } from '@nestjs/common';
import { createLogger } from '@driftwatch/common';
import { issueApiKey } from '@driftwatch/api';
import {
  API_ROUTES, buildOpenApiDocument, errorBody, validationErrorBody, type RouteContract,
} from '@driftwatch/contracts';
import {
  AlertStore, dropDatabase, ensureDatabase, openRowCounter, withDatabase, type RowCounter,
} from '@driftwatch/persistence';
import { seedAlert } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../src/server.js';
import { version } from '../src/version.js';
import { requestsFor, type FuzzRequest } from './support/request-arbitraries.js';

/**
 * Every route of API_ROUTES (read at run time: routes added later are fuzzed too) against the whole app with its
 * real HTTP setup, over a database of this file's own (row counts must not move under other tests' feet):
 * random and malformed path parameters, query strings, JSON bodies, content types and sizes, with an admin key,
 * a viewer key scoped to one namespace, or none. Never a 5xx; every error in the one error shape with a status
 * the document lists for the route; every success in the route's documented response schema; a rejected write
 * changes no row of any table; and the server answers afterwards.
 */
const SEED = 9_2026;
const RUNS_PER_ROUTE = 25;

const serverUrl = inject('serverUrl');
const databaseName = `driftwatch_test_api_fuzz_${randomBytes(4).toString('hex')}`;
const databaseUrl = withDatabase(serverUrl, databaseName);
const document = buildOpenApiDocument(API_ROUTES, { version });

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

/** A raw HTTP request (node:http: a GET may carry a body, and the path is sent as given, bad encodings and all). */
function send(base: URL, method: string, path: string, headers: Record<string, string>, body: string | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: base.hostname, port: base.port, method, path, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The statuses the served document lists for a route (and the three any stray body may get). */
function allowedStatuses(route: RouteContract, carriedBody: boolean): Set<number> {
  const listed = Object.keys(document.paths[route.path]?.[route.method]?.responses ?? {}).map(Number);
  return new Set([...listed, ...(carriedBody && !route.body ? [400, 413, 415] : [])]);
}

const describeRequest = (route: RouteContract, r: FuzzRequest) =>
  `${route.method.toUpperCase()} ${r.path}${r.query} key=${r.key} body=${r.body ? `${r.body.contentType ?? '(no type)'} ${r.body.text.slice(0, 200)}` : '(none)'}`;

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

describe('fuzzing every route in API_ROUTES', { timeout: 120_000 }, () => {
  let app: INestApplication;
  let base: URL;
  const keys: Record<FuzzRequest['key'], string | undefined> = { admin: undefined, viewer: undefined, none: undefined };
  const ids: string[] = [];
  let counter: RowCounter;
  let rows: Record<string, number>;

  beforeAll(async () => {
    await ensureDatabase(serverUrl, databaseName, { template: inject('templateDatabase') });
    const store = AlertStore.open(databaseUrl, 1);
    try {
      keys.admin = (await issueApiKey(store.keys, { role: 'admin', namespaces: ['*'], name: 'fuzz admin' }, 'test')).key;
      keys.viewer = (await issueApiKey(store.keys, { role: 'viewer', namespaces: ['shop'], name: 'fuzz viewer' }, 'test')).key;
      for (const [src, dst] of [['shop', 'shop'], ['other', 'other'], [null, 'shop']] as const) ids.push((await seedAlert(store, src, dst)).id);
    } finally {
      await store.close();
    }
    app = await createApp({ databaseUrl, version, logger: createLogger({ level: 'fatal' }), rateLimitPerMinute: 1_000_000 });
    await app.listen(0, '127.0.0.1');
    base = new URL((await app.getUrl()).replace('[::1]', '127.0.0.1'));
    const hook = await send(base, 'POST', '/api/v1/webhooks', { authorization: `Bearer ${keys.admin}`, 'content-type': 'application/json' }, JSON.stringify({ name: 'fuzz', url: 'https://example.com/hook' }));
    expect(hook.status).toBe(201);
    ids.push(String((JSON.parse(hook.text) as { id: number }).id));
    counter = await openRowCounter(databaseUrl);
    rows = await counter.count();
  }, 60_000);

  afterAll(async () => {
    await counter?.close();
    await app?.close();
    await dropDatabase(serverUrl, databaseName);
  });

  it.each(API_ROUTES.map((route) => [`${route.method.toUpperCase()} ${route.path}`, route] as const))('%s', async (_name, route) => {
    await fc.assert(
      fc.asyncProperty(requestsFor(route, ids), async (r) => {
        const what = describeRequest(route, r);
        const key = keys[r.key];
        const headers: Record<string, string> = { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(r.body?.contentType ? { 'content-type': r.body.contentType } : {}) };
        const answer = await send(base, route.method.toUpperCase(), `${r.path}${r.query}`, headers, r.body?.text);
        expect(answer.status, what).toBeLessThan(500);
        expect(allowedStatuses(route, r.body !== undefined).has(answer.status), `${what}: status ${answer.status} is not in the document`).toBe(true);
        if (answer.status < 300) {
          const documented = route.responses[answer.status];
          if (documented?.schema && answer.contentType.startsWith('application/json')) {
            const check = documented.schema.safeParse(parsed(answer.text));
            expect(check.error?.issues, `${what}: the ${answer.status} answer does not fit its documented schema`).toBeUndefined();
          } else if (documented?.schema || documented?.contentTypes) {
            expect(documented.contentTypes?.some((t) => answer.contentType.startsWith(t)), `${what}: ${answer.status} answered as ${answer.contentType || 'no type'}`).toBe(true);
          }
          if (route.method !== 'get') rows = await counter.count();
          return;
        }
        // the route's own error schema when it documents one (a 422 with its problems), else the one error shape
        const shape = route.responses[answer.status]?.schema ?? (answer.status === 400 ? validationErrorBody : errorBody);
        const body = shape.safeParse(parsed(answer.text));
        expect(body.error?.issues, `${what}: ${answer.status} ${answer.text.slice(0, 300)}`).toBeUndefined();
        expect((body.data as { statusCode?: number } | undefined)?.statusCode, what).toBe(answer.status);
        if (route.method !== 'get') expect(await counter.count(), `${what}: a rejected write changed rows`).toEqual(rows);
      }),
      { seed: SEED, numRuns: RUNS_PER_ROUTE, endOnFailure: true },
    );
  });

  it('still answers afterwards', async () => {
    expect((await send(base, 'GET', '/api/v1/health', {}, undefined)).status).toBe(200);
    const list = await send(base, 'GET', '/api/v1/alerts', { authorization: `Bearer ${keys.admin}` }, undefined);
    expect(list.status).toBe(200);
  });
});
