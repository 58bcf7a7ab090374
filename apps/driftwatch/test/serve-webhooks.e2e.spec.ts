import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Test } from '@nestjs/testing';
import { dropDatabase, ensureDatabase, PersistenceModule, WebhookRepository, withDatabase, type DeliveryView } from '@driftwatch/persistence';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServe } from './run-cli.js';

// A database of this file's own: the other serve tests of this project run in parallel on the shared one, and
// their dispatchers (without WEBHOOK_ALLOW_PRIVATE_NETWORKS) would claim this file's deliveries.
const serverUrl = inject('serverUrl');
const databaseName = `driftwatch_test_serve_webhooks_${randomBytes(4).toString('hex')}`;
const databaseUrl = withDatabase(serverUrl, databaseName);

interface ExampleReceiver {
  createReceiver(options: { secret: string; onEvent: (event: { id: string; type: string }, deliveryId: string) => void }): Server;
}

let repository: WebhookRepository;
let closeRepository: () => Promise<void>;
beforeAll(async () => {
  await ensureDatabase(serverUrl, databaseName, { template: inject('templateDatabase') });
  const moduleRef = await Test.createTestingModule({ imports: [PersistenceModule.forRoot({ databaseUrl })] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  repository = app.get(WebhookRepository);
  closeRepository = () => app.close();
}, 60_000);
afterAll(async () => {
  await closeRepository();
  await dropDatabase(serverUrl, databaseName);
});

async function settled(webhookId: number): Promise<DeliveryView> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const [delivery] = (await repository.deliveries(webhookId, { limit: 1 })) ?? [];
    if (delivery && delivery.status !== 'pending') return delivery;
    if (delivery?.attemptLog.length) return delivery;
    if (Date.now() > deadline) throw new Error('the delivery was not attempted within 20 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('driftwatch serve delivers webhooks', { timeout: 90_000 }, () => {
  it('runs the dispatcher: a test event reaches a loopback receiver with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true, and is refused without it', async () => {
    const file = join(import.meta.dirname, '..', '..', '..', 'examples', 'webhook-receiver', 'receiver.mjs');
    const example = (await import(pathToFileURL(file).href)) as ExampleReceiver;
    const accepted: string[] = [];
    const receiver = example.createReceiver({ secret: 'whsec_serve_e2e', onEvent: (_event, deliveryId) => void accepted.push(deliveryId) });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const hook = await repository.create({ name: 'serve-e2e', url, secret: 'whsec_serve_e2e', namespaces: ['*'], minSeverity: 'medium', eventTypes: ['*'], enabled: true }, 'test');
    try {
      const open = await startServe({ DATABASE_URL: databaseUrl, PORT: '0', LOG_LEVEL: 'warn', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' }, 60_000);
      const first = await repository.enqueueTest(hook.id, 'webhook.test', { test: true }, 'test');
      expect(await settled(hook.id)).toMatchObject({ id: first, status: 'delivered' });
      expect(accepted).toEqual([first]);
      expect(await open.stop()).toBe(0);

      const closed = await startServe({ DATABASE_URL: databaseUrl, PORT: '0', LOG_LEVEL: 'warn' }, 60_000);
      const second = await repository.enqueueTest(hook.id, 'webhook.test', { test: true }, 'test');
      const refused = await settled(hook.id);
      expect(refused.id).toBe(second);
      expect(refused.attemptLog[0]).toMatchObject({ status: null, error: expect.stringMatching(/^refused destination 127\.0\.0\.1/) });
      expect(accepted).toEqual([first]);
      expect(await closed.stop()).toBe(0);
    } finally {
      await repository.remove(hook.id, 'test');
      receiver.close();
    }
  });
});
