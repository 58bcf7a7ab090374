import { describe, expect, it } from 'vitest';
import { createHubbleNormalizer, normalizeHubbleJsonLine, normalizeHubbleResponse, type Flow } from '../src/index.js';
import { asGrpcDecoded, fixtureLine, fixtureLines, fixtureText } from './fixture-files.js';

function flowOf(response: Record<string, unknown>): Flow {
  const result = normalizeHubbleResponse(response);
  if (result.kind !== 'flow') throw new Error(`expected a flow, got ${JSON.stringify(result)}`);
  return result.flow;
}

const JSONL_FILES = [
  'hubble/hubble-otel/basic-sample-10-flows.json',
  'hubble/hubble-otel/basic-sample-400-icmpv4-flows.json',
  'hubble/hubble-otel/basic-sample-5-dns-flows.json',
  'hubble/hubble-otel/basic-sample-5-http-flows.json',
  'hubble/hubble-otel/basic-sample-400-tcp-flows.json',
  'hubble/cilium-docs/export-rst-exporter-output.jsonl',
  'hubble/tke-guide/observability-md-cilium-1.19.1-exporter.jsonl',
];

describe('Hubble samples: every line normalizes, in JSON and in gRPC-decoded form alike', () => {
  it.each(JSONL_FILES)('%s', (file) => {
    const normalizer = createHubbleNormalizer();
    for (const line of fixtureLines(file)) {
      const fromJson = normalizer.jsonLine(line);
      expect(fromJson.kind, line.slice(0, 120)).toBe('flow');
      const fromGrpc = normalizeHubbleResponse(asGrpcDecoded(JSON.parse(line) as Record<string, unknown>));
      if (fromJson.kind !== 'flow' || fromGrpc.kind !== 'flow') throw new Error('not a flow');
      // The gRPC form has no RFC 3339 text and carries its own raw object; everything else is identical,
      // including derived ids for flows without uuid (same event → same id).
      expect({ ...fromGrpc.flow, raw: undefined, timeText: undefined })
        .toEqual({ ...fromJson.flow, raw: undefined, timeText: undefined });
      expect(fromJson.flow.timeText).toBe((JSON.parse(line) as { flow: { time: string } }).flow.time);
    }
  });

  it('reads the pretty-printed 1.19.5 response (keys sorted) as one flow', () => {
    const flow = flowOf(JSON.parse(fixtureText('hubble/tke-guide/flow-logs-md-cilium-1.19.5-pretty.json')) as Record<string, unknown>);
    expect(flow).toMatchObject({
      id: 'a38e44fa-b7b7-4f8f-a40b-2c1dd2621140',
      time: Date.parse('2026-02-25T03:25:54.227Z'),
      timeText: '2026-02-25T03:25:54.227004477Z',
      node: '10.10.21.35',
      verdict: 'forwarded',
      direction: 'egress',
      event: 'established',
      isReply: false,
      protocol: 'TCP',
      srcPort: 56598,
      dstPort: 80,
      src: {
        kind: 'pod', namespace: 'test', podName: 'curl-7d4d858f75-j76f7', identity: 4368, endpointId: 3863, cluster: 'default',
        workload: { name: 'curl', kind: 'Deployment', inferred: false }, labels: { app: 'curl' },
        namespaceLabels: { 'kubernetes.io/metadata.name': 'test' }, ip: '10.20.0.10',
      },
      dst: { kind: 'pod', podName: 'nginx-54c98b4f84-sw9q9', workload: { name: 'nginx', kind: 'Deployment', inferred: true }, labels: { app: 'nginx' } },
      issues: [],
    });
  });
});

interface SampleCase {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly expected: Record<string, unknown>;
}

