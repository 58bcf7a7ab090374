/**
 * Issue 11: hostile flows through every normalizer (Hubble gRPC-decoded and JSON, Goldmane, Calico Enterprise).
 * Never a throw; every result is a malformed-message error with a known code, a skip, or a flow (or lost-events /
 * node-status record) whose every field is storable.
 */
import { NORMALIZE_ERROR_CODES } from '@driftwatch/contracts';
import {
  enterpriseRecordMessage, goldmaneFlowMessage, hubbleEndpointMessage, hubbleResponseMessage, storableProblems,
} from '@driftwatch/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createHubbleNormalizer, FLOW_LIMITS, normalizeCalicoEnterpriseLine, normalizeCalicoEnterpriseRecord, normalizeFlowJsonLine,
  normalizeGoldmaneFlow, normalizeHubbleJsonLine, normalizeHubbleResponse, type CalicoNormalizeResult, type HubbleNormalizeResult,
} from '../src/index.js';

const CONTROL = ['\u0000', '\u0001', '\u0007', '\u001b[2J', '\u001b[31m', '\u007f', '\n', '\r', '\t', '\ud800', '\uffff'];

/** Strings an attacker sends: control bytes and NUL, empty, huge, multi-byte, or ordinary. */
const hostileString = fc.oneof(
  fc.constantFrom('', '-', '*', 'shop', 'a/b', '::', '0', '-1'),
  fc.string({ maxLength: 20 }),
  fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom(...CONTROL), fc.string({ maxLength: 8 })).map(([a, c, b]) => a + c + b),
  fc.integer({ min: 900, max: 3000 }).map((n) => 'é'.repeat(n)),
  fc.integer({ min: 1000, max: 30_000 }).map((n) => 'x'.repeat(n)),
);

const hostileIp = fc.oneof(
  fc.constantFrom('not-an-ip', '10.0.0.1', '256.1.1.1', '10.0.0', 'fe80::1%eth0', '::1', '1::2::3', '10.0.0.0/8', '', ' 10.0.0.1', '01.2.3.4'),
  fc.ipV4(), fc.ipV6(), hostileString,
);

/** Integers as JSON numbers or decimal strings, from negative to beyond uint64. */
const hostileInt = fc.oneof(
  fc.constantFrom(0, 1, -1, 2 ** 31, 2 ** 53, 9e15, -9e12, 8_600_000_000_000, 1e30, -1e30),
  fc.constantFrom('18446744073709551615', '9223372036854775807', '-9223372036854775808', '9000000000000000', '-9000000000000', '1e3', ''),
  fc.integer(), fc.double(), fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String),
);

