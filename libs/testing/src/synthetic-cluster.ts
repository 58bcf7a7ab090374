/**
 * A synthetic but realistic cluster for generated traffic: namespaces with labels, Deployments with labels,
 * named ports, pods with IPs on nodes and Cilium identities, the connections its owners intend (edges), and
 * the NetworkPolicies that declare exactly those edges (default deny, DNS, per-edge allow rules).
 * Deterministic for a given seed.
 */
import { Prng } from '@driftwatch/common';

export interface SyntheticPort {
  readonly name: string;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
}

export interface SyntheticPod {
  readonly name: string;
  readonly ip: string;
  readonly node: string;
  /** Cilium endpoint id on its node. */
  readonly endpointId: number;
}

export interface SyntheticWorkload {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ports: readonly SyntheticPort[];
  readonly pods: readonly SyntheticPod[];
  readonly identity: number;
  /** The Cilium label list of its pods, sorted as Hubble prints it. */
  readonly ciliumLabels: readonly string[];
}

export interface SyntheticNamespace {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** An external peer: `reserved:world` or a node-local CIDR identity. */
export interface SyntheticExternal {
  readonly ip: string;
  readonly identity: number;
  readonly labels: readonly string[];
  readonly names: readonly string[];
}

/** A connection the declared policies allow: workload → workload port, or workload → internet port. */
export interface SyntheticEdge {
  readonly from: SyntheticWorkload;
  readonly to: SyntheticWorkload | 'internet';
  readonly port: SyntheticPort;
}

export interface SyntheticCluster {
  readonly name: string;
  readonly nodes: readonly string[];
  readonly namespaces: readonly SyntheticNamespace[];
  readonly workloads: readonly SyntheticWorkload[];
  readonly dns: SyntheticWorkload;
  readonly externals: readonly SyntheticExternal[];
  readonly edges: readonly SyntheticEdge[];
}

export interface SyntheticClusterOptions {
  readonly seed?: number;
  /** Cluster name (the `<cluster>/` node prefix and `io.cilium.k8s.policy.cluster`). Default `synthetic`. */
  readonly name?: string;
  /** Application namespaces (kube-system comes on top). Default 4, at most 8. */
  readonly namespaces?: number;
  readonly podsPerWorkload?: number;
  readonly nodes?: number;
}

const NAMESPACES = ['shop', 'payments', 'inventory', 'identity', 'analytics', 'search', 'shipping', 'reviews'];
const TEAMS = ['retail', 'finance', 'logistics', 'platform'];
const TIERS: ReadonlyArray<{ name: string; tier: string; ports: SyntheticPort[] }> = [
  { name: 'frontend', tier: 'web', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
  { name: 'api', tier: 'api', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9090, protocol: 'TCP' }] },
  { name: 'worker', tier: 'worker', ports: [{ name: 'metrics', port: 9090, protocol: 'TCP' }] },
  { name: 'cache', tier: 'cache', ports: [{ name: 'redis', port: 6379, protocol: 'TCP' }] },
  { name: 'database', tier: 'db', ports: [{ name: 'postgres', port: 5432, protocol: 'TCP' }] },
];
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

function safeString(prng: Prng, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += SAFE.charAt(prng.int(0, SAFE.length - 1));
  return out;
}

function ciliumLabels(cluster: string, ns: SyntheticNamespace, labels: Record<string, string>, serviceAccount: string): string[] {
  const list = [
    ...Object.entries(labels).map(([k, v]) => `k8s:${k}=${v}`),
    ...Object.entries(ns.labels).map(([k, v]) => `k8s:io.cilium.k8s.namespace.labels.${k}=${v}`),
    `k8s:io.cilium.k8s.policy.cluster=${cluster}`,
    `k8s:io.cilium.k8s.policy.serviceaccount=${serviceAccount}`,
    `k8s:io.kubernetes.pod.namespace=${ns.name}`,
  ];
  return list.sort();
}

