import { randomBytes } from 'node:crypto';
import { Test } from '@nestjs/testing';
import { webhookDeliveryBody } from '@driftwatch/contracts';
import { AlertStore, PersistenceModule, WebhookRepository } from '@driftwatch/persistence';
import type { PolicySnapshot } from '@driftwatch/policy-engine';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DriftDetector, WebhookDispatcher } from '../src/index.js';
import { shopFlow, shopSnapshot } from './support/shop-flows.js';
import { eventually, loadExampleReceiver, startReceiver } from './webhooks/receivers.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

/**
 * The whole outbox path with a real alert: the detector opens an alert, its event and the webhook deliveries are
 * written in one transaction, the dispatcher signs and posts them, and the example receiver's own code checks them.
 */
describe('drift alerts reach webhooks', { timeout: 30_000 }, () => {
  let store: AlertStore;
  let snapshot: PolicySnapshot;
  let repository: WebhookRepository;
  let closeApp: () => Promise<void>;
  beforeAll(async () => {
    store = AlertStore.open(databaseUrl, 4);
    snapshot = await shopSnapshot();
    const moduleRef = await Test.createTestingModule({ imports: [PersistenceModule.forRoot({ databaseUrl })] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    repository = app.get(WebhookRepository);
    closeApp = () => app.close();
  });
  afterAll(async () => {
    await store.close();
    await closeApp();
  });

  it('an opened alert is delivered, signed, to a matching webhook and never to one scoped elsewhere', async () => {
    const example = await loadExampleReceiver();
    const received: { event: { type: string; alert: Record<string, unknown> }; deliveryId: string }[] = [];
    const secret = `whsec_${randomBytes(8).toString('hex')}`;
    const matching = await startReceiver(() => 0, example.createReceiver({ secret, onEvent: (event, deliveryId) => void received.push({ event: event as { type: string; alert: Record<string, unknown> }, deliveryId }) }));
    const elsewhere = await startReceiver(() => 200);
    const suffix = randomBytes(4).toString('hex');
    const shop = await repository.create({ name: `shop-${suffix}`, url: matching.url, secret, namespaces: ['shop'], minSeverity: 'high', eventTypes: ['alert.opened'], enabled: true }, 'test');
    const other = await repository.create({ name: `other-${suffix}`, url: elsewhere.url, secret, namespaces: ['elsewhere'], minSeverity: 'medium', eventTypes: ['*'], enabled: true }, 'test');
    const dispatcher = await WebhookDispatcher.start({ databaseUrl, version: '9.9.9-test', allowPrivateNetworks: true, pollMs: 50, timeoutMs: 3_000 });
    const detector = new DriftDetector({ store });
    let stopped: Promise<void> | undefined;
    const stopDetector = () => (stopped ??= detector.stop());
    try {
      detector.revisionChanged(1, snapshot);
      const cluster = `webhooks-${suffix}`;
      for (let i = 0; i < 5; i += 1) {
        const { flow, classification } = shopFlow(13, snapshot, cluster); // frontend → database:5432, an unenforced deny
        detector.observe(flow, classification, null);
      }
      const [delivery] = await eventually(async () => (received.length > 0 ? received : undefined), 15_000, 'a delivery of alert.opened');
      expect(delivery?.event).toMatchObject({
        type: 'alert.opened',
        alert: { cluster, severity: 'critical', driftKind: 'unenforced-deny', srcWorkload: 'frontend', dstWorkload: 'database', dstPort: 5432 },
      });
      // the body is exactly what the contract (and so the OpenAPI document's `webhooks`) says: no field more or less
      expect(webhookDeliveryBody.safeParse(delivery?.event).error?.issues).toBeUndefined();
      await stopDetector();
      const rows = await eventually(async () => {
        const list = (await repository.deliveries(shop.id, { limit: 10 })) ?? [];
        return list.length > 0 && list.every((d) => d.status === 'delivered') ? list : undefined;
      }, 15_000, 'the delivery recorded as delivered');
      expect(rows.map((d) => d.id)).toEqual([delivery?.deliveryId]); // once, and only alert.opened (eventTypes)
      expect(received).toHaveLength(1);
      expect(await repository.deliveries(other.id, { limit: 10 })).toEqual([]);
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await stopDetector();
      await dispatcher.stop();
      await matching.close();
      await elsewhere.close();
      await repository.remove(shop.id, 'test');
      await repository.remove(other.id, 'test');
    }
  });
});
