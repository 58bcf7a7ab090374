import { randomBytes } from 'node:crypto';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FlowStore, type EndpointIdentityRow, type FlowRecordRow } from '../src/index.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

let store: FlowStore;
beforeAll(async () => {
  store = await FlowStore.open(databaseUrl);
});
afterAll(() => store.close());

function record(overrides: Partial<FlowRecordRow>): FlowRecordRow {
  const t = new Date('2019-05-05T12:00:00.000Z'); // a time no other test of this database writes at
  return {
    windowStart: t, windowEnd: new Date(t.getTime() + 10_000), source: 'hubble', cluster: '', srcNamespace: 'shop',
    srcWorkload: 'frontend', srcIp: '10.0.0.1', dstNamespace: 'shop', dstWorkload: 'backend', dstIp: '10.0.0.2', dstPort: 8080,
    protocol: 'TCP', direction: 'egress', observed: 'forwarded', dropReason: null, event: 'connection', label: 'allowed',
    driftKind: null, policyRevisionId: null, flowCount: 3, firstSeen: t, lastSeen: t, sampleFlowId: 'u1', issues: [],
    ...overrides,
  };
}

describe('FlowStore', () => {
  it('writes a batch of flow records in one statement and reads them back as written', async () => {
    const rows = [
      record({}),
      record({ label: 'unexpected', driftKind: 'unenforced-deny', dstPort: 5432, flowCount: 2, issues: ['pod_labels_unknown', 'port_unknown'] }),
      record({ label: null, event: 'reply', flowCount: 4, srcIp: null, dstIp: 'fd00::1', dstPort: null }),
    ];
    await store.flowRecords.insert(rows);
    const back = (await store.flowRecords.list()).filter((r) => r.windowStart.getTime() === Date.parse('2019-05-05T12:00:00.000Z'));
    expect(back).toHaveLength(3);
    expect(back.map((r) => [r.label, r.driftKind, r.event, r.flowCount, r.issues, r.dstIp, r.dstPort])).toEqual([
      ['allowed', null, 'connection', 3, [], '10.0.0.2', 8080],
      ['unexpected', 'unenforced-deny', 'connection', 2, ['pod_labels_unknown', 'port_unknown'], '10.0.0.2', 5432],
      [null, null, 'reply', 4, [], 'fd00::1', null],
    ]);
    expect(back[0]?.windowStart.toISOString()).toBe('2019-05-05T12:00:00.000Z');
    const totals = await store.flowRecords.totals(new Date('2019-05-05T00:00:00Z'), new Date('2019-05-06T00:00:00Z'));
    expect(totals.reduce((n, t) => n + t.flows, 0)).toBe(9);
  });

  it('rejects a bad batch whole: nothing half-written', async () => {
    const before = (await store.flowRecords.list()).length;
    await expect(store.flowRecords.insert([record({}), record({ srcIp: 'not-an-ip' })])).rejects.toThrow(/inet/);
    expect((await store.flowRecords.list()).length).toBe(before);
  });

  it('keeps evidence bodies and explanations as JSON', async () => {
    await store.evidence.insert([
      {
        observedAt: new Date(), flowId: 'ev-1', source: 'hubble', direction: 'ingress', label: 'unexpected', driftKind: 'unexpected-drop',
        srcNamespace: 'a', srcWorkload: 'x', dstNamespace: 'b', dstWorkload: 'y', policyRevisionId: null,
        body: { flow: { uuid: 'ev-1', verdict: 'DROPPED' } }, explanation: { text: 'allowed: b/y admits a/x' },
      },
    ]);
    expect(await store.evidence.byFlowId('ev-1')).toEqual([
      { label: 'unexpected', driftKind: 'unexpected-drop', body: { flow: { uuid: 'ev-1', verdict: 'DROPPED' } }, explanation: { text: 'allowed: b/y admits a/x' } },
    ]);
  });

  it('numbers policy revisions and does not repeat an unchanged one', async () => {
    const revision = { sourceKind: 'directory' as const, sourcePath: '/p', gitCommit: 'abc', contentHash: 'h1', documents: [{ name: 'a.yaml', text: 'x' }], policyCount: 1, problems: [] };
    const first = await store.revisions.record(revision);
    const again = await store.revisions.record(revision);
    const changed = await store.revisions.record({ ...revision, contentHash: 'h2' });
    expect(first.created).toBe(true);
    expect(again).toEqual({ id: first.id, created: false, activated: false, previousId: null });
    expect(changed.created).toBe(true);
    expect(changed.id).toBeGreaterThan(first.id);
    expect(await store.revisions.get(changed.id)).toMatchObject({ contentHash: 'h2', gitCommit: 'abc', policyCount: 1 });
  });

  it('saves a collector cursor and records gaps as data', async () => {
    const state = { id: 'hubble:relay:4245', kind: 'hubble', address: 'relay:4245', connected: true, lastSeenTime: new Date('2026-11-26T12:00:01.5Z'), cursor: { ids: ['u9'] }, lostEvents: 7, lastError: null };
    await store.collectors.save(state);
    await store.collectors.save({ ...state, connected: false, lastError: 'connection refused' });
    expect(await store.collectors.load(state.id)).toEqual({ ...state, connected: false, lastError: 'connection refused' });
    await store.collectors.recordEvents([{ collectorId: state.id, at: new Date(), kind: 'lost_events', count: 7, details: { source: 'HUBBLE_RING_BUFFER' } }]);
    expect(await store.collectors.events(state.id)).toMatchObject([{ kind: 'lost_events', count: 7, details: { source: 'HUBBLE_RING_BUFFER' } }]);
  });

  it('writes an endpoint identity once and moves its last_seen forward only when more than an hour behind, never back', async () => {
    const HOUR = 3_600_000;
    const t0 = Date.parse('2019-06-06T12:00:00.000Z');
    const id = randomBytes(8).readBigInt64BE(0).toString(); // an identity of this test's own
    const identity = (lastSeen: number | undefined, labels = { app: 'a' }): EndpointIdentityRow => ({
      id, namespace: 'ids', labels, namespaceLabels: null, ...(lastSeen === undefined ? {} : { lastSeen: new Date(lastSeen) }),
    });
    const stored = async () => {
      const [row] = await store.identities.get([id]);
      return row && { ...row, lastSeen: row.lastSeen?.toISOString() };
    };
    const batch = (identities: EndpointIdentityRow[]) => store.writeBatch({ identities, records: [], evidence: [], events: [], states: [] });

    await batch([identity(t0)]);
    expect(await stored()).toEqual({ id, namespace: 'ids', labels: { app: 'a' }, namespaceLabels: null, lastSeen: '2019-06-06T12:00:00.000Z' });
    // an hour behind is not stale; the rest of the row is never written again
    await batch([identity(t0 + HOUR, { app: 'changed' })]);
    expect(await stored()).toMatchObject({ labels: { app: 'a' }, lastSeen: '2019-06-06T12:00:00.000Z' });
    await batch([identity(t0 + HOUR + 1)]);
    expect(await stored()).toMatchObject({ labels: { app: 'a' }, lastSeen: '2019-06-06T13:00:00.001Z' });
    // never back, however far behind the row is
    await batch([identity(t0 - 10 * HOUR)]);
    expect((await stored())?.lastSeen).toBe('2019-06-06T13:00:00.001Z');
    // one id twice in a statement (a collector's cache started over): written once, with the later time
    await store.identities.insert([identity(t0 + 5 * HOUR), identity(t0 + 3 * HOUR)]);
    expect((await stored())?.lastSeen).toBe('2019-06-06T17:00:00.000Z');
    // a row without a time is seen now
    await store.identities.insert([identity(undefined)]);
    expect(Math.abs(Date.parse((await stored())?.lastSeen ?? '') - Date.now())).toBeLessThan(60_000);
  });
});
