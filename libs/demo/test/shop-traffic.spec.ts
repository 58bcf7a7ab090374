import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeGetFlowsResponse, loadHubbleApi } from '@driftwatch/collector';
import { createHubbleNormalizer, FlowClassifier } from '@driftwatch/flow';
import { compileRevision, loadManifests } from '@driftwatch/policy-engine';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DRIFT_SCENARIOS, PODS, PORTS, shopTraffic, STEADY_SCENARIOS, type DemoEvent, type ShopTrafficOptions } from '../src/index.js';

const POLICIES = join(import.meta.dirname, '..', '..', '..', 'examples', 'shop', 'policies');
const START = Date.UTC(2026, 2, 2, 10, 0, 0);

function take(options: ShopTrafficOptions, count: number): DemoEvent[] {
  const out: DemoEvent[] = [];
  for (const event of shopTraffic(options)) {
    out.push(event);
    if (out.length === count) break;
  }
  return out;
}

/** Events until `seconds` of flow time have passed. */
function during(options: ShopTrafficOptions, seconds: number): DemoEvent[] {
  const out: DemoEvent[] = [];
  const end = (options.startMs + seconds * 1000) * 1000;
  for (const event of shopTraffic(options)) {
    if (event.timeMicros >= end) break;
    out.push(event);
  }
  return out;
}

