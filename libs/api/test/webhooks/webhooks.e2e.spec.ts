import type { INestApplication } from '@nestjs/common';
import { deliveryView, webhookWithSecret } from '@driftwatch/contracts';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { createKey, startApi as startTestApi } from '../support/api-app.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

async function startApi(allowPrivateNetworks: boolean): Promise<{ app: INestApplication; url: string }> {
  const started = await startTestApi(databaseUrl, { webhooks: { allowPrivateNetworks } });
  return { app: started.app, url: `${started.url}/api/v1` };
}

let api: { app: INestApplication; url: string };
/** Real API keys, by the role the tests act with. */
const keys: Record<'operator' | 'viewer', string> = { operator: '', viewer: '' };
beforeAll(async () => {
  api = await startApi(false);
  keys.operator = (await createKey(databaseUrl, 'operator')).key;
  keys.viewer = (await createKey(databaseUrl, 'viewer')).key;
});
afterAll(() => api.app.close());
afterEach(async () => {
  const list = (await call('GET', '/webhooks')).body as { id: number }[];
  for (const w of list) await call('DELETE', `/webhooks/${w.id}`);
});

async function call(method: string, path: string, body?: unknown, role: 'operator' | 'viewer' = 'operator', base = api.url): Promise<{ status: number; body: unknown; text: string }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${keys[role]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, text, body: text ? JSON.parse(text) : undefined };
}

const valid = { name: 'pager', url: 'https://hooks.example.com/driftwatch' };

