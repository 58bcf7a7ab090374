import { compileRevision, type PolicySnapshot } from './compile/compile-revision.js';
import type { Endpoint, Verdict } from './decision.js';
import { renderExplanation } from './explain.js';
import { NAMESPACE_NAME_LABEL } from './load/decode-inventory.js';
import { loadDocuments } from './load/load-manifests.js';
import { isObject, get } from './load/reader.js';
import type { Labels, NamedPort, Namespace, PodTemplate, Protocol } from './model.js';
import { formatFinding } from './problems.js';

/** One case whose verdict differed from the expected one, or one problem that kept a scenario from running as written. */
export interface ConformanceFailure {
  readonly file: string;
  /** 1-based step of a scenario with steps. */
  readonly step?: number;
  /** 1-based case number within its step; 0 for a problem with the scenario itself. */
  readonly case: number;
  readonly connection: string;
  readonly expected: Verdict | '';
  readonly got: Verdict | 'error';
  readonly explanation: string;
}

export interface ConformanceReport {
  readonly file: string;
  readonly passed: number;
  readonly failures: readonly ConformanceFailure[];
}

type State = { namespaces: unknown; pods: unknown; policies: unknown; cases: unknown };

/**
 * Runs one conformance scenario (the format of the shared conformance corpus: namespaces, pods, policies and
 * cases, optionally in steps) through `loadManifests`' validation, `compileRevision` and `evaluate`, comparing
 * each case's whole-connection verdict with the expected one. Policies that fail validation and malformed cases
 * are failures too. Pure: the caller reads the file and passes the parsed JSON.
 */
export function runConformanceScenario(scenario: unknown, file: string): ConformanceReport {
  const failures: ConformanceFailure[] = [];
  const fail = (failure: Omit<ConformanceFailure, 'file'>) => failures.push({ file, ...failure });
  if (!isObject(scenario)) {
    fail({ case: 0, connection: '', expected: '', got: 'error', explanation: 'not a conformance scenario: expected a JSON object' });
    return { file, passed: 0, failures };
  }
  const steps = get(scenario, 'steps');
  const states: { step?: number; state: State }[] = Array.isArray(steps)
    ? steps.map((raw, i) => {
        const step = isObject(raw) ? raw : {};
        const pick = (key: string) => get(step, key) ?? get(scenario, key);
        return { step: i + 1, state: { namespaces: pick('namespaces'), pods: pick('pods'), policies: get(step, 'policies'), cases: get(step, 'cases') } };
      })
    : [{ state: { namespaces: get(scenario, 'namespaces'), pods: get(scenario, 'pods'), policies: get(scenario, 'policies'), cases: get(scenario, 'cases') } }];
  let passed = 0;
  for (const { step, state } of states) passed += runState(state, file, step, fail);
  return { file, passed, failures };
}

function runState(state: State, file: string, step: number | undefined, fail: (failure: Omit<ConformanceFailure, 'file'>) => void): number {
  const where = step === undefined ? {} : { step };
  const broken = (explanation: string) => fail({ ...where, case: 0, connection: '', expected: '', got: 'error', explanation });
  if (!Array.isArray(state.policies) || !Array.isArray(state.cases)) {
    broken('not a conformance scenario: "policies" and "cases" must be lists');
    return 0;
  }
  const policyFile = step === undefined ? `${file} policies` : `${file} step ${step} policies`;
  const loaded = loadDocuments(state.policies.map((value, i) => ({ file: policyFile, document: i + 1, value })));
  for (const problem of loaded.problems) broken(`policy rejected: ${formatFinding(problem)}`);
  const snapshot = compileRevision({
    policies: loaded.policies,
    namespaces: readNamespaces(state.namespaces),
    pods: readPods(state.pods),
  });
  let passed = 0;
  state.cases.forEach((raw, i) => {
    const entry = isObject(raw) ? raw : {};
    const src = endpointOf(get(entry, 'src'));
    const dst = endpointOf(get(entry, 'dst'));
    const port = get(entry, 'port');
    const protocol = get(entry, 'protocol') ?? 'TCP';
    const expected = get(entry, 'expected');
    const connection = `${src.label} -> ${dst.label} ${String(protocol)}/${String(port)}`;
    const base = { ...where, case: i + 1, connection };
    if (expected !== 'allow' && expected !== 'deny') {
      fail({ ...base, expected: '', got: 'error', explanation: `"expected" must be "allow" or "deny", got ${JSON.stringify(expected)}` });
      return;
    }
    const source = src.resolve(snapshot);
    const destination = dst.resolve(snapshot);
    if (typeof source === 'string' || typeof destination === 'string' || typeof port !== 'number' || typeof protocol !== 'string') {
      const reason = typeof source === 'string' ? source : typeof destination === 'string' ? destination : 'port must be a number and protocol a string';
      fail({ ...base, expected, got: 'error', explanation: reason });
      return;
    }
    const decision = snapshot.evaluate(source, destination, port, protocol);
    if (decision.verdict === expected) passed++;
    else fail({ ...base, expected, got: decision.verdict, explanation: renderExplanation(decision) });
  });
  return passed;
}

interface CaseEndpoint {
  readonly label: string;
  resolve(snapshot: PolicySnapshot): Endpoint | string;
}

function endpointOf(value: unknown): CaseEndpoint {
  if (typeof value === 'string') {
    const slash = value.indexOf('/');
    const namespace = value.slice(0, slash);
    const name = value.slice(slash + 1);
    return {
      label: value,
      resolve: (snapshot) => (slash > 0 && snapshot.endpoint(namespace, name, 'Pod')) || `unknown pod "${value}" (not in the scenario's pods)`,
    };
  }
  const ip = isObject(value) ? get(value, 'ip') : undefined;
  if (typeof ip === 'string') return { label: ip, resolve: () => ({ kind: 'external', ip }) };
  return { label: JSON.stringify(value) ?? 'undefined', resolve: () => `endpoint must be "namespace/pod" or {"ip": ...}, got ${JSON.stringify(value)}` };
}

function stringRecord(value: unknown): Labels {
  if (!isObject(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

function readNamespaces(value: unknown): Namespace[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).flatMap((ns) => {
    const name = get(ns, 'name');
    if (typeof name !== 'string') return [];
    return [{ name, labels: { ...stringRecord(get(ns, 'labels')), [NAMESPACE_NAME_LABEL]: name } }];
  });
}

function readPods(value: unknown): PodTemplate[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).flatMap((pod) => {
    const namespace = get(pod, 'namespace');
    const name = get(pod, 'name');
    if (typeof namespace !== 'string' || typeof name !== 'string') return [];
    const ip = get(pod, 'ip');
    const ports = get(pod, 'ports');
    const namedPorts: NamedPort[] = (Array.isArray(ports) ? ports : []).filter(isObject).flatMap((port) => {
      const portName = get(port, 'name');
      const number = get(port, 'containerPort');
      const protocol = (get(port, 'protocol') ?? 'TCP') as Protocol;
      return typeof portName === 'string' && typeof number === 'number' ? [{ name: portName, port: number, protocol }] : [];
    });
    const template: PodTemplate = { namespace, name, kind: 'Pod', labels: stringRecord(get(pod, 'labels')), namedPorts, ips: typeof ip === 'string' ? [ip] : [] };
    return [template];
  });
}
