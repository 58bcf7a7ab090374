/**
 * Issue 11, item 2: what PostgreSQL cannot store never leaves a normalizer as a flow. Each poison value is either
 * a malformed-message error with its own code, or (for counters) clamped with an issue. One table per normalizer.
 */
import {
  enterpriseRecordMessage, goldmaneFlowMessage, hubbleEndpointMessage, hubbleResponseMessage,
} from '@driftwatch/testing';
import { describe, expect, it } from 'vitest';
import {
  normalizeCalicoEnterpriseLine, normalizeCalicoEnterpriseRecord, normalizeGoldmaneFlow, normalizeHubbleJsonLine, normalizeHubbleResponse,
  type HubbleNormalizeResult,
} from '../src/index.js';
import { MAX_COUNTER, MAX_FLOW_COUNT, MAX_LABEL_TEXT } from '../src/flow-limits.js';
import { isIpAddress } from '../src/ip-address.js';
import { asGrpcDecoded } from './fixture-files.js';

const LONG = 'n'.repeat(2705);
const NUL = 'sh\u0000op';
const YEAR_274493_SECONDS = 8_600_000_000_000;
const U64_MAX = '18446744073709551615';

type Poison = readonly [name: string, flow: Record<string, unknown>, response: Record<string, unknown>, code: string];

const hubblePoison: readonly Poison[] = [
  ['NUL in a namespace', { source: hubbleEndpointMessage('frontend', 5001, { namespace: NUL }) }, {}, 'nul_in_string'],
  ['NUL in the flow id', { uuid: 'abc\u0000def' }, {}, 'nul_in_string'],
  ['NUL in a pod name', { destination: hubbleEndpointMessage('backend', 5002, { pod_name: NUL }) }, {}, 'nul_in_string'],
  ['NUL in a label', { source: hubbleEndpointMessage('frontend', 5001, { labels: ['k8s:app=fr\u0000ontend'] }) }, {}, 'nul_in_string'],
  ['NUL in a DNS name', { destination_names: ['api.exa\u0000mple.com'] }, {}, 'nul_in_string'],
  ['NUL in the node name', { node_name: 'node\u00001' }, {}, 'nul_in_string'],
  ['a source IP that is not an IP', { IP: { source: 'not-an-ip', destination: '10.0.0.20' } }, {}, 'invalid_ip'],
  ['an IPv6 address with a zone', { IP: { source: 'fe80::1%eth0', destination: '10.0.0.20' } }, {}, 'invalid_ip'],
  ['an IPv4 address with a fifth part', { IP: { source: '10.0.0.1.5', destination: '10.0.0.20' } }, {}, 'invalid_ip'],
  ['a time of 9e15 s', { time: { seconds: '9000000000000000', nanos: 0 } }, { time: undefined }, 'time_out_of_range'],
  ['a time of -9e12 s', { time: { seconds: '-9000000000000', nanos: 0 } }, { time: undefined }, 'time_out_of_range'],
  ['a time in year 274493', { time: { seconds: String(YEAR_274493_SECONDS), nanos: 0 } }, { time: undefined }, 'time_out_of_range'],
  ['a time before 1970', { time: '1969-12-31T23:59:59Z' }, { time: undefined }, 'time_out_of_range'],
  ['a namespace longer than 2,704 bytes', { source: hubbleEndpointMessage('frontend', 5001, { namespace: LONG }) }, {}, 'string_too_long'],
  ['a flow id longer than 2,704 bytes', { uuid: LONG }, {}, 'string_too_long'],
  ['a multi-byte pod name over the byte limit', { source: hubbleEndpointMessage('frontend', 5001, { pod_name: 'é'.repeat(600) }) }, {}, 'string_too_long'],
];

function errorCode(result: HubbleNormalizeResult | ReturnType<typeof normalizeGoldmaneFlow>): string | undefined {
  return result.kind === 'error' ? result.error.code : undefined;
}

