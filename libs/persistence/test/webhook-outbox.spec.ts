import postgres from 'postgres';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { PrismaService } from '../src/prisma/prisma.service.js';
import { enqueueWebhookDeliveries, WebhookDeliveryQueue, WebhookNameTakenError, WebhookRepository, type OutboxEvent } from '../src/index.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

let sql: postgres.Sql;
let prisma: PrismaService;
let repository: WebhookRepository;
beforeAll(() => {
  sql = postgres(databaseUrl, { max: 4, onnotice: () => undefined });
  prisma = new PrismaService(databaseUrl);
  repository = new WebhookRepository(prisma);
});
afterAll(async () => {
  await sql.end();
  await prisma.$disconnect();
});
afterEach(async () => {
  await sql`delete from webhooks`;
  await sql`delete from alerts where connection_key like 'webhook-outbox-spec:%'`;
});

async function webhook(name: string, fields: { namespaces?: string[]; minSeverity?: string; eventTypes?: string[]; enabled?: boolean } = {}): Promise<number> {
  const w = await repository.create(
    { name, url: 'http://127.0.0.1:9/', secret: `whsec_${name}`, namespaces: ['*'], minSeverity: 'medium', eventTypes: ['*'], enabled: true, ...fields },
    'test',
  );
  return w.id;
}

/** An alert and one event of it; returns the event id. */
async function alertEvent(type: string, payload: Record<string, unknown> = {}): Promise<string> {
  const [alert] = await sql<{ id: string }[]>`
    insert into alerts (connection_key, drift_kind, explanation, first_seen, last_seen, protocol)
    values (${`webhook-outbox-spec:${Math.random()}`}, 'unenforced-deny', '{}', now(), now(), 'TCP') returning id::text`;
  const [event] = await sql<{ id: string }[]>`
    insert into alert_events (alert_id, type, payload) values (${alert!.id}::int8, ${type}, ${sql.json(payload as never)}) returning id::text`;
  return event!.id;
}

describe('enqueueWebhookDeliveries (the outbox)', { timeout: 30_000 }, () => {
  it('inserts one delivery per matching webhook: namespaces (* or either side), minimum severity, event types', async () => {
    const hooks = {
      all: await webhook('all'),
      shop: await webhook('shop', { namespaces: ['shop'] }),
      billing: await webhook('billing', { namespaces: ['billing', 'other'] }),
      high: await webhook('high', { minSeverity: 'high' }),
      critical: await webhook('critical', { minSeverity: 'critical' }),
      opened: await webhook('opened', { eventTypes: ['alert.opened'] }),
      off: await webhook('off', { enabled: false }),
    };
    const cases = [
      { type: 'alert.opened', severity: 'medium', src: 'shop', dst: 'billing', expect: ['all', 'shop', 'billing', 'opened'] },
      { type: 'alert.updated', severity: 'high', src: 'web', dst: 'shop', expect: ['all', 'shop', 'high'] },
      { type: 'alert.resolved', severity: 'critical', src: null, dst: null, expect: ['all', 'high', 'critical'] },
      { type: 'alert.opened', severity: 'critical', src: 'billing', dst: null, expect: ['all', 'billing', 'high', 'critical', 'opened'] },
      { type: 'alert.opened', severity: 'unknown', src: 'shop', dst: 'shop', expect: [] },
    ];
    const events: OutboxEvent[] = [];
    for (const c of cases) events.push({ id: await alertEvent(c.type), type: c.type, severity: c.severity, srcNamespace: c.src, dstNamespace: c.dst });
    const count = await sql.begin((tx) => enqueueWebhookDeliveries(tx, events));
    expect(count).toBe(cases.reduce((n, c) => n + c.expect.length, 0));
    const names = Object.fromEntries(Object.entries(hooks).map(([name, id]) => [id, name]));
    const rows = await sql<{ alert_event_id: string; webhook_id: number; event_type: string }[]>`
      select alert_event_id::text, webhook_id, event_type from webhook_deliveries order by webhook_id`;
    for (const [i, c] of cases.entries()) {
      const got = rows.filter((r) => r.alert_event_id === events[i]!.id);
      expect(got.map((r) => names[r.webhook_id]).sort(), `case ${i}`).toEqual([...c.expect].sort());
      expect(got.every((r) => r.event_type === c.type)).toBe(true);
    }
    expect(await enqueueWebhookDeliveries(sql, events)).toBe(0);
  });

  it('writes in the caller\'s transaction: a rollback leaves no delivery behind', async () => {
    await webhook('rollback');
    const id = await alertEvent('alert.opened');
    await expect(
      sql.begin(async (tx) => {
        expect(await enqueueWebhookDeliveries(tx, [{ id, type: 'alert.opened', severity: 'high', srcNamespace: 'a', dstNamespace: 'b' }])).toBe(1);
        throw new Error('the alert event failed');
      }),
    ).rejects.toThrow('the alert event failed');
    expect(await sql`select 1 from webhook_deliveries`).toHaveLength(0);
  });

  it('wakes listeners with a NOTIFY when the transaction commits', async () => {
    await webhook('notify');
    const queue = await WebhookDeliveryQueue.open(databaseUrl);
    try {
      let calls = 0;
      let notified: () => void = () => undefined;
      const woken = new Promise<void>((resolve) => (notified = resolve));
      // the callback also runs once when the LISTEN is in place (a reconnect must look for what it missed)
      await queue.listen(() => {
        calls += 1;
        if (calls === 2) notified();
      });
      expect(calls).toBe(1);
      const id = await alertEvent('alert.opened');
      await sql.begin((tx) => enqueueWebhookDeliveries(tx, [{ id, type: 'alert.opened', severity: 'high', srcNamespace: null, dstNamespace: null }]));
      await woken;
    } finally {
      await queue.close();
    }
  });
});

