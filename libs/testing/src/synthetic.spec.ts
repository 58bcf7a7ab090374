import { loadHubbleApi } from '@driftwatch/collector';
import { createHubbleNormalizer, FlowClassifier } from '@driftwatch/flow';
import { compileRevision, loadManifests } from '@driftwatch/policy-engine';
import { describe, expect, it } from 'vitest';
import { createSyntheticCluster } from './synthetic-cluster.js';
import { encodedHubbleStream } from './synthetic-encoded.js';
import { generateHubbleTraffic } from './synthetic-flows.js';
import { renderSyntheticPolicies } from './synthetic-policies.js';

const cluster = createSyntheticCluster({ seed: 3 });

describe('synthetic cluster and traffic', () => {
  it('is deterministic for a seed', () => {
    const a = [...generateHubbleTraffic(createSyntheticCluster({ seed: 3 }), { count: 50, seed: 9 })];
    const b = [...generateHubbleTraffic(createSyntheticCluster({ seed: 3 }), { count: 50, seed: 9 })];
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const c = [...generateHubbleTraffic(cluster, { count: 50, seed: 10 })];
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  it('renders policies the engine loads without problems', () => {
    const loaded = loadManifests([{ name: 'synthetic.yaml', text: renderSyntheticPolicies(cluster) }]);
    expect(loaded.problems).toEqual([]);
    expect(loaded.policies.length).toBeGreaterThan(40);
  });

  it('generates what its expectations say once normalized and classified, with drift, drops, replies and lost events', () => {
    const snapshot = compileRevision(loadManifests([{ name: 'synthetic.yaml', text: renderSyntheticPolicies(cluster) }]), { revision: 1 });
    const classifier = new FlowClassifier(snapshot);
    const normalizer = createHubbleNormalizer();
    const seen = new Map<string, number>();
    const ids = new Set<string>();
    let lastTime = 0;
    for (const { response, expected } of generateHubbleTraffic(cluster, { count: 20_000, lostEventsEvery: 4000, driftRate: 0.05 })) {
      const result = normalizer.response(response);
      if (expected.kind === 'lost_events') {
        expect(result.kind).toBe('lost_events');
        continue;
      }
      if (result.kind !== 'flow') throw new Error(JSON.stringify(result));
      const classification = classifier.classify(result.flow);
      expect({ event: result.flow.event, label: classification.label, drift: classification.drift })
        .toEqual({ event: expected.event, label: expected.label, drift: expected.drift });
      const key = `${expected.event}/${expected.label}/${expected.drift}/${result.flow.verdict}/${result.flow.dropReason}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
      ids.add(result.flow.id);
      expect(result.flow.time).toBeGreaterThanOrEqual(lastTime);
      lastTime = result.flow.time;
    }
    const keys = [...seen.keys()];
    for (const wanted of [
      'connection/allowed/undefined/forwarded/undefined', 'connection/denied/undefined/dropped/POLICY_DENIED',
      'connection/unexpected/unenforced-deny/forwarded/undefined', 'connection/unexpected/unexpected-drop/dropped/POLICY_DENIED',
      'connection/allowed/undefined/dropped/CT_MAP_INSERTION_FAILED', 'connection/allowed/undefined/dropped/STALE_OR_UNROUTABLE_IP',
      'reply/undefined/undefined/forwarded/undefined', 'established/undefined/undefined/forwarded/undefined',
    ]) {
      expect(keys).toContain(wanted);
    }
    expect(ids.size).toBe(20_000 - 4);
  });

  it('covers external destinations (reserved:world and CIDR identities) and DNS over UDP', () => {
    const normalizer = createHubbleNormalizer();
    const flows = [...generateHubbleTraffic(cluster, { count: 5000 })].flatMap(({ response }) => {
      const r = normalizer.response(response);
      return r.kind === 'flow' ? [r.flow] : [];
    });
    expect(flows.some((f) => f.dst.kind === 'external' && f.dst.reserved.includes('world') && f.dst.identity === 2)).toBe(true);
    expect(flows.some((f) => f.dst.kind === 'external' && f.dst.cidr === '198.51.100.7/32')).toBe(true);
    expect(flows.some((f) => f.protocol === 'UDP' && f.dstPort === 53 && f.dst.labels?.['k8s-app'] === 'kube-dns')).toBe(true);
  });

  it('encodes a stream whose frames decode to unique, time-ordered flows', () => {
    const { responseDeserialize } = loadHubbleApi().Observer.service['GetFlows'] ?? {};
    if (responseDeserialize === undefined) throw new Error('no GetFlows');
    const normalizer = createHubbleNormalizer();
    const frames = [...encodedHubbleStream(cluster, { count: 3000, templates: 100 })];
    const flows = frames.map((f) => {
      const r = normalizer.response(responseDeserialize(f.frame));
      if (r.kind !== 'flow') throw new Error(JSON.stringify(r));
      expect(r.flow.time).toBe(f.timeMs);
      return r.flow;
    });
    expect(new Set(flows.map((f) => f.id)).size).toBe(3000);
    expect(flows.every((f, i) => i === 0 || f.time >= (flows[i - 1]?.time ?? 0))).toBe(true);
    expect(flows[100]).toMatchObject({ src: flows[0]?.src, dstPort: flows[0]?.dstPort, verdict: flows[0]?.verdict });
  });
});