describe('Hubble: poison values are malformed messages with their own code', () => {
  it.each(hubblePoison)('%s (JSON line)', (_name, flow, response, code) => {
    const message = hubbleResponseMessage(flow, response);
    expect(errorCode(normalizeHubbleJsonLine(JSON.stringify(message)))).toBe(code);
  });

  it.each(hubblePoison.filter(([, flow]) => typeof flow['time'] !== 'string'))('%s (gRPC-decoded)', (_name, flow, response, code) => {
    const message = asGrpcDecoded(hubbleResponseMessage({ ...flow }, response));
    expect(errorCode(normalizeHubbleResponse(message))).toBe(code);
  });

  it('the ordinary message is a flow', () => {
    expect(normalizeHubbleJsonLine(JSON.stringify(hubbleResponseMessage()))).toMatchObject({ kind: 'flow', flow: { issues: [] } });
  });

  it('an aggregate count beyond the limit is clamped, with count_clamped', () => {
    const r = normalizeHubbleResponse(hubbleResponseMessage({ aggregate: { ingress_flow_count: U64_MAX } }));
    expect(r).toMatchObject({ kind: 'flow', flow: { count: MAX_FLOW_COUNT, issues: [{ code: 'count_clamped' }] } });
  });

  it('a 20 KB label is cut to the limit, with labels_truncated on that side', () => {
    const labels = ['k8s:app=frontend', `k8s:junk=${'x'.repeat(20_000)}`, 'k8s:io.kubernetes.pod.namespace=shop'];
    const r = normalizeHubbleResponse(hubbleResponseMessage({ source: hubbleEndpointMessage('frontend', 5001, { labels }) }));
    if (r.kind !== 'flow') throw new Error(JSON.stringify(r));
    expect(r.flow.src.labels?.['junk']).toHaveLength(MAX_LABEL_TEXT);
    expect(r.flow.issues).toContainEqual({ code: 'labels_truncated', side: 'src' });
  });

  it('a lost-events count of 2^64-1 is clamped to 2^53-1, with count_clamped', () => {
    const r = normalizeHubbleResponse({ lost_events: { source: 'HUBBLE_RING_BUFFER', num_events_lost: U64_MAX }, time: '2026-01-01T00:00:00Z' });
    expect(r).toMatchObject({ kind: 'lost_events', lostEvents: { numEventsLost: MAX_COUNTER, issues: ['count_clamped'] } });
    const long = { low: -1, high: -1, unsigned: true };
    expect(normalizeHubbleResponse({ lost_events: { num_events_lost: long } })).toMatchObject({ lostEvents: { numEventsLost: MAX_COUNTER } });
  });

  it.each([
    ['NUL in a node name', { node_status: { state_change: 'NODE_GONE', node_names: ['a\u0000b'] } }, 'nul_in_string'],
    ['a lost-events time out of range', { lost_events: { num_events_lost: 1, first: { seconds: '9000000000000000' } } }, 'time_out_of_range'],
    ['a negative lost-events count', { lost_events: { num_events_lost: -1 } }, 'invalid_field'],
  ])('node_status / lost_events: %s', (_name, message, code) => {
    expect(errorCode(normalizeHubbleResponse(message))).toBe(code);
  });
});

const goldmanePoison: readonly [string, Record<string, unknown>, Record<string, unknown>, string][] = [
  ['NUL in a namespace', { sourceNamespace: NUL }, {}, 'nul_in_string'],
  ['NUL in a name', { destName: 'back\u0000end-*' }, {}, 'nul_in_string'],
  ['NUL in a label', {}, { sourceLabels: ['app=x\u0000'] }, 'nul_in_string'],
  ['NUL in a policy name', { policies: { enforcedPolicies: [{ kind: 'CalicoNetworkPolicy', name: 'p\u0000', namespace: 'shop', tier: 'default', action: 'Allow' }] } }, {}, 'nul_in_string'],
  ['a namespace longer than 2,704 bytes', { destNamespace: LONG }, {}, 'string_too_long'],
  ['a start time of 9e15 s', {}, { startTime: '9000000000000000' }, 'time_out_of_range'],
  ['a start time of -9e12 s', {}, { startTime: '-9000000000000' }, 'time_out_of_range'],
  ['a start time in year 274493', {}, { startTime: String(YEAR_274493_SECONDS) }, 'time_out_of_range'],
  ['an end time of 9e15 s', {}, { endTime: '9000000000000000' }, 'time_out_of_range'],
  ['a negative connection count', {}, { numConnectionsStarted: '-3' }, 'invalid_field'],
];

