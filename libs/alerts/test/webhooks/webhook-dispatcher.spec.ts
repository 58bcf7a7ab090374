import { Test } from '@nestjs/testing';
import { PersistenceModule, WebhookRepository, type DeliveryView } from '@driftwatch/persistence';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebhookDispatcher, type WebhookDispatcherOptions } from '../../src/index.js';
import { eventually, loadExampleReceiver, startReceiver, type ExampleReceiver, type TestReceiver } from './receivers.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

let repository: WebhookRepository;
let close: () => Promise<void>;
let example: ExampleReceiver;
const running: { stop(): Promise<void> }[] = [];
const receivers: TestReceiver[] = [];

beforeAll(async () => {
  const moduleRef = await Test.createTestingModule({ imports: [PersistenceModule.forRoot({ databaseUrl })] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  repository = app.get(WebhookRepository);
  close = () => app.close();
  example = await loadExampleReceiver();
});
afterAll(() => close());
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
  for (const d of running.splice(0)) await d.stop();
  for (const w of await repository.list()) await repository.remove(w.id, 'test');
});

async function dispatcher(options: Partial<WebhookDispatcherOptions> = {}): Promise<WebhookDispatcher> {
  const d = await WebhookDispatcher.start({
    databaseUrl,
    version: '9.9.9-test',
    allowPrivateNetworks: true,
    pollMs: 50,
    timeoutMs: 3_000,
    retry: { baseMs: 20, maxMs: 100, giveUpAfterMs: 60_000 },
    ...options,
  });
  running.push(d);
  return d;
}

