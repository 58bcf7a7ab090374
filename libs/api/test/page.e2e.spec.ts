import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { pageRoutes } from '@driftwatch/contracts';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PAGE_CSP } from '../src/index.js';
import { startApi } from './support/api-app.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

const STATIC = join(import.meta.dirname, '..', 'src', 'page', 'static');
const socketIoVersion = (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'node_modules', 'socket.io', 'package.json'), 'utf8')) as { version: string }).version;

describe('the live page and its assets (real HTTP)', () => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    ({ app, url } = await startApi(databaseUrl));
  });
  afterAll(() => app.close());

  it.each([
    ['/', 'text/html; charset=utf-8', '<script type="module" src="/ui/app.js"></script>'],
    ['/ui/app.js', 'text/javascript; charset=utf-8', "import { io } from '/ui/socket.io.esm.min.js';"],
    ['/ui/app.css', 'text/css; charset=utf-8', '.alert'],
    ['/ui/socket.io.esm.min.js', 'text/javascript; charset=utf-8', `Socket.IO v${socketIoVersion}`],
  ])('%s is public, outside /api/v1, with its type, nosniff and no caching without revalidation', async (path, type, excerpt) => {
    const response = await fetch(`${url}${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(type);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(await response.text()).toContain(excerpt);
    expect((await fetch(`${url}/api/v1${path === '/' ? '' : path}`)).status).not.toBe(200);
  });

  it('serves the page under a strict CSP, and the page has no inline script, style or handler', async () => {
    const response = await fetch(`${url}/`);
    expect(response.headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect(PAGE_CSP).toContain("script-src 'self'");
    expect(PAGE_CSP).not.toContain('unsafe');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await response.text();
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script type="module" src="/ui/app.js">']);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    // Every asset the page and its script load is on the same origin, under /ui/.
    expect([...html.matchAll(/(?:src|href)="([^"#]+)"/g)].map((m) => m[1])).toEqual(['/ui/app.css', '/ui/app.js']);
  });

  it("the script never parses server data as markup (no innerHTML, insertAdjacentHTML, document.write, eval)", () => {
    const script = readFileSync(join(STATIC, 'app.js'), 'utf8');
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|\.style\b|setAttribute\('style'/);
  });

  it('serves exactly the routes pageRoutes describes; anything else under /ui is 404 and the API still needs a key', async () => {
    expect(pageRoutes.map((r) => `${r.method} ${r.path}`)).toEqual(['get /', 'get /ui/app.js', 'get /ui/app.css', 'get /ui/socket.io.esm.min.js']);
    for (const route of pageRoutes) expect(route.access).toBe('public');
    expect((await fetch(`${url}/ui/other.js`)).status).toBe(404);
    expect((await fetch(`${url}/ui/../package.json`)).status).toBe(404);
    expect((await fetch(`${url}/index.html`)).status).toBe(404);
    expect((await fetch(`${url}/api/v1/alerts`)).status).toBe(401);
    expect((await fetch(`${url}/`, { method: 'POST' })).status).toBe(404);
  });
});
