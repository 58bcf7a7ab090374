/**
 * What `serve` reads at start and for its status line: whether any API key can be used, and the unresolved alerts
 * by status.
 */
import { randomBytes } from 'node:crypto';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AlertStore, type AlertCandidate } from '../src/index.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

let store: AlertStore;
beforeAll(() => {
  store = AlertStore.open(databaseUrl, 2);
});
afterAll(() => store.close());

function candidate(): AlertCandidate {
  const now = new Date();
  return {
    connectionKey: `serve-status-spec:${randomBytes(6).toString('hex')}`, driftKind: 'unenforced-deny', severity: 'high', cluster: '',
    srcNamespace: 'shop', srcWorkload: 'frontend', srcIp: null, dstNamespace: 'shop', dstWorkload: 'database', dstIp: null, dstPort: 5432,
    protocol: 'TCP', flowCount: 1, firstSeen: now, lastSeen: now, policyRevisionId: null, explanation: { text: 'test' }, sampleFlow: {},
  };
}

describe('ApiKeyRepository.anyActive', () => {
  it('is false with no key, true with one, false again once it is revoked', async () => {
    const prefix = `dw_${randomBytes(4).toString('hex')}`;
    // This project's database is shared by its files, one at a time: start from no key at all.
    await store.keys.list().then((keys) => Promise.all(keys.filter((k) => k.revokedAt === null).map((k) => store.keys.revoke(k.prefix, 'test'))));
    expect(await store.keys.anyActive()).toBe(false);
    await store.keys.create({ prefix, hash: randomBytes(32).toString('hex'), name: 'status test', role: 'viewer', namespaces: ['*'] }, 'test');
    expect(await store.keys.anyActive()).toBe(true);
    expect(await store.keys.revoke(prefix, 'test')).toBe('revoked');
    expect(await store.keys.anyActive()).toBe(false);
  });
});

describe('AlertRepository.countUnresolved', () => {
  it('counts open, acknowledged and suppressed alerts, never resolved ones', async () => {
    const before = await store.alerts.countUnresolved();
    const { outcomes } = await store.lifecycle.open([candidate(), candidate(), candidate(), candidate()]);
    const ids = outcomes.map((o) => (o as { alert: { id: string } }).alert.id);
    expect(ids).toHaveLength(4);
    expect((await store.alerts.act(ids[1]!, { kind: 'acknowledge' }, 'test', '*')).kind).toBe('done');
    expect((await store.alerts.act(ids[2]!, { kind: 'suppress', until: new Date(Date.now() + 3_600_000), reason: 'test' }, 'test', '*')).kind).toBe('done');
    expect((await store.alerts.act(ids[3]!, { kind: 'resolve' }, 'test', '*')).kind).toBe('done');
    expect(await store.alerts.countUnresolved()).toEqual({ open: before.open + 1, acknowledged: before.acknowledged + 1, suppressed: before.suppressed + 1 });
  });
});
