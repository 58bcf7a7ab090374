import { compileRevision, loadManifests } from '@driftwatch/policy-engine';
import { buildFlow, externalEndpoint, podEndpoint } from '@driftwatch/testing';
import { describe, expect, it } from 'vitest';
import { FlowClassifier } from '../src/classify.js';
import type { Flow, FlowEndpoint } from '../src/flow.model.js';

// Namespace shop: default deny (ingress + egress); frontend → backend TCP 8080 allowed both ways.
const manifests = `
apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { team: retail } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: backend, namespace: shop }
spec:
  template:
    metadata: { labels: { app: backend } }
    spec: { containers: [{ name: api, ports: [{ name: http, containerPort: 8080 }] }] }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: default-deny, namespace: shop }
spec: { podSelector: {}, policyTypes: [Ingress, Egress] }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: frontend-egress, namespace: shop }
spec:
  podSelector: { matchLabels: { app: frontend } }
  policyTypes: [Egress]
  egress: [{ to: [{ podSelector: { matchLabels: { app: backend } } }], ports: [{ port: 8080 }] }]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: backend-ingress, namespace: shop }
spec:
  podSelector: { matchLabels: { app: backend } }
  ingress: [{ from: [{ podSelector: { matchLabels: { app: frontend } } }], ports: [{ port: http }] }]
`;
const loaded = loadManifests([{ name: 'shop.yaml', text: manifests }]);
const snapshot = compileRevision(loaded, { revision: 1 });

const pod = podEndpoint;
const frontend = pod('frontend', { app: 'frontend' }, '10.0.0.10');
const backend = pod('backend', { app: 'backend' }, '10.0.0.20');
const world: FlowEndpoint = externalEndpoint('93.184.216.34');
const flow = (overrides: Partial<Flow>): Flow => buildFlow({ time: 0, ...overrides });

const policyDrop = { verdict: 'dropped', policyDrop: true, dropReason: 'POLICY_DENIED' } as const;
const otherDrop = { verdict: 'dropped', policyDrop: false, dropReason: 'CT_MAP_INSERTION_FAILED' } as const;
const denied = { src: frontend, dst: backend, dstPort: 9090 } as const; // no rule admits 9090 either way

