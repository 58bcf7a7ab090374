import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from '@readme/openapi-parser';
import type { OpenAPIV3_1 } from 'openapi-types';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  API_ROUTES, buildOpenApiDocument, operationId, standardErrorStatuses, webhookDeliveryBody, type OpenApiDocument, type RouteContract,
} from '../src/index.js';

const document = buildOpenApiDocument(API_ROUTES, { version: '1.2.3' });

/** The document through JSON, as clients get it (validate() dereferences in place, so each call gets a copy). */
const copy = (doc: OpenApiDocument): OpenAPIV3_1.Document => JSON.parse(JSON.stringify(doc)) as OpenAPIV3_1.Document;

describe('the OpenAPI document generated from API_ROUTES', () => {
  it('is valid OpenAPI 3.1 (@readme/openapi-parser)', async () => {
    const result = await validate(copy(document));
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  it('is refused by the same validator when a path parameter is not described (the check bites)', async () => {
    const broken = copy(document);
    const get = broken.paths?.['/api/v1/alerts/{id}']?.get;
    expect(get?.parameters).toHaveLength(1);
    delete get?.parameters;
    expect((await validate(broken)).valid).toBe(false);
  });

  it('has one operation per contract, with a unique operationId, and nothing else', () => {
    const operations = Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ method, path, op })));
    expect(operations.map((o) => `${o.method} ${o.path}`).sort()).toEqual(API_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    const ids = operations.map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(API_ROUTES.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r] as const))('%s: security, role, errors and parameters follow its contract', (_name, route) => {
    const op = document.paths[route.path]?.[route.method];
    expect(op).toBeDefined();
    if (route.access === 'public') {
      expect(op?.security).toEqual([]);
      expect(op?.['x-required-role']).toBeUndefined();
    } else {
      expect(op?.security).toBeUndefined(); // the document's default: the API key
      expect(op?.['x-required-role']).toBe(route.access);
    }
    for (const status of standardErrorStatuses(route)) expect(op?.responses[String(status)], `status ${status}`).toBeDefined();
    for (const status of Object.keys(route.responses)) expect(op?.responses[status], `status ${status}`).toBeDefined();
    const pathParams = (op?.parameters ?? []).filter((p) => p['in'] === 'path').map((p) => p['name']);
    expect(pathParams).toEqual([...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]));
  });

  it('describes errors once, as components: the 400 shape with issues, the others without', () => {
    expect(document.components.responses['BadRequest']).toEqual({ description: expect.any(String), content: { 'application/json': { schema: { $ref: '#/components/schemas/ValidationError' } } } });
    expect(document.components.schemas['ValidationError']).toMatchObject({ required: ['statusCode', 'error', 'message', 'issues'], additionalProperties: false });
    expect(document.components.schemas['Error']).toMatchObject({ required: ['statusCode', 'error', 'message'], additionalProperties: false });
    expect(document.components.responses['TooManyRequests']).toMatchObject({ headers: { 'Retry-After': expect.any(Object) } });
    expect(document.components.securitySchemes['apiKey']).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('documents the webhook body and the socket.io messages', () => {
    expect(document.webhooks['alertEvent']?.post).toMatchObject({ requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/WebhookDeliveryBody' } } } } });
    for (const name of ['SocketSubscribe', 'SocketSubscribeAck', 'SocketAlertEvent', 'SocketFlowsStats', 'AlertSummary']) {
      expect(document.components.schemas[name], name).toBeDefined();
    }
  });

  it('writes request parts in input form (defaults optional) and answers in output form', () => {
    const list = document.paths['/api/v1/alerts']?.get?.parameters ?? [];
    expect(list.find((p) => p['name'] === 'limit')).toMatchObject({ in: 'query', required: false, schema: { type: 'integer', default: 50, minimum: 1, maximum: 500 } });
    const create = document.paths['/api/v1/webhooks']?.post?.requestBody as { required: boolean; content: Record<string, { schema: { required: string[] } }> };
    expect(create.required).toBe(true);
    expect(create.content['application/json']?.schema.required).toEqual(['name', 'url']);
    const ack = document.paths['/api/v1/alerts/{id}/ack']?.post?.requestBody as { required: boolean };
    expect(ack.required).toBe(false); // no body is the same as {}
  });

  it('leaves the date-time regex out (format says it)', () => {
    expect(JSON.stringify(document)).not.toContain('"format":"date-time","pattern"');
  });
});

describe('buildOpenApiDocument on contract bugs', () => {
  const route = (overrides: Partial<RouteContract>): RouteContract => ({
    method: 'get', path: '/api/v1/things', summary: 'x', tag: 'things', access: 'viewer', responses: { 200: { description: 'ok' } }, ...overrides,
  });

  it('refuses two contracts for one method and path, naming them', () => {
    expect(() => buildOpenApiDocument([route({}), route({})], { version: '1' })).toThrow('two contracts for GET /api/v1/things');
  });

  it('refuses a query that is not an object schema, naming the route', () => {
    expect(() => buildOpenApiDocument([route({ query: z.string() })], { version: '1' })).toThrow('GET /api/v1/things: params and query must be object schemas');
  });

  it('refuses two different schemas with one id', () => {
    const a = z.strictObject({ a: z.string() }).meta({ id: 'TwiceNamedForTest' });
    const b = z.strictObject({ b: z.number() }).meta({ id: 'TwiceNamedForTest' });
    const routes = [route({ responses: { 200: { description: 'a', schema: a } } }), route({ path: '/api/v1/other', responses: { 200: { description: 'b', schema: b } } })];
    expect(() => buildOpenApiDocument(routes, { version: '1' })).toThrow('two different schemas share the id "TwiceNamedForTest"');
  });

  it('names the input form of a schema apart when it differs from the output form', () => {
    const both = z.strictObject({ n: z.number().default(1) }).meta({ id: 'BothWaysForTest' });
    const doc = buildOpenApiDocument(
      [route({ method: 'post', body: both, responses: { 200: { description: 'x', schema: both } } })],
      { version: '1' },
    );
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['BothWaysForTest', 'BothWaysForTestInput']));
  });

  it.each([
    ['get', '/api/v1/alerts/{id}/evidence', 'getAlertsByIdEvidence'],
    ['post', '/api/v1/policies/revisions/{id}/activate', 'postPoliciesRevisionsByIdActivate'],
    ['get', '/api/v1/openapi.json', 'getOpenapiJson'],
    ['get', '/', 'get'],
  ] as const)('operationId(%s %s) = %s', (method, path, id) => {
    expect(operationId(method, path)).toBe(id);
  });
});