/** Builds a synthetic cluster (see the module comment). */
export function createSyntheticCluster(options: SyntheticClusterOptions = {}): SyntheticCluster {
  const prng = new Prng(options.seed ?? 1);
  const name = options.name ?? 'synthetic';
  const nodes = Array.from({ length: options.nodes ?? 3 }, (_, i) => `worker-${i + 1}`);
  const podsPerWorkload = options.podsPerWorkload ?? 3;
  const namespaces: SyntheticNamespace[] = NAMESPACES.slice(0, Math.min(options.namespaces ?? 4, NAMESPACES.length)).map((ns, i) => ({
    name: ns,
    labels: { 'kubernetes.io/metadata.name': ns, team: TEAMS[i % TEAMS.length] ?? 'platform', env: 'prod' },
  }));
  const kubeSystem: SyntheticNamespace = { name: 'kube-system', labels: { 'kubernetes.io/metadata.name': 'kube-system' } };
  let nextIdentity = 10_000;
  let nextEndpoint = 100;
  let podCounter = 0;
  const makeWorkload = (ns: SyntheticNamespace, workloadName: string, labels: Record<string, string>, ports: readonly SyntheticPort[]): SyntheticWorkload => {
    const hash = safeString(prng, 10);
    const pods = Array.from({ length: podsPerWorkload }, () => {
      const nodeIndex = podCounter % nodes.length;
      podCounter++;
      return {
        name: `${workloadName}-${hash}-${safeString(prng, 5)}`,
        ip: `10.244.${nodeIndex}.${10 + Math.floor(podCounter / nodes.length)}`,
        node: nodes[nodeIndex] ?? 'worker-1',
        endpointId: nextEndpoint++,
      };
    });
    return { namespace: ns.name, name: workloadName, labels, ports, pods, identity: nextIdentity++, ciliumLabels: ciliumLabels(name, ns, labels, workloadName) };
  };
  const dns = makeWorkload(kubeSystem, 'coredns', { 'k8s-app': 'kube-dns' }, [
    { name: 'dns', port: 53, protocol: 'UDP' },
    { name: 'dns-tcp', port: 53, protocol: 'TCP' },
  ]);
  const workloads: SyntheticWorkload[] = [];
  const edges: SyntheticEdge[] = [];
  for (const ns of namespaces) {
    const byTier = new Map<string, SyntheticWorkload>();
    for (const tier of TIERS) {
      const workload = makeWorkload(ns, tier.name, { app: tier.name, tier: tier.tier }, tier.ports);
      byTier.set(tier.name, workload);
      workloads.push(workload);
    }
    const get = (n: string): SyntheticWorkload => byTier.get(n) as SyntheticWorkload;
    const port = (w: SyntheticWorkload, n: string): SyntheticPort => w.ports.find((p) => p.name === n) as SyntheticPort;
    edges.push(
      { from: get('frontend'), to: get('api'), port: port(get('api'), 'http') },
      { from: get('api'), to: get('database'), port: port(get('database'), 'postgres') },
      { from: get('api'), to: get('cache'), port: port(get('cache'), 'redis') },
      { from: get('worker'), to: get('database'), port: port(get('database'), 'postgres') },
      { from: get('api'), to: 'internet', port: { name: 'https', port: 443, protocol: 'TCP' } },
    );
  }
  const apis = workloads.filter((w) => w.name === 'api');
  for (let i = 0; i + 1 < apis.length; i++) {
    const from = apis[i] as SyntheticWorkload;
    const to = apis[i + 1] as SyntheticWorkload;
    edges.push({ from, to, port: to.ports[0] as SyntheticPort });
  }
  const externals: SyntheticExternal[] = [
    { ip: '203.0.113.10', identity: 2, labels: ['reserved:world'], names: ['api.partner.example'] },
    { ip: '198.51.100.7', identity: 16_777_217, labels: ['cidr:198.51.100.7/32', 'reserved:world'], names: [] },
    { ip: '203.0.113.99', identity: 2, labels: ['reserved:world'], names: ['telemetry.vendor.example'] },
  ];
  return { name, nodes, namespaces, workloads, dns, externals, edges };
}