describe('classify: the table of ARCHITECTURE.md §3', () => {
  it.each([
    ['forwarded, declared allow (egress)', { direction: 'egress' }, 'allowed', undefined],
    ['forwarded, declared allow (ingress)', { direction: 'ingress' }, 'allowed', undefined],
    ['forwarded, declared deny (egress)', { ...denied, direction: 'egress' }, 'unexpected', 'unenforced-deny'],
    ['forwarded, declared deny (ingress)', { ...denied, direction: 'ingress' }, 'unexpected', 'unenforced-deny'],
    ['audit-mode forwarded, declared allow', { verdict: 'audit' }, 'allowed', undefined],
    ['audit-mode forwarded, declared deny', { ...denied, verdict: 'audit' }, 'unexpected', 'unenforced-deny'],
    ['redirected to the L7 proxy, declared allow', { verdict: 'redirected' }, 'allowed', undefined],
    ['policy drop, declared allow', { ...policyDrop }, 'unexpected', 'unexpected-drop'],
    ['policy drop, declared deny', { ...denied, ...policyDrop }, 'denied', undefined],
    ['other drop, declared allow (reason kept, not drift)', { ...otherDrop }, 'allowed', undefined],
    ['other drop, declared deny', { ...denied, ...otherDrop }, 'denied', undefined],
  ] as const)('%s → %s', (_name, overrides, label, drift) => {
    const result = new FlowClassifier(snapshot).classify(flow(overrides as Partial<Flow>));
    expect(result.label).toBe(label);
    expect(result.drift).toBe(drift);
  });

  it('compares an egress observation with the egress half and an ingress one with the ingress half', () => {
    // backend → frontend on 8080: backend has no egress rule (deny); frontend has no ingress rule (deny) either,
    // so use a world destination: egress of backend denied, ingress not applicable.
    const egress = new FlowClassifier(snapshot).classify(flow({ src: backend, dst: world, dstPort: 443, direction: 'egress' }));
    expect(egress).toMatchObject({ label: 'unexpected', drift: 'unenforced-deny', declaredVerdict: 'deny' });
    const ingress = new FlowClassifier(snapshot).classify(flow({ src: world, dst: frontend, dstPort: 443, direction: 'ingress' }));
    expect(ingress).toMatchObject({ label: 'unexpected', declaredVerdict: 'deny' });
    expect(ingress.declared?.egress.applicable).toBe(false);
  });

  it.each([
    ['a reply', { event: 'reply', isReply: true }],
    ['an established packet', { event: 'established' }],
    ['an L7 record', { event: 'l7' }],
    ['an event with no verdict', { event: 'no-verdict', verdict: 'traced' }],
  ] as const)('never labels %s, even a policy drop', (_name, overrides) => {
    const result = new FlowClassifier(snapshot).classify(flow({ ...denied, ...policyDrop, ...overrides }));
    expect(result).toMatchObject({ label: undefined, drift: undefined, declared: undefined });
  });

  it.each([
    ['ICMPv4 forwarded', { protocol: 'ICMPv4', dstPort: undefined }, 'allowed'],
    ['ICMPv6 policy-dropped', { protocol: 'ICMPv6', dstPort: undefined, ...policyDrop }, 'denied'],
  ] as const)('labels %s by the observed verdict alone, never drift', (_name, overrides, label) => {
    const result = new FlowClassifier(snapshot).classify(flow(overrides as Partial<Flow>));
    expect(result).toMatchObject({ label, drift: undefined, declared: undefined });
    expect(result.issues).toContain('protocol_not_covered');
  });

  it('takes missing labels and named ports from the inventory by workload name, and says what was missing', () => {
    // backend's ingress rule names port "http": resolvable only through the Deployment's container ports.
    const unlabeled = pod('backend', undefined, '10.0.0.21');
    const result = new FlowClassifier(snapshot).classify(flow({ dst: unlabeled, direction: 'ingress', issues: [{ code: 'pod_labels_unknown', side: 'dst' }] }));
    expect(result).toMatchObject({ label: 'allowed', declaredVerdict: 'allow' });
    expect(result.declared?.ingress.allowedBy).toMatchObject({ policy: { namespace: 'shop', name: 'backend-ingress' }, rule: 0, port: 0 });
    expect(result.issues).toContain('pod_labels_unknown');
    expect(result.issues).not.toContain('named_port_unresolved');
  });

  it('records an unknown pod with unknown labels rather than guessing', () => {
    const ghost = { ...pod('ghost', undefined, '10.0.0.99'), workload: { name: 'ghost', kind: undefined, inferred: true } };
    const result = new FlowClassifier(snapshot).classify(flow({ dst: ghost, direction: 'ingress' }));
    expect(result.label).toBe('unexpected');
    expect(result.issues).toContain('pod_labels_unknown');
  });

  it('uses the whole verdict when the direction is unknown', () => {
    const result = new FlowClassifier(snapshot).classify(flow({ direction: 'unknown', dstPort: 8080 }));
    expect(result).toMatchObject({ label: 'allowed', declaredVerdict: 'allow' });
  });
});

describe('FlowClassifier caches are bounded (flows choose their labels)', () => {
  it('clears the pod cache at maxPods and at maxPodBytes, and classifies the same either way', () => {
    const bounded = new FlowClassifier(snapshot, { maxPods: 20, maxPodBytes: 200_000, maxExternals: 10 });
    const unbounded = new FlowClassifier(snapshot);
    for (let i = 0; i < 500; i++) {
      const labels = Object.freeze({ app: 'frontend', junk: String(i).padStart(i % 2 === 0 ? 10 : 20_000, 'x') });
      const f = flow({ src: pod('frontend', labels, `10.0.1.${i % 250}`), dst: i % 3 === 0 ? world : backend });
      expect(bounded.classify(f)).toEqual(unbounded.classify(f));
      expect(bounded.cached.pods).toBeLessThanOrEqual(20);
      expect(bounded.cached.podBytes).toBeLessThanOrEqual(200_000);
      expect(bounded.cached.externals).toBeLessThanOrEqual(10);
    }
    expect(unbounded.cached.pods).toBeGreaterThan(400);
  });
});
