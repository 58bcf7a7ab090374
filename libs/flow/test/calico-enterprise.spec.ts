import { describe, expect, it } from 'vitest';
import { normalizeCalicoEnterpriseLine, normalizeCalicoEnterpriseRecord, normalizeFlowJsonLine, parsePolicyString, type Flow } from '../src/index.js';
import { fixtureLines, fixtureText } from './fixture-files.js';

function flowOf(result: ReturnType<typeof normalizeCalicoEnterpriseLine>): Flow {
  if (result.kind !== 'flow') throw new Error(`expected a flow, got ${JSON.stringify(result)}`);
  return result.flow;
}

describe('Calico Enterprise flow logs (real samples)', () => {
  it('hipstershop: a pass in tier security, then an end-of-tier deny', () => {
    const flow = flowOf(normalizeCalicoEnterpriseLine(fixtureText('calico/enterprise-flowslog-hipstershop-deny.ndjson')));
    expect(flow).toMatchObject({
      source: 'calico-enterprise', time: 1_659_621_542_000, endTime: 1_659_621_842_000, direction: 'ingress',
      verdict: 'dropped', policyDrop: true, dropReason: 'POLICY_DENIED', event: 'connection', count: 1, protocol: 'TCP',
      srcPort: undefined, dstPort: 5050, node: undefined,
      src: { kind: 'pod', namespace: 'default', podName: 'multitool', ip: '10.48.116.157', labels: { run: 'multitool' }, workload: undefined },
      dst: {
        kind: 'pod', namespace: 'hipstershop', podName: 'checkoutservice-598d5b586d-wsvmz', reportedName: 'checkoutservice-598d5b586d-*',
        workload: { name: 'checkoutservice', kind: 'Deployment', inferred: true }, service: undefined,
        labels: { app: 'checkoutservice', 'pod-template-hash': '598d5b586d', tenant: 'hipstershop' },
      },
      policies: [
        { policyIndex: 0, kind: 'GlobalNetworkPolicy', tier: 'security', name: 'tenant-histershop', effect: 'pass', ruleIndex: 0 },
        { policyIndex: 1, kind: 'EndOfTier', tier: 'app-hipstershop', name: '', effect: 'deny', ruleIndex: -1, trigger: { kind: 'CalicoNetworkPolicy', namespace: 'hipstershop', name: 'checkoutservice', tier: 'app-hipstershop' } },
      ],
    });
  });

  const lines = fixtureLines('calico/enterprise-docs-aggregation-examples.ndjson');
  it.each([
    [0, { direction: 'ingress', count: 47, counters: { connectionsStarted: 47, connectionsCompleted: 40 }, node: 'bz-n8kf-kadm-node-1', src: { podName: undefined, ip: undefined, reportedName: 'access-6b687c8dcb-*', workload: { name: 'access', kind: 'Deployment' } } }],
    [1, { direction: 'egress', verdict: 'forwarded', policies: [{ kind: 'Profile', name: 'kns.policy-demo', effect: 'allow', ruleIndex: undefined }] }],
    [2, { direction: 'ingress', verdict: 'dropped', policyDrop: true, dropReason: 'POLICY_DENY', node: 'bz-n8kf-kadm-node-2', policies: [{ kind: 'CalicoNetworkPolicy', namespace: 'policy-demo', name: 'deny-access-nginx', tier: 'default', effect: 'deny' }] }],
    [5, { direction: 'ingress', verdict: 'forwarded', srcPort: 42106, dstPort: 80, src: { podName: 'access-6b687c8dcb-zn5s2', ip: '192.168.47.9' }, dst: { ip: '192.168.138.79' } }],
  ])('aggregation example line %i', (index, expected) => {
    expect(flowOf(normalizeCalicoEnterpriseLine(lines[index] ?? ''))).toMatchObject(expected);
  });

  it('all aggregation examples normalize with distinct ids and are detected as Enterprise', () => {
    const flows = lines.map((line) => normalizeFlowJsonLine(line));
    expect(flows.every((r) => r.kind === 'flow' && r.flow.source === 'calico-enterprise')).toBe(true);
    expect(new Set(flows.map((r) => (r.kind === 'flow' ? r.flow.id : ''))).size).toBe(lines.length);
  });

  it('datatypes example: enforced and pending traces, the inconsistent staged entry kept as evidence', () => {
    const flow = flowOf(normalizeCalicoEnterpriseRecord(JSON.parse(fixtureText('calico/enterprise-docs-datatypes-example.json'))));
    expect(flow.policies).toMatchObject([
      { pending: false, policyIndex: 0, kind: 'CalicoNetworkPolicy', namespace: 'ns1', name: 'policy1', tier: 'tier1', effect: 'pass', ruleIndex: 3 },
      { pending: false, policyIndex: 1, name: 'access-nginx', effect: 'allow', ruleIndex: 2 },
      { pending: true, policyIndex: 0, name: 'policy1' },
      { pending: true, policyIndex: 1, kind: 'StagedNetworkPolicy', namespace: 'ns2', name: 'tier1.policy1', tier: 'tier2', effect: 'deny' },
    ]);
    expect(flow).toMatchObject({ verdict: 'forwarded', srcPort: 42106, dstPort: 80, src: { labels: { app: 'access', 'pod-template-hash': '6b687c8dcb' } } });
  });
});

