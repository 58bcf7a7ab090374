import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageTypeDefinition, PackageDefinition } from '@grpc/proto-loader';
import { createHubbleNormalizer } from '@driftwatch/flow';
import { withUnknownFields } from '@driftwatch/testing';
import { describe, expect, it, vi } from 'vitest';
import { HUBBLE_PROTO_DIR, loadGoldmaneApi, loadHubbleApi, loadIngestApi, PROTO_DIR } from './protos.js';

interface Field {
  readonly name: string;
  readonly number: number;
  readonly typeName?: string;
}

function fields(definition: PackageDefinition, message: string): Map<string, Field> {
  const type = (definition[message] as MessageTypeDefinition<unknown, unknown> | undefined)?.type as { field?: Field[] } | undefined;
  if (type?.field === undefined) throw new Error(`${message} not in the package definition`);
  return new Map(type.field.map((f) => [f.name, f]));
}

describe('proto files', () => {
  it('live beside the code, with the Hubble tree laid out like cilium api/v1', () => {
    for (const file of ['observer/observer.proto', 'flow/flow.proto', 'relay/relay.proto']) expect(existsSync(join(HUBBLE_PROTO_DIR, file))).toBe(true);
    for (const file of ['goldmane/api.proto', 'driftwatch/v1/ingest.proto']) expect(existsSync(join(PROTO_DIR, file))).toBe(true);
  });

  it('load with the bundled Google well-known types and no include-path warnings', () => {
    const warn = vi.spyOn(process, 'emitWarning');
    const hubble = loadHubbleApi();
    loadGoldmaneApi();
    loadIngestApi();
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
    expect(Object.keys(hubble.definition)).toEqual(expect.arrayContaining(['google.protobuf.Timestamp', 'google.protobuf.BoolValue', 'flow.Flow', 'relay.NodeStatusEvent']));
  });

  it('expose the upstream services and method paths', () => {
    const { Observer } = loadHubbleApi();
    const { Flows, FlowCollector } = loadGoldmaneApi();
    const { Ingest } = loadIngestApi();
    expect(Observer.service['GetFlows']).toMatchObject({ path: '/observer.Observer/GetFlows', requestStream: false, responseStream: true });
    expect(Observer.service['ServerStatus']).toMatchObject({ path: '/observer.Observer/ServerStatus', responseStream: false });
    expect(Flows.service['Stream']).toMatchObject({ path: '/goldmane.Flows/Stream', requestStream: false, responseStream: true });
    expect(Flows.service['List']).toMatchObject({ path: '/goldmane.Flows/List' });
    expect(FlowCollector.service['Connect']).toMatchObject({ path: '/goldmane.FlowCollector/Connect', requestStream: true, responseStream: true });
    expect(Ingest.service['Publish']).toMatchObject({ path: '/driftwatch.v1.Ingest/Publish', requestStream: true, responseStream: false });
  });

  it.each([
    ['hubble', 'observer.GetFlowsRequest', { number: 1, follow: 3, whitelist: 6, blacklist: 5, since: 7, until: 8, first: 9, field_mask: 10 }],
    ['hubble', 'observer.GetFlowsResponse', { flow: 1, node_status: 2, lost_events: 3, node_name: 1000, time: 1001 }],
    ['hubble', 'flow.Flow', {
      time: 1, uuid: 34, verdict: 2, drop_reason: 3, IP: 5, l4: 6, source: 8, destination: 9, Type: 10, node_name: 11, is_reply: 26,
      event_type: 19, destination_service: 21, traffic_direction: 22, trace_observation_point: 24, drop_reason_desc: 25, trace_reason: 36,
      egress_allowed_by: 21001, ingress_allowed_by: 21002, egress_denied_by: 21004, ingress_denied_by: 21005, aggregate: 21007, Summary: 100000,
    }],
    ['hubble', 'flow.Endpoint', { ID: 1, identity: 2, namespace: 3, labels: 4, pod_name: 5, workloads: 6, cluster_name: 7 }],
    ['hubble', 'flow.Policy', { name: 1, namespace: 2, labels: 3, revision: 4, kind: 5 }],
    ['hubble', 'flow.LostEvent', { source: 1, num_events_lost: 2, cpu: 3, first: 4, last: 5 }],
    ['hubble', 'relay.NodeStatusEvent', { state_change: 1, node_names: 2, message: 3 }],
    ['goldmane', 'goldmane.Flow', { Key: 1, start_time: 2, end_time: 3, source_labels: 4, dest_labels: 5, num_connections_started: 10, num_connections_live: 12 }],
    ['goldmane', 'goldmane.FlowKey', { source_name: 1, source_type: 3, dest_port: 7, dest_service_port: 11, proto: 12, reporter: 13, action: 14, policies: 15 }],
    ['goldmane', 'goldmane.PolicyHit', { kind: 1, namespace: 2, name: 3, tier: 4, action: 5, policy_index: 6, rule_index: 7, trigger: 8 }],
    ['goldmane', 'goldmane.FlowStreamRequest', { start_time_gte: 1, filter: 2, aggregation_interval: 3 }],
    ['goldmane', 'goldmane.Filter', { source_names: 1, dest_ports: 6, actions: 7, policies: 8, reporter: 9, pending_actions: 10 }],
    ['ingest', 'driftwatch.v1.PublishSummary', { received: 1, accepted: 2, rejected: 3 }],
  ] as const)('%s %s keeps the upstream field numbers', (api, message, expected) => {
    const definition = api === 'hubble' ? loadHubbleApi().definition : api === 'goldmane' ? loadGoldmaneApi().definition : loadIngestApi().definition;
    const actual = fields(definition, message);
    for (const [name, number] of Object.entries(expected)) expect(actual.get(name)?.number, `${message}.${name}`).toBe(number);
  });

  it('uses the 3.32 PolicyMatch layout (StringMatch for tier, namespace, name)', () => {
    const match = fields(loadGoldmaneApi().definition, 'goldmane.PolicyMatch');
    expect(match.get('tier')?.typeName).toMatch(/StringMatch$/);
  });

  it('decode with Driftwatch options into what the normalizers read, skipping unknown fields', () => {
    const getFlows = loadHubbleApi().Observer.service['GetFlows'];
    if (getFlows === undefined) throw new Error('no GetFlows');
    const response = {
      flow: {
        time: { seconds: '1767225600', nanos: 5_000_000 }, uuid: 'u-1', verdict: 'DROPPED', drop_reason_desc: 'POLICY_DENIED', is_reply: { value: false },
        l4: { TCP: { source_port: 41000, destination_port: 5432, flags: { SYN: true } } }, traffic_direction: 'EGRESS',
        egress_denied_by: [{ name: 'default-deny', namespace: 'shop', revision: '6' }],
      },
      node_name: 'prod/worker-1',
      time: { seconds: '1767225600', nanos: 5_000_000 },
    };
    const plain = getFlows.responseDeserialize(getFlows.responseSerialize(response));
    const withExtras = getFlows.responseDeserialize(withUnknownFields(response).frame);
    expect(withExtras).toEqual(plain);
    expect(plain).toMatchObject({ response_types: 'flow', flow: { l4: { protocol: 'TCP' }, egress_denied_by: [{ revision: '6' }] } });
    const normalized = createHubbleNormalizer().response(plain);
    expect(normalized).toMatchObject({
      kind: 'flow',
      flow: { id: 'u-1', time: 1_767_225_600_005, cluster: 'prod', node: 'worker-1', policyDrop: true, isReply: false, direction: 'egress', dstPort: 5432 },
    });
  });
});
