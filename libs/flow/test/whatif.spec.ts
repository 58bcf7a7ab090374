/**
 * What-if, the pure part: the classification table as one function, the drop reasons that are policy drops, and
 * WhatIfEvaluator over the examples/shop capture (judged once as the pipeline does, then again under candidates).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileRevision, loadManifests, type PolicySnapshot } from '@driftwatch/policy-engine';
import { hubbleResponseMessage, goldmaneFlowMessage } from '@driftwatch/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DROP_REASON_NAMES, FlowClassifier, isPolicyDropReason, judgeConnection, judgedAsPod, normalizeGoldmaneFlow,
  normalizeHubbleJsonLine, normalizeHubbleResponse, recordedConnection, WhatIfEvaluator, type Classification, type Flow, type FlowEndpoint,
  type ObservedVerdict, type StoredConnection, type StoredSide,
} from '../src/index.js';

const shopDir = join(import.meta.dirname, '..', '..', '..', 'examples', 'shop');
const shopSources = () =>
  readdirSync(join(shopDir, 'policies')).sort().map((name) => ({ name, text: readFileSync(join(shopDir, 'policies', name), 'utf8') }));
const compile = (sources: { name: string; text: string }[], revision = 1): PolicySnapshot => {
  const loaded = loadManifests(sources);
  expect(loaded.problems).toEqual([]);
  return compileRevision(loaded, { revision });
};
const shopFlows = (): Flow[] =>
  readFileSync(join(shopDir, 'flows.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '').map((line) => {
    const result = normalizeHubbleJsonLine(line);
    if (result.kind !== 'flow') throw new Error(`not a flow: ${line.slice(0, 80)}`);
    return result.flow;
  });

describe('judgeConnection is the table of README "How flows are judged"', () => {
  // observed, policy drop, declared → label, drift
  const TABLE: readonly [ObservedVerdict, boolean, 'allow' | 'deny' | undefined, string, string | undefined][] = [
    ['forwarded', false, 'allow', 'allowed', undefined],
    ['forwarded', false, 'deny', 'unexpected', 'unenforced-deny'],
    ['audit', false, 'deny', 'unexpected', 'unenforced-deny'],
    ['redirected', false, 'allow', 'allowed', undefined],
    ['redirected', false, 'deny', 'unexpected', 'unenforced-deny'],
    ['dropped', true, 'allow', 'unexpected', 'unexpected-drop'],
    ['dropped', true, 'deny', 'denied', undefined],
    ['dropped', false, 'allow', 'allowed', undefined],
    ['dropped', false, 'deny', 'denied', undefined],
    ['forwarded', false, undefined, 'allowed', undefined],
    ['dropped', true, undefined, 'denied', undefined],
    ['dropped', false, undefined, 'denied', undefined],
  ];
  it.each(TABLE)('%s (policy drop %s), declared %s → %s %s', (observed, policyDrop, declared, label, drift) => {
    expect(judgeConnection(observed, policyDrop, declared)).toEqual({ label, drift });
  });
});

describe('isPolicyDropReason: a stored drop reason tells a policy drop exactly as Flow.policyDrop does', () => {
  const dropped = (flow: Flow) => flow.event === 'connection' && flow.verdict === 'dropped';

  it('for every Hubble drop reason, by number or by name, and for unknown numbers', () => {
    const codes = fc.oneof(fc.constantFrom(...DROP_REASON_NAMES.keys()), fc.integer({ min: 1, max: 400 }));
    fc.assert(
      fc.property(codes, fc.boolean(), (code, byName) => {
        const field = byName ? { drop_reason_desc: DROP_REASON_NAMES.get(code) ?? String(code) } : { drop_reason: code };
        const result = normalizeHubbleResponse(hubbleResponseMessage({ verdict: 'DROPPED', ...field }));
        if (result.kind !== 'flow' || !dropped(result.flow)) return;
        expect(isPolicyDropReason(result.flow.dropReason)).toBe(result.flow.policyDrop);
      }),
      { numRuns: 400 },
    );
  });

  it('for Calico denials and allows', () => {
    for (const [action, policyDrop] of [['Deny', true], ['Allow', false]] as const) {
      const result = normalizeGoldmaneFlow(goldmaneFlowMessage({ action }));
      if (result.kind !== 'flow') throw new Error(`expected a flow for ${action}`);
      expect(result.flow.policyDrop).toBe(policyDrop);
      expect(isPolicyDropReason(result.flow.dropReason), action).toBe(policyDrop);
    }
  });

  it('for the drops of examples/shop', () => {
    const drops = shopFlows().filter(dropped);
    expect(drops.length).toBe(4);
    for (const flow of drops) expect(isPolicyDropReason(flow.dropReason), flow.id).toBe(flow.policyDrop);
  });
});

/** What the pipeline stores of one classified flow (a record of one flow), with its endpoint identities. */
function stored(flow: Flow, classification: Classification, keepIdentities = true): StoredConnection {
  const side = (endpoint: FlowEndpoint): StoredSide =>
    !keepIdentities ? { kind: 'unknown' }
    : judgedAsPod(endpoint) ? { kind: 'pod', namespace: endpoint.namespace as string, labels: endpoint.labels ?? null, namespaceLabels: endpoint.namespaceLabels ?? null }
    : { kind: 'external' };
  return {
    ...recordedConnection(flow), label: classification.label as NonNullable<Classification['label']>, src: side(flow.src), dst: side(flow.dst),
    podIpUnknownAtIngest: classification.issues.includes('pod_ip_unknown'), records: 1, flows: flow.count,
  };
}

