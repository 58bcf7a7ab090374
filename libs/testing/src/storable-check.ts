/**
 * What "storable" means for a normalized flow, checked field by field for tests (the property tests of the
 * normalizers and of the pipeline): no NUL in any string, names within the byte limit, addresses that are IPs,
 * times inside [1970, 9999], counts inside their limits, label sets within theirs.
 */
import { FLOW_LIMITS, isIpAddress, type Flow, type FlowEndpoint } from '@driftwatch/flow';

function text(value: string | undefined, path: string, out: string[]): void {
  if (value === undefined) return;
  if (value.includes('\u0000')) out.push(`${path} holds NUL`);
  if (Buffer.byteLength(value, 'utf8') > FLOW_LIMITS.maxNameBytes) out.push(`${path} is longer than ${FLOW_LIMITS.maxNameBytes} bytes`);
}

function labels(map: Readonly<Record<string, string>> | undefined, path: string, out: string[]): void {
  if (map === undefined) return;
  const keys = Object.keys(map);
  if (keys.length > FLOW_LIMITS.maxLabels) out.push(`${path} has ${keys.length} labels`);
  for (const key of keys) {
    const value = map[key] as string;
    if (key.includes('\u0000') || value.includes('\u0000')) out.push(`${path}.${JSON.stringify(key)} holds NUL`);
    if (key.length > FLOW_LIMITS.maxLabelText || value.length > FLOW_LIMITS.maxLabelText) out.push(`${path} has a label over the limit`);
  }
}

function endpoint(e: FlowEndpoint, path: string, out: string[]): void {
  if (e.ip !== undefined && !isIpAddress(e.ip)) out.push(`${path}.ip ${JSON.stringify(e.ip)} is not an IP`);
  for (const [name, value] of Object.entries({
    namespace: e.namespace, podName: e.podName, workload: e.workload?.name, workloadKind: e.workload?.kind, cidr: e.cidr,
    cluster: e.cluster, reportedName: e.reportedName, service: e.service?.name, serviceNamespace: e.service?.namespace,
    servicePortName: e.service?.portName,
  })) {
    text(value, `${path}.${name}`, out);
  }
  e.reserved.forEach((r, i) => text(r, `${path}.reserved[${i}]`, out));
  e.dnsNames.forEach((r, i) => text(r, `${path}.dnsNames[${i}]`, out));
  labels(e.labels, `${path}.labels`, out);
  labels(e.namespaceLabels, `${path}.namespaceLabels`, out);
}

function time(ms: number | undefined, path: string, out: string[]): void {
  if (ms === undefined) return;
  if (!Number.isInteger(ms) || ms < FLOW_LIMITS.minTimeMs || ms > FLOW_LIMITS.maxTimeMs) out.push(`${path} ${ms} is out of range`);
}

/** Every reason `flow` could not be stored; empty when it can. */
export function storableProblems(flow: Flow): string[] {
  const out: string[] = [];
  if (flow.id === '') out.push('id is empty');
  for (const [name, value] of Object.entries({
    id: flow.id, timeText: flow.timeText, cluster: flow.cluster, node: flow.node, protocol: flow.protocol, dropReason: flow.dropReason,
    observationPoint: flow.observationPoint,
  })) {
    text(value, name, out);
  }
  time(flow.time, 'time', out);
  time(flow.endTime, 'endTime', out);
  endpoint(flow.src, 'src', out);
  endpoint(flow.dst, 'dst', out);
  if (!Number.isInteger(flow.count) || flow.count < 0 || flow.count > FLOW_LIMITS.maxFlowCount) out.push(`count ${flow.count} is out of range`);
  for (const [name, value] of Object.entries(flow.counters ?? {})) {
    if (!Number.isInteger(value) || value < 0 || value > FLOW_LIMITS.maxCounter) out.push(`counters.${name} ${value} is out of range`);
  }
  flow.policies.forEach((p, i) => {
    for (const [name, value] of Object.entries({ name: p.name, namespace: p.namespace, kind: p.kind, tier: p.tier, revision: p.revision })) {
      text(value, `policies[${i}].${name}`, out);
    }
  });
  return out;
}
