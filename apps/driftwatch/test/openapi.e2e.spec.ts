import type { INestApplication } from '@nestjs/common';
import { validate } from '@readme/openapi-parser';
import type { OpenAPIV3_1 } from 'openapi-types';
import { createLogger } from '@driftwatch/common';
import { API_PREFIX, issueApiKey } from '@driftwatch/api';
import { API_ROUTES, buildOpenApiDocument, pathParameterNames, type RouteContract } from '@driftwatch/contracts';
import { AlertStore } from '@driftwatch/persistence';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../src/server.js';
import { version } from '../src/version.js';
import { contractKey, contractsByKey, declaredHandlers, servedRoutes } from './support/served-routes.js';

/**
 * The contracts (API_ROUTES, from which the OpenAPI document is generated) held against the whole app as
 * `driftwatch serve` builds it (`createApp`: every module and controller the product serves, the real HTTP setup):
 * the same routes, no more, no fewer; the same access and rate limiting as the guards apply; and the document the
 * app serves is that generated one, valid OpenAPI 3.1.
 */
describe('API_ROUTES against the routes the app serves', () => {
  const databaseUrl = inject('databaseUrl');
  let app: INestApplication;
  let base: string;
  const keys = { viewer: '', operator: '' };
  beforeAll(async () => {
    app = await createApp({ databaseUrl, version, logger: createLogger({ level: 'fatal' }), rateLimitPerMinute: 100_000 });
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const store = AlertStore.open(databaseUrl, 1);
    try {
      for (const role of ['viewer', 'operator'] as const) keys[role] = (await issueApiKey(store.keys, { role, namespaces: ['*'], name: `openapi ${role}` }, 'test')).key;
    } finally {
      await store.close();
    }
  });
  afterAll(() => app?.close());

  it('every served route has a contract, and every contract is served (method and path, :id = {id})', () => {
    const served = [...new Set(servedRoutes(app))].sort();
    const documented = API_ROUTES.map(contractKey).sort();
    expect(served.length).toBeGreaterThan(0);
    expect({ undocumented: served.filter((k) => !documented.includes(k)), invented: documented.filter((k) => !served.includes(k)) }).toEqual({ undocumented: [], invented: [] });
    expect(new Set(documented).size).toBe(documented.length);
  });

  it("Nest's controller metadata names exactly the served routes (so the access check below sees every one)", () => {
    const declared = declaredHandlers(app, API_PREFIX).map((h) => h.key).sort();
    expect(declared).toEqual([...new Set(servedRoutes(app))].sort());
  });

  it("each contract's access and rate limiting are what the route's decorators (read as the guards read them) say", () => {
    const contracts = contractsByKey();
    const mismatches = declaredHandlers(app, API_PREFIX).flatMap(({ key, policy, handler }) => {
      const contract = contracts.get(key);
      if (!contract) return [`${key} (${handler}): no contract`];
      const said = { access: contract.access, rateLimited: contract.rateLimited ?? true };
      return said.access === policy.access && said.rateLimited === policy.rateLimited
        ? []
        : [`${key} (${handler}): contract says ${JSON.stringify(said)}, decorators say ${JSON.stringify(policy)}`];
    });
    expect(mismatches).toEqual([]);
  });

  it("each contract's path parameters are exactly its `params`", () => {
    const wrong = API_ROUTES.flatMap((r) => {
      const declared = Object.keys(r.params?.shape ?? {}).sort();
      const inPath = pathParameterNames(r.path).sort();
      return JSON.stringify(declared) === JSON.stringify(inPath) ? [] : [`${contractKey(r)}: params ${JSON.stringify(declared)}, path ${JSON.stringify(inPath)}`];
    });
    expect(wrong).toEqual([]);
  });

  /** A concrete URL for a contract's path: `{x}` filled with `1`. */
  const urlOf = (route: RouteContract) => `${base}${route.path.replace(/\{[^}]+\}/g, '1')}`;
  const request = (route: RouteContract, key?: string) =>
    fetch(urlOf(route), { method: route.method.toUpperCase(), headers: key ? { authorization: `Bearer ${key}` } : {} });

  it('behaves as each contract says over HTTP: public routes need no key, others 401 without one and 403 below their role', async () => {
    const wrong: string[] = [];
    for (const route of API_ROUTES) {
      const anonymous = await request(route);
      if (route.access === 'public' ? anonymous.status === 401 : anonymous.status !== 401) wrong.push(`${contractKey(route)}: ${anonymous.status} without a key`);
      const limited = anonymous.headers.get('x-ratelimit-limit') !== null;
      if (limited !== (route.rateLimited ?? true)) wrong.push(`${contractKey(route)}: rate limit headers ${limited ? 'sent' : 'missing'}`);
      if (route.access === 'operator' || route.access === 'admin') {
        const below = await request(route, route.access === 'operator' ? keys.viewer : keys.operator);
        if (below.status !== 403) wrong.push(`${contractKey(route)}: ${below.status} for a key below ${route.access}`);
      }
      if (route.access === 'viewer') {
        const viewer = await request(route, keys.viewer);
        if (viewer.status === 401 || viewer.status === 403) wrong.push(`${contractKey(route)}: ${viewer.status} for a viewer key`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('serves the document generated from API_ROUTES, and it is valid OpenAPI 3.1', async () => {
    const response = await fetch(`${base}/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    const served = (await response.json()) as OpenAPIV3_1.Document;
    expect(served).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument(API_ROUTES, { version }))));
    const result = await validate(served);
    expect(result.valid ? [] : result.errors).toEqual([]);
  });
});
