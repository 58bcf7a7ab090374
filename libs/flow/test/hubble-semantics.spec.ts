import { describe, expect, it } from 'vitest';
import { normalizeHubbleJsonLine, normalizeHubbleResponse, type Flow, type HubbleNormalizeResult } from '../src/index.js';
import { asGrpcDecoded } from './fixture-files.js';

const TIME = '2026-02-24T08:43:39.070396373Z';
const POD_A = {
  ID: 101, identity: 5001, namespace: 'shop', pod_name: 'frontend-7d4d858f75-j76f7',
  labels: ['k8s:app=frontend', 'k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=shop', 'k8s:io.kubernetes.pod.namespace=shop'],
};
const POD_B = {
  identity: 5002, namespace: 'shop', pod_name: 'backend-5c9f8b7d6c-x2x4z',
  labels: ['k8s:app=backend', 'k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=shop', 'k8s:io.kubernetes.pod.namespace=shop'],
};

/** A wrapped response around a TCP flow frontend → backend, overridden by `flow`. */
function response(flow: Record<string, unknown>): Record<string, unknown> {
  return {
    flow: {
      time: TIME, verdict: 'FORWARDED', IP: { source: '10.0.0.10', destination: '10.0.0.20', ipVersion: 'IPv4' },
      l4: { TCP: { source_port: 40000, destination_port: 8080, flags: { SYN: true } } },
      source: POD_A, destination: POD_B, Type: 'L3_L4', event_type: { type: 4 }, ...flow,
    },
    node_name: 'node-1',
    time: TIME,
  };
}

function flowOf(result: HubbleNormalizeResult): Flow {
  if (result.kind !== 'flow') throw new Error(`expected a flow, got ${JSON.stringify(result)}`);
  return result.flow;
}

/** Normalizes in both encodings and checks they agree on `pick`. */
function both(flow: Record<string, unknown>): Flow {
  const fromJson = flowOf(normalizeHubbleResponse(response(flow)));
  const fromGrpc = flowOf(normalizeHubbleResponse(asGrpcDecoded(response(flow))));
  expect({ ...fromGrpc, raw: 0, timeText: 0 }).toEqual({ ...fromJson, raw: 0, timeText: 0 });
  return fromJson;
}

describe('direction', () => {
  it.each([
    ['traffic_direction EGRESS', { traffic_direction: 'EGRESS', is_reply: false }, 'egress'],
    ['traffic_direction INGRESS', { traffic_direction: 'INGRESS', is_reply: false }, 'ingress'],
    ['traffic_direction as a number (2 = EGRESS)', { traffic_direction: 2 }, 'egress'],
    ['traffic_direction wins over the observation point', { traffic_direction: 'EGRESS', trace_observation_point: 'TO_ENDPOINT', is_reply: false }, 'egress'],
    ['to-endpoint, forward', { trace_observation_point: 'TO_ENDPOINT', is_reply: false }, 'ingress'],
    ['to-endpoint, reply: the connection was the source’s egress', { trace_observation_point: 'TO_ENDPOINT', is_reply: true }, 'egress'],
    ['from-endpoint, forward', { trace_observation_point: 'FROM_ENDPOINT', is_reply: false }, 'egress'],
    ['to-stack from a local endpoint', { trace_observation_point: 'TO_STACK', is_reply: false }, 'egress'],
    ['to-overlay from a non-local source', { trace_observation_point: 'TO_OVERLAY', is_reply: false, source: POD_B }, 'unknown'],
    ['trace sub type 0 stands for to-endpoint when the enum is absent', { event_type: { type: 4, sub_type: 0 }, is_reply: false }, 'ingress'],
    ['trace sub type 5 = from-endpoint', { event_type: { type: 4, sub_type: 5 }, is_reply: false }, 'egress'],
    ['an observation point says nothing when the reply flag is unknown', { trace_observation_point: 'TO_ENDPOINT', l4: { UDP: { destination_port: 53 } } }, 'unknown'],
  ])('%s', (_name, flow, direction) => {
    expect(both(flow).direction).toBe(direction);
  });
});

