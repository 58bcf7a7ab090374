import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { AlertStore } from '@driftwatch/persistence';
import { seedAlert, workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { call, createKey, startApi } from './support/api-app.js';
import { connect, type RecordingClient } from './support/socket-client.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

describe('the socket.io gateway over real socket.io and Postgres', () => {
  let apps: { app: INestApplication; url: string }[];
  let store: AlertStore;
  let admin: string;
  const clients: RecordingClient[] = [];
  const ns = `r${randomBytes(3).toString('hex')}`;
  const [shop, pay] = [`${ns}-shop`, `${ns}-pay`];
  beforeAll(async () => {
    apps = [await startApi(databaseUrl), await startApi(databaseUrl)];
    store = AlertStore.open(databaseUrl, 2);
    admin = (await createKey(databaseUrl, 'admin')).key;
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all(apps.map(({ app }) => app.close()));
    await store.close();
  });
  const open = async (index: number, token: string, options?: Record<string, unknown>) => {
    const client = await connect((apps[index] as { url: string }).url, token, options);
    clients.push(client);
    return client;
  };
  const url = (index: number) => (apps[index] as { url: string }).url;

  it('refuses a missing, bad or revoked token with connect_error "unauthorized"', async () => {
    await expect(connect(url(0), undefined)).rejects.toThrow('unauthorized');
    await expect(connect(url(0), `dw_${'y'.repeat(43)}`)).rejects.toThrow('unauthorized');
    const revoked = await createKey(databaseUrl, 'viewer');
    await store.keys.revoke(revoked.prefix, 'test');
    await expect(connect(url(0), revoked.key)).rejects.toThrow('unauthorized');
  });

  it('takes the key from an Authorization header too', async () => {
    const client = await open(0, '', { extraHeaders: { authorization: `Bearer ${admin}` } });
    expect(client.socket.connected).toBe(true);
  });

  it('acknowledges subscribe with the filter intersected with the scope; a bad payload gets an error and the connection stays', async () => {
    const viewer = await createKey(databaseUrl, 'viewer', [shop]);
    const client = await open(0, viewer.key);
    expect(await client.subscribe({ namespaces: [shop, pay], severities: ['critical'] })).toEqual({
      ok: true,
      filter: { namespaces: [shop], severities: ['critical'], kinds: '*' },
    });
    expect(await client.subscribe({})).toEqual({ ok: true, filter: { namespaces: [shop], severities: '*', kinds: '*' } });
    const bad = await client.subscribe({ severities: ['urgent'], colour: 'red' });
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/^invalid subscribe: /);
    expect((bad.issues as { path: string }[]).map((i) => i.path).sort()).toEqual(['(root)', 'severities.0']);
    client.socket.emit('no-such-event', { x: 1 });
    expect(await client.subscribe('not an object')).toMatchObject({ ok: false });
    expect(client.socket.connected).toBe(true);
  });

  it('delivers each event exactly once to clients of either of two API processes, and nothing outside a scope', async () => {
    const other = await createKey(databaseUrl, 'viewer', [`${ns}-elsewhere`]);
    const scoped = await createKey(databaseUrl, 'viewer', [shop]);
    const [a, b, c, outsider] = [await open(0, admin), await open(1, admin), await open(1, scoped.key), await open(0, other.key)];
    for (const client of [a, b, c, outsider]) expect((await client.subscribe({})).ok).toBe(true);
    const first = await seedAlert(store, shop, pay);
    const second = await seedAlert(store, pay, pay);
    const acked = await store.alerts.act(first.id, { kind: 'acknowledge' }, 'dw_tester01', '*');
    const mine = (client: RecordingClient) => client.received.filter((r) => [first.id, second.id].includes(r.payload.alert.id));
    await a.until(() => mine(a).length >= 3);
    await b.until(() => mine(b).length >= 3);
    await c.until(() => mine(c).length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 300)); // anything duplicated would have arrived by now
    for (const client of [a, b]) {
      expect(mine(client).map((r) => [r.event, r.payload.alert.id])).toEqual([
        ['alert.opened', first.id],
        ['alert.opened', second.id],
        ['alert.acknowledged', first.id],
      ]);
    }
    expect(mine(c).map((r) => [r.event, r.payload.alert.id])).toEqual([['alert.opened', first.id], ['alert.acknowledged', first.id]]);
    expect(mine(a).at(-1)?.payload.eventId).toBe(acked.kind === 'done' ? acked.event.id : 'none');
    expect(mine(outsider)).toEqual([]);
  });

  it('a client that reconnects with since gets exactly the events it missed, in order, then live ones', async () => {
    const first = await open(0, admin);
    await first.subscribe({ namespaces: [pay] });
    const before = await seedAlert(store, pay, pay);
    await first.until((r) => r.some((e) => e.payload.alert.id === before.id));
    const lastSeen = first.received.at(-1)?.payload.eventId as string;
    first.close();
    const missed = [await seedAlert(store, pay, null), await seedAlert(store, null, pay), await seedAlert(store, shop, shop)];
    const again = await open(1, admin);
    expect((await again.subscribe({ namespaces: [pay], since: lastSeen })).ok).toBe(true);
    const live = await seedAlert(store, pay, pay);
    await again.until((r) => r.some((e) => e.payload.alert.id === live.id));
    expect(again.received.map((r) => [r.event, r.payload.alert.id])).toEqual([
      ['alert.opened', missed[0]?.id],
      ['alert.opened', missed[1]?.id],
      ['alert.opened', live.id],
    ]);
  });

  it('acknowledging through REST reaches socket.io clients as alert.acknowledged', async () => {
    const client = await open(1, admin);
    await client.subscribe({ namespaces: [shop] });
    const alert = await seedAlert(store, shop, null);
    const operator = await createKey(databaseUrl, 'operator', [shop]);
    const answer = await call(`${url(0)}/api/v1/alerts/${alert.id}/ack`, operator.key, { method: 'POST' });
    await client.until((r) => r.some((e) => e.event === 'alert.acknowledged' && e.payload.alert.id === alert.id));
    expect(client.received.find((e) => e.event === 'alert.acknowledged')?.payload.eventId).toBe(answer.body.eventId);
  });

  it('closes the connections of a revoked key within 5 s', async () => {
    const key = await createKey(databaseUrl, 'viewer');
    const client = await open(0, key.key);
    const closed = new Promise<number>((resolve) => client.socket.once('disconnect', () => resolve(Date.now())));
    const revokedAt = Date.now();
    await store.keys.revoke(key.prefix, 'test');
    expect((await closed) - revokedAt).toBeLessThan(5000);
  });

  it('drops a message larger than maxHttpBufferSize by closing that connection only', async () => {
    const [big, bystander] = [await open(0, admin), await open(0, admin)];
    const gone = new Promise<void>((resolve) => big.socket.once('disconnect', () => resolve()));
    big.socket.emit('subscribe', { namespaces: ['x'.repeat(40_000)] });
    await gone;
    expect(bystander.socket.connected).toBe(true);
    expect((await bystander.subscribe({})).ok).toBe(true);
  });
});
