import { Controller, Get } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { errorBody, validationErrorBody } from '@driftwatch/contracts';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKey, startApi } from './support/api-app.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

@Controller('boom')
class BoomController {
  @Get()
  boom(): never {
    throw new Error('secret detail of the server');
  }
}

/** A raw request: status, headers and the body as text and (when it is JSON) parsed. */
async function send(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; text: string; json: unknown }> {
  const response = await fetch(url, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

describe('HTTP hygiene: body limits, content types and the one error shape', () => {
  let app: INestApplication;
  let base: string;
  let operator: string;
  beforeAll(async () => {
    const started = await startApi(databaseUrl, { http: { bodyLimitBytes: 4096 }, controllers: [BoomController] });
    app = started.app;
    base = `${started.url}/api/v1`;
    operator = (await createKey(databaseUrl, 'operator')).key;
  });
  afterAll(() => app.close());

  const post = (path: string, body: string, type: string | undefined) =>
    send(`${base}${path}`, { method: 'POST', body, headers: { authorization: `Bearer ${operator}`, ...(type ? { 'content-type': type } : {}) } });

  it.each([
    ['a truncated object', '{"name": "x"'],
    ['a trailing comma', '{"name": "x",}'],
    ['single quotes', "{'name': 'x'}"],
    ['a bare word', 'hello'],
  ])('answers malformed JSON (%s) with the one 400 shape, not HTML', async (_what, body) => {
    const answer = await post('/webhooks', body, 'application/json');
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(validationErrorBody.safeParse(answer.json).error?.issues).toBeUndefined();
    expect(answer.json).toMatchObject({ message: expect.stringMatching(/^invalid request: \(root\): the body is not valid JSON/), issues: [{ path: '(root)' }] });
  });

  it('answers a JSON body over the limit with 413 in the error shape, naming the limit', async () => {
    const answer = await post('/webhooks', JSON.stringify({ name: 'x'.repeat(5000), url: 'https://example.com/' }), 'application/json');
    expect(answer.status).toBe(413);
    expect(errorBody.safeParse(answer.json).error?.issues).toBeUndefined();
    expect(answer.json).toEqual({ statusCode: 413, error: 'Payload Too Large', message: 'the request body is larger than 4096 bytes (HTTP_BODY_LIMIT)' });
  });

  it('answers a YAML body over its limit (the larger of HTTP_BODY_LIMIT and 8 MiB, for manifests) with 413 too, and takes one under it', async () => {
    const big = await post('/webhooks', `name: ${'x'.repeat(8 * 1024 * 1024)}\n`, 'application/yaml');
    expect(big.status).toBe(413);
    expect(big.json).toEqual({ statusCode: 413, error: 'Payload Too Large', message: 'the request body is larger than 8388608 bytes (the limit of this body type)' });
    const small = await post('/webhooks', 'name: x\n', 'application/yaml');
    // read (as bytes), and refused by the webhook route (JSON only) in the one 400 shape: not the object it takes
    expect(small.status).toBe(400);
    expect(small.json).toMatchObject({ statusCode: 400, issues: expect.arrayContaining([expect.objectContaining({ path: 'name' })]) });
  });

  it('counts the limit on the bytes sent, also when chunked without a length', async () => {
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i += 1) controller.enqueue(new TextEncoder().encode(' '.repeat(1000)));
        controller.close();
      },
    });
    const answer = await send(`${base}/webhooks`, {
      method: 'POST',
      body: chunks,
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit);
    expect(answer.status).toBe(413);
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['a form', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['XML', 'application/xml'],
  ])('refuses a body of type %s with 415 in the error shape', async (_what, type) => {
    const answer = await post('/alerts/1/ack', 'a=b', type);
    expect(answer.status).toBe(415);
    expect(errorBody.safeParse(answer.json).error?.issues).toBeUndefined();
    expect(answer.json).toMatchObject({ statusCode: 415, error: 'Unsupported Media Type', message: expect.stringContaining(type.split(';')[0] as string) });
  });

  it('refuses a body without a content type with 415, and takes no body at all', async () => {
    const untyped = await send(`${base}/alerts/1/ack`, { method: 'POST', body: new Uint8Array([123, 125]), headers: { authorization: `Bearer ${operator}` } });
    expect(untyped.status).toBe(415);
    expect(untyped.json).toMatchObject({ message: 'a request body needs a Content-Type: send application/json' });
    const none = await send(`${base}/alerts/999999999999/ack`, { method: 'POST', headers: { authorization: `Bearer ${operator}` } });
    expect(none.status).toBe(404); // validated as {}, then: no such alert
  });

  it('answers an unknown route and a bad percent-encoding in the error shapes', async () => {
    const unknown = await send(`${base}/nothing-here`);
    expect(unknown.status).toBe(404);
    expect(errorBody.safeParse(unknown.json).error?.issues).toBeUndefined();
    const encoded = await send(`${base}/alerts/%E0%A4%A`, { headers: { authorization: `Bearer ${operator}` } });
    expect(encoded.status).toBe(400);
    expect(validationErrorBody.safeParse(encoded.json).error?.issues).toBeUndefined();
  });

  it('answers an unexpected error with a 500 that tells nothing of the server', async () => {
    const answer = await send(`${base}/boom`, { headers: { authorization: `Bearer ${operator}` } });
    expect(answer.status).toBe(500);
    expect(answer.json).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'internal error (see the server log)' });
    expect(answer.text).not.toContain('secret detail');
  });
});