describe('the webhook delivery body', () => {
  it('takes an alert event and a test delivery, and nothing shaped otherwise', () => {
    const alert = {
      id: '7', status: 'open', severity: 'high', driftKind: 'unenforced-deny', cluster: 'c', srcNamespace: 'shop', srcWorkload: 'frontend',
      srcIp: '10.0.0.1', dstNamespace: 'shop', dstWorkload: 'database', dstIp: '10.0.0.2', dstPort: 5432, protocol: 'TCP', flowCount: 3,
      firstSeen: '2026-01-01T00:00:00.000Z', lastSeen: '2026-01-01T00:00:10.000Z', policyRevisionId: 1, acknowledgedAt: null, acknowledgedBy: null,
      resolvedAt: null, resolution: null, suppressedUntil: null, suppressedReason: null, suppressedBy: null,
    };
    expect(webhookDeliveryBody.safeParse({ id: '12', type: 'alert.opened', createdAt: '2026-01-01T00:00:00.000Z', alert }).success).toBe(true);
    const test = { test: true, message: 'hi', webhookId: 1, requestedBy: 'dw_abcdefgh' };
    expect(webhookDeliveryBody.safeParse({ id: 'test-5', type: 'webhook.test', createdAt: '2026-01-01T00:00:00.000Z', alert: test }).success).toBe(true);
    expect(webhookDeliveryBody.safeParse({ id: '12', type: 'alert.opened', createdAt: '2026-01-01T00:00:00.000Z', alert: test }).success).toBe(false);
    expect(webhookDeliveryBody.safeParse({ id: '12', type: 'alert.opened', createdAt: '2026-01-01T00:00:00.000Z', alert: { ...alert, extra: 1 } }).success).toBe(false);
  });
});

describe('libs/contracts imports', () => {
  it('imports nothing but zod (and its own files)', () => {
    const root = join(import.meta.dirname, '..', 'src');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const imports = files.flatMap((f) => [...readFileSync(join(root, f), 'utf8').matchAll(/from\s+'([^']+)'/g)].map((m) => `${f}: ${m[1]}`));
    expect(imports.filter((line) => !/: (zod|\.\.?\/.*)$/.test(line))).toEqual([]);
  });
});