describe('WebhookDeliveryQueue.claim', { timeout: 30_000 }, () => {
  it('returns the alert event as the body and never gives one delivery to two claimers', async () => {
    const hook = await webhook('claims');
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(await alertEvent('alert.opened', { alert: { n: i } }));
    await enqueueWebhookDeliveries(sql, ids.map((id) => ({ id, type: 'alert.opened', severity: 'high', srcNamespace: 'a', dstNamespace: 'b' })));
    const [a, b] = [await WebhookDeliveryQueue.open(databaseUrl), await WebhookDeliveryQueue.open(databaseUrl)];
    try {
      const options = { limit: 7, perWebhook: 100, inFlight: new Map<number, number>(), leaseMs: 60_000 };
      const claimed = [];
      for (let round = 0; round < 10; round++) claimed.push(...(await Promise.all([a.claim(options), b.claim(options)])).flat());
      expect(claimed).toHaveLength(40);
      expect(new Set(claimed.map((d) => d.id)).size).toBe(40);
      const first = claimed.find((d) => d.eventId === ids[0]);
      expect(first).toMatchObject({ webhookId: hook, attempt: 1, eventType: 'alert.opened', alert: { alert: { n: 0 } }, secret: 'whsec_claims', previousSecret: null });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps at most perWebhook deliveries of one webhook in flight', async () => {
    const hook = await webhook('bounded');
    for (let i = 0; i < 5; i++) await repository.enqueueTest(hook, 'webhook.test', { i }, 'test');
    const queue = await WebhookDeliveryQueue.open(databaseUrl);
    try {
      expect(await queue.claim({ limit: 10, perWebhook: 2, inFlight: new Map(), leaseMs: 60_000 })).toHaveLength(2);
      expect(await queue.claim({ limit: 10, perWebhook: 2, inFlight: new Map([[hook, 2]]), leaseMs: 60_000 })).toHaveLength(0);
      expect(await queue.claim({ limit: 10, perWebhook: 2, inFlight: new Map([[hook, 1]]), leaseMs: 60_000 })).toHaveLength(1);
    } finally {
      await queue.close();
    }
  });
});

describe('WebhookRepository', { timeout: 30_000 }, () => {
  it('writes every change to audit_log with its actor, never with a secret', async () => {
    const id = await webhook('audited');
    await repository.update(id, { minSeverity: 'high' }, 'op_1');
    await repository.rotateSecret(id, 'whsec_new', new Date(Date.now() + 60_000), 'op_2');
    await repository.enqueueTest(id, 'webhook.test', {}, 'op_3');
    await repository.remove(id, 'op_4');
    const rows = await sql<{ action: string; actor: string; target_type: string; target_id: string; details: unknown }[]>`
      select action, actor, target_type, target_id, details from audit_log where target_type = 'webhook' and target_id = ${String(id)} order by id`;
    expect(rows.map((r) => [r.action, r.actor])).toEqual([
      ['webhook.create', 'test'],
      ['webhook.update', 'op_1'],
      ['webhook.rotate-secret', 'op_2'],
      ['webhook.test', 'op_3'],
      ['webhook.delete', 'op_4'],
    ]);
    expect(JSON.stringify(rows)).not.toMatch(/whsec_/);
  });

  it('refuses a second webhook with the same name and writes nothing for it', async () => {
    await webhook('twice');
    const before = await sql`select 1 from audit_log`;
    await expect(webhook('twice')).rejects.toBeInstanceOf(WebhookNameTakenError);
    expect(await sql`select 1 from audit_log`).toHaveLength(before.length);
  });
});