/** The labeled shop flows, judged against the shop policies as the pipeline judges them. */
function shopRecords(keepIdentities = true): StoredConnection[] {
  const classifier = new FlowClassifier(compile(shopSources()));
  return shopFlows()
    .map((flow) => [flow, classifier.classify(flow)] as const)
    .filter(([, c]) => c.label !== undefined)
    .map(([flow, c]) => stored(flow, c, keepIdentities));
}

function whatIf(candidate: PolicySnapshot, rows: readonly StoredConnection[]) {
  const evaluator = new WhatIfEvaluator(candidate);
  for (const row of rows) evaluator.add(row);
  return evaluator.outcome();
}

/** The shop policies with one document's text replaced (or removed, with ''). */
function shopWith(name: string, text: string) {
  return shopSources().map((s) => (s.name === name ? { name, text } : s));
}

const backendPolicies = readFileSync(join(shopDir, 'policies', '50-backend.yaml'), 'utf8');
const end = (namespace: string | null, workload: string | null, ip: string | null = null) => ({ namespace, workload, ip });

describe('WhatIfEvaluator over examples/shop', () => {
  it('judges the 12 labeled flows exactly as stored under the same policies: no transition', () => {
    const rows = shopRecords();
    expect(rows).toHaveLength(12);
    expect(whatIf(compile(shopSources()), rows)).toEqual({ transitions: [], records: 12, flows: 12, unchanged: 12, approximate: 0, becomeUnexpected: 0 });
  });

  it('reports exactly the connection an allow rule removed stops admitting', () => {
    // backend-egress-to-database is gone: backend's egress to database (5432) is now declared deny.
    const withoutRule = backendPolicies.replace(/---\n# backend → database[\s\S]*?---\n/, '---\n');
    expect(withoutRule).not.toContain('backend-egress-to-database');
    const outcome = whatIf(compile(shopWith('50-backend.yaml', withoutRule)), shopRecords());
    // Seen at the egress of backend, forwarded: a hole now. Seen at the ingress of database (forwarded, or the
    // conntrack drop), the ingress half still allows it: unchanged.
    expect(outcome.transitions).toEqual([
      { from: 'allowed', to: 'unexpected', records: 1, flows: 1, samples: [{ src: end('shop', 'backend'), dst: end('shop', 'database'), port: 5432, protocol: 'TCP', flows: 1 }] },
    ]);
    expect(outcome).toMatchObject({ records: 12, unchanged: 11, approximate: 0, becomeUnexpected: 1 });
  });

  it('turns drift into allowed when the candidate declares what the network did', () => {
    const legacy = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: legacy-db-access, namespace: shop }
spec:
  podSelector: { matchLabels: { app: frontend } }
  policyTypes: [Egress]
  egress: [{ to: [{ podSelector: { matchLabels: { app: database } } }], ports: [{ port: 5432 }] }]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: database-from-frontend, namespace: shop }
spec:
  podSelector: { matchLabels: { app: database } }
  ingress: [{ from: [{ podSelector: { matchLabels: { app: frontend } } }], ports: [{ port: 5432 }] }]
`;
    const outcome = whatIf(compile([...shopSources(), { name: '70-legacy.yaml', text: legacy }]), shopRecords());
    expect(outcome.transitions).toEqual([
      { from: 'unexpected', to: 'allowed', records: 2, flows: 2, samples: [{ src: end('shop', 'frontend'), dst: end('shop', 'database'), port: 5432, protocol: 'TCP', flows: 2 }] },
    ]);
    expect(outcome.becomeUnexpected).toBe(0);
  });

  it('turns a denied connection into an unexpected drop when the candidate allows it', () => {
    const internet = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: database-egress-to-internet, namespace: shop }
spec:
  podSelector: { matchLabels: { app: database } }
  policyTypes: [Egress]
  egress: [{ to: [{ ipBlock: { cidr: 203.0.113.0/24 } }], ports: [{ port: 443 }] }]
`;
    const outcome = whatIf(compile([...shopSources(), { name: '70-internet.yaml', text: internet }]), shopRecords());
    expect(outcome.transitions).toEqual([
      { from: 'denied', to: 'unexpected', records: 1, flows: 1, samples: [{ src: end('shop', 'database'), dst: end(null, null, '203.0.113.50'), port: 443, protocol: 'TCP', flows: 1 }] },
    ]);
    expect(outcome.becomeUnexpected).toBe(1);
  });

  it('judges records without identities from the candidate inventory and counts them as approximate', () => {
    const outcome = whatIf(compile(shopSources()), shopRecords(false));
    // The shop's workloads are in its manifests and come out the same; kube-system/coredns is not, so without the
    // labels its flows carried (k8s-app=kube-dns) allow-dns-egress no longer matches it: the lossy fallback.
    expect(outcome).toMatchObject({ records: 12, unchanged: 11, approximate: 12 });
    expect(outcome.transitions).toEqual([
      { from: 'allowed', to: 'unexpected', records: 1, flows: 1, samples: [{ src: end('shop', 'backend'), dst: end('kube-system', 'coredns'), port: 53, protocol: 'UDP', flows: 1 }] },
    ]);
  });

  it('counts a record as approximate when an ipBlock needs a pod address records do not keep', () => {
    const anywhere = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: frontend-egress-anywhere, namespace: shop }
spec:
  podSelector: { matchLabels: { app: frontend } }
  policyTypes: [Egress]
  egress: [{ to: [{ ipBlock: { cidr: 0.0.0.0/0 } }], ports: [{ port: 5432 }] }]
`;
    const outcome = whatIf(compile([...shopSources(), { name: '70-anywhere.yaml', text: anywhere }]), shopRecords());
    // frontend → database:5432: the ipBlock is consulted for database's address, which records do not keep. Both
    // records of that connection count (a decision covers both halves, whichever direction was observed).
    expect(outcome.approximate).toBe(2);
  });
});

describe('WhatIfEvaluator samples', () => {
  const row = (workload: string, flows: number, direction = 'egress', app = 'frontend'): StoredConnection => ({
    srcNamespace: 'shop', srcWorkload: workload, srcIp: null, dstNamespace: 'shop', dstWorkload: 'database', dstIp: null, dstPort: 5432,
    protocol: 'TCP', direction, observed: 'forwarded', dropReason: null, label: 'allowed',
    src: { kind: 'pod', namespace: 'shop', labels: { app }, namespaceLabels: null }, dst: { kind: 'pod', namespace: 'shop', labels: { app: 'database' }, namespaceLabels: null },
    podIpUnknownAtIngest: false, records: 2, flows,
  });

  it('keeps the 10 connections with the most flows, biggest first, a connection summed over its adjacent rows', () => {
    // Every frontend-like workload → database:5432 is declared deny by the shop: allowed → unexpected for each.
    const rows = Array.from({ length: 12 }, (_, i) => row(`w${i}`, i + 1));
    // w2 again: at database's ingress with backend's labels (a rollout), which database admits: unchanged.
    rows.splice(3, 0, row('w2', 100, 'ingress', 'backend'), row('w2', 1000, 'egress'));
    const outcome = whatIf(compile(shopSources()), rows);
    const allowedToUnexpected = outcome.transitions.find((t) => t.to === 'unexpected');
    expect(allowedToUnexpected?.samples.map((s) => [s.src.workload, s.flows])).toEqual([
      ['w2', 1003], ['w11', 12], ['w10', 11], ['w9', 10], ['w8', 9], ['w7', 8], ['w6', 7], ['w5', 6], ['w4', 5], ['w3', 4],
    ]);
    expect(allowedToUnexpected).toMatchObject({ records: 26, flows: 78 + 1000 });
    expect(outcome).toMatchObject({ records: 28, unchanged: 2, becomeUnexpected: 26 });
  });
});
