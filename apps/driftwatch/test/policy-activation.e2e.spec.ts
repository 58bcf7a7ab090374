import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { issueApiKey } from '@driftwatch/api';
import { createLogger, memoryLogger } from '@driftwatch/common';
import { startCollection, type Collection } from '@driftwatch/collector';
import type { FlowObserver } from '@driftwatch/flow';
import { AlertStore, dropDatabase, ensureDatabase, FlowStore, withDatabase, type FlowRecordRow } from '@driftwatch/persistence';
import { FakeHubbleRelay, hubbleJsonToGrpc, hubbleResponseMessage } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../src/server.js';
import { startServe } from './run-cli.js';

/**
 * Activation over REST switches every running collection: two collections (as two processes would run them,
 * each with its own pool and LISTEN connection) on a database of this file's own, a real API in front.
 */
const serverUrl = inject('serverUrl');
const databaseName = `driftwatch_activation_${randomBytes(4).toString('hex')}`;
const databaseUrl = withDatabase(serverUrl, databaseName);

const SHOP = `apiVersion: v1
kind: Namespace
metadata: { name: shop }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: default-deny, namespace: shop }
spec: { podSelector: {}, policyTypes: [Ingress, Egress] }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: backend-ingress, namespace: shop }
spec:
  podSelector: { matchLabels: { app: backend } }
  ingress: [{ from: [{ podSelector: { matchLabels: { app: frontend } } }], ports: [{ port: 8080 }] }]
`;
const FRONTEND_EGRESS = `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: frontend-egress, namespace: shop }
spec:
  podSelector: { matchLabels: { app: frontend } }
  policyTypes: [Egress]
  egress: [{ to: [{ podSelector: { matchLabels: { app: backend } } }], ports: [{ port: 8080 }] }]
`;

/** Resolves once `probe` returns a value (checked every 50 ms until the deadline). */
async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** An observer that records the revisions its pipeline was switched to. */
function revisionRecorder(): FlowObserver & { readonly revisions: (number | null)[] } {
  const revisions: (number | null)[] = [];
  return { revisions, observe: () => undefined, revisionChanged: (id) => void revisions.push(id) };
}

/** A TCP SYN frontend → backend on 8080 in `shop`, observed at egress and forwarded. */
function frontendToBackend(uuid: string) {
  return hubbleJsonToGrpc(hubbleResponseMessage({ uuid, time: new Date().toISOString() }));
}

