import { memoryLogger } from '@driftwatch/common';
import { FlowStore } from '@driftwatch/persistence';
import { unusedPort } from '@driftwatch/testing';
import { describe, expect, it } from 'vitest';
import { FlowPipeline } from '../src/index.js';
import { shopSnapshot } from './support/collector-kit.js';
import { podFlow } from './support/pipeline-kit.js';

describe('closing the pipeline while the database is down', () => {
  it('gives up after the close timeout, says in one line what was not stored, and rejects', async () => {
    const port = await unusedPort();
    const store = FlowStore.connect(`postgres://postgres@127.0.0.1:${port}/nothing`);
    const logger = memoryLogger();
    const pipeline = new FlowPipeline({ snapshot: shopSnapshot('down'), id: null }, { store, windowMs: 0, closeTimeoutMs: 1500, logger });
    pipeline.registerSource('s', 'hubble', 'relay');
    for (let i = 0; i < 20; i++) await pipeline.accept('s', { ok: true, kind: 'flow', flow: podFlow({ id: `d${i}`, time: Date.UTC(2018, 6, 1) + i, ns: 'down' }) });
    const started = Date.now();
    await expect(pipeline.close()).rejects.toThrow(/flows could not be written: gave up writing after \d s without progress/);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(1400);
    expect(took).toBeLessThan(5000);
    const errors = logger.lines.filter((l) => l.startsWith('error:'));
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^error: cannot write flows \(.*\); retrying with backoff, nothing is dropped$/);
    expect(errors[1]).toMatch(/^error: gave up writing after \d s without progress \(.*\); 1 batch\(es\) not stored: 20 flow records, 0 evidence rows, 0 collector events, 1 source positions$/);
    expect(pipeline.summary.flows).toBe(20);
    await store.close();
  });

  it('waits for a slow database that makes progress, however long past the timeout', async () => {
    let written = 0;
    const store = {
      async writeBatch() {
        await new Promise((resolve) => setTimeout(resolve, 150));
        written += 1;
        return { unstorable: [] };
      },
    };
    const pipeline = new FlowPipeline({ snapshot: shopSnapshot('slow'), id: null }, { store, windowMs: 0, closeTimeoutMs: 100, maxOpenRecords: 5 });
    for (let i = 0; i < 20; i++) await pipeline.accept('s', { ok: true, kind: 'flow', flow: podFlow({ id: `s${i}`, time: Date.UTC(2018, 6, 2) + i, ns: 'slow' }) });
    await pipeline.close();
    expect(written).toBeGreaterThanOrEqual(4);
  });
});
