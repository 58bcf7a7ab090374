import type { FlowBatch } from '@driftwatch/persistence';
import { describe, expect, it } from 'vitest';
import { FlowPipeline } from '../src/index.js';
import { shopSnapshot } from './support/collector-kit.js';
import { podFlow, type FlowSpec } from './support/pipeline-kit.js';

const t0 = Date.UTC(2018, 5, 1, 12);

describe('what the pipeline counts for metrics', () => {
  it('counts distinct flows by source and label, lost events, malformed messages, duplicates and connection state', async () => {
    const batches: FlowBatch[] = [];
    const store = { writeBatch: async (batch: FlowBatch) => (batches.push(batch), { unstorable: [] }) };
    const pipeline = new FlowPipeline({ snapshot: shopSnapshot('m'), id: 1 }, { store, windowMs: 0 });
    const written: number[] = [];
    pipeline.onBatchWritten((seconds) => written.push(seconds));
    pipeline.registerSource('a', 'hubble', 'relay-a');
    pipeline.registerSource('b', 'ingest', '127.0.0.1:0');
    pipeline.setConnected('a', true);
    const flow = (id: string, overrides: Partial<FlowSpec> = {}) =>
      ({ ok: true, kind: 'flow', flow: podFlow({ id, time: t0, ns: 'm', ...overrides }) }) as const;
    pipeline.accept('a', flow('1')); // frontend → backend:8080: allowed
    pipeline.accept('a', flow('2'));
    pipeline.accept('a', flow('1')); // a duplicate
    pipeline.accept('b', flow('3', { src: 'backend', dst: 'frontend' })); // a connection the policies do not allow
    const lostEvents = { source: 'PERF_EVENT_RING_BUFFER', numEventsLost: 7, cpu: undefined, first: undefined, last: undefined, time: undefined, node: undefined, issues: [] };
    pipeline.accept('b', { ok: true, kind: 'lost_events', lostEvents });
    pipeline.reject('b', { code: 'invalid_field', message: 'bad' });
    await pipeline.drainAll();

    const stats = new Map([...pipeline.sourceStats()].map((s) => [s.id, s]));
    expect(stats.get('a')).toEqual({ id: 'a', connected: true, flows: { allowed: 2, denied: 0, unexpected: 0, skipped: 0 }, lost: 0, malformed: 0, duplicates: 1 });
    expect(stats.get('b')).toMatchObject({ connected: false, lost: 7, malformed: 1, duplicates: 0 });
    const b = stats.get('b')!.flows;
    expect(b.allowed + b.denied + b.unexpected + b.skipped).toBe(1);
    expect(b.allowed).toBe(0);
    const cache = pipeline.decisionCacheStats();
    expect(cache.hits + cache.misses).toBeGreaterThan(0);
    expect(written.length).toBe(batches.length);
    expect(written.every((s) => s >= 0 && s < 5)).toBe(true);
    await pipeline.close();
  });
});
