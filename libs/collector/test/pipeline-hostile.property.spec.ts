import fc from 'fast-check';
import type { Flow } from '@driftwatch/flow';
import { FlowStore } from '@driftwatch/persistence';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FlowPipeline } from '../src/index.js';
import { shopSnapshot } from './support/collector-kit.js';
import { incompressible, podFlow } from './support/pipeline-kit.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

let store: FlowStore;
beforeAll(async () => {
  store = await FlowStore.open(databaseUrl);
});
afterAll(() => store.close());

const HUGE = [incompressible(3000), 'y'.repeat(100_000), incompressible(9000)];

/** Strings an attacker can put in a pod name, label or id: control bytes and NUL, huge, empty, odd Unicode. */
const hostileText = fc.oneof(
  fc.string({ unit: fc.constantFrom('\u0000', '\u001b', '\u0007', '\r', '\n', '\u2028', '\u202e', '\ud800', 'a', '/', '"', '\\') , maxLength: 12 }),
  fc.constantFrom('', ...HUGE),
  fc.string({ maxLength: 20 }),
);
const hostileIp = fc.oneof(fc.constantFrom('not-an-ip', '', '999.1.1.1', '::ffff:zz', '10.0.0.1/33', '10.0.0.1\u0000'), hostileText);
const hostileTime = fc.constantFrom(9e18, -9e15, -1, Number.NaN, Number.POSITIVE_INFINITY, Date.UTC(274493, 0, 1), 8.64e15, 1e15);
const hostileCount = fc.constantFrom(2 ** 64 - 1, -1, Number.NaN, 1.5, Number.POSITIVE_INFINITY, 2 ** 63, 0);

type Mutation = (flow: Flow) => Flow;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  hostileText.map((s): Mutation => (f) => ({ ...f, id: `h${s}` })),
  hostileText.map((s): Mutation => (f) => ({ ...f, src: { ...f.src, namespace: s } })),
  hostileText.map((s): Mutation => (f) => ({ ...f, dst: { ...f.dst, workload: { name: s, kind: 'Deployment', inferred: false } } })),
  hostileText.map((s): Mutation => (f) => ({ ...f, dropReason: s, cluster: s })),
  hostileIp.map((ip): Mutation => (f) => ({ ...f, dst: { ...f.dst, kind: 'external', namespace: undefined, workload: undefined, podName: undefined, ip } })),
  hostileTime.map((time): Mutation => (f) => ({ ...f, time })),
  hostileCount.map((count): Mutation => (f) => ({ ...f, count })),
  hostileText.map((s): Mutation => (f) => ({ ...f, src: { ...f.src, kind: 'external', namespace: undefined, workload: undefined, podName: undefined }, raw: { flow: { text: s } } })),
);

/** A case: ordinary flows (false) and hostile ones (their mutations), in any order. */
const batches = fc.array(fc.oneof(fc.constant(false as const), fc.array(mutation, { minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 25 });

describe('hostile flows through the pipeline into Postgres (property)', () => {
  it('never throws, never gets stuck, and stores every ordinary flow', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(batches, async (items) => {
        run += 1;
        const ns = 'hostile';
        const source = `prop:${run}`;
        const base = Date.UTC(2017, 0, 1) + run * 86_400_000;
        const pipeline = new FlowPipeline({ snapshot: shopSnapshot(ns), id: null }, { store, windowMs: 0, closeTimeoutMs: 10_000 });
        pipeline.registerSource(source, 'hubble', 'relay');
        let ordinary = 0;
        for (const [i, item] of items.entries()) {
          let flow = podFlow({ id: item === false ? `prop-ok-${run}-${i}` : `h-${run}-${i}`, time: base + i, ns, raw: { flow: { uuid: `${run}-${i}`, backend: 'x' } } });
          if (item === false) ordinary += 1;
          else for (const mutate of item) flow = mutate(flow);
          await pipeline.accept(source, { ok: true, kind: 'flow', flow });
        }
        await pipeline.close();
        const stored = (await store.flowRecords.list(1_000_000)).filter((r) => r.sampleFlowId?.startsWith(`prop-ok-${run}-`));
        expect(stored.reduce((n, r) => n + r.flowCount, 0)).toBe(ordinary);
        // Not stuck: a later batch on the same store is written whole.
        const after = await store.writeBatch({ records: [], evidence: [], events: [{ collectorId: source, at: new Date(base), kind: 'connected', count: 0, details: {} }], states: [] });
        expect(after.unstorable).toEqual([]);
      }),
      { numRuns: 25, seed: 20261202 },
    );
  }, 60_000);
});
