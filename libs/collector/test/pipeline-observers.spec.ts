import { memoryLogger } from '@driftwatch/common';
import type { Classification, Flow, FlowObserver } from '@driftwatch/flow';
import type { FlowBatch } from '@driftwatch/persistence';
import type { PolicySnapshot } from '@driftwatch/policy-engine';
import { describe, expect, it } from 'vitest';
import { FlowPipeline } from '../src/index.js';
import { shopSnapshot } from './support/collector-kit.js';
import { podFlow } from './support/pipeline-kit.js';

/** A store that only records the batches it is given. */
function recordingStore() {
  const batches: FlowBatch[] = [];
  return { batches, writeBatch: async (batch: FlowBatch) => (batches.push(batch), { unstorable: [] }) };
}

class SeenFlows implements FlowObserver {
  /** Each flow seen, with how many rows (records and evidence) the store had been given by then. */
  readonly seen: { id: string; label: string | undefined; revisionId: number | null; recordsWritten: number }[] = [];
  readonly revisions: { id: number | null; snapshot: PolicySnapshot }[] = [];
  constructor(private readonly written: () => number) {}
  observe(flow: Flow, classification: Classification, revisionId: number | null): void {
    this.seen.push({ id: flow.id, label: classification.label, revisionId, recordsWritten: this.written() });
  }
  revisionChanged(revisionId: number | null, snapshot: PolicySnapshot): void {
    this.revisions.push({ id: revisionId, snapshot });
  }
}

const t0 = Date.UTC(2018, 5, 1, 12);

describe('FlowObserver seam', () => {
  it('shows every distinct classified flow to observers at once, before anything is written (60 s window)', async () => {
    const store = recordingStore();
    const observer = new SeenFlows(() => store.batches.reduce((n, b) => n + b.records.length + b.evidence.length, 0));
    const pipeline = new FlowPipeline({ snapshot: shopSnapshot('obs'), id: 7 }, { store, windowMs: 60_000, observers: [observer] });
    pipeline.registerSource('s', 'hubble', 'relay');
    const flows = [
      podFlow({ id: 'a', time: t0, ns: 'obs' }),
      podFlow({ id: 'b', time: t0 + 1000, ns: 'obs', src: 'backend', dst: 'frontend' }),
      podFlow({ id: 'a', time: t0, ns: 'obs' }), // a duplicate: not shown again
      podFlow({ id: 'c', time: t0 + 2000, ns: 'obs', port: 9999 }),
    ];
    for (const flow of flows) await pipeline.accept('s', { ok: true, kind: 'flow', flow });
    expect(observer.seen).toEqual([
      { id: 'a', label: 'allowed', revisionId: 7, recordsWritten: 0 },
      { id: 'b', label: 'unexpected', revisionId: 7, recordsWritten: 0 },
      { id: 'c', label: 'unexpected', revisionId: 7, recordsWritten: 0 },
    ]);
    expect(store.batches.flatMap((b) => [...b.records, ...b.evidence])).toHaveLength(0);
    await pipeline.close();
    expect(store.batches.reduce((n, b) => n + b.records.reduce((m, r) => m + r.flowCount, 0), 0)).toBe(3);
  });

  it('tells observers of a revision change, and judges later flows against it', async () => {
    const store = recordingStore();
    const observer = new SeenFlows(() => store.batches.length);
    const pipeline = new FlowPipeline({ snapshot: shopSnapshot('obs'), id: 1 }, { store, windowMs: 60_000 });
    pipeline.addObserver(observer);
    await pipeline.accept('s', { ok: true, kind: 'flow', flow: podFlow({ id: 'r1', time: t0, ns: 'obs' }) });
    const next = shopSnapshot('other');
    pipeline.setRevision({ snapshot: next, id: 2 });
    await pipeline.accept('s', { ok: true, kind: 'flow', flow: podFlow({ id: 'r2', time: t0, ns: 'obs' }) });
    expect(observer.revisions).toEqual([{ id: 2, snapshot: next }]);
    expect(observer.seen.map((s) => [s.id, s.revisionId])).toEqual([
      ['r1', 1],
      ['r2', 2],
    ]);
    expect(pipeline.activeRevision.id).toBe(2);
    await pipeline.close();
  });

  it('goes on when an observer throws, logging it once', async () => {
    const logger = memoryLogger();
    const store = recordingStore();
    const healthy = new SeenFlows(() => 0);
    const broken: FlowObserver = {
      observe() {
        throw new Error('detector bug');
      },
      revisionChanged() {
        throw new Error('detector bug on reload');
      },
    };
    const pipeline = new FlowPipeline({ snapshot: shopSnapshot('obs'), id: 1 }, { store, windowMs: 0, observers: [broken, healthy], logger });
    for (let i = 0; i < 50; i++) await pipeline.accept('s', { ok: true, kind: 'flow', flow: podFlow({ id: `x${i}`, time: t0 + i, ns: 'obs' }) });
    pipeline.setRevision({ snapshot: shopSnapshot('obs'), id: 2 });
    await pipeline.close();
    expect(healthy.seen).toHaveLength(50);
    expect(pipeline.summary).toMatchObject({ flows: 50, allowed: 50 });
    expect(store.batches.reduce((n, b) => n + b.records.length, 0)).toBe(50);
    expect(logger.lines.filter((l) => l.includes('detector bug'))).toEqual([
      'error: a flow observer failed (detector bug); ingest goes on, further failures of it are not logged',
    ]);
  });
});
