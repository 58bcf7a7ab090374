import { Controller, Get, Post } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { AlertStore } from '@driftwatch/persistence';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CurrentActor, RequireRole, type Actor } from '../src/index.js';
import { call, createKey, startApi } from './support/api-app.js';

@Controller('probe')
class ProbeController {
  @Get()
  read(@CurrentActor() actor: Actor) {
    return actor;
  }

  @RequireRole('operator')
  @Post('act')
  act(@CurrentActor() actor: Actor) {
    return { acted: actor.prefix };
  }

  @RequireRole('admin')
  @Post('admin')
  admin() {
    return { ok: true };
  }
}

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));
const adminToken = 'a'.repeat(20) + 'b'.repeat(20);

describe('bearer auth on every endpoint but health, over real HTTP', () => {
  let app: INestApplication;
  let base: string;
  let store: AlertStore;
  beforeAll(async () => {
    const started = await startApi(databaseUrl, { adminToken, controllers: [ProbeController] });
    app = started.app;
    base = `${started.url}/api/v1`;
    store = AlertStore.open(databaseUrl, 1);
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('serves health without a key', async () => {
    expect((await call(`${base}/health`, undefined)).status).toBe(200);
  });

  it.each([
    ['no key', undefined, 'an API key is required: send Authorization: Bearer <key>'],
    ['a malformed key', 'nope', 'invalid or revoked API key'],
    ['an unknown key of the right shape', `dw_${'x'.repeat(43)}`, 'invalid or revoked API key'],
  ])('answers 401 as JSON to %s', async (_what, key, message) => {
    const { status, body } = await call(`${base}/probe`, key);
    expect(status).toBe(401);
    expect(body).toEqual({ statusCode: 401, error: 'Unauthorized', message });
  });

  it('accepts a key and hands the route its actor (prefix, role, scope)', async () => {
    const { key, prefix } = await createKey(databaseUrl, 'viewer', ['shop', 'payments']);
    const { status, body } = await call(`${base}/probe`, key);
    expect(status).toBe(200);
    expect(body).toEqual({ prefix, role: 'viewer', namespaces: ['shop', 'payments'] });
  });

  it('answers 403 as JSON when the role is too low, and lets a higher role through', async () => {
    const viewer = await createKey(databaseUrl, 'viewer');
    const operator = await createKey(databaseUrl, 'operator');
    const denied = await call(`${base}/probe/act`, viewer.key, { method: 'POST' });
    expect(denied).toEqual({ status: 403, body: { statusCode: 403, error: 'Forbidden', message: 'this needs the operator role; the key has viewer' } });
    expect(await call(`${base}/probe/act`, operator.key, { method: 'POST' })).toEqual({ status: 201, body: { acted: operator.prefix } });
    expect((await call(`${base}/probe/admin`, operator.key, { method: 'POST' })).status).toBe(403);
  });

  it('takes DRIFTWATCH_ADMIN_TOKEN as an admin key with every namespace', async () => {
    expect(await call(`${base}/probe`, adminToken)).toEqual({ status: 200, body: { prefix: 'admin-token', role: 'admin', namespaces: '*' } });
    expect((await call(`${base}/probe/admin`, adminToken, { method: 'POST' })).status).toBe(201);
    expect((await call(`${base}/probe`, adminToken.slice(1))).status).toBe(401);
  });

  it('refuses a revoked key at once, and records creation and revocation in the audit log', async () => {
    const { key, prefix } = await createKey(databaseUrl, 'operator');
    expect((await call(`${base}/probe`, key)).status).toBe(200);
    expect(await store.keys.revoke(prefix, 'test')).toBe('revoked');
    expect(await store.keys.revoke(prefix, 'test')).toBe('already');
    expect((await call(`${base}/probe`, key)).status).toBe(401);
    const audit = (await store.audit.list(100, 'api_key')).filter((e) => e.targetId === prefix);
    expect(audit.map((e) => [e.action, e.actor])).toEqual([['key.revoke', 'test'], ['key.create', 'test']]);
  });

  it('stores only a hash of the key, and records when it was last used', async () => {
    const { key, prefix } = await createKey(databaseUrl, 'viewer');
    const before = await store.keys.byPrefix(prefix);
    expect(before?.hash).not.toContain(key.slice(11));
    expect(before?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(before?.lastUsedAt).toBeNull();
    await call(`${base}/probe`, key);
    for (let i = 0; i < 50 && !(await store.keys.byPrefix(prefix))?.lastUsedAt; i += 1) await new Promise((r) => setTimeout(r, 20));
    expect((await store.keys.byPrefix(prefix))?.lastUsedAt).toBeInstanceOf(Date);
  });
});
