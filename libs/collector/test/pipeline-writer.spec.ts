import { memoryLogger } from '@driftwatch/common';
import { FlowStore, type FlowBatch, type FlowRecordRow } from '@driftwatch/persistence';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FlowPipeline } from '../src/index.js';
import { shopSnapshot } from './support/collector-kit.js';
import { evidenceRow, incompressible, podFlow, recordRow, stateRow } from './support/pipeline-kit.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

let store: FlowStore;
beforeAll(async () => {
  store = await FlowStore.open(databaseUrl);
});
afterAll(() => store.close());

// Each case writes at a time of its own in 2018, a year no other suite writes to.
const T = (day: number) => new Date(Date.UTC(2018, 0, 1 + day, 12));

/** Rows Postgres refuses (or that cannot even be encoded), one field each. */
const POISON: readonly (readonly [string, (t: Date) => Partial<FlowRecordRow>])[] = [
  ['a NUL byte in a namespace', () => ({ srcNamespace: 'sh\u0000op' })],
  ['a NUL byte in a flow id', () => ({ sampleFlowId: 'u\u00001' })],
  ['not-an-ip as inet', () => ({ dstIp: 'not-an-ip' })],
  ['a time of 9e15 s', () => ({ windowStart: new Date(9e18), firstSeen: new Date(9e18), lastSeen: new Date(9e18) })],
  ['a time in year 274493', () => ({ firstSeen: new Date(Date.UTC(274493, 0, 1)), lastSeen: new Date(Date.UTC(274493, 0, 1)) })],
  ['a namespace of 3,000 bytes in an indexed column', () => ({ dstNamespace: incompressible(3000) })],
  ['a count of 2^64-1', () => ({ flowCount: 2 ** 64 - 1 })],
];

async function recordsOfCluster(cluster: string): Promise<FlowRecordRow[]> {
  return (await store.flowRecords.list(1_000_000)).filter((r) => r.cluster === cluster);
}

describe('the batch writer sets aside the rows Postgres refuses and stores the rest', () => {
  it.each(POISON.map(([name, poison], i) => [name, poison, i] as const))('%s, followed by ordinary rows', async (name, poison, i) => {
    const t = T(i);
    const cluster = `poison-${i}`;
    const collector = `writer:${i}`;
    const ordinary = [1, 2, 3].map((n) => recordRow(t, { cluster, sampleFlowId: `ok-${i}-${n}` }));
    const batch: FlowBatch = {
      records: [recordRow(t, { cluster, ...poison(t) }), ...ordinary],
      evidence: [evidenceRow(t, { flowId: `ev-${i}` })],
      events: [{ collectorId: collector, at: t, kind: 'connected', count: 0, details: {} }],
      states: [stateRow(collector, t)],
    };
    const outcome = await store.writeBatch(batch);
    expect(outcome.unstorable, name).toEqual([{ collectorId: collector, count: 1, tables: { flow_records: 1 }, message: expect.any(String) }]);
    expect((await recordsOfCluster(cluster)).map((r) => r.sampleFlowId).sort()).toEqual([`ok-${i}-1`, `ok-${i}-2`, `ok-${i}-3`]);
    expect(await store.evidence.byFlowId(`ev-${i}`)).toHaveLength(1);
    expect((await store.collectors.load(collector))?.lastSeenTime).toEqual(t);
    const events = await store.collectors.events(collector);
    expect(events.map((e) => [e.kind, e.count, e.details['code']])).toEqual([
      ['connected', 0, undefined],
      ['malformed', 1, 'unstorable'],
    ]);
    // The refusal is kept, terminal-safe: no control byte of the input reaches the log or the row.
    expect([...String(events[1]?.details['lastMessage'])].some((c) => c.charCodeAt(0) < 0x20)).toBe(false);
  });

  it('sets aside evidence and events Postgres refuses, and keeps a cursor moving without the ids it cannot store', async () => {
    const t = T(20);
    const collector = 'writer:mixed';
    const outcome = await store.writeBatch({
      records: [recordRow(t, { cluster: 'mixed', sampleFlowId: 'mixed-ok' })],
      evidence: [evidenceRow(t, { flowId: 'mixed-ev-bad', srcNamespace: 'ns\u0000x' }), evidenceRow(t, { flowId: 'mixed-ev-ok' })],
      events: [
        { collectorId: collector, at: t, kind: 'node_status', count: 1, details: { message: 'x\u0000y' } },
        { collectorId: collector, at: t, kind: 'connected', count: 0, details: {} },
      ],
      states: [stateRow(collector, t, { cursor: { ids: ['id\u0000with-nul'] }, lastError: 'bad\u0000error' })],
      evidenceSources: [collector, collector],
    });
    expect(outcome.unstorable).toEqual([{ collectorId: collector, count: 2, tables: { evidence_flows: 1, collector_events: 1 }, message: expect.any(String) }]);
    expect(await recordsOfCluster('mixed')).toHaveLength(1);
    expect(await store.evidence.byFlowId('mixed-ev-ok')).toHaveLength(1);
    expect(await store.evidence.byFlowId('mixed-ev-bad')).toHaveLength(0);
    expect(await store.collectors.load(collector)).toMatchObject({ lastSeenTime: t, cursor: {}, lastError: 'bad\\x00error' });
    expect((await store.collectors.events(collector)).map((e) => e.kind)).toEqual(['connected', 'malformed']);
  });

  it('is not stuck: batches after a poisoned one are written whole', async () => {
    const t = T(21);
    await store.writeBatch({ records: [recordRow(t, { cluster: 'after', srcIp: 'not-an-ip' })], evidence: [], events: [], states: [] });
    for (let n = 0; n < 3; n++) {
      const outcome = await store.writeBatch({ records: [recordRow(t, { cluster: 'after', sampleFlowId: `after-${n}` })], evidence: [], events: [], states: [] });
      expect(outcome.unstorable).toEqual([]);
    }
    expect(await recordsOfCluster('after')).toHaveLength(3);
  });
});

