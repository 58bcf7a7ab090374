import type { FlowBatch } from '@driftwatch/persistence';
import { describe, expect, it } from 'vitest';
import { FlowPipeline } from '../src/index.js';
import { shopSnapshot } from './support/collector-kit.js';
import { podFlow } from './support/pipeline-kit.js';

const MiB = 1024 * 1024;

describe('backpressure counts bytes', () => {
  it('never holds more evidence bytes than the budget, pausing the caller until writes catch up', async () => {
    const budget = 16 * MiB;
    const written: number[] = [];
    // A database that takes a while per batch, as a real one does with megabytes of JSON.
    const store = {
      async writeBatch(batch: FlowBatch) {
        await new Promise((resolve) => setTimeout(resolve, 30));
        written.push(batch.evidence.length);
        return { unstorable: [] };
      },
    };
    const pipeline = new FlowPipeline({ snapshot: shopSnapshot('bytes'), id: null }, { store, windowMs: 10_000, maxPendingBytes: budget });
    pipeline.registerSource('s', 'hubble', 'relay');
    const body = 'x'.repeat(3.5e6);
    let paused = 0;
    for (let i = 0; i < 40; i++) {
      // backend → frontend is declared deny: unexpected, so each flow keeps its 3.5 MB body as evidence.
      const flow = podFlow({ id: `big-${i}`, time: Date.UTC(2018, 7, 1) + i, ns: 'bytes', src: 'backend', dst: 'frontend', port: 10_000 + i, raw: { flow: { uuid: `big-${i}`, payload: body } } });
      const wait = pipeline.accept('s', { ok: true, kind: 'flow', flow });
      if (wait) {
        paused += 1;
        await wait;
      }
      expect(pipeline.backlog.bytes).toBeLessThanOrEqual(budget);
    }
    await pipeline.close();
    expect(pipeline.summary.unexpected).toBe(40);
    expect(written.reduce((n, e) => n + e, 0)).toBe(40);
    expect(paused).toBeGreaterThan(0);
    expect(pipeline.backlog.peakBytes).toBeGreaterThan(3.5e6);
    expect(pipeline.backlog.peakBytes).toBeLessThanOrEqual(budget);
  });
});
