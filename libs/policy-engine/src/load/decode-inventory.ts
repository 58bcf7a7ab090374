import { parseIp } from '../cidr.js';
import type { Labels, NamedPort, Namespace, Origin, PodKind, PodTemplate, Protocol } from '../model.js';
import { decodeMetadata } from './decode-metadata.js';
import { checkPortName } from './names.js';
import { child, get, type JsonObject, type ObjectReader } from './reader.js';

/** The label the API server puts on every namespace. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

/** A v1 Namespace: its labels, with `kubernetes.io/metadata.name` set to its name as the API server does. */
export function decodeNamespace(reader: ObjectReader, object: JsonObject, origin: Origin): Namespace | undefined {
  const meta = decodeMetadata(reader, object, false);
  if (!meta || reader.problems.length > 0) return undefined;
  return { name: meta.name, labels: { ...meta.labels, [NAMESPACE_NAME_LABEL]: meta.name }, origin };
}

/**
 * A Pod or a workload, reduced to a pod template: the labels its pods carry and their named container ports.
 * Pods keep their own labels and `status.podIP(s)`; workloads take `spec.template` (CronJob:
 * `spec.jobTemplate.spec.template`).
 */
export function decodePodTemplate(reader: ObjectReader, object: JsonObject, kind: PodKind, origin: Origin): PodTemplate | undefined {
  const meta = decodeMetadata(reader, object, true);
  let labels: Labels = meta?.labels ?? {};
  let ips: string[] = [];
  let podSpecPath = 'spec';
  if (kind === 'Pod') {
    ips = decodePodIps(reader, reader.object(get(object, 'status'), 'status'));
  } else {
    const templatePath = kind === 'CronJob' ? 'spec.jobTemplate.spec.template' : 'spec.template';
    const template = objectAt(reader, object, templatePath);
    const templateMeta = template && reader.object(get(template, 'metadata'), child(templatePath, 'metadata'));
    labels = templateMeta ? reader.labels(get(templateMeta, 'labels'), child(templatePath, 'metadata.labels')) : {};
    podSpecPath = child(templatePath, 'spec');
  }
  const podSpec = objectAt(reader, object, podSpecPath);
  const namedPorts = podSpec ? decodeContainerPorts(reader, podSpec, podSpecPath) : [];
  if (!meta || reader.problems.length > 0) return undefined;
  return { namespace: meta.namespace, name: meta.name, kind, labels, namedPorts, ips, origin };
}

/** Walks a dotted path of nested objects, reporting a non-object on the way; undefined when anything is absent. */
function objectAt(reader: ObjectReader, root: JsonObject, path: string): JsonObject | undefined {
  let current: JsonObject | undefined = root;
  let at = '';
  for (const key of path.split('.')) {
    if (!current) return undefined;
    at = child(at, key);
    current = reader.object(get(current, key), at);
  }
  return current;
}

function decodeContainerPorts(reader: ObjectReader, podSpec: JsonObject, path: string): NamedPort[] {
  const named: NamedPort[] = [];
  const containersPath = child(path, 'containers');
  reader.list(get(podSpec, 'containers'), containersPath).forEach((rawContainer, i) => {
    const containerPath = child(containersPath, i);
    const container = reader.object(rawContainer, containerPath);
    if (!container) return;
    const portsPath = child(containerPath, 'ports');
    reader.list(get(container, 'ports'), portsPath).forEach((rawPort, j) => {
      const portPath = child(portsPath, j);
      const port = reader.object(rawPort, portPath);
      if (!port) return;
      const number = get(port, 'containerPort');
      if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > 65535) {
        reader.problem(child(portPath, 'containerPort'), 'invalid_port', `must be a port number from 1 to 65535, got ${JSON.stringify(number)}`);
        return;
      }
      const protocolText = reader.string(get(port, 'protocol'), child(portPath, 'protocol')) ?? 'TCP';
      const protocol = PROTOCOLS.find((p) => p === protocolText);
      if (!protocol) {
        reader.problem(child(portPath, 'protocol'), 'invalid_protocol', `"${protocolText}" is not a protocol; use TCP, UDP or SCTP`);
        return;
      }
      const name = reader.string(get(port, 'name'), child(portPath, 'name'));
      if (name === undefined || name === '') return;
      const bad = checkPortName(name);
      if (bad) reader.problem(child(portPath, 'name'), 'invalid_port_name', `port name "${name}" ${bad}`);
      else named.push({ name, port: number, protocol });
    });
  });
  return named;
}

function decodePodIps(reader: ObjectReader, status: JsonObject | undefined): string[] {
  if (!status) return [];
  const ips: string[] = [];
  const add = (value: unknown, path: string) => {
    const text = reader.string(value, path);
    if (text === undefined || text === '') return;
    if (!parseIp(text)) reader.problem(path, 'invalid_ip', `"${text}" is not a valid IPv4 or IPv6 address`);
    else if (!ips.includes(text)) ips.push(text);
  };
  add(get(status, 'podIP'), 'status.podIP');
  reader.list(get(status, 'podIPs'), 'status.podIPs').forEach((raw, i) => {
    const entry = reader.object(raw, child('status.podIPs', i));
    if (entry) add(get(entry, 'ip'), child(child('status.podIPs', i), 'ip'));
  });
  return ips;
}
