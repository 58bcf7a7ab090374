import type { Classification } from '@driftwatch/flow';
import { flowStatsPayloads, parseFlowStatsPayload, type FlowStatsCounts, type NamespaceFlowCounts } from '@driftwatch/persistence';
import { buildFlow, externalEndpoint, podEndpoint } from '@driftwatch/testing';
import { describe, expect, it } from 'vitest';
import { FlowStatsCounter } from '../src/flow-stats.js';

const labeled = (label: Classification['label']): Classification => ({ label, drift: undefined, declared: undefined, declaredVerdict: undefined, issues: [] });

function counter(maxNamespaces?: number) {
  const published: FlowStatsCounts[] = [];
  const stats = new FlowStatsCounter({ channel: { publish: async (counts) => void published.push(counts) }, intervalMs: 60_000, ...(maxNamespaces ? { maxNamespaces } : {}) });
  return { stats, published };
}

const side = (namespace: string) => podEndpoint('w', { app: 'w' }, '10.0.0.1', { namespace });
const plain = (counts: FlowStatsCounts | undefined) => Object.fromEntries(counts ?? []);

describe('FlowStatsCounter', () => {
  it.each([
    ['src and dst in two namespaces count once in each', buildFlow({ src: side('a'), dst: side('b') }), 'allowed', { a: [1, 0, 0], b: [1, 0, 0] }],
    ['both sides in one namespace count once', buildFlow({ src: side('a'), dst: side('a'), count: 3 }), 'denied', { a: [0, 3, 0] }],
    ['an external peer counts for the namespaced side only', buildFlow({ src: side('a'), dst: externalEndpoint('1.1.1.1') }), 'unexpected', { a: [0, 0, 1] }],
    ['no namespace on either side is not counted', buildFlow({ src: externalEndpoint('1.1.1.2'), dst: externalEndpoint('1.1.1.1') }), 'allowed', {}],
    ['an unlabeled flow (a reply) is not counted', buildFlow({ src: side('a'), dst: side('b') }), undefined, {}],
  ] as const)('%s', async (_name, flow, label, want) => {
    const { stats, published } = counter();
    stats.observe(flow, labeled(label));
    await stats.stop();
    const expected = Object.fromEntries(Object.entries(want).map(([ns, [allowed, denied, unexpected]]) => [ns, { allowed, denied, unexpected }]));
    expect(plain(published[0])).toEqual(expected);
    expect(published.length).toBe(Object.keys(want).length === 0 ? 0 : 1);
  });

  it('publishes each interval once and starts from zero after it', async () => {
    const { stats, published } = counter();
    stats.observe(buildFlow({ src: side('a'), dst: side('a') }), labeled('allowed'));
    await stats.publish();
    stats.observe(buildFlow({ src: side('a'), dst: side('a') }), labeled('denied'));
    await stats.stop();
    expect(published.map(plain)).toEqual([{ a: { allowed: 1, denied: 0, unexpected: 0 } }, { a: { allowed: 0, denied: 1, unexpected: 0 } }]);
  });

  it('counts at most maxNamespaces namespaces per interval', async () => {
    const { stats, published } = counter(2);
    for (const ns of ['a', 'b', 'c', 'a']) stats.observe(buildFlow({ src: side(ns), dst: side(ns) }), labeled('allowed'));
    await stats.stop();
    expect(plain(published[0])).toEqual({ a: { allowed: 2, denied: 0, unexpected: 0 }, b: { allowed: 1, denied: 0, unexpected: 0 } });
  });
});

describe('flow stats NOTIFY payloads', () => {
  it('split many namespaces into payloads under 8000 bytes that read back to the same counts', () => {
    const counts = new Map<string, NamespaceFlowCounts>();
    for (let i = 0; i < 2000; i++) counts.set(`namespace-${i}-${'x'.repeat(i % 50)}`, { allowed: i, denied: 2 * i, unexpected: 1 });
    counts.set('y'.repeat(9000), { allowed: 1, denied: 0, unexpected: 0 }); // cannot fit: left out
    const payloads = flowStatsPayloads(counts);
    expect(payloads.length).toBeGreaterThan(1);
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThan(8000);
    const back = new Map<string, NamespaceFlowCounts>();
    for (const payload of payloads) for (const [ns, c] of parseFlowStatsPayload(payload)) back.set(ns, c);
    counts.delete('y'.repeat(9000));
    expect(back).toEqual(counts);
  });

  it.each([['not json'], ['{"a":1}'], ['[["a",-1,1.5,"x"],[2,3],"b"]']])('reads a malformed payload %s without throwing', (payload) => {
    const parsed = parseFlowStatsPayload(payload);
    for (const c of parsed.values()) expect(c).toEqual({ allowed: 0, denied: 0, unexpected: 0 });
  });
});
