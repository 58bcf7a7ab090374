/**
 * Flows and rows for the pipeline's own tests, built directly (not through a normalizer), so that values the
 * normalizers would refuse can still reach the pipeline and the writer: they must hold on their own.
 */
import { randomBytes } from 'node:crypto';
import type { Flow, FlowEndpoint } from '@driftwatch/flow';
import type { CollectorState, EvidenceRow, FlowRecordRow } from '@driftwatch/persistence';

export interface FlowSpec {
  readonly id: string;
  /** Epoch ms. */
  readonly time: number;
  readonly ns: string;
  /** Source app (a pod in `srcNs`, default `ns`). */
  readonly src?: string;
  readonly srcNs?: string;
  /** Destination app in `ns`, or an external IP with `dstIp`. */
  readonly dst?: string;
  readonly dstIp?: string;
  readonly port?: number;
  readonly count?: number;
  readonly raw?: unknown;
}

function pod(ns: string, app: string, ip: string): FlowEndpoint {
  return {
    kind: 'pod', namespace: ns, podName: `${app}-0`, workload: { name: app, kind: 'Deployment', inferred: false }, labels: { app },
    namespaceLabels: { 'kubernetes.io/metadata.name': ns }, ip, identity: undefined, endpointId: undefined, reserved: [], cidr: undefined,
    dnsNames: [], cluster: undefined, service: undefined, reportedName: undefined,
  };
}

function external(ip: string): FlowEndpoint {
  return {
    kind: 'external', namespace: undefined, podName: undefined, workload: undefined, labels: undefined, namespaceLabels: undefined, ip,
    identity: undefined, endpointId: undefined, reserved: ['world'], cidr: undefined, dnsNames: [], cluster: undefined, service: undefined,
    reportedName: undefined,
  };
}

/** A forwarded TCP egress connection (frontend → backend:8080 by default, `allowed` under the shop policies). */
export function podFlow(spec: FlowSpec): Flow {
  return {
    source: 'hubble', id: spec.id, time: spec.time, timeText: undefined, endTime: undefined, cluster: undefined, node: 'node-1',
    src: pod(spec.srcNs ?? spec.ns, spec.src ?? 'frontend', '10.0.0.1'),
    dst: spec.dstIp !== undefined ? external(spec.dstIp) : pod(spec.ns, spec.dst ?? 'backend', '10.0.0.2'),
    protocol: 'TCP', srcPort: 40000, dstPort: spec.port ?? 8080, direction: 'egress', verdict: 'forwarded', dropReason: undefined,
    dropReasonCode: undefined, policyDrop: false, isReply: false, event: 'connection', count: spec.count ?? 1, eventType: 4,
    observationPoint: undefined, policies: [], issues: [], counters: undefined, raw: spec.raw ?? { flow: { uuid: spec.id } },
  };
}

/** Text of `bytes` characters that does not compress (so an index really holds it whole). */
export function incompressible(bytes: number): string {
  return randomBytes(bytes).toString('base64').slice(0, bytes);
}

/** An ordinary `flow_records` row at `time`. */
export function recordRow(time: Date, overrides: Partial<FlowRecordRow> = {}): FlowRecordRow {
  return {
    windowStart: time, windowEnd: new Date(time.getTime() + 10_000), source: 'hubble', cluster: '', srcNamespace: 'shop',
    srcWorkload: 'frontend', srcIp: null, dstNamespace: 'shop', dstWorkload: 'backend', dstIp: null, dstPort: 8080, protocol: 'TCP',
    direction: 'egress', observed: 'forwarded', dropReason: null, event: 'connection', label: 'allowed', driftKind: null,
    policyRevisionId: null, flowCount: 1, firstSeen: time, lastSeen: time, sampleFlowId: 'ok', issues: [], ...overrides,
  };
}

/** An ordinary `evidence_flows` row at `time`. */
export function evidenceRow(time: Date, overrides: Partial<EvidenceRow> = {}): EvidenceRow {
  return {
    observedAt: time, flowId: 'ev-ok', source: 'hubble', direction: 'egress', label: 'unexpected', driftKind: 'unenforced-deny',
    srcNamespace: 'shop', srcWorkload: 'backend', dstNamespace: 'shop', dstWorkload: 'frontend', policyRevisionId: null,
    body: { flow: { uuid: 'ev-ok' } }, explanation: { text: 'unexpected' }, ...overrides,
  };
}

/** A source position. */
export function stateRow(id: string, lastSeen: Date, overrides: Partial<CollectorState> = {}): CollectorState {
  return { id, kind: 'hubble', address: 'relay:4245', connected: true, lastSeenTime: lastSeen, cursor: { ids: ['a'] }, lostEvents: 0, lastError: null, ...overrides };
}
