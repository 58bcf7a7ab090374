/**
 * The read side of a what-if: connections summed over windows in Postgres and streamed by cursor, identities
 * resolved to stored sides, and the time limit.
 */
import { randomBytes } from 'node:crypto';
import type { StoredConnection } from '@driftwatch/flow';
import { compileRevision } from '@driftwatch/policy-engine';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FlowStore, ReportStore, runWhatIf, WhatIfTooLargeError, type FlowRecordRow, type StoredConnectionReader } from '../src/index.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

const T = Date.UTC(2017, 5, 1, 12);
const ns = `rd${randomBytes(3).toString('hex')}`;

function record(minute: number, overrides: Partial<FlowRecordRow> = {}): FlowRecordRow {
  const start = new Date(T + minute * 60_000);
  return {
    windowStart: start, windowEnd: new Date(start.getTime() + 10_000), source: 'hubble', cluster: '', srcNamespace: ns, srcWorkload: 'client',
    srcIp: null, dstNamespace: ns, dstWorkload: 'server', dstIp: null, dstPort: 443, protocol: 'TCP', direction: 'egress', observed: 'forwarded',
    dropReason: null, event: 'connection', label: 'allowed', driftKind: null, policyRevisionId: null, flowCount: 5, firstSeen: start, lastSeen: start,
    sampleFlowId: 's', issues: [], srcIdentity: '11', dstIdentity: '12', allowedBy: [], ...overrides,
  };
}

describe('StoredConnectionReader and runWhatIf', () => {
  let flows: FlowStore;
  let reports: ReportStore;
  beforeAll(async () => {
    flows = await FlowStore.open(databaseUrl);
    reports = ReportStore.open(databaseUrl);
    await flows.writeBatch({
      identities: [
        { id: '11', namespace: ns, labels: { app: 'client' }, namespaceLabels: null },
        { id: '12', namespace: ns, labels: { app: 'server' }, namespaceLabels: { team: 'a' } },
      ],
      records: [
        record(0), record(1), record(2, { flowCount: 7 }),
        record(0, { direction: 'ingress' }),
        record(3, { dstNamespace: null, dstWorkload: null, dstIp: '203.0.113.9', dstIdentity: '0' }),
        record(4, { srcWorkload: 'old', srcIdentity: null, dstIdentity: '999' }),
        record(5, { srcWorkload: 'reply', label: null, event: 'reply' }),
        record(6, { srcWorkload: 'late' }),
      ],
      evidence: [], events: [], states: [],
    });
  });
  afterAll(async () => {
    await reports.close();
    await flows.close();
  });

  async function read(chunkSize: number, to = T + 6 * 60_000): Promise<{ chunks: number; rows: StoredConnection[] }> {
    const rows: StoredConnection[] = [];
    let chunks = 0;
    for await (const chunk of reports.reader().stream({ from: new Date(T), to: new Date(to), scope: [ns], chunkSize })) {
      chunks++;
      rows.push(...chunk);
    }
    return { chunks, rows };
  }

  it('sums a connection over its windows, keeps what judging depends on apart, and puts the rows of a connection together', async () => {
    const { rows } = await read(100);
    const summary = rows.map((r) => [r.srcWorkload, r.dstWorkload ?? r.dstIp, r.direction, r.records, r.flows]);
    expect([...summary].sort()).toEqual([
      ['client', '203.0.113.9', 'egress', 1, 5],
      ['client', 'server', 'egress', 3, 17],
      ['client', 'server', 'ingress', 1, 5],
      ['old', 'server', 'egress', 1, 5],
    ]);
    const pair = rows.flatMap((r, i) => (r.srcWorkload === 'client' && r.dstWorkload === 'server' ? [i] : []));
    expect(pair).toHaveLength(2);
    expect(Math.abs((pair[0] as number) - (pair[1] as number))).toBe(1);
  });

  it('resolves identities: a pod with its labels, 0 an external peer, none or a missing row unknown', async () => {
    const { rows } = await read(1);
    const pairs = rows.filter((r) => r.srcWorkload === 'client' && r.dstWorkload === 'server');
    const [pair] = pairs;
    const external = rows.find((r) => r.dstIp !== null);
    const old = rows.find((r) => r.srcWorkload === 'old');
    expect(pair?.src).toEqual({ kind: 'pod', namespace: ns, labels: { app: 'client' }, namespaceLabels: null });
    expect(pair?.dst).toEqual({ kind: 'pod', namespace: ns, labels: { app: 'server' }, namespaceLabels: { team: 'a' } });
    expect(external?.dst).toEqual({ kind: 'external' });
    expect([old?.src, old?.dst]).toEqual([{ kind: 'unknown' }, { kind: 'unknown' }]);
    // One object per identity, so the evaluator's endpoint caches hit.
    expect(pairs[1]?.src).toBe(pair?.src);
  });

  it('fetches in chunks of the cursor size', async () => {
    expect((await read(1)).chunks).toBe(4);
    expect((await read(3)).chunks).toBe(2);
  });

  it('ends the query when the reader stops early: the pool of one connection answers again', async () => {
    const single = ReportStore.open(databaseUrl, { max: 1 });
    try {
      for await (const chunk of single.reader().stream({ from: new Date(T), to: new Date(T + 600_000), scope: [ns], chunkSize: 1 })) {
        expect(chunk).toHaveLength(1);
        break;
      }
      expect(await single.compliance.namespacesSeen(new Date(T), new Date(T + 600_000), [ns])).toEqual([ns]);
    } finally {
      await single.close();
    }
  });

  it('sees nothing out of the scope or the range', async () => {
    const other: StoredConnection[] = [];
    for await (const chunk of reports.reader().stream({ from: new Date(T), to: new Date(T + 600_000), scope: ['elsewhere'] })) other.push(...chunk);
    expect(other).toEqual([]);
    expect((await read(10, T + 60_000)).rows.map((r) => r.records)).toEqual([1, 1]);
  });

  it('runs a what-if in the answer shape', async () => {
    const snapshot = compileRevision({ policies: [] });
    const result = await runWhatIf(reports.reader(), { snapshot, revision: null }, { from: new Date(T), to: new Date(T + 6 * 60_000), scope: [ns] });
    expect(result).toMatchObject({
      candidate: { revision: null, policies: 0 }, namespaces: [ns], transitions: [], becomeUnexpected: 0,
      totals: { records: 6, flows: 32, unchanged: 6, approximate: 1 },
    });
  });

  it('gives up with WhatIfTooLargeError past its time limit, or when Postgres cancels the statement', async () => {
    const snapshot = compileRevision({ policies: [] });
    const stalling = { async *stream() { await new Promise((r) => setTimeout(r, 200)); yield []; } } as unknown as StoredConnectionReader;
    const query = { from: new Date(T), to: new Date(T + 1), scope: '*' as const, timeLimitMs: 20 };
    await expect(runWhatIf(stalling, { snapshot, revision: null }, query)).rejects.toThrow(WhatIfTooLargeError);
    const cancelled = { async *stream() { yield* []; throw Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }); } } as unknown as StoredConnectionReader;
    await expect(runWhatIf(cancelled, { snapshot, revision: null }, { ...query, timeLimitMs: 60_000 })).rejects.toThrow(/narrow from\/to/);
  });
});