const SAMPLE_CASES: readonly SampleCase[] = [
  {
    name: 'policy drop (POLICY_DENIED) of a SYN, masked fields: labels unknown, reply inferred from SYN',
    file: 'hubble/cilium-docs/export-rst-exporter-output.jsonl',
    line: 1,
    expected: {
      verdict: 'dropped', dropReason: 'POLICY_DENIED', dropReasonCode: 133, policyDrop: true, isReply: false,
      event: 'connection', direction: 'unknown', cluster: 'kind-kind', node: 'kind-worker', protocol: 'TCP',
      srcPort: 44916, dstPort: 80,
      src: { kind: 'pod', namespace: 'default', podName: 'xwing', labels: undefined, namespaceLabels: undefined, workload: undefined },
      dst: { kind: 'pod', podName: 'deathstar-7848d6c4d5-th9v2', workload: { name: 'deathstar', kind: 'Deployment', inferred: true } },
      issues: [
        { code: 'pod_labels_unknown', side: 'src' }, { code: 'namespace_labels_unknown', side: 'src' },
        { code: 'pod_labels_unknown', side: 'dst' }, { code: 'namespace_labels_unknown', side: 'dst' },
        { code: 'direction_unknown', side: undefined },
      ],
    },
  },
  {
    name: 'non-policy drop (INVALID_SOURCE_IP), ICMPv6, empty endpoints',
    file: 'hubble/cilium-docs/export-rst-exporter-output.jsonl',
    line: 0,
    expected: {
      verdict: 'dropped', dropReason: 'INVALID_SOURCE_IP', dropReasonCode: 132, policyDrop: false, protocol: 'ICMPv6',
      srcPort: undefined, src: { kind: 'unknown', ip: 'fe80::64d8:8aff:fe72:fc14' }, dst: { kind: 'unknown', ip: 'ff02::2' },
    },
  },
  {
    name: 'reply from kube-apiserver+world (identity 16777217) to a pod, 1.19 fields',
    file: 'hubble/tke-guide/observability-md-cilium-1.19.1-exporter.jsonl',
    line: 0,
    expected: {
      id: 'c938628b-0c3a-4440-9ecd-3e3ca00d3a16', isReply: true, event: 'reply', direction: 'egress', observationPoint: 'TO_ENDPOINT',
      src: { kind: 'external', identity: 16777217, reserved: ['kube-apiserver', 'world'], labels: undefined, ip: '169.254.128.9' },
      dst: {
        kind: 'pod', namespace: 'kube-system', endpointId: 3106, cluster: 'default',
        labels: { app: 'cbs-csi-controller', metrics: 'cbs-csi-controller' },
        namespaceLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
        workload: { name: 'csi-cbs-controller', kind: 'Deployment', inferred: false },
      },
    },
  },
  {
    name: 'new connection from host+remote-node (identity 1) to world: a host endpoint',
    file: 'hubble/tke-guide/observability-md-cilium-1.19.1-exporter.jsonl',
    line: 1,
    expected: {
      event: 'connection', isReply: false, direction: 'egress', observationPoint: 'TO_NETWORK', eventType: 4,
      src: { kind: 'host', reserved: ['host', 'remote-node'], identity: 1 }, dst: { kind: 'external', reserved: ['world'] },
      issues: [],
    },
  },
  {
    name: 'trace reason ESTABLISHED: counted, not a connection attempt',
    file: 'hubble/tke-guide/observability-md-cilium-1.19.1-exporter.jsonl',
    line: 2,
    expected: { event: 'established', isReply: false },
  },
  {
    name: 'deprecated `reply: true` only (2021 data): a reply',
    file: 'hubble/hubble-otel/basic-sample-10-flows.json',
    line: 0,
    expected: { isReply: true, event: 'reply', dst: { kind: 'host', reserved: ['host'] } },
  },
  {
    name: 'namespace labels without kubernetes.io/metadata.name (older cluster) are kept as they are',
    file: 'hubble/hubble-otel/basic-sample-10-flows.json',
    line: 2,
    expected: {
      src: { namespaceLabels: { 'addonmanager.kubernetes.io/mode': 'EnsureExists', 'istio-injection': 'disabled', 'k8s-app': 'istio' } },
      dst: { namespaceLabels: { 'istio-injection': 'enabled' }, labels: { app: 'reviews', 'security.istio.io/tlsMode': 'istio', version: 'v1' } },
    },
  },
  {
    name: 'SYN from the host to a pod at to-endpoint: connection, ingress',
    file: 'hubble/hubble-otel/basic-sample-10-flows.json',
    line: 8,
    expected: { event: 'connection', isReply: false, direction: 'ingress', src: { kind: 'host' } },
  },
  {
    name: 'SYN+ACK without is_reply: a reply',
    file: 'hubble/hubble-otel/basic-sample-10-flows.json',
    line: 9,
    expected: { event: 'reply', isReply: true },
  },
  {
    name: 'world peer of a pod',
    file: 'hubble/hubble-otel/basic-sample-10-flows.json',
    line: 7,
    expected: { direction: 'egress', dst: { kind: 'external', identity: 2, reserved: ['world'] } },
  },
  {
    name: 'host → health ICMP echo request',
    file: 'hubble/hubble-otel/basic-sample-400-icmpv4-flows.json',
    line: 0,
    expected: { protocol: 'ICMPv4', event: 'connection', isReply: false, direction: 'ingress', dst: { kind: 'other-reserved', reserved: ['health'] } },
  },
  {
    name: 'remote-node → health at to-overlay with no direction and no reply flag',
    file: 'hubble/hubble-otel/basic-sample-400-icmpv4-flows.json',
    line: 2,
    expected: {
      src: { kind: 'remote-node', identity: 6 }, direction: 'unknown', isReply: false,
      issues: [{ code: 'direction_unknown', side: undefined }],
    },
  },
  {
    name: 'policy-verdict REDIRECTED to the L7 proxy: a connection with verdict redirected',
    file: 'hubble/hubble-otel/basic-sample-400-tcp-flows.json',
    line: 22,
    expected: { verdict: 'redirected', eventType: 5, event: 'connection', direction: 'egress', policyDrop: false },
  },
  {
    name: 'L7 access-log record',
    file: 'hubble/hubble-otel/basic-sample-400-tcp-flows.json',
    line: 2,
    expected: { event: 'l7', eventType: 129 },
  },
  {
    name: 'L7 HTTP to reserved:world',
    file: 'hubble/hubble-otel/basic-sample-5-http-flows.json',
    line: 0,
    expected: { event: 'l7', dst: { kind: 'external', ip: '10.128.0.4' } },
  },
  {
    name: 'DNS L7 request',
    file: 'hubble/hubble-otel/basic-sample-5-dns-flows.json',
    line: 0,
    expected: { event: 'l7', protocol: 'TCP', dstPort: 53, dst: { labels: { 'k8s-app': 'kube-dns' }, namespace: 'kube-system' } },
  },
];

