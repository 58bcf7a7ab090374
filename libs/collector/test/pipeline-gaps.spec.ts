import { memoryLogger } from '@driftwatch/common';
import type { HubbleLostEvents } from '@driftwatch/flow';
import { FlowStore } from '@driftwatch/persistence';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FlowPipeline } from '../src/index.js';
import { shopSnapshot } from './support/collector-kit.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

let store: FlowStore;
beforeAll(async () => {
  store = await FlowStore.open(databaseUrl);
});
afterAll(() => store.close());

function lost(numEventsLost: number, cpu: number): { ok: true; kind: 'lost_events'; lostEvents: HubbleLostEvents } {
  return { ok: true, kind: 'lost_events', lostEvents: { source: 'PERF_EVENT_RING_BUFFER', numEventsLost, cpu, first: undefined, last: undefined, time: undefined, node: 'node-1', issues: [] } };
}

describe('gaps are tallied per source and batch', () => {
  it('turns 20,000 lost-events messages into a few rows and log lines, with the exact total', async () => {
    const logger = memoryLogger();
    const source = 'hubble:lossy';
    const pipeline = new FlowPipeline({ snapshot: shopSnapshot('gaps'), id: null }, { store, windowMs: 10_000, logger });
    pipeline.registerSource(source, 'hubble', 'relay');
    let total = 0;
    for (let i = 0; i < 20_000; i++) {
      const n = (i % 7) + 1;
      total += n;
      await pipeline.accept(source, lost(n, i % 4));
      if (i % 5000 === 4999) await pipeline.drainAll(); // several batches
    }
    await pipeline.close();
    expect(pipeline.summary.lost).toBe(total);
    const rows = (await store.collectors.events(source)).filter((e) => e.kind === 'lost_events');
    expect(rows.length).toBeGreaterThanOrEqual(4);
    expect(rows.length).toBeLessThanOrEqual(8);
    expect(rows.reduce((sum, e) => sum + e.count, 0)).toBe(total);
    expect(rows.reduce((sum, e) => sum + Number(e.details['messages']), 0)).toBe(20_000);
    expect((await store.collectors.load(source))?.lostEvents).toBe(total);
    const lines = logger.lines.filter((l) => l.includes('lost'));
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(lines.length).toBeLessThanOrEqual(7);
    expect(lines.at(-1)).toMatch(/the source lost \d+ more event\(s\) in 19995 message\(s\)/);
  });

  it('saturates a hostile lost count instead of storing what Postgres refuses', async () => {
    const source = 'hubble:hostile-lost';
    const pipeline = new FlowPipeline({ snapshot: shopSnapshot('gaps'), id: null }, { store, windowMs: 0 });
    pipeline.registerSource(source, 'hubble', 'relay');
    await pipeline.accept(source, lost(2 ** 64 - 1, 0));
    await pipeline.accept(source, lost(2 ** 64 - 1, 1));
    await pipeline.close();
    expect(pipeline.summary).toMatchObject({ lost: Number.MAX_SAFE_INTEGER, malformed: 0 });
    const rows = (await store.collectors.events(source)).filter((e) => e.kind === 'lost_events');
    expect(rows.map((e) => e.count)).toEqual([Number.MAX_SAFE_INTEGER]);
    expect((await store.collectors.load(source))?.lostEvents).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('holds a bounded number of malformed tallies, however many codes a source invents', async () => {
    const source = 'ingest:garbage';
    const logger = memoryLogger();
    const pipeline = new FlowPipeline({ snapshot: shopSnapshot('gaps'), id: null }, { store, windowMs: 0, logger });
    pipeline.registerSource(source, 'ingest', '127.0.0.1:0');
    let most = 0;
    for (let i = 0; i < 5000; i++) {
      pipeline.reject(source, { code: `code-${i}`, message: `bad \u001b[2J message ${i}` });
      most = Math.max(most, pipeline.backlog.tallies);
    }
    expect(most).toBeLessThanOrEqual(1000);
    await pipeline.close();
    const rows = (await store.collectors.events(source)).filter((e) => e.kind === 'malformed');
    expect(rows.length).toBeLessThanOrEqual(1000);
    expect(rows.reduce((sum, e) => sum + e.count, 0)).toBe(5000);
    expect(rows.some((e) => e.details['code'] === 'other')).toBe(true);
    expect(logger.lines.length).toBeLessThanOrEqual(6);
    expect(logger.lines.some((l) => l.includes('\u001b'))).toBe(false);
  });
});