describe('Goldmane: poison values are malformed messages with their own code', () => {
  it.each(goldmanePoison)('%s', (_name, key, flow, code) => {
    expect(errorCode(normalizeGoldmaneFlow(goldmaneFlowMessage(key, flow)))).toBe(code);
  });

  it('the ordinary message is a flow', () => {
    expect(normalizeGoldmaneFlow(goldmaneFlowMessage())).toMatchObject({ kind: 'flow' });
  });

  it('counters of 2^64-1 are clamped, with count_clamped', () => {
    const r = normalizeGoldmaneFlow(goldmaneFlowMessage({}, { numConnectionsStarted: U64_MAX, bytesIn: U64_MAX }));
    expect(r).toMatchObject({
      kind: 'flow',
      flow: { count: MAX_FLOW_COUNT, counters: { bytesIn: MAX_COUNTER, connectionsStarted: MAX_COUNTER }, issues: expect.arrayContaining([{ code: 'count_clamped', side: undefined }]) },
    });
  });
});

const enterprisePoison: readonly [string, Record<string, unknown>, string][] = [
  ['NUL in a namespace', { source_namespace: NUL }, 'nul_in_string'],
  ['NUL in the host', { host: 'n\u0000' }, 'nul_in_string'],
  ['NUL in a label', { dest_labels: { labels: ['app=\u0000'] } }, 'nul_in_string'],
  ['NUL in a domain', { dest_domains: ['a\u0000.example'] }, 'nul_in_string'],
  ['a source IP that is not an IP', { source_ip: 'not-an-ip' }, 'invalid_ip'],
  ['a destination IP with a prefix', { dest_ip: '10.0.0.0/8' }, 'invalid_ip'],
  ['a pod name longer than 2,704 bytes', { source_name: LONG }, 'string_too_long'],
  ['a cluster longer than 2,704 bytes', { cluster: LONG }, 'string_too_long'],
  ['a protocol longer than 2,704 bytes', { proto: LONG }, 'string_too_long'],
  ['a start time of 9e15 s', { start_time: 9e15 }, 'time_out_of_range'],
  ['a start time of -9e12 s', { start_time: -9e12 }, 'time_out_of_range'],
  ['a start time in year 274493', { start_time: YEAR_274493_SECONDS }, 'time_out_of_range'],
  ['a negative flow count', { num_flows_started: -1 }, 'invalid_field'],
];

describe('Calico Enterprise: poison values are malformed messages with their own code', () => {
  it.each(enterprisePoison)('%s', (_name, record, code) => {
    expect(errorCode(normalizeCalicoEnterpriseRecord(enterpriseRecordMessage(record)))).toBe(code);
    expect(errorCode(normalizeCalicoEnterpriseLine(JSON.stringify(enterpriseRecordMessage(record))))).toBe(code);
  });

  it('the ordinary message is a flow', () => {
    expect(normalizeCalicoEnterpriseRecord(enterpriseRecordMessage())).toMatchObject({ kind: 'flow' });
  });

  it('a packet counter of 1e30 is clamped, with count_clamped', () => {
    const r = normalizeCalicoEnterpriseRecord(enterpriseRecordMessage({ packets_in: 1e30 }));
    expect(r).toMatchObject({ kind: 'flow', flow: { counters: { packetsIn: MAX_COUNTER }, issues: expect.arrayContaining([{ code: 'count_clamped', side: undefined }]) } });
  });
});

describe('isIpAddress', () => {
  it.each([
    ['10.0.0.1', true], ['0.0.0.0', true], ['255.255.255.255', true], ['::', true], ['::1', true], ['fd00::1', true],
    ['2001:db8:0:0:0:0:0:1', true], ['::ffff:10.0.0.1', true], ['1::', true], ['1:2:3:4:5:6:7::', true],
    ['', false], ['not-an-ip', false], ['256.0.0.1', false], ['01.0.0.1', false], ['10.0.0', false], ['10.0.0.1.', false],
    ['1:2:3:4:5:6:7:8:9', false], ['1::2::3', false], [':::', false], ['1:', false], ['fe80::1%eth0', false], ['10.0.0.0/8', false],
    ['12345::', false], ['::ffff:1.2.3', false], [' 10.0.0.1', false],
  ])('%j → %s', (text, expected) => {
    expect(isIpAddress(text)).toBe(expected);
  });
});
