import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlertStore, type AlertEventRecord } from '@driftwatch/persistence';
import type { PolicySnapshot } from '@driftwatch/policy-engine';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DriftDetector } from '../src/index.js';
import { shopDir, shopFlow, shopSnapshot } from './support/shop-flows.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

describe('the drift detector over a real Postgres', () => {
  let store: AlertStore;
  let snapshot: PolicySnapshot;
  beforeAll(async () => {
    store = AlertStore.open(databaseUrl, 4);
    snapshot = await shopSnapshot();
  });
  afterAll(() => store.close());

  const cluster = () => `c-${randomBytes(4).toString('hex')}`;
  const detector = (events: AlertEventRecord[], options: { resolveAfterMs?: number; updateIntervalMs?: number } = {}) => {
    const d = new DriftDetector({ store, onEvents: (e) => events.push(...e), ...options });
    d.revisionChanged(1, snapshot);
    return d;
  };
  const mine = async (c: string) => (await store.alerts.list({ limit: 100 }, '*')).alerts.filter((a) => a.cluster === c);

  it('opens one alert per key at once, not one per flow, with severity, explanation and sample flow', async () => {
    const c = cluster();
    const events: AlertEventRecord[] = [];
    const d = detector(events);
    const first = shopFlow(13, snapshot, c);
    d.observe(first.flow, first.classification, null);
    const opened = Date.now();
    while (events.length === 0 && Date.now() - opened < 2000) await new Promise((r) => setTimeout(r, 5));
    expect(events.map((e) => e.type)).toEqual(['alert.opened']); // written off the call, without a flush
    for (let i = 0; i < 49; i += 1) {
      const { flow, classification } = shopFlow(i % 2 === 0 ? 13 : 14, snapshot, c);
      d.observe(flow, classification, null);
    }
    const drop = shopFlow(15, snapshot, c);
    d.observe(drop.flow, drop.classification, null);
    await d.stop();
    expect(events.filter((e) => e.type === 'alert.opened').map((e) => e.alert.driftKind).sort()).toEqual(['unenforced-deny', 'unexpected-drop']);
    const alerts = await mine(c);
    expect(alerts.map((a) => [a.driftKind, a.severity, a.flowCount, a.status]).sort()).toEqual([
      ['unenforced-deny', 'critical', 50, 'open'], // the database is isolated by shop/default-deny
      ['unexpected-drop', 'medium', 1, 'open'],
    ]);
    const deny = alerts.find((a) => a.driftKind === 'unenforced-deny');
    const detail = await store.alerts.get(deny?.id ?? '0', '*');
    expect(detail?.alert).toMatchObject({ srcNamespace: 'shop', srcWorkload: 'frontend', dstNamespace: 'shop', dstWorkload: 'database', dstPort: 5432, protocol: 'TCP' });
    expect((detail?.alert.explanation as { text: string }).text).toMatch(/^denied: shop\/frontend is isolated for egress/);
    expect((detail?.alert.sampleFlow as { id: string }).id).toBe(first.flow.id);
    expect(detail?.events.map((e) => e.type)).toEqual(['alert.opened', 'alert.updated']);
  });

  it('never duplicates an open alert: after a restart, or with two detectors on one database', async () => {
    const c = cluster();
    const events: AlertEventRecord[] = [];
    const a = detector(events);
    const b = detector(events);
    for (let i = 0; i < 10; i += 1) {
      const x = shopFlow(13, snapshot, c);
      const y = shopFlow(13, snapshot, c);
      a.observe(x.flow, x.classification, null);
      b.observe(y.flow, y.classification, null);
    }
    await Promise.all([a.stop(), b.stop()]);
    const restarted = detector(events);
    const z = shopFlow(13, snapshot, c);
    restarted.observe(z.flow, z.classification, null);
    await restarted.stop();
    const alerts = await mine(c);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.flowCount).toBe(21);
    expect(events.filter((e) => e.type === 'alert.opened' && e.alert.cluster === c)).toHaveLength(1);
  });

  it('resolves an alert after the quiet period, and reopens the same alert when the drift recurs', async () => {
    const c = cluster();
    const events: AlertEventRecord[] = [];
    const d = detector(events, { resolveAfterMs: 1000, updateIntervalMs: 200 });
    const first = shopFlow(15, snapshot, c);
    d.observe(first.flow, first.classification, null);
    await d.flush();
    const started = Date.now();
    const ours = (type: string) => events.find((e) => e.type === type && e.alert.cluster === c);
    while (!ours('alert.resolved') && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 50));
    const resolved = ours('alert.resolved');
    expect(resolved?.alert).toMatchObject({ status: 'resolved', resolution: { reason: 'quiet', quietMs: 1000 } });
    const again = shopFlow(15, snapshot, c);
    d.observe(again.flow, again.classification, null);
    await d.stop();
    const reopened = ours('alert.reopened');
    expect(reopened?.alertId).toBe(resolved?.alertId);
    expect(reopened?.alert).toMatchObject({ status: 'open', resolution: null, flowCount: 2 });
    expect(await mine(c)).toHaveLength(1);
  });

  it('resolves an alert when a new revision makes the connection consistent, with that revision as the reason', async () => {
    const c = cluster();
    const events: AlertEventRecord[] = [];
    const d = detector(events);
    const deny = shopFlow(13, snapshot, c);
    const drop = shopFlow(15, snapshot, c);
    d.observe(deny.flow, deny.classification, null);
    d.observe(drop.flow, drop.classification, null);
    await d.flush();
    const dir = mkdtempSync(join(tmpdir(), 'driftwatch-policies-'));
    try {
      cpSync(join(shopDir, 'policies'), dir, { recursive: true });
      writeFileSync(
        join(dir, '70-frontend-to-database.yaml'),
        'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: frontend-to-database, namespace: shop }\nspec:\n  podSelector: { matchLabels: { app: frontend } }\n  policyTypes: [Egress]\n  egress: [{ to: [{ podSelector: { matchLabels: { app: database } } }], ports: [{ port: 5432 }] }]\n',
      );
      d.revisionChanged(2, await shopSnapshot(dir));
      await d.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const resolved = events.filter((e) => e.type === 'alert.resolved' && e.alert.cluster === c);
    expect(resolved.map((e) => [e.alert.driftKind, e.alert.resolution])).toEqual([['unenforced-deny', { reason: 'revision', revisionId: 2 }]]);
    expect((await mine(c)).map((a) => [a.driftKind, a.status]).sort()).toEqual([['unenforced-deny', 'resolved'], ['unexpected-drop', 'open']]);
  });

  it('keeps counting a silenced alert without events, and a manual resolve is followed by a reopen on recurrence', async () => {
    const c = cluster();
    const events: AlertEventRecord[] = [];
    const d = detector(events, { updateIntervalMs: 100 });
    const first = shopFlow(15, snapshot, c);
    d.observe(first.flow, first.classification, null);
    await d.flush();
    const [alert] = await mine(c);
    const until = new Date(Date.now() + 3_600_000);
    expect(await store.alerts.act(alert?.id ?? '0', { kind: 'suppress', until, reason: 'known, ticket 42' }, 'dw_tester01', '*')).toMatchObject({
      kind: 'done',
      alert: { status: 'suppressed', suppressedReason: 'known, ticket 42', suppressedBy: 'dw_tester01' },
    });
    const count = events.length;
    for (let i = 0; i < 5; i += 1) {
      const { flow, classification } = shopFlow(15, snapshot, c);
      d.observe(flow, classification, null);
    }
    await d.flush();
    expect(events.slice(count).filter((e) => e.alert.cluster === c)).toEqual([]); // counted, not notified
    expect((await mine(c))[0]?.flowCount).toBe(6);
    expect(await store.alerts.act(alert?.id ?? '0', { kind: 'resolve' }, 'dw_tester01', '*')).toMatchObject({ kind: 'done', alert: { status: 'resolved' } });
    const recur = shopFlow(15, snapshot, c);
    d.observe(recur.flow, recur.classification, null);
    await d.stop();
    expect(events.slice(count).filter((e) => e.alert.cluster === c).map((e) => e.type)).toEqual(['alert.reopened']);
    expect(await mine(c)).toHaveLength(1);
  });
});
