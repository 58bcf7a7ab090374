/**
 * The declared policies of a synthetic cluster as Kubernetes YAML: Namespaces, Deployments (labels, named
 * ports) and NetworkPolicies that allow exactly the cluster's edges: default deny (ingress and egress) in
 * every application namespace, DNS egress to kube-dns, and for each edge an egress rule on the client and an
 * ingress rule (by named port) on the server. Internet edges use `0.0.0.0/0` except private ranges.
 */
import { stringify } from 'yaml';
import type { SyntheticCluster, SyntheticEdge, SyntheticWorkload } from './synthetic-cluster.js';

const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];

function peer(to: SyntheticWorkload): Record<string, unknown> {
  return {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': to.namespace } },
    podSelector: { matchLabels: { app: to.labels['app'] ?? to.name } },
  };
}

function policy(namespace: string, name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}

function edgePolicies(edge: SyntheticEdge): Record<string, unknown>[] {
  const from = edge.from;
  const selector = { matchLabels: { app: from.labels['app'] ?? from.name } };
  if (edge.to === 'internet') {
    return [
      policy(from.namespace, `${from.name}-egress-internet-${edge.port.port}`, {
        podSelector: selector,
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE_RANGES } }], ports: [{ protocol: edge.port.protocol, port: edge.port.port }] }],
      }),
    ];
  }
  const to = edge.to;
  return [
    policy(from.namespace, `${from.name}-egress-${to.namespace}-${to.name}-${edge.port.port}`, {
      podSelector: selector,
      policyTypes: ['Egress'],
      egress: [{ to: [peer(to)], ports: [{ protocol: edge.port.protocol, port: edge.port.port }] }],
    }),
    policy(to.namespace, `${to.name}-ingress-${from.namespace}-${from.name}-${edge.port.name}`, {
      podSelector: { matchLabels: { app: to.labels['app'] ?? to.name } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [peer(from)], ports: [{ protocol: edge.port.protocol, port: edge.port.name }] }],
    }),
  ];
}

function deployment(workload: SyntheticWorkload): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: workload.name, namespace: workload.namespace, labels: workload.labels },
    spec: {
      replicas: workload.pods.length,
      selector: { matchLabels: workload.labels },
      template: {
        metadata: { labels: workload.labels },
        spec: {
          containers: [{
            name: workload.name,
            image: `registry.example/${workload.name}:1.0`,
            ports: workload.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol })),
          }],
        },
      },
    },
  };
}

/** Renders the cluster's manifests and policies as one multi-document YAML text. */
export function renderSyntheticPolicies(cluster: SyntheticCluster): string {
  const docs: Record<string, unknown>[] = [];
  docs.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } });
  for (const ns of cluster.namespaces) {
    const labels = Object.fromEntries(Object.entries(ns.labels).filter(([k]) => k !== 'kubernetes.io/metadata.name'));
    docs.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns.name, labels } });
  }
  docs.push(deployment(cluster.dns));
  for (const workload of cluster.workloads) docs.push(deployment(workload));
  docs.push(policy('kube-system', 'kube-dns-ingress', {
    podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }],
  }));
  for (const ns of cluster.namespaces) {
    docs.push(policy(ns.name, 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }));
    docs.push(policy(ns.name, 'allow-dns-egress', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
      }],
    }));
  }
  for (const edge of cluster.edges) docs.push(...edgePolicies(edge));
  return docs.map((doc) => stringify(doc)).join('---\n');
}
