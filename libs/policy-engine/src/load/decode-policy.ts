import { formatCidr, isStrictSubset, parseCidr, type Cidr } from '../cidr.js';
import type {
  IpBlock,
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  NetworkPolicyRule,
  Origin,
  PolicyType,
  Protocol,
} from '../model.js';
import { decodeMetadata } from './decode-metadata.js';
import { decodeSelector } from './decode-selector.js';
import { checkPortName } from './names.js';
import { child, get, type JsonObject, type ObjectReader } from './reader.js';

const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];
const POLICY_TYPES: readonly PolicyType[] = ['Ingress', 'Egress'];

/**
 * A networking.k8s.io/v1 NetworkPolicy, validated like the API server does and defaulted like it:
 * policyTypes (Ingress, plus Egress when spec.egress has a rule), port protocol TCP, namespace `default`.
 * Returns undefined when the reader collected a problem (the caller drops the object).
 */
export function decodeNetworkPolicy(reader: ObjectReader, object: JsonObject, origin: Origin): NetworkPolicy | undefined {
  reader.knownFields(object, '', ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  const meta = decodeMetadata(reader, object, true);
  const spec = reader.requiredObject(get(object, 'spec'), 'spec');
  if (!spec) return undefined;
  reader.knownFields(spec, 'spec', ['podSelector', 'policyTypes', 'ingress', 'egress']);
  const podSelectorValue = get(spec, 'podSelector');
  if (podSelectorValue === undefined || podSelectorValue === null) {
    reader.problem('spec.podSelector', 'missing_field', 'is required; use {} to select every pod of the namespace');
  }
  const podSelector = decodeSelector(reader, podSelectorValue, 'spec.podSelector');
  const ingress = decodeRules(reader, get(spec, 'ingress'), 'spec.ingress', 'from');
  const egress = decodeRules(reader, get(spec, 'egress'), 'spec.egress', 'to');
  const declaredTypes = decodePolicyTypes(reader, get(spec, 'policyTypes'));
  const policyTypes: readonly PolicyType[] =
    declaredTypes.length > 0 ? declaredTypes : egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  if (reader.problems.length > 0 || !meta || !podSelector) return undefined;
  return { namespace: meta.namespace, name: meta.name, podSelector, policyTypes, ingress, egress, origin };
}

function decodePolicyTypes(reader: ObjectReader, value: unknown): PolicyType[] {
  const types: PolicyType[] = [];
  reader.list(value, 'spec.policyTypes').forEach((raw, i) => {
    const path = child('spec.policyTypes', i);
    const text = reader.string(raw, path);
    const type = POLICY_TYPES.find((t) => t === text);
    if (text === undefined) return;
    if (!type) reader.problem(path, 'invalid_policy_type', `"${text}" is not a policy type; use Ingress or Egress`);
    else if (types.includes(type)) reader.problem(path, 'invalid_policy_type', `${type} is listed twice`);
    else types.push(type);
  });
  return types;
}

function decodeRules(reader: ObjectReader, value: unknown, path: string, peersKey: 'from' | 'to'): NetworkPolicyRule[] {
  const rules: NetworkPolicyRule[] = [];
  reader.list(value, path).forEach((raw, i) => {
    const rulePath = child(path, i);
    // A null rule (`- ` with nothing after it) is an empty rule, which admits everything.
    const object = reader.object(raw, rulePath) ?? {};
    reader.knownFields(object, rulePath, [peersKey, 'ports']);
    const peersPath = child(rulePath, peersKey);
    const peers = reader
      .list(get(object, peersKey), peersPath)
      .map((peer, j) => decodePeer(reader, peer, child(peersPath, j)));
    const portsPath = child(rulePath, 'ports');
    const ports = reader.list(get(object, 'ports'), portsPath).map((port, j) => decodePort(reader, port, child(portsPath, j)));
    rules.push({ peers: peers.filter((p) => p !== undefined), ports: ports.filter((p) => p !== undefined) });
  });
  return rules;
}

function decodePeer(reader: ObjectReader, value: unknown, path: string): NetworkPolicyPeer | undefined {
  // A null entry is an empty peer, as the API server reads it (and rejects it below).
  const object = value === null || value === undefined ? {} : reader.object(value, path);
  if (!object) return undefined;
  reader.knownFields(object, path, ['podSelector', 'namespaceSelector', 'ipBlock']);
  const given = (key: string) => {
    const raw = get(object, key);
    return raw !== undefined && raw !== null;
  };
  const podSelector = decodeSelector(reader, get(object, 'podSelector'), child(path, 'podSelector'));
  const namespaceSelector = decodeSelector(reader, get(object, 'namespaceSelector'), child(path, 'namespaceSelector'));
  const ipBlock = decodeIpBlock(reader, get(object, 'ipBlock'), child(path, 'ipBlock'));
  const hasSelector = given('podSelector') || given('namespaceSelector');
  if (!hasSelector && !given('ipBlock')) {
    reader.problem(path, 'empty_peer', 'must specify podSelector, namespaceSelector or ipBlock');
    return undefined;
  }
  if (hasSelector && given('ipBlock')) {
    reader.problem(path, 'multiple_peer_types', 'ipBlock cannot be combined with podSelector or namespaceSelector in one peer; use two peers');
    return undefined;
  }
  if (ipBlock) return { ipBlock };
  return { ...(podSelector && { podSelector }), ...(namespaceSelector && { namespaceSelector }) };
}

function decodeIpBlock(reader: ObjectReader, value: unknown, path: string): IpBlock | undefined {
  const object = reader.object(value, path);
  if (!object) return undefined;
  reader.knownFields(object, path, ['cidr', 'except']);
  const cidrText = reader.requiredString(get(object, 'cidr'), child(path, 'cidr'));
  const cidr = cidrText === undefined ? undefined : readCidr(reader, cidrText, child(path, 'cidr'));
  const except: string[] = [];
  const exceptPath = child(path, 'except');
  reader.list(get(object, 'except'), exceptPath).forEach((raw, i) => {
    const at = child(exceptPath, i);
    const text = reader.string(raw, at);
    if (text === undefined) return;
    const block = readCidr(reader, text, at);
    if (block && cidr && !isStrictSubset(cidr, block)) {
      reader.problem(at, 'except_not_in_cidr', `"${text}" must be a strict subset of cidr "${cidrText ?? ''}"`);
    }
    except.push(text);
  });
  return cidrText === undefined || !cidr ? undefined : { cidr: cidrText, except };
}

function readCidr(reader: ObjectReader, text: string, path: string): Cidr | undefined {
  const cidr = parseCidr(text);
  if (typeof cidr === 'string') {
    reader.problem(path, 'invalid_cidr', `"${text}" is not a valid CIDR: ${cidr}`);
    return undefined;
  }
  if (!cidr.canonical) {
    reader.note(path, 'non_canonical_cidr', `"${text}" has host bits set; it means ${formatCidr(cidr)}`);
  }
  return cidr;
}

function decodePort(reader: ObjectReader, value: unknown, path: string): NetworkPolicyPort | undefined {
  // A null entry is an empty port entry: every TCP port.
  const object = value === null || value === undefined ? {} : reader.object(value, path);
  if (!object) return undefined;
  reader.knownFields(object, path, ['protocol', 'port', 'endPort']);
  const protocolText = reader.string(get(object, 'protocol'), child(path, 'protocol'));
  const protocol = protocolText === undefined ? 'TCP' : PROTOCOLS.find((p) => p === protocolText);
  if (!protocol) {
    reader.problem(child(path, 'protocol'), 'invalid_protocol', `"${protocolText ?? ''}" is not a protocol; use TCP, UDP or SCTP`);
  }
  const portValue = get(object, 'port');
  const port = decodePortValue(reader, portValue, child(path, 'port'));
  const endPortValue = get(object, 'endPort');
  let endPort: number | undefined;
  if (endPortValue !== undefined && endPortValue !== null) {
    const at = child(path, 'endPort');
    if (typeof endPortValue !== 'number' || !Number.isInteger(endPortValue) || endPortValue < 1 || endPortValue > 65535) {
      reader.problem(at, 'invalid_end_port', `must be a port number from 1 to 65535, got ${JSON.stringify(endPortValue)}`);
    } else if (portValue === undefined || portValue === null) {
      reader.problem(at, 'end_port_without_numeric_port', 'may not be specified when port is not specified');
    } else if (typeof portValue === 'string') {
      reader.problem(at, 'end_port_without_numeric_port', `may not be specified when port is a named port ("${portValue}")`);
    } else if (typeof port === 'number' && endPortValue < port) {
      reader.problem(at, 'invalid_end_port', `must be greater than or equal to port (${port}), got ${endPortValue}`);
    } else {
      endPort = endPortValue;
    }
  }
  if (!protocol) return undefined;
  return { protocol, ...(port !== undefined && { port }), ...(endPort !== undefined && { endPort }) };
}

function decodePortValue(reader: ObjectReader, value: unknown, path: string): number | string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 1 && value <= 65535) return value;
    reader.problem(path, 'invalid_port', `must be a port number from 1 to 65535, got ${value}`);
    return undefined;
  }
  if (typeof value === 'string') {
    const bad = checkPortName(value);
    if (!bad) return value;
    const hint = /^[0-9]+$/.test(value) ? ` (a number in quotes is read as a port name; write ${value} without quotes)` : '';
    reader.problem(path, 'invalid_port_name', `named port "${value}" ${bad}${hint}`);
    return undefined;
  }
  reader.problem(path, 'invalid_port', `must be a port number or a port name, got ${JSON.stringify(value)}`);
  return undefined;
}
