import { describe, expect, it } from 'vitest';
import { normalizeFlowJsonLine, normalizeGoldmaneFlow, normalizeGoldmaneJson, type Flow } from '../src/index.js';
import { fixtureText } from './fixture-files.js';

const PROTOJSON = fixtureText('calico/goldmane-flow-protojson-longhorn.json');

function snake(key: string): string {
  return key === 'Key' ? key : key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The same Flow as @grpc/proto-loader decodes it (keepCase: snake_case names, int64 strings, enum names). */
function asGrpcDecoded(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asGrpcDecoded);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [snake(k), asGrpcDecoded(v)]));
}

const ENUMS: Record<string, number> = { WorkloadEndpoint: 1, Src: 1, Allow: 1, CalicoNetworkPolicy: 1 };

/** The same Flow as Goldmane's emitter writes it (snake_case, enum numbers, int64 numbers). */
function asEmitterJson(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => asEmitterJson(v));
  if (typeof value === 'string') {
    if (/^-?\d+$/.test(value) && key !== 'proto') return Number(value);
    return ['source_type', 'dest_type', 'reporter', 'action', 'kind'].includes(key) ? (ENUMS[value] ?? value) : value;
  }
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [snake(k), asEmitterJson(v, snake(k))]));
}

function flowOf(result: ReturnType<typeof normalizeGoldmaneFlow>): Flow {
  if (result.kind !== 'flow') throw new Error(`expected a flow, got ${JSON.stringify(result)}`);
  return result.flow;
}

describe('Goldmane Flow (real longhorn sample)', () => {
  const expected = {
    source: 'goldmane',
    time: 1_764_970_845_000,
    endTime: 1_764_970_860_000,
    direction: 'egress',
    verdict: 'forwarded',
    policyDrop: false,
    dropReason: undefined,
    isReply: false,
    event: 'connection',
    count: 1,
    protocol: 'TCP',
    srcPort: undefined,
    dstPort: 8503,
    src: {
      kind: 'pod', namespace: 'longhorn-system', podName: undefined, reportedName: 'longhorn-manager-*',
      workload: { name: 'longhorn-manager', kind: undefined, inferred: true },
      labels: { app: 'longhorn-manager', 'longhorn.io/admission-webhook': 'long horn-admission-webhook' },
      namespaceLabels: undefined,
    },
    dst: {
      kind: 'pod', podName: 'instance-manager-318f1eac2bc7c775b7a6d2e68e9e2800', service: undefined,
      labels: { 'longhorn.io/component': 'instance-manager' },
    },
    counters: { packetsIn: 11, packetsOut: 14, bytesIn: 957, bytesOut: 1226, connectionsStarted: 1, connectionsCompleted: 1, connectionsLive: 1 },
    policies: [
      { effect: 'allow', kind: 'CalicoNetworkPolicy', namespace: 'longhorn-system', name: 'allow-same-namespace', tier: 'default', policyIndex: 0, ruleIndex: 0, pending: false },
      { effect: 'allow', name: 'allow-same-namespace', pending: true },
    ],
    issues: [{ code: 'namespace_labels_unknown', side: 'src' }, { code: 'namespace_labels_unknown', side: 'dst' }],
  };

  it('normalizes the protojson form', () => {
    const flow = flowOf(normalizeGoldmaneJson(PROTOJSON));
    expect(flow).toMatchObject(expected);
    expect(flow.id).toMatch(/^c-[0-9a-f]{16}$/);
  });

  it.each([
    ['gRPC-decoded (keepCase, longs: String, enums: String)', asGrpcDecoded(JSON.parse(PROTOJSON))],
    ['emitter NDJSON (snake_case, enum and int64 numbers)', asEmitterJson(JSON.parse(PROTOJSON))],
    ['wrapped in a FlowResult', { id: '17', flow: JSON.parse(PROTOJSON) }],
    ['wrapped in a FlowUpdate', { flow: asGrpcDecoded(JSON.parse(PROTOJSON)) }],
  ])('gives the same flow and dedupe id when %s', (_name, input) => {
    const reference = flowOf(normalizeGoldmaneJson(PROTOJSON));
    const flow = flowOf(normalizeGoldmaneFlow(input));
    expect({ ...flow, raw: 0 }).toEqual({ ...reference, raw: 0 });
  });

  it('keys the dedupe id on the reporting node and the start time', () => {
    const base = flowOf(normalizeGoldmaneJson(PROTOJSON)).id;
    expect(flowOf(normalizeGoldmaneJson(PROTOJSON, { node: '10.0.0.5:41234' })).id).not.toBe(base);
    const later = JSON.parse(PROTOJSON) as Record<string, unknown>;
    later['startTime'] = '1764970860';
    expect(flowOf(normalizeGoldmaneFlow(later)).id).not.toBe(base);
    const moreTraffic = JSON.parse(PROTOJSON) as Record<string, unknown>;
    moreTraffic['bytesIn'] = '99999';
    expect(flowOf(normalizeGoldmaneFlow(moreTraffic)).id).toBe(base);
  });

  it('is detected by normalizeFlowJsonLine', () => {
    expect(normalizeFlowJsonLine(JSON.stringify(JSON.parse(PROTOJSON)))).toMatchObject({ kind: 'flow', flow: { source: 'goldmane' } });
  });
});