const hostileTime = fc.oneof(
  hostileInt.map((seconds) => ({ seconds, nanos: 0 })),
  fc.record({ seconds: hostileInt, nanos: hostileInt }),
  fc.constantFrom('2026-01-01T00:00:00Z', '1969-12-31T23:59:59Z', '274493-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', 'yesterday', ''),
  hostileString,
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(hostileString, hostileInt, hostileTime, fc.constant(null), fc.boolean(), fc.array(hostileString, { maxLength: 3 }));

const hostileLabels = fc.array(
  fc.oneof(hostileString.map((s) => `k8s:app=${s}`), hostileString.map((s) => `k8s:${s}=v`), hostileString, fc.constantFrom('reserved:world', 'k8s:io.kubernetes.pod.namespace=shop')),
  { maxLength: 80 },
);

const hubbleEndpoint = fc.record(
  { identity: hostileInt, namespace: hostileString, pod_name: hostileString, labels: hostileLabels, cluster_name: hostileString },
  { requiredKeys: [] },
).map((overrides) => hubbleEndpointMessage('frontend', 5001, overrides));

const hubbleFlowOverrides = fc.record(
  {
    uuid: hostileString,
    time: hostileTime,
    node_name: hostileString,
    IP: fc.record({ source: hostileIp, destination: hostileIp }),
    source: hubbleEndpoint,
    destination: hubbleEndpoint,
    source_names: fc.array(hostileString, { maxLength: 3 }),
    destination_names: fc.array(hostileString, { maxLength: 3 }),
    drop_reason_desc: hostileString,
    aggregate: fc.record({ ingress_flow_count: hostileInt, egress_flow_count: hostileInt }),
    destination_service: fc.record({ name: hostileString, namespace: hostileString }),
    extra: hostileValue,
  },
  { requiredKeys: [] },
);

function checkResult(result: HubbleNormalizeResult | CalicoNormalizeResult): void {
  switch (result.kind) {
    case 'error':
      expect(NORMALIZE_ERROR_CODES).toContain(result.error.code);
      break;
    case 'flow':
      expect(storableProblems(result.flow)).toEqual([]);
      break;
    case 'lost_events':
      expect(Number.isInteger(result.lostEvents.numEventsLost)).toBe(true);
      expect(result.lostEvents.numEventsLost).toBeGreaterThanOrEqual(0);
      expect(result.lostEvents.numEventsLost).toBeLessThanOrEqual(FLOW_LIMITS.maxCounter);
      expect(result.lostEvents.source.includes('\u0000') || result.lostEvents.node?.includes('\u0000')).toBe(false);
      break;
    case 'node_status':
      expect(result.nodeStatus.nodeNames.some((n) => n.includes('\u0000'))).toBe(false);
      break;
    default:
      expect(result.kind).toBe('skip');
  }
}

const RUNS = { numRuns: 300, seed: 11 };

describe('hostile flows through every normalizer: never a throw, always storable or a known malformed code', () => {
  it('Hubble, JSON lines and gRPC-decoded objects, with and without a label cache', () => {
    const cached = createHubbleNormalizer();
    fc.assert(
      fc.property(hubbleFlowOverrides, fc.record({ time: hostileTime, node_name: hostileString }, { requiredKeys: [] }), (flow, response) => {
        const message = hubbleResponseMessage(flow, response);
        checkResult(normalizeHubbleResponse(message));
        checkResult(cached.response(message));
        let line: string;
        try {
          line = JSON.stringify(message);
        } catch {
          return; // a bigint slipped in: not JSON
        }
        checkResult(normalizeHubbleJsonLine(line));
        checkResult(normalizeFlowJsonLine(line));
      }),
      RUNS,
    );
  });

  it('Hubble lost_events and node_status', () => {
    fc.assert(
      fc.property(hostileInt, hostileString, hostileTime, fc.array(hostileString, { maxLength: 4 }), (lost, text, time, names) => {
        checkResult(normalizeHubbleResponse({ lost_events: { num_events_lost: lost, source: text, first: time }, node_name: text, time }));
        checkResult(normalizeHubbleResponse({ node_status: { state_change: text, node_names: names, message: text }, time }));
      }),
      RUNS,
    );
  });

  it('Goldmane flows', () => {
    const key = fc.record(
      {
        sourceName: hostileString, sourceNamespace: hostileString, destName: hostileString, destNamespace: hostileString,
        destPort: hostileInt, proto: hostileString, destServiceName: hostileString, reporter: hostileString, action: hostileString,
      },
      { requiredKeys: [] },
    );
    const body = fc.record(
      {
        startTime: hostileInt, endTime: hostileInt, sourceLabels: fc.array(hostileString, { maxLength: 70 }), destLabels: fc.array(hostileString, { maxLength: 3 }),
        numConnectionsStarted: hostileInt, bytesIn: hostileInt, packetsOut: hostileInt,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(key, body, (k, b) => {
        checkResult(normalizeGoldmaneFlow(goldmaneFlowMessage(k, b)));
      }),
      RUNS,
    );
  });

  it('Calico Enterprise flow-log records and lines', () => {
    const record = fc.record(
      {
        start_time: hostileInt, end_time: hostileInt, source_ip: hostileIp, dest_ip: hostileIp, source_name: hostileString,
        source_namespace: hostileString, dest_namespace: hostileString, host: hostileString, cluster: hostileString, proto: hostileString,
        dest_domains: fc.array(hostileString, { maxLength: 3 }), dest_labels: fc.record({ labels: fc.array(hostileString, { maxLength: 70 }) }),
        num_flows_started: hostileInt, bytes_in: hostileInt, packets_in: hostileInt,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(record, (r) => {
        const message = enterpriseRecordMessage(r);
        checkResult(normalizeCalicoEnterpriseRecord(message));
        checkResult(normalizeCalicoEnterpriseLine(JSON.stringify(message)));
      }),
      RUNS,
    );
  });
});
