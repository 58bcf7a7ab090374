import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { AlertStore, type AlertSummary } from '@driftwatch/persistence';
import { seedAlert, workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { call, createKey, startApi } from './support/api-app.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

describe('REST for alerts over real HTTP', () => {
  let app: INestApplication;
  let base: string;
  let store: AlertStore;
  const ns = `t${randomBytes(3).toString('hex')}`;
  const [shop, pay, other] = [`${ns}-shop`, `${ns}-pay`, `${ns}-other`];
  let admin: string;
  let viewerShop: { key: string; prefix: string };
  let operator: { key: string; prefix: string };
  let seeded: AlertSummary[];
  beforeAll(async () => {
    const started = await startApi(databaseUrl);
    app = started.app;
    base = `${started.url}/api/v1/alerts`;
    store = AlertStore.open(databaseUrl, 2);
    admin = (await createKey(databaseUrl, 'admin')).key;
    viewerShop = await createKey(databaseUrl, 'viewer', [shop]);
    operator = await createKey(databaseUrl, 'operator', [shop, pay]);
    seeded = [
      await seedAlert(store, shop, pay),
      await seedAlert(store, pay, pay, { severity: 'medium', driftKind: 'unexpected-drop' }),
      await seedAlert(store, null, shop, { severity: 'critical' }),
      await seedAlert(store, other, other),
      await seedAlert(store, null, null),
    ];
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });
  const ids = (alerts: AlertSummary[]) => alerts.map((a) => a.id);
  const nth = (i: number) => () => seeded[i] as AlertSummary;
  const [ab, pp, ext, oo, none] = [nth(0), nth(1), nth(2), nth(3), nth(4)];

  it('answers 401 without a key', async () => {
    expect((await call(base, undefined)).status).toBe(401);
  });

  it('lists only alerts with a namespace of the key on either side; traffic with none is for * only', async () => {
    const mine = (await call(`${base}?limit=500`, viewerShop.key)).body.alerts as AlertSummary[];
    expect(ids(mine).filter((id) => ids(seeded).includes(id))).toEqual([ext().id, ab().id]);
    const all = (await call(`${base}?limit=500`, admin)).body.alerts as AlertSummary[];
    expect(ids(all).filter((id) => ids(seeded).includes(id))).toEqual(ids(seeded).reverse());
  });

  it('filters by status, severity, kind, namespace and since, and pages with a keyset cursor', async () => {
    const q = async (query: string) => ids((await call(`${base}?${query}`, admin)).body.alerts).filter((id) => ids(seeded).includes(id));
    expect(await q(`namespace=${pay}&limit=500`)).toEqual([pp().id, ab().id]);
    expect(await q(`namespace=${shop}&severity=critical,high&limit=500`)).toEqual([ext().id, ab().id]);
    expect(await q(`namespace=${pay}&kind=unexpected-drop`)).toEqual([pp().id]);
    expect(await q(`namespace=${pay}&status=resolved`)).toEqual([]);
    expect(await q(`namespace=${pay}&since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).toEqual([]);
    const first = await call(`${base}?namespace=${pay}&limit=1`, admin);
    expect(ids(first.body.alerts)).toEqual([pp().id]);
    const second = await call(`${base}?namespace=${pay}&limit=1&cursor=${first.body.nextCursor}`, admin);
    expect(ids(second.body.alerts)).toEqual([ab().id]);
    expect(second.body.nextCursor).toBeNull();
  });

  it('answers 400 with the field paths of a bad query', async () => {
    const { status, body } = await call(`${base}?status=open,gone&limit=0&color=red`, admin);
    expect(status).toBe(400);
    expect(body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['(root)', 'limit', 'status.1']);
    expect(body.message).toMatch(/^invalid request: /);
    const empty = await call(`${base}?severity=`, admin);
    expect(empty.status).toBe(400);
    expect(empty.body.issues).toEqual([{ path: 'severity', message: 'must name at least one of medium, high, critical' }]);
  });

  it('reads one alert with explanation, sample flow, evidence and events; 404 outside the scope or unknown; 400 for a bad id', async () => {
    const { status, body } = await call(`${base}/${ab().id}`, viewerShop.key);
    expect(status).toBe(200);
    expect(body.alert).toMatchObject({ id: ab().id, explanation: { text: 'denied: test' }, sampleFlow: { id: expect.any(String) } });
    expect(body.events.map((e: { type: string }) => e.type)).toEqual(['alert.opened']);
    expect(body.evidence).toEqual([]);
    expect(await call(`${base}/${oo().id}`, viewerShop.key)).toEqual({ status: 404, body: { statusCode: 404, error: 'Not Found', message: `no alert ${oo().id}` } });
    expect((await call(`${base}/${none().id}`, operator.key)).status).toBe(404);
    expect((await call(`${base}/999999999`, admin)).status).toBe(404);
    expect((await call(`${base}/abc`, admin)).body.issues).toEqual([{ path: '(root)', message: 'must be an alert id (a positive integer)' }]);
  });

  it('acknowledges, silences and resolves for an operator, each with its event and an audit entry; a viewer gets 403', async () => {
    const id = ab().id;
    expect((await call(`${base}/${id}/ack`, viewerShop.key, { method: 'POST' })).status).toBe(403);
    const ack = await call(`${base}/${id}/ack`, operator.key, { method: 'POST' });
    expect(ack.status).toBe(200);
    expect(ack.body.alert).toMatchObject({ status: 'acknowledged', acknowledgedBy: operator.prefix });
    expect((await call(`${base}/${id}/ack`, operator.key, { method: 'POST' })).status).toBe(409);

    const bad = await call(`${base}/${id}/suppress`, operator.key, { method: 'POST', body: JSON.stringify({ until: '2001-01-01T00:00:00Z', reason: '' }) });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['reason', 'until']);
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const silenced = await call(`${base}/${id}/suppress`, operator.key, { method: 'POST', body: JSON.stringify({ until, reason: 'maintenance window' }) });
    expect(silenced.status).toBe(200);
    expect(silenced.body.alert).toMatchObject({ status: 'suppressed', suppressedUntil: until, suppressedReason: 'maintenance window' });

    const resolved = await call(`${base}/${id}/resolve`, operator.key, { method: 'POST' });
    expect(resolved.body.alert).toMatchObject({ status: 'resolved', resolution: { reason: 'manual', by: operator.prefix } });
    expect((await call(`${base}/${id}/resolve`, operator.key, { method: 'POST' })).status).toBe(409);
    expect((await call(`${base}/${oo().id}/resolve`, operator.key, { method: 'POST' })).status).toBe(404);

    const detail = (await call(`${base}/${id}`, admin)).body;
    expect(detail.events.map((e: { type: string; id: string }) => e.type)).toEqual(['alert.opened', 'alert.acknowledged', 'alert.suppressed', 'alert.resolved']);
    expect(detail.events.slice(1).map((e: { id: string }) => e.id)).toEqual([ack.body.eventId, silenced.body.eventId, resolved.body.eventId]);
    const audit = (await store.audit.list(50, 'alert')).filter((e) => e.targetId === id).reverse();
    expect(audit.map((e) => [e.action, e.actor])).toEqual([
      ['alert.acknowledged', operator.prefix],
      ['alert.suppressed', operator.prefix],
      ['alert.resolved', operator.prefix],
    ]);
    expect(audit[1]?.details).toEqual({ until, reason: 'maintenance window' });
  });
});