describe('replies and event kinds', () => {
  it.each([
    ['is_reply true', { is_reply: true }, true, 'reply'],
    ['is_reply false', { is_reply: false }, false, 'connection'],
    ['deprecated reply: true', { reply: true }, true, 'reply'],
    ['SYN alone implies forward', {}, false, 'connection'],
    ['SYN+ACK implies reply', { l4: { TCP: { flags: { SYN: true, ACK: true } } } }, true, 'reply'],
    ['trace_reason REPLY', { trace_reason: 'REPLY', l4: { UDP: { destination_port: 53 } } }, true, 'reply'],
    ['trace_reason NEW', { trace_reason: 'NEW', l4: { UDP: { destination_port: 53 } } }, false, 'connection'],
    ['ACK without SYN: an established connection', { is_reply: false, l4: { TCP: { flags: { ACK: true } } } }, false, 'established'],
    ['trace_reason ESTABLISHED', { trace_reason: 'ESTABLISHED', l4: { UDP: { destination_port: 53 } } }, false, 'established'],
    ['a dropped ACK is still classified', { is_reply: false, verdict: 'DROPPED', drop_reason_desc: 'POLICY_DENY', l4: { TCP: { flags: { ACK: true } } } }, false, 'connection'],
    ['ICMPv4 echo reply (type 0 omitted)', { l4: { ICMPv4: {} } }, true, 'reply'],
    ['ICMPv6 echo request', { l4: { ICMPv6: { type: 128 } } }, false, 'connection'],
    ['UDP with nothing to go on', { l4: { UDP: { destination_port: 53 } } }, undefined, 'connection'],
  ])('%s', (_name, flow, isReply, event) => {
    const f = both(flow);
    expect(f.isReply).toBe(isReply);
    expect(f.event).toBe(event);
    expect(f.issues.some((i) => i.code === 'reply_unknown')).toBe(isReply === undefined && event === 'connection');
  });

  it.each([
    ['L7 type', { Type: 'L7', event_type: { type: 129 } }, 'l7'],
    ['access-log event type alone', { event_type: { type: 129 }, Type: undefined }, 'l7'],
    ['trace-sock', { Type: 'SOCK', event_type: { type: 7 }, verdict: 'TRACED' }, 'sock'],
    ['TRANSLATED (socket LB)', { Type: 'SOCK', verdict: 'TRANSLATED' }, 'sock'],
    ['TRACED outside sock events', { verdict: 'TRACED' }, 'no-verdict'],
    ['no verdict', { verdict: undefined }, 'no-verdict'],
    ['ERROR verdict', { verdict: 'ERROR' }, 'no-verdict'],
    ['debug event', { event_type: { type: 2 } }, 'other'],
    ['policy verdict', { event_type: { type: 5 }, is_reply: false, traffic_direction: 'EGRESS' }, 'connection'],
  ])('%s → %s', (_name, flow, event) => {
    expect(both(flow).event).toBe(event);
  });

  it.each([
    ['FORWARDED', 'forwarded'], ['DROPPED', 'dropped'], ['AUDIT', 'audit'], ['REDIRECTED', 'redirected'],
    ['TRACED', 'traced'], ['TRANSLATED', 'translated'], ['ERROR', 'error'], [4, 'audit'], [99, 'unknown'],
  ])('verdict %s → %s', (verdict, expected) => {
    expect(both({ verdict }).verdict).toBe(expected);
  });
});