describe('Goldmane semantics', () => {
  function variant(key: Record<string, unknown>, flow: Record<string, unknown> = {}): Flow {
    const base = JSON.parse(PROTOJSON) as { Key: Record<string, unknown> };
    return flowOf(normalizeGoldmaneFlow({ ...base, ...flow, Key: { ...base.Key, ...key } }));
  }

  it('a Deny at the end of a tier is a policy drop with reason POLICY_DENIED, trigger kept', () => {
    const flow = variant({
      reporter: 'Dst', action: 'Deny', destServiceName: 'checkout', destServiceNamespace: 'shop', destServicePortName: 'grpc', destServicePort: '5050',
      policies: { enforcedPolicies: [{ kind: 'EndOfTier', tier: 'default', action: 'Deny', ruleIndex: '-1', trigger: { kind: 'NetworkPolicy', name: 'default-deny', namespace: 'shop', tier: 'default' } }] },
    });
    expect(flow).toMatchObject({
      direction: 'ingress', verdict: 'dropped', policyDrop: true, dropReason: 'POLICY_DENIED', event: 'connection',
      dst: { service: { name: 'checkout', namespace: 'shop', port: 5050, portName: 'grpc' } },
      policies: [{ kind: 'EndOfTier', name: '', effect: 'deny', ruleIndex: -1, trigger: { kind: 'NetworkPolicy', name: 'default-deny', namespace: 'shop', tier: 'default' } }],
    });
  });

  it('a Deny by an explicit rule has reason POLICY_DENY', () => {
    const flow = variant({ action: 'Deny', policies: { enforcedPolicies: [{ kind: 'GlobalNetworkPolicy', name: 'block', tier: 'security', action: 'Deny', ruleIndex: '2' }] } });
    expect(flow).toMatchObject({ dropReason: 'POLICY_DENY', policyDrop: true });
  });

  it('a bucket with no connection started in it is counted, not classified', () => {
    expect(variant({}, { numConnectionsStarted: '0' })).toMatchObject({ event: 'established', count: 0 });
  });

  it.each([
    [{ sourceType: 'HostEndpoint', sourceName: 'k8s-worker-2', sourceNamespace: '-' }, { kind: 'host', reportedName: 'k8s-worker-2', namespace: undefined, labels: undefined }],
    [{ sourceType: 'Network', sourceName: 'pub', sourceNamespace: '-' }, { kind: 'external', reportedName: 'pub' }],
    [{ sourceType: 'NetworkSet', sourceName: 'partners', sourceNamespace: 'shop' }, { kind: 'external', reportedName: 'partners', namespace: 'shop' }],
    [{ sourceType: 7 }, { kind: 'unknown' }],
  ])('endpoint type %j', (key, src) => {
    expect(variant(key).src).toMatchObject(src);
  });

  it.each([['udp', 'UDP'], ['sctp', 'SCTP'], ['icmp', 'ICMPv4'], ['icmp6', 'ICMPv6'], ['47', '47']])('proto %s → %s', (proto, protocol) => {
    expect(variant({ proto }).protocol).toBe(protocol);
  });

  it.each([
    ['not JSON', 'nope', 'invalid_json'],
    ['no Key', '{"startTime":"1"}', 'skip'],
    ['no start time', '{"Key":{}}', 'missing_field'],
    ['Key is a list', '{"Key":[],"startTime":"1"}', 'invalid_field'],
    ['port is text', '{"Key":{"destPort":"http"},"startTime":"1"}', 'invalid_field'],
    ['labels are not strings', '{"Key":{},"startTime":"1","sourceLabels":[{"a":1}]}', 'invalid_field'],
  ])('%s → %s', (_name, text, kind) => {
    const result = normalizeGoldmaneJson(text);
    expect(result.kind === 'error' ? result.error.code : result.kind).toBe(kind);
  });
});