describe('/api/v1/webhooks', { timeout: 30_000 }, () => {
  it('creates a webhook and shows its secret once; reads never show it', async () => {
    const created = await call('POST', '/webhooks', { ...valid, namespaces: ['shop'], minSeverity: 'high', eventTypes: ['alert.opened'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(Number), ...valid, enabled: true, namespaces: ['shop'], minSeverity: 'high', eventTypes: ['alert.opened'], secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/) });
    const { id, secret } = created.body as { id: number; secret: string };
    const one = await call('GET', `/webhooks/${id}`, undefined, 'viewer');
    const all = await call('GET', '/webhooks', undefined, 'viewer');
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id, name: 'pager', namespaces: ['shop'] });
    for (const read of [one, all]) {
      expect(read.text).not.toContain(secret);
      expect(read.text).not.toMatch(/"secret"|previousSecret"/);
    }
    expect(all.body).toHaveLength(1);
  });

  it('applies the defaults: every namespace, medium and above, every event type, enabled', async () => {
    const created = await call('POST', '/webhooks', valid);
    expect(created.body).toMatchObject({ namespaces: ['*'], minSeverity: 'medium', eventTypes: ['*'], enabled: true, disabledReason: null });
  });

  it.each([
    ['a missing url', { name: 'x' }, 'url'],
    ['a missing name', { url: valid.url }, 'name'],
    ['an empty name', { ...valid, name: '  ' }, 'name'],
    ['a URL that is not one', { ...valid, url: 'not a url' }, 'url'],
    ['an ftp URL', { ...valid, url: 'ftp://example.com/x' }, 'url'],
    ['a file URL', { ...valid, url: 'file:///etc/passwd' }, 'url'],
    ['credentials in the URL', { ...valid, url: 'https://user:pw@example.com/' }, 'url'],
    ['a loopback address', { ...valid, url: 'http://127.0.0.1:8080/' }, 'url'],
    ['localhost', { ...valid, url: 'http://localhost/' }, 'url'],
    ['a private address', { ...valid, url: 'http://10.1.2.3/' }, 'url'],
    ['the cloud metadata address', { ...valid, url: 'http://169.254.169.254/latest/meta-data/' }, 'url'],
    ['an IPv6 loopback', { ...valid, url: 'http://[::1]/' }, 'url'],
    ['an IPv4-mapped loopback', { ...valid, url: 'http://[::ffff:127.0.0.1]/' }, 'url'],
    ['a unique-local IPv6 address', { ...valid, url: 'http://[fd00::1]/' }, 'url'],
    ['no namespace', { ...valid, namespaces: [] }, 'namespaces'],
    ['a bad namespace', { ...valid, namespaces: ['shop', 'Not_A_Namespace'] }, 'namespaces.1'],
    ['an unknown severity', { ...valid, minSeverity: 'low' }, 'minSeverity'],
    ['an unknown event type', { ...valid, eventTypes: ['alert.exploded'] }, 'eventTypes.0'],
    ['enabled as text', { ...valid, enabled: 'yes' }, 'enabled'],
  ])('answers 400 naming the field for %s', async (_what, body, field) => {
    const response = await call('POST', '/webhooks', body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request', issues: expect.arrayContaining([expect.objectContaining({ path: field })]) });
    expect((response.body as { message: string }).message).toMatch(new RegExp(`^invalid request: ${field.replace('.', '\\.')}: `));
    expect((await call('GET', '/webhooks')).body).toEqual([]);
  });

  it('answers 400 for unknown fields and for a body that is not an object', async () => {
    const unknown = await call('POST', '/webhooks', { ...valid, secret: 'mine' });
    expect(unknown.status).toBe(400);
    expect((unknown.body as { message: string }).message).toMatch(/unknown field\(s\) secret/);
    const list = await call('POST', '/webhooks', '[1,2]');
    expect(list.status).toBe(400);
  });

  it('answers 404 as JSON for an unknown webhook, and 409 for a name in use', async () => {
    for (const [method, path, body] of [['GET', '/webhooks/999999'], ['PATCH', '/webhooks/999999', { enabled: false }], ['DELETE', '/webhooks/999999'], ['GET', '/webhooks/abc'], ['POST', '/webhooks/999999/test'], ['GET', '/webhooks/999999/deliveries'], ['POST', '/webhooks/999999/rotate-secret', {}]] as const) {
      const response = await call(method, path, body);
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body).toMatchObject({ statusCode: 404, message: expect.stringMatching(/^no webhook/) });
    }
    await call('POST', '/webhooks', valid);
    const again = await call('POST', '/webhooks', valid);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ statusCode: 409, message: expect.stringMatching(/^name: a webhook named "pager" already exists/) });
  });

  it('changes a webhook with PATCH (validated), deletes it with DELETE', async () => {
    const { id } = (await call('POST', '/webhooks', valid)).body as { id: number };
    const patched = await call('PATCH', `/webhooks/${id}`, { minSeverity: 'critical', enabled: false });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id, minSeverity: 'critical', enabled: false, url: valid.url });
    expect((await call('PATCH', `/webhooks/${id}`, {})).status).toBe(400);
    const badUrl = await call('PATCH', `/webhooks/${id}`, { url: 'http://192.168.1.1/' });
    expect(badUrl.status).toBe(400);
    expect((badUrl.body as { message: string }).message).toMatch(/^invalid request: url: /);
    expect((await call('DELETE', `/webhooks/${id}`)).status).toBe(204);
    expect((await call('GET', `/webhooks/${id}`)).status).toBe(404);
  });

  it('rotates the secret: a new one, shown once, and the old one\'s grace period', async () => {
    const { id, secret } = (await call('POST', '/webhooks', valid)).body as { id: number; secret: string };
    const rotated = await call('POST', `/webhooks/${id}/rotate-secret`, { graceSeconds: 3600 });
    expect(rotated.status).toBe(201);
    const body = rotated.body as { secret: string; previousSecretExpiresAt: string };
    expect(body.secret).toMatch(/^whsec_/);
    expect(body.secret).not.toBe(secret);
    expect(Date.parse(body.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(3500_000);
    expect(rotated.text).not.toContain(secret);
    const bad = await call('POST', `/webhooks/${id}/rotate-secret`, { graceSeconds: -1 });
    expect(bad.status).toBe(400);
    expect((bad.body as { message: string }).message).toMatch(/^invalid request: graceSeconds: /);
  });

  it('enqueues a test event and lists it among the deliveries', async () => {
    const { id } = (await call('POST', '/webhooks', valid)).body as { id: number };
    const test = await call('POST', `/webhooks/${id}/test`);
    expect(test.status).toBe(202);
    const { deliveryId } = test.body as { deliveryId: string };
    const deliveries = await call('GET', `/webhooks/${id}/deliveries?limit=10`, undefined, 'viewer');
    expect(deliveries.status).toBe(200);
    expect(deliveries.body).toEqual([
      expect.objectContaining({ id: deliveryId, eventId: `test-${deliveryId}`, eventType: 'webhook.test', status: 'pending', attempts: 0, attemptLog: [] }),
    ]);
    expect(z.array(deliveryView).safeParse(deliveries.body).error?.issues).toBeUndefined(); // as documented
    expect(webhookWithSecret.safeParse((await call('POST', `/webhooks/${id}/rotate-secret`, {})).body).error?.issues).toBeUndefined();
    expect((await call('GET', `/webhooks/${id}/deliveries?before=${deliveryId}`)).body).toEqual([]);
    await call('PATCH', `/webhooks/${id}`, { enabled: false });
    const disabled = await call('POST', `/webhooks/${id}/test`);
    expect(disabled.status).toBe(409);
    expect((disabled.body as { message: string }).message).toMatch(/is disabled/);
    const bad = await call('GET', `/webhooks/${id}/deliveries?limit=0`);
    expect(bad.status).toBe(400);
    expect((bad.body as { message: string }).message).toMatch(/^invalid request: limit: /);
  });

  it('needs the operator role to change webhooks; a viewer reads', async () => {
    const { id } = (await call('POST', '/webhooks', valid)).body as { id: number };
    for (const [method, path, body] of [['POST', '/webhooks', { ...valid, name: 'other' }], ['PATCH', `/webhooks/${id}`, { enabled: false }], ['DELETE', `/webhooks/${id}`], ['POST', `/webhooks/${id}/test`], ['POST', `/webhooks/${id}/rotate-secret`, {}]] as const) {
      expect((await call(method, path, body, 'viewer')).status, `${method} ${path}`).toBe(403);
    }
    expect((await call('GET', `/webhooks/${id}/deliveries`, undefined, 'viewer')).status).toBe(200);
  });

  it('accepts private destinations when WEBHOOK_ALLOW_PRIVATE_NETWORKS is set', async () => {
    const open = await startApi(true);
    try {
      const created = await call('POST', '/webhooks', { name: 'local', url: 'http://127.0.0.1:9000/hook' }, 'operator', open.url);
      expect(created.status).toBe(201);
      expect((await call('POST', '/webhooks', { name: 'ftp', url: 'ftp://127.0.0.1/' }, 'operator', open.url)).status).toBe(400);
    } finally {
      await open.app.close();
    }
  });
});