describe('policy and non-policy drops', () => {
  it.each([
    ['POLICY_DENIED', { drop_reason_desc: 'POLICY_DENIED' }, 'POLICY_DENIED', 133, true],
    ['POLICY_DENY (explicit deny rule)', { drop_reason_desc: 'POLICY_DENY' }, 'POLICY_DENY', 181, true],
    ['AUTH_REQUIRED (policy demands auth)', { drop_reason_desc: 'AUTH_REQUIRED' }, 'AUTH_REQUIRED', 189, true],
    ['reason as a number', { drop_reason_desc: 133 }, 'POLICY_DENIED', 133, true],
    ['only the deprecated drop_reason', { drop_reason: 181 }, 'POLICY_DENY', 181, true],
    ['CT_MAP_INSERTION_FAILED', { drop_reason_desc: 'CT_MAP_INSERTION_FAILED' }, 'CT_MAP_INSERTION_FAILED', 155, false],
    ['STALE_OR_UNROUTABLE_IP', { drop_reason_desc: 'STALE_OR_UNROUTABLE_IP' }, 'STALE_OR_UNROUTABLE_IP', 151, false],
    ['LoadBalancer source ranges are not NetworkPolicy', { drop_reason_desc: 'DENIED_BY_LB_SRC_RANGE_CHECK' }, 'DENIED_BY_LB_SRC_RANGE_CHECK', 177, false],
    ['an unknown future reason', { drop_reason_desc: 250 }, '250', 250, false],
    ['a reason name we do not know', { drop_reason_desc: 'SOMETHING_NEW' }, 'SOMETHING_NEW', undefined, false],
  ])('%s', (_name, flow, dropReason, dropReasonCode, policyDrop) => {
    const f = both({ verdict: 'DROPPED', is_reply: false, ...flow });
    expect(f).toMatchObject({ verdict: 'dropped', dropReason, dropReasonCode, policyDrop, event: 'connection' });
  });

  it('an AUDIT verdict carrying a policy reason is not a drop', () => {
    expect(both({ verdict: 'AUDIT', drop_reason_desc: 'POLICY_DENIED' })).toMatchObject({ verdict: 'audit', policyDrop: false, dropReason: 'POLICY_DENIED' });
  });

  it('an L7 proxy denial without a reason is a policy drop (counted, not classified)', () => {
    expect(both({ Type: 'L7', event_type: { type: 129 }, verdict: 'DROPPED' })).toMatchObject({ event: 'l7', policyDrop: true });
  });
});

describe('endpoints', () => {
  it.each([
    ['world', { identity: 2, labels: ['reserved:world'] }, 'external'],
    ['world-ipv4 (dual stack)', { identity: 9, labels: ['reserved:world-ipv4'] }, 'external'],
    ['a CIDR identity', { identity: 16777218, labels: ['cidr:1.1.1.1/32', 'reserved:world'] }, 'external'],
    ['host', { identity: 1, labels: ['reserved:host'] }, 'host'],
    ['remote-node', { identity: 6, labels: ['reserved:remote-node'] }, 'remote-node'],
    ['health', { identity: 4, labels: ['reserved:health'] }, 'other-reserved'],
    ['kube-apiserver alone', { identity: 7, labels: ['reserved:kube-apiserver'] }, 'other-reserved'],
    ['kube-apiserver outside the cluster', { identity: 16777217, labels: ['reserved:kube-apiserver', 'reserved:world'] }, 'external'],
    ['identity number only: world', { identity: 2 }, 'external'],
    ['identity number only: cluster identity is a pod', { identity: 48342 }, 'pod'],
    ['nothing at all', {}, 'unknown'],
  ])('%s → %s', (_name, endpoint, kind) => {
    expect(both({ destination: endpoint }).dst.kind).toBe(kind);
  });

  it('reads a CIDR label, IPv6 written with dashes', () => {
    expect(both({ destination: { identity: 16777219, labels: ['cidr:2001-db8--/32', 'reserved:world-ipv6'] } }).dst)
      .toMatchObject({ kind: 'external', cidr: '2001:db8::/32', reserved: ['world-ipv6'] });
  });

  it('keeps DNS names and the destination Service', () => {
    expect(both({ destination_names: ['one.one.one.one'], destination_service: { name: 'backend', namespace: 'shop' } }).dst)
      .toMatchObject({ dnsNames: ['one.one.one.one'], service: { name: 'backend', namespace: 'shop' } });
  });

  it('takes the namespace from the pod.namespace label when the field is absent', () => {
    const f = both({ source: { identity: 5001, labels: POD_A.labels } });
    expect(f.src).toMatchObject({ kind: 'pod', namespace: 'shop', labels: { app: 'frontend' } });
  });
});

describe('policies Hubble reports', () => {
  it('keeps allowed_by / denied_by as evidence with direction and effect', () => {
    const f = both({
      egress_allowed_by: [{ name: 'allow-backend', namespace: 'shop', labels: ['k8s:io.cilium.k8s.policy.name=allow-backend'], revision: '6', kind: 'NetworkPolicy' }],
      ingress_denied_by: [{ name: 'deny-all', namespace: 'shop', revision: 7 }],
    });
    expect(f.policies).toEqual([
      { effect: 'allow', direction: 'egress', name: 'allow-backend', namespace: 'shop', kind: 'NetworkPolicy', tier: undefined, policyIndex: undefined, ruleIndex: undefined, revision: '6', labels: ['k8s:io.cilium.k8s.policy.name=allow-backend'], pending: false, trigger: undefined },
      { effect: 'deny', direction: 'ingress', name: 'deny-all', namespace: 'shop', kind: undefined, tier: undefined, policyIndex: undefined, ruleIndex: undefined, revision: '7', labels: undefined, pending: false, trigger: undefined },
    ]);
  });
});