async function receiver(...args: Parameters<typeof startReceiver>): Promise<TestReceiver> {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

async function webhook(name: string, url: string, secret = `whsec_${name}_secret`): Promise<number> {
  const w = await repository.create({ name, url, secret, namespaces: ['*'], minSeverity: 'medium', eventTypes: ['*'], enabled: true }, 'test');
  return w.id;
}

async function enqueue(webhookId: number, n: number): Promise<string[]> {
  const ids = [];
  for (let i = 0; i < n; i++) ids.push((await repository.enqueueTest(webhookId, 'webhook.test', { n: i }, 'test'))!);
  return ids;
}

/** The webhook's deliveries once every one of them is no longer pending. */
function settled(webhookId: number, count: number): Promise<DeliveryView[]> {
  return eventually(async () => {
    const rows = (await repository.deliveries(webhookId, { limit: 200 })) ?? [];
    return rows.length === count && rows.every((d) => d.status !== 'pending') ? rows : undefined;
  }, 15_000, `${count} settled deliveries of webhook ${webhookId}`);
}

describe('WebhookDispatcher over real HTTP and Postgres', { timeout: 30_000 }, () => {
  it('delivers correctly signed events, as the example receiver checks them', async () => {
    const accepted: { event: { id: string; type: string; createdAt: string; alert: unknown }; deliveryId: string }[] = [];
    const server = example.createReceiver({ secret: 'whsec_signed_secret', onEvent: (event, deliveryId) => void accepted.push({ event, deliveryId }) });
    const r = await receiver(() => 0, server);
    const id = await webhook('signed', r.url);
    const deliveries = await enqueue(id, 3);
    await dispatcher();
    const rows = await settled(id, 3);

    expect(rows.map((d) => d.status)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(accepted.map((a) => a.deliveryId).sort()).toEqual([...deliveries].sort());
    for (const a of accepted) {
      expect(a.event).toMatchObject({ id: `test-${a.deliveryId}`, type: 'webhook.test', alert: { n: expect.any(Number) } });
      expect(Date.parse(a.event.createdAt)).not.toBeNaN();
    }
    const request = r.requests[0]!;
    expect(request.headers['user-agent']).toBe('Driftwatch/9.9.9-test');
    expect(request.headers['x-driftwatch-event']).toBe('webhook.test');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-driftwatch-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const header = String(request.headers['x-driftwatch-signature']);
    expect(example.verifySignature({ header, body: request.body, secret: 'whsec_signed_secret' })).toMatchObject({ ok: true });
    expect(example.verifySignature({ header, body: request.body, secret: 'whsec_other' })).toEqual({ ok: false, reason: 'signature does not match' });
    expect(example.verifySignature({ header, body: `${request.body} `, secret: 'whsec_signed_secret' })).toMatchObject({ ok: false });
    expect(example.verifySignature({ header, body: request.body, secret: 'whsec_signed_secret', now: Date.now() / 1000 + 301 })).toMatchObject({ ok: false, reason: expect.stringMatching(/tolerance/) });
    expect(rows[0]!.attemptLog).toEqual([{ attempt: 1, at: expect.any(Date), status: 200, latencyMs: expect.any(Number), error: null }]);
  });

  it('retries a receiver that fails 3 attempts; once it recovers it gets each delivery id exactly once', async () => {
    const tries = new Map<string, number>();
    const accepted = new Map<string, number>();
    const r = await receiver((request) => {
      const id = String(request.headers['x-driftwatch-delivery']);
      const n = (tries.get(id) ?? 0) + 1;
      tries.set(id, n);
      if (n <= 3) return 500;
      accepted.set(id, (accepted.get(id) ?? 0) + 1);
      return 204;
    });
    const id = await webhook('flaky', r.url);
    const deliveries = await enqueue(id, 2);
    await dispatcher();
    const rows = await settled(id, 2);

    expect(rows.map((d) => d.status)).toEqual(['delivered', 'delivered']);
    expect([...accepted.entries()].sort()).toEqual(deliveries.map((d) => [d, 1]).sort());
    expect(r.requests).toHaveLength(8);
    for (const d of rows) {
      expect(d.attempts).toBe(4);
      expect(d.attemptLog.map((a) => [a.attempt, a.status, a.error])).toEqual([
        [1, 500, 'HTTP 500'],
        [2, 500, 'HTTP 500'],
        [3, 500, 'HTTP 500'],
        [4, 204, null],
      ]);
    }
    expect(new Set(r.requests.map((q) => q.body)).size).toBe(2); // the same body (and delivery id) on every retry
  });

  it('disables the webhook when the receiver answers 410 Gone', async () => {
    const r = await receiver(() => 410);
    const id = await webhook('gone', r.url);
    await enqueue(id, 1);
    await dispatcher();
    const [row] = await settled(id, 1);
    expect(row).toMatchObject({ status: 'failed', lastStatus: 410, attempts: 1 });
    const hook = await repository.get(id);
    expect(hook).toMatchObject({ enabled: false, disabledReason: expect.stringMatching(/410/) });
    await enqueue(id, 1);
    await eventually(async () => ((await repository.deliveries(id, { limit: 10 }))?.length === 2 ? true : undefined));
    expect(r.requests).toHaveLength(1);
  });

  it('gives up after the retry window: the delivery is failed (dead) with every attempt kept', async () => {
    const r = await receiver(() => 503);
    const id = await webhook('dead', r.url);
    await dispatcher({ retry: { baseMs: 20, maxMs: 40, giveUpAfterMs: 1_000 } });
    await enqueue(id, 1);
    const [row] = await settled(id, 1);
    expect(row!.status).toBe('failed');
    expect(row!.attemptLog.length).toBeGreaterThan(1);
    expect(row!.attemptLog.every((a) => a.status === 503)).toBe(true);
    expect(row!.attemptLog.length).toBe(row!.attempts);
  });

  it.each([
    ['a loopback address', (url: string) => url],
    ['a name that resolves to loopback', (url: string) => url.replace('127.0.0.1', 'localhost')],
  ])('refuses %s without WEBHOOK_ALLOW_PRIVATE_NETWORKS, at connect time', async (_what, target) => {
    const r = await receiver(() => 200);
    const id = await webhook('private', target(r.url));
    await enqueue(id, 1);
    await dispatcher({ allowPrivateNetworks: false, retry: { baseMs: 10, maxMs: 20, giveUpAfterMs: 100 } });
    const [row] = await settled(id, 1);
    expect(row!.status).toBe('failed');
    expect(row!.attemptLog[0]).toMatchObject({ status: null, error: expect.stringMatching(/^refused destination .*(127\.0\.0\.1|::1).*WEBHOOK_ALLOW_PRIVATE_NETWORKS/) });
    expect(r.requests).toHaveLength(0);
  });

  it('signs with both secrets during a rotation\'s grace period, and with the new one alone after it', async () => {
    const r = await receiver(() => 200);
    const id = await webhook('rotated', r.url, 'whsec_old');
    await repository.rotateSecret(id, 'whsec_new', new Date(Date.now() + 60_000), 'test');
    await enqueue(id, 1);
    await dispatcher();
    await settled(id, 1);
    const during = r.requests[0]!;
    const header = String(during.headers['x-driftwatch-signature']);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    expect(example.verifySignature({ header, body: during.body, secret: 'whsec_new' })).toMatchObject({ ok: true });
    expect(example.verifySignature({ header, body: during.body, secret: 'whsec_old' })).toMatchObject({ ok: true });

    await repository.rotateSecret(id, 'whsec_newer', new Date(Date.now() - 1), 'test');
    await enqueue(id, 1);
    await settled(id, 2);
    const after = r.requests[1]!;
    const afterHeader = String(after.headers['x-driftwatch-signature']);
    expect(afterHeader).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(example.verifySignature({ header: afterHeader, body: after.body, secret: 'whsec_newer' })).toMatchObject({ ok: true });
    expect(example.verifySignature({ header: afterHeader, body: after.body, secret: 'whsec_new' })).toMatchObject({ ok: false });
  });

  it('a receiver that never answers does not delay another webhook\'s deliveries', async () => {
    const slow = await receiver(() => 'hang');
    const fast = await receiver(() => 200);
    const slowId = await webhook('slow', slow.url);
    const fastId = await webhook('fast', fast.url);
    await enqueue(slowId, 10);
    await dispatcher({ timeoutMs: 20_000, perWebhook: 2, concurrency: 8 });
    await slow.received(2);
    const started = Date.now();
    await enqueue(fastId, 5);
    await settled(fastId, 5);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(fast.requests).toHaveLength(5);
    expect(slow.requests).toHaveLength(2); // at most perWebhook of the slow webhook in flight
    await slow.close(); // frees the hanging attempts so the dispatcher stops at once
  });

  it('gives back the deliveries it claimed but never sent when it stops', async () => {
    const slow = await receiver(() => 'hang');
    const id = await webhook('stopping', slow.url);
    await enqueue(id, 3);
    const d = await dispatcher({ perWebhook: 1, timeoutMs: 20_000 });
    await slow.received(1);
    const stopped = d.stop();
    await slow.close();
    await stopped;
    running.splice(running.indexOf(d), 1);
    const rows = (await repository.deliveries(id, { limit: 10 }))!;
    expect(rows.map((r) => [r.status, r.attempts, r.attemptLog.length]).sort()).toEqual([
      ['pending', 0, 0],
      ['pending', 0, 0],
      ['pending', 1, 1],
    ]);
    expect(rows.filter((r) => r.attempts === 0).every((r) => r.nextAttemptAt!.getTime() <= Date.now())).toBe(true);
  });

  it('two dispatchers on one database never deliver one delivery twice', async () => {
    const r = await receiver(() => 200);
    const a = await webhook('shared-a', r.url);
    const b = await webhook('shared-b', r.url);
    const ids = [...(await enqueue(a, 30)), ...(await enqueue(b, 30))];
    await Promise.all([dispatcher({ perWebhook: 8 }), dispatcher({ perWebhook: 8 })]);
    await settled(a, 30);
    await settled(b, 30);
    const delivered = r.requests.map((q) => String(q.headers['x-driftwatch-delivery']));
    expect(delivered).toHaveLength(60);
    expect(new Set(delivered).size).toBe(60);
    expect([...delivered].sort()).toEqual([...ids].sort());
  });
});
