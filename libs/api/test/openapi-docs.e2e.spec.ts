import type { INestApplication } from '@nestjs/common';
import { API_ROUTES, buildOpenApiDocument, DOCS_ASSETS } from '@driftwatch/contracts';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startApi } from './support/api-app.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

describe('the OpenAPI document and the docs page, over real HTTP', () => {
  let app: INestApplication;
  let base: string;
  beforeAll(async () => {
    const started = await startApi(databaseUrl);
    app = started.app;
    base = started.url;
  });
  afterAll(() => app.close());

  it('serves the document generated from API_ROUTES, without a key', async () => {
    const response = await fetch(`${base}/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument(API_ROUTES, { version: '9.9.9-test' }))));
  });

  it('serves a docs page, without a key, whose every URL is one of its own assets', async () => {
    const response = await fetch(`${base}/api/v1/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((url) => url !== 'data:,'); // no favicon request
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(url).toMatch(/^\/api\/v1\/docs\/assets\/[\w.-]+$/);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script>(?!<)/); // no inline script: the CSP allows none
    expect(new Set(urls.map((u) => u?.split('/').pop()))).toEqual(new Set(DOCS_ASSETS));
  });

  it.each(DOCS_ASSETS.map((name) => [name]))('serves the asset %s with its type', async (name) => {
    const response = await fetch(`${base}/api/v1/docs/assets/${name}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8');
    const body = await response.text();
    expect(body.length).toBeGreaterThan(100);
    expect(body).not.toMatch(/sourceMappingURL/);
  });

  it('answers 404 in the error shape for any other asset (no path escapes)', async () => {
    for (const name of ['index.html', '..%2F..%2Fpackage.json', 'swagger-ui.js.map', 'absolute-path.js']) {
      const response = await fetch(`${base}/api/v1/docs/assets/${name}`);
      expect(response.status, name).toBe(404);
      expect(await response.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
    }
  });
});