describe('POST /api/v1/policies/:rev/activate with collections running', () => {
  const policyDir = mkdtempSync(join(tmpdir(), 'driftwatch-activation-'));
  const running: { stop(): Promise<unknown> }[] = [];
  beforeAll(async () => {
    await ensureDatabase(serverUrl, databaseName, { template: inject('templateDatabase') });
  }, 60_000);
  afterAll(async () => {
    for (const thing of running.reverse()) await thing.stop();
    rmSync(policyDir, { recursive: true, force: true });
    await dropDatabase(serverUrl, databaseName);
  });

  it('makes every collection classify the flows that follow against the new revision; a reload from disk puts POLICY_DIR back', async () => {
    writeFileSync(join(policyDir, 'shop.yaml'), SHOP + FRONTEND_EGRESS);
    const relay = await FakeHubbleRelay.start();
    const otherRelay = await FakeHubbleRelay.start();
    running.push(relay, otherRelay);
    const collect = async (address: string) => {
      const store = await FlowStore.open(databaseUrl);
      const observer = revisionRecorder();
      const logger = memoryLogger();
      const collection: Collection = await startCollection({ store, policies: policyDir, sources: [{ kind: 'hubble', address }], windowSeconds: 0, logger, observers: [observer] });
      running.push({ stop: () => store.close() }, collection);
      return { store, observer, logger, collection };
    };
    const one = await collect(relay.address);
    const two = await collect(otherRelay.address);
    const initial = one.collection.revisionId;
    expect(two.collection.revisionId).toBe(initial); // the same POLICY_DIR: the same revision, not a second one

    const app: INestApplication = await createApp({ databaseUrl, version: '0.0.0-test', logger: createLogger({ level: 'error' }) });
    await app.listen(0, '127.0.0.1');
    running.push({ stop: () => app.close() });
    const base = `${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/api/v1`;
    const admin = AlertStore.open(databaseUrl, 1);
    running.push({ stop: () => admin.close() });
    const { key, row } = await issueApiKey(admin.keys, { role: 'admin', namespaces: ['*'], name: 'activation test' }, 'test');
    const api = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const record = (id: string) =>
      until(`the record of flow ${id}`, async () => (await one.store.flowRecords.list(10_000)).find((r: FlowRecordRow) => r.sampleFlowId === id));

    const before = randomUUID();
    relay.push(frontendToBackend(before));
    expect(await record(before)).toMatchObject({ policyRevisionId: initial, label: 'allowed', driftKind: null });

    // A revision without frontend's egress rule: the same flow is now a hole in the declared policies.
    const uploaded = await api('POST', '/policies', { documents: [{ name: 'shop.yaml', text: SHOP }] });
    expect(uploaded.status).toBe(201);
    const next = (uploaded.body as { revision: { id: number } }).revision.id;
    const activated = await api('POST', `/policies/${next}/activate`);
    expect(activated).toMatchObject({ status: 200, body: { previousRevisionId: initial, changed: true, revision: { id: next, active: true } } });

    await until('the first collection to switch', () => (one.observer.revisions.includes(next) ? true : undefined));
    await until('the second collection to switch', () => (two.observer.revisions.includes(next) ? true : undefined));
    expect(one.collection.revisionId).toBe(next);
    expect(one.logger.lines).toContain(`log: policies: now revision ${next} (2 policies, activated in the database)`);
    const after = randomUUID();
    relay.push(frontendToBackend(after));
    expect(await record(after)).toMatchObject({ policyRevisionId: next, label: 'unexpected', driftKind: 'unenforced-deny' });

    // SIGHUP in one process: POLICY_DIR (unchanged on disk) is put back in force, and the other follows.
    await one.collection.reload();
    expect(one.collection.revisionId).toBe(initial);
    await until('the second collection to follow the reload', () => (two.collection.revisionId === initial ? true : undefined));
    expect(two.observer.revisions).toEqual([initial, next, initial]);
    const audit = await admin.audit.page({ limit: 10, actions: ['policy.activate'] });
    expect(audit.map((e) => [e.actor, e.targetId, e.details['previousRevisionId'], e.details['reason'] ?? null])).toEqual([
      ['policy-dir', String(initial), next, 'reload'],
      [row.prefix, String(next), initial, null],
      ['policy-dir', String(initial), null, 'start'],
    ]);
    const back = randomUUID();
    relay.push(frontendToBackend(back));
    expect(await record(back)).toMatchObject({ policyRevisionId: initial, label: 'allowed' });
  });

  it('serve drops what is older than the retention at start, with one line per drop', { timeout: 90_000 }, async () => {
    const store = await FlowStore.open(databaseUrl);
    try {
      const old = new Date('2001-01-01T00:00:00Z');
      await store.flowRecords.insert([
        {
          windowStart: old, windowEnd: old, source: 'hubble', cluster: '', srcNamespace: 'shop', srcWorkload: 'a', srcIp: null, dstNamespace: 'shop', dstWorkload: 'b',
          dstIp: null, dstPort: 80, protocol: 'TCP', direction: 'egress', observed: 'forwarded', dropReason: null, event: 'connection', label: 'allowed',
          driftKind: null, policyRevisionId: null, flowCount: 1, firstSeen: old, lastSeen: old, sampleFlowId: 'retention-old', issues: [],
        },
      ]);
      const server = await startServe({ DATABASE_URL: databaseUrl, PORT: '0', POLICY_DIR: policyDir, FLOW_RETENTION_DAYS: '30' }, 60_000);
      try {
        await until('the retention line', () => (/retention: deleted 1 row\(s\) before \S+ from flow_records_default \(FLOW_RETENTION_DAYS=30\)/.test(server.output()) ? true : undefined));
      } finally {
        expect(await server.stop()).toBe(0);
      }
      expect((await store.flowRecords.list(10_000)).find((r) => r.sampleFlowId === 'retention-old')).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
