import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Test } from '@nestjs/testing';
import { applyMigrations, dropDatabase, ensureDatabase, PersistenceModule, WebhookRepository, withDatabase } from '@driftwatch/persistence';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebhookDispatcher } from '../../src/index.js';

// A database of this file's own: the dispatchers of the other webhook tests would claim its delivery.
const serverUrl = inject('serverUrl');
const name = `driftwatch_test_dispatcher_stop_${randomBytes(4).toString('hex')}`;
const databaseUrl = withDatabase(serverUrl, name);
let repository: WebhookRepository;
let close: () => Promise<void>;
beforeAll(async () => {
  await ensureDatabase(serverUrl, name);
  await applyMigrations(databaseUrl);
  const moduleRef = await Test.createTestingModule({ imports: [PersistenceModule.forRoot({ databaseUrl })] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  repository = app.get(WebhookRepository);
  close = () => app.close();
});
afterAll(async () => {
  await close();
  await dropDatabase(serverUrl, name);
});

describe('WebhookDispatcher.stop', () => {
  it('lets an attempt in flight finish and records it, and reports each attempt\'s outcome', async () => {
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    const receiver = createServer((req, res) => {
      req.resume();
      arrived();
      setTimeout(() => res.writeHead(200).end(), 800); // answers only after the stop has begun
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const hook = await repository.create({ name: `stop-${process.pid}`, url, secret: 'whsec_stop', namespaces: ['*'], minSeverity: 'medium', eventTypes: ['*'], enabled: true }, 'test');
    const outcomes: string[] = [];
    try {
      const deliveryId = await repository.enqueueTest(hook.id, 'webhook.test', { test: true }, 'test');
      const dispatcher = await WebhookDispatcher.start({
        databaseUrl, version: '9.9.9-test', allowPrivateNetworks: true, pollMs: 50, timeoutMs: 5_000,
        onAttempt: (outcome) => outcomes.push(outcome),
      });
      await requestArrived;
      await dispatcher.stop();
      const [delivery] = (await repository.deliveries(hook.id, { limit: 5 })) ?? [];
      expect(delivery).toMatchObject({ id: deliveryId, status: 'delivered', attempts: 1 });
      expect(outcomes).toEqual(['delivered']);
    } finally {
      await repository.remove(hook.id, 'test');
      receiver.close();
    }
  });
});