describe('HTTP hygiene: security headers and CORS', () => {
  let closed: { app: INestApplication; url: string };
  let open: { app: INestApplication; url: string };
  beforeAll(async () => {
    closed = await startApi(databaseUrl);
    open = await startApi(databaseUrl, { http: { corsOrigins: ['https://dash.example.com'] } });
  });
  afterAll(async () => {
    await closed.app.close();
    await open.app.close();
  });

  it('sends security headers: a CSP of this origin only (scripts, styles, connections), no sniffing, no framing, no X-Powered-By', async () => {
    for (const path of ['/api/v1/health', '/api/v1/docs', '/api/v1/nothing']) {
      const { headers } = await send(`${closed.url}${path}`);
      const csp = Object.fromEntries((headers.get('content-security-policy') ?? '').split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
      expect(csp, path).toMatchObject({
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'connect-src': ["'self'"],
        'object-src': ["'none'"],
        'frame-ancestors': ["'none'"],
        'script-src-attr': ["'none'"],
      });
      expect(JSON.stringify(csp)).not.toMatch(/https?:|unsafe-eval|\*/);
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(headers.get('x-powered-by')).toBeNull();
      expect(headers.get('cross-origin-resource-policy')).toBe('same-origin');
    }
  });

  it('is closed to other origins by default: no CORS headers, preflight refused', async () => {
    const simple = await send(`${closed.url}/api/v1/health`, { headers: { origin: 'https://dash.example.com' } });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await send(`${closed.url}/api/v1/alerts`, {
      method: 'OPTIONS',
      headers: { origin: 'https://dash.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('with CORS_ORIGINS, answers those origins (authorization header allowed, rate-limit headers readable) and no other', async () => {
    const preflight = await send(`${open.url}/api/v1/alerts`, {
      method: 'OPTIONS',
      headers: { origin: 'https://dash.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://dash.example.com');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    const simple = await send(`${open.url}/api/v1/health`, { headers: { origin: 'https://dash.example.com' } });
    expect(simple.headers.get('access-control-allow-origin')).toBe('https://dash.example.com');
    expect(simple.headers.get('access-control-expose-headers')).toContain('Retry-After');
    const other = await send(`${open.url}/api/v1/health`, { headers: { origin: 'https://evil.example.net' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('gives socket.io (its polling handshake) the same origins', async () => {
    const handshake = (url: string, origin: string) => send(`${url}/socket.io/?EIO=4&transport=polling`, { headers: { origin } });
    const allowed = await handshake(open.url, 'https://dash.example.com');
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://dash.example.com');
    expect((await handshake(open.url, 'https://evil.example.net')).headers.get('access-control-allow-origin')).toBeNull();
    expect((await handshake(closed.url, 'https://dash.example.com')).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('HTTP hygiene: the per-key rate limit', () => {
  let started: { app: INestApplication; url: string };
  let first: string;
  let second: string;
  beforeAll(async () => {
    started = await startApi(databaseUrl, { rateLimitPerMinute: 3 });
    first = (await createKey(databaseUrl, 'viewer')).key;
    second = (await createKey(databaseUrl, 'viewer')).key;
  });
  afterAll(() => started.app.close());

  const get = (path: string, key?: string) => send(`${started.url}/api/v1${path}`, key ? { headers: { authorization: `Bearer ${key}` } } : {});

  it('counts a key across routes and answers 429 in the error shape with Retry-After; another key keeps its own budget', async () => {
    expect((await get('/alerts', first)).status).toBe(200);
    const counted = await get('/webhooks', first);
    expect(counted.status).toBe(200);
    expect(counted.headers.get('x-ratelimit-limit')).toBe('3');
    expect(counted.headers.get('x-ratelimit-remaining')).toBe('1');
    expect((await get('/alerts?limit=1', first)).status).toBe(200);
    const limited = await get('/webhooks', first);
    expect(limited.status).toBe(429);
    expect(errorBody.safeParse(limited.json).error?.issues).toBeUndefined();
    expect(limited.json).toMatchObject({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/^too many requests: at most 3 a minute/) });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect((await get('/alerts', second)).status).toBe(200);
  });

  it('never limits health', async () => {
    for (let i = 0; i < 10; i += 1) expect((await get('/health')).status).toBe(200);
  });

  it('counts requests without a valid key per client address, so guessing keys is limited too', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await get('/alerts', `dw_${'x'.repeat(43)}`)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    // the docs (public) share the address's budget; a valid key does not
    expect((await get('/openapi.json')).status).toBe(429);
    expect((await get('/alerts', second)).status).toBe(200);
  });
});