describe('shapes', () => {
  it('reads lowerCamel protojson names and a bare legacy Flow', () => {
    const line = JSON.stringify({
      time: TIME, verdict: 'DROPPED', dropReasonDesc: 'POLICY_DENIED', isReply: false, trafficDirection: 'EGRESS', nodeName: 'kind/worker',
      IP: { source: '10.0.0.1', destination: '10.0.0.2' }, eventType: { type: 1, subType: 133 },
      l4: { TCP: { sourcePort: 1234, destinationPort: 5432 } },
      source: { podName: 'a', namespace: 'x', clusterName: 'kind' }, destination: { identity: 2, labels: ['reserved:world'] },
      egressDeniedBy: [{ name: 'p' }],
    });
    expect(flowOf(normalizeHubbleJsonLine(line))).toMatchObject({
      verdict: 'dropped', policyDrop: true, isReply: false, direction: 'egress', cluster: 'kind', node: 'worker', eventType: 1,
      srcPort: 1234, dstPort: 5432, src: { podName: 'a', cluster: 'kind' }, policies: [{ name: 'p', effect: 'deny' }],
    });
  });

  it('takes the time and node from the response when the flow lacks them', () => {
    const f = flowOf(normalizeHubbleResponse({ flow: { verdict: 'FORWARDED' }, node_name: 'n2', time: { seconds: '1700000000', nanos: 5_000_000 } }));
    expect(f).toMatchObject({ time: 1_700_000_000_005, node: 'n2', timeText: undefined });
  });

  it('uses the configured cluster when the node name has no prefix', () => {
    expect(flowOf(normalizeHubbleResponse(response({}), { cluster: 'prod' })).cluster).toBe('prod');
  });

  it('counts an aggregated flow by its aggregate counters', () => {
    expect(both({ aggregate: { ingress_flow_count: 3, egress_flow_count: 2 } }).count).toBe(5);
    expect(both({}).count).toBe(1);
  });
});

describe('lost_events and node_status are typed records, not flows', () => {
  it('lost_events in JSON form', () => {
    const line = '{"lost_events":{"source":"HUBBLE_RING_BUFFER","num_events_lost":"42","cpu":{"value":3},"first":"2026-01-01T00:00:00Z"},"node_name":"kind/worker","time":"2026-01-01T00:00:01Z"}';
    expect(normalizeHubbleJsonLine(line)).toEqual({
      ok: true, kind: 'lost_events',
      lostEvents: { source: 'HUBBLE_RING_BUFFER', numEventsLost: 42, cpu: 3, first: Date.parse('2026-01-01T00:00:00Z'), last: undefined, time: Date.parse('2026-01-01T00:00:01Z'), node: 'kind/worker', issues: [] },
    });
  });

  it('lost_events in gRPC-decoded form with numbers for enums', () => {
    const r = normalizeHubbleResponse({ lost_events: { source: 2, num_events_lost: '7' }, response_types: 'lost_events', time: { seconds: '10' } });
    expect(r).toMatchObject({ kind: 'lost_events', lostEvents: { source: 'OBSERVER_EVENTS_QUEUE', numEventsLost: 7, cpu: undefined, time: 10_000 } });
  });

  it('node_status', () => {
    const r = normalizeHubbleResponse({ node_status: { state_change: 'NODE_UNAVAILABLE', node_names: ['kind-worker2'], message: 'connection refused' }, response_types: 'node_status' });
    expect(r).toEqual({ ok: true, kind: 'node_status', nodeStatus: { state: 'NODE_UNAVAILABLE', nodeNames: ['kind-worker2'], message: 'connection refused', time: undefined, node: undefined } });
    expect(normalizeHubbleJsonLine('{"nodeStatus":{"stateChange":1,"nodeNames":["a"]}}')).toMatchObject({ kind: 'node_status', nodeStatus: { state: 'NODE_CONNECTED', nodeNames: ['a'] } });
  });
});