describe('policy strings', () => {
  it.each([
    ['0|default|policy-demo/default.access-nginx|allow', { policyIndex: 0, kind: 'CalicoNetworkPolicy', namespace: 'policy-demo', name: 'access-nginx', tier: 'default', effect: 'allow', ruleIndex: undefined }],
    ['0|__PROFILE__|__PROFILE__.kns.default|allow|0', { kind: 'Profile', name: 'kns.default', tier: undefined, effect: 'allow', ruleIndex: 0 }],
    ['2|default|shop/knp.default.allow-frontend|allow|1', { kind: 'NetworkPolicy', namespace: 'shop', name: 'allow-frontend', ruleIndex: 1 }],
    ['2|default|shop/staged:knp.default.trial|deny|0', { kind: 'StagedKubernetesNetworkPolicy', namespace: 'shop', name: 'trial' }],
    ['1|security|security.staged:block|deny|0', { kind: 'StagedGlobalNetworkPolicy', namespace: undefined, name: 'block' }],
    ['0|adminnetworkpolicy|kanp.adminnetworkpolicy.cluster-guard|pass|0', { kind: 'AdminNetworkPolicy', name: 'cluster-guard', effect: 'pass' }],
    ['1|default|knp:shop/allow-db|allow|0', { kind: 'NetworkPolicy', namespace: 'shop', name: 'allow-db' }],
    ['1|security|gnp:block-egress|deny|3', { kind: 'GlobalNetworkPolicy', namespace: undefined, name: 'block-egress', ruleIndex: 3 }],
    ['1|app|np:shop/backend|deny|-1', { kind: 'EndOfTier', name: '', trigger: { kind: 'CalicoNetworkPolicy', namespace: 'shop', name: 'backend', tier: 'app' } }],
    ['0|__PROFILE__|pro:kns.shop|allow|0', { kind: 'Profile', name: 'kns.shop' }],
    ['0|kube-admin|kcnp:guard|pass|0', { kind: 'ClusterNetworkPolicy', name: 'guard' }],
    ['garbage', { kind: undefined, name: 'garbage', effect: 'unknown' }],
    ['x|t|n|weird|y', { policyIndex: undefined, ruleIndex: undefined, effect: 'unknown', name: 'n' }],
  ])('%s', (text, expected) => {
    expect(parsePolicyString(text, false)).toMatchObject(expected);
  });
});

describe('Enterprise garbage', () => {
  it.each([
    ['not JSON', '{"start_time":', 'invalid_json'],
    ['an array', '[]', 'not_an_object'],
    ['no start time', '{"action":"allow"}', 'missing_field'],
    ['labels are a number', '{"start_time":1,"source_labels":5}', 'invalid_field'],
    ['port is negative', '{"start_time":1,"dest_port":-1}', 'invalid_field'],
    ['policies are not strings', '{"start_time":1,"policies":{"all_policies":[1]}}', 'invalid_field'],
  ])('%s → %s', (_name, line, code) => {
    const result = normalizeCalicoEnterpriseLine(line);
    expect(result.kind === 'error' ? result.error.code : result.kind).toBe(code);
  });

  it('a minimal record with nulls everywhere is still a flow', () => {
    const flow = flowOf(normalizeCalicoEnterpriseLine('{"start_time":1,"source_ip":null,"dest_ip":null,"source_port":null,"dest_port":null,"source_labels":null,"action":"allow","reporter":"src","policies":null,"unknown_field":{"x":1}}'));
    expect(flow).toMatchObject({ verdict: 'forwarded', direction: 'egress', src: { kind: 'unknown', labels: undefined }, policies: [], count: 1 });
  });
});
