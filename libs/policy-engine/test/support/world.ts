/**
 * Small named fixtures for engine tests: a few namespaces and pods, and helpers that go through the real loader
 * (so defaulting and validation are part of every scenario).
 */
import { compileRevision, loadManifests, type CompileOptions, type ExternalEndpoint, type PodEndpoint, type PolicySnapshot } from '@driftwatch/policy-engine';

export type Manifest = Record<string, unknown>;

/** A NetworkPolicy manifest. */
export function np(namespace: string, name: string, spec: Manifest): Manifest {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace, name }, spec };
}

export const NAMESPACES: Readonly<Record<string, Record<string, string>>> = {
  shop: { team: 'shop', env: 'prod' },
  ops: { team: 'ops', env: 'prod' },
  lab: { team: 'lab', env: 'dev' },
};

function namespaceLabels(namespace: string): Record<string, string> {
  return { ...NAMESPACES[namespace], 'kubernetes.io/metadata.name': namespace };
}

/** A pod endpoint with every fact known (namespace labels from NAMESPACES, named ports http/TCP 8080 and dns/UDP 53). */
export function pod(namespace: string, name: string, labels: Record<string, string>, ip?: string): PodEndpoint {
  return {
    kind: 'pod',
    namespace,
    name,
    labels,
    namespaceLabels: namespaceLabels(namespace),
    ...(ip !== undefined && { ip }),
    namedPorts: [
      { name: 'http', port: 8080, protocol: 'TCP' },
      { name: 'dns', port: 53, protocol: 'UDP' },
    ],
  };
}

export function external(ip: string): ExternalEndpoint {
  return { kind: 'external', ip };
}

export const web = pod('shop', 'web', { app: 'web', tier: 'front' }, '10.0.1.1');
export const api = pod('shop', 'api', { app: 'api', tier: 'back' }, '10.0.1.2');
export const db = pod('shop', 'db', { app: 'db', tier: 'back' }, '10.0.1.3');
export const prom = pod('ops', 'prom', { app: 'prom' }, '10.0.2.1');
export const labApi = pod('lab', 'api', { app: 'api', tier: 'back' }, '10.0.3.1');
export const internet = external('203.0.113.7');

/** Loads manifests through `loadManifests` (failing the test on any problem) and compiles them. */
export function snapshotOf(manifests: readonly Manifest[], options: CompileOptions = {}): PolicySnapshot {
  const loaded = loadManifests([{ name: 'test.json', text: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests }) }]);
  if (loaded.problems.length > 0) throw new Error(`fixture has problems: ${loaded.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  return compileRevision(loaded, options);
}