describe('Hubble samples: selected lines', () => {
  it.each(SAMPLE_CASES)('$name', ({ file, line, expected }) => {
    const response = fixtureLine(file, line);
    expect(flowOf(response)).toMatchObject(expected);
    expect(flowOf(asGrpcDecoded(response))).toMatchObject(expected);
  });

  it('keeps the received message as raw evidence', () => {
    const response = fixtureLine('hubble/cilium-docs/export-rst-exporter-output.jsonl', 1);
    expect(flowOf(response).raw).toBe(response);
  });

  it('derives a stable id for flows without uuid, distinct per event', () => {
    const lines = fixtureLines('hubble/hubble-otel/basic-sample-400-icmpv4-flows.json');
    const ids = lines.map((line) => {
      const r = normalizeHubbleJsonLine(line);
      return r.kind === 'flow' ? r.flow.id : '';
    });
    expect(new Set(ids).size).toBe(lines.length);
    expect(ids.every((id) => id.startsWith('h-'))).toBe(true);
    const again = normalizeHubbleJsonLine(lines[0] ?? '');
    expect(again.kind === 'flow' && again.flow.id).toBe(ids[0]);
  });

  it('shares one frozen label object between flows of the same identity', () => {
    const normalizer = createHubbleNormalizer();
    const flows = fixtureLines('hubble/hubble-otel/basic-sample-400-tcp-flows.json')
      .map((line) => normalizer.jsonLine(line))
      .flatMap((r) => (r.kind === 'flow' ? [r.flow] : []));
    const productpage = flows.map((f) => f.src).filter((ep) => ep.labels?.['app'] === 'productpage');
    expect(productpage.length).toBeGreaterThan(10);
    expect(new Set(productpage.map((ep) => ep.labels)).size).toBe(1);
    expect(Object.isFrozen(productpage[0]?.labels)).toBe(true);
  });
});