describe('the pipeline with poison flows', () => {
  it('stores the ordinary flows, counts the poison as malformed, advances the cursor, and writes later batches', async () => {
    const ns = 'poisoned';
    const source = 'hubble:poison';
    const logger = memoryLogger();
    const pipeline = new FlowPipeline({ snapshot: shopSnapshot(ns), id: null }, { store, windowMs: 0, logger });
    pipeline.registerSource(source, 'hubble', 'relay:4245');
    const base = T(30).getTime();
    const poison = [
      podFlow({ id: 'p-nul-ns', time: base, ns, srcNs: 'poi\u0000soned' }),
      podFlow({ id: 'p-nul-\u0000id', time: base + 1, ns }),
      podFlow({ id: 'p-not-an-ip', time: base + 2, ns, dstIp: 'not-an-ip' }),
      podFlow({ id: 'p-time-9e15s', time: 9e18, ns }),
      podFlow({ id: 'p-year-274493', time: Date.UTC(274493, 0, 1), ns }),
      podFlow({ id: 'p-long-ns', time: base + 3, ns, srcNs: incompressible(3000) }),
      podFlow({ id: 'p-count', time: base + 4, ns, count: 2 ** 64 - 1 }),
    ];
    let n = 0;
    const ordinary = () => podFlow({ id: `ok-${n}`, time: base + 10 + n++, ns });
    for (const bad of poison) {
      await pipeline.accept(source, { ok: true, kind: 'flow', flow: bad });
      for (let k = 0; k < 3; k++) await pipeline.accept(source, { ok: true, kind: 'flow', flow: ordinary() });
    }
    await pipeline.drainAll();
    for (let k = 0; k < 5; k++) await pipeline.accept(source, { ok: true, kind: 'flow', flow: ordinary() });
    await pipeline.drainAll();
    await pipeline.close();

    // Rows Postgres refuses are counted: each poison flow's record, and the endpoint identity of the NUL namespace.
    const refusedRows = poison.length + 1;
    expect(pipeline.summary).toMatchObject({ flows: poison.length + n, malformed: refusedRows, allowed: n + 4, unexpected: 1 });
    const stored = (await store.flowRecords.list(1_000_000)).filter((r) => r.srcNamespace === ns && r.sampleFlowId?.startsWith('ok-'));
    expect(stored).toHaveLength(n);
    expect((await store.collectors.load(source))?.lastSeenTime?.getTime()).toBe(base + 10 + n - 1);
    const malformed = (await store.collectors.events(source)).filter((e) => e.kind === 'malformed');
    expect(malformed.reduce((sum, e) => sum + e.count, 0)).toBe(refusedRows);
    expect(malformed.reduce((sum, e) => sum + Number((e.details['tables'] as Record<string, number> | undefined)?.['endpoint_identities'] ?? 0), 0)).toBe(1);
    expect(malformed.every((e) => e.details['code'] === 'unstorable')).toBe(true);
    expect(logger.lines.filter((l) => l.startsWith('error:')).length).toBeGreaterThan(0);
    expect(logger.lines.some((l) => l.includes('\u0000') || l.includes('\u001b'))).toBe(false);
  });
});