describe('the shop traffic of the demo source', () => {
  const sources = readdirSync(POLICIES)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => ({ name: f, text: readFileSync(join(POLICIES, f), 'utf8') }));
  const options = { seed: 1, startMs: START, flowsPerSecond: 50 };
  const events = during(options, 120);

  it('comes out of the real normalizer and classifier exactly as intended against examples/shop, with no issue codes', () => {
    const classifier = new FlowClassifier(compileRevision(loadManifests(sources), { revision: 1 }));
    const normalizer = createHubbleNormalizer();
    const wrong: unknown[] = [];
    for (const { response, expected } of events) {
      const result = normalizer.response(response);
      if (result.kind !== 'flow') throw new Error(`not a flow: ${JSON.stringify(result)}`);
      const c = classifier.classify(result.flow);
      const actual = { scenario: expected.scenario, event: result.flow.event, label: c.label, drift: c.drift };
      if (JSON.stringify(actual) !== JSON.stringify(expected) || c.issues.length > 0 || result.flow.issues.length > 0) {
        wrong.push({ actual, expected, issues: [...c.issues, ...result.flow.issues] });
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('plays every scenario: each label, both drift kinds, replies and established packets', () => {
    const seen = (f: (e: DemoEvent) => unknown) => new Set(events.map(f));
    expect([...seen((e) => e.expected.scenario)].sort()).toEqual([...STEADY_SCENARIOS, ...DRIFT_SCENARIOS].sort());
    expect([...seen((e) => e.expected.label)].sort()).toEqual(['allowed', 'denied', 'unexpected', undefined]);
    expect([...seen((e) => e.expected.drift)].sort()).toEqual(['unenforced-deny', 'unexpected-drop', undefined]);
    expect([...seen((e) => e.expected.event)].sort()).toEqual(['connection', 'established', 'reply']);
  });

  it('holds the rate, keeps times in order and never repeats a uuid', () => {
    expect(events.length / 120).toBeGreaterThan(45);
    expect(events.length / 120).toBeLessThan(55);
    const fast = during({ ...options, flowsPerSecond: 500 }, 20);
    expect(fast.length / 20).toBeGreaterThan(450);
    expect(fast.length / 20).toBeLessThan(550);
    expect(events.every((e, i) => i === 0 || e.timeMicros >= (events[i - 1] as DemoEvent).timeMicros)).toBe(true);
    expect(new Set(events.map((e) => e.response.flow['uuid'])).size).toBe(events.length);
    expect(events[0]?.timeMicros).toBeGreaterThanOrEqual(START * 1000);
  });

  it('drifts first after 2 s, then once every 5 s, in turn', () => {
    const starts = events.filter((e, i) => DRIFT_SCENARIOS.includes(e.expected.scenario as never) && events[i - 1]?.expected.scenario !== e.expected.scenario);
    const seconds = starts.map((e) => (e.timeMicros / 1000 - START) / 1000);
    expect(seconds[0]).toBeGreaterThanOrEqual(2);
    expect(seconds[0]).toBeLessThan(3);
    expect(starts.length).toBe(24); // 2 s, 7 s, …, 117 s
    for (const [i, s] of seconds.entries()) expect(Math.abs(s - (2 + 5 * i))).toBeLessThan(1);
    expect(starts.slice(0, 4).map((e) => e.expected.scenario)).toEqual([...DRIFT_SCENARIOS]);
    // Drift to the outside goes to a new address each time for the first minute (new alerts keep opening), then recurs.
    const outside = starts.filter((e) => e.expected.scenario.endsWith('-to-internet')).map((e) => (e.response.flow['IP'] as { destination: string }).destination);
    expect(new Set(outside.slice(0, 6)).size).toBe(6);
    expect(outside.slice(6, 12)).toEqual(outside.slice(0, 6));
    const custom = during({ ...options, driftEveryMs: 1000, firstDriftAfterMs: 100 }, 10).filter((e) => e.expected.label === 'unexpected');
    expect(custom.length).toBeGreaterThanOrEqual(10);
  });

  it('is deterministic: the seed fixes what happens, the start time where it lands (and the uuids)', () => {
    const a = take(options, 2000);
    expect(take(options, 2000)).toEqual(a);
    const other = take({ ...options, seed: 2 }, 2000);
    expect(other.map((e) => e.expected.scenario)).not.toEqual(a.map((e) => e.expected.scenario));
    const later = take({ ...options, startMs: START + 3_600_000 }, 2000);
    expect(later.map((e) => e.expected)).toEqual(a.map((e) => e.expected));
    expect(later.map((e) => e.timeMicros - 3_600_000_000)).toEqual(a.map((e) => e.timeMicros));
    const strip = (e: DemoEvent) => ({ ...e.response.flow, uuid: undefined, time: undefined });
    expect(later.map(strip)).toEqual(a.map(strip));
    expect(new Set([...a, ...later].map((e) => e.response.flow['uuid'])).size).toBe(4000);
    expect(() => take({ ...options, flowsPerSecond: 0 }, 1)).toThrow(RangeError);
  });

  it('encodes as Hubble GetFlowsResponse with every field known to the proto, and the collector decodes it', () => {
    const method = loadHubbleApi().Observer.service['GetFlows']!;
    for (const { response } of events.slice(0, 1000)) {
      const bytes = method.responseSerialize(response);
      // Every field we set survives the round trip: a misspelled field would be dropped by the encoder.
      expect(method.responseDeserialize(bytes)).toMatchObject(response);
      expect(decodeGetFlowsResponse(bytes)).toMatchObject({ flow: { uuid: response.flow['uuid'] } });
    }
  });

  it('matches the manifests: the Deployments, their labels, replicas and ports, and the namespace labels', () => {
    const docs = sources.flatMap((s) => parseAllDocuments(s.text).map((d) => d.toJS() as Record<string, any>)); // eslint-disable-line @typescript-eslint/no-explicit-any
    const namespace = docs.find((d) => d['kind'] === 'Namespace')!;
    const deployments = docs.filter((d) => d['kind'] === 'Deployment');
    expect(deployments.map((d) => d['metadata'].name).sort()).toEqual(['backend', 'database', 'frontend']);
    for (const d of deployments) {
      const pods = PODS[d['metadata'].name as 'frontend' | 'backend' | 'database'];
      expect(pods).toHaveLength(d['spec'].replicas);
      const labels = pods[0]!.workload.labels;
      for (const [k, v] of Object.entries(d['spec'].template.metadata.labels as Record<string, string>)) expect(labels).toContain(`k8s:${k}=${v}`);
      for (const [k, v] of Object.entries(namespace['metadata'].labels as Record<string, string>)) expect(labels).toContain(`k8s:io.cilium.k8s.namespace.labels.${k}=${v}`);
      expect(labels).toContain(`k8s:io.kubernetes.pod.namespace=${d['metadata'].namespace}`);
      for (const c of d['spec'].template.spec.containers) for (const p of c.ports) expect(Object.values(PORTS)).toContain(p.containerPort);
    }
  });
});
