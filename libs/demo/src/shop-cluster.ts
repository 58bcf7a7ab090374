/**
 * The cluster the demo source plays: `examples/shop` as Cilium would see it. Namespace `shop` (labels `team:
 * retail`, `env: prod`) with the Deployments of `examples/shop/policies/10-deployments.yaml` (frontend ×2, backend ×2,
 * database ×1, with their `app` and `tier` labels and ports), CoreDNS in `kube-system`, two worker nodes, and the
 * outside world. Addresses, identities and pod names follow `examples/shop/flows.jsonl` (frontend `10.244.1.11`,
 * backend `10.244.2.21`, database `10.244.1.31`, CoreDNS `10.244.2.5`), so a capture of the demo reads like that one.
 * A test holds these facts against the manifests.
 */

/** A Cilium security identity: its number and its sorted label strings (`k8s:app=frontend`, …). */
export interface DemoIdentity {
  readonly identity: number;
  readonly labels: readonly string[];
}

/** One workload: its namespace, Deployment name, identity, and the ports its containers declare. */
export interface DemoWorkload extends DemoIdentity {
  readonly namespace: string;
  readonly name: string;
  readonly serviceAccount: string;
}

/** One pod of a workload: name, IP, node, and its Cilium endpoint id (set on events observed on its node). */
export interface DemoPod {
  readonly workload: DemoWorkload;
  readonly name: string;
  readonly ip: string;
  readonly node: string;
  readonly endpointId: number;
}

/** A peer outside the cluster: an address, the DNS name Hubble's FQDN cache knows for it, and its identity. */
export interface DemoExternal extends DemoIdentity {
  readonly ip: string;
  readonly dnsName: string | undefined;
}

export const CLUSTER_NAME = 'default';

const NAMESPACE_LABELS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  shop: { env: 'prod', 'kubernetes.io/metadata.name': 'shop', team: 'retail' },
  'kube-system': { 'kubernetes.io/metadata.name': 'kube-system' },
};

/** Cilium's labels of a pod: its own labels, its namespace's labels, service account, cluster and namespace; sorted. */
function ciliumLabels(namespace: string, podLabels: Readonly<Record<string, string>>, serviceAccount: string): string[] {
  const labels = Object.entries(podLabels).map(([k, v]) => `k8s:${k}=${v}`);
  for (const [k, v] of Object.entries(NAMESPACE_LABELS[namespace] ?? {})) labels.push(`k8s:io.cilium.k8s.namespace.labels.${k}=${v}`);
  labels.push(`k8s:io.cilium.k8s.policy.cluster=${CLUSTER_NAME}`, `k8s:io.cilium.k8s.policy.serviceaccount=${serviceAccount}`, `k8s:io.kubernetes.pod.namespace=${namespace}`);
  return labels.sort();
}

function workload(namespace: string, name: string, identity: number, podLabels: Readonly<Record<string, string>>, serviceAccount = name): DemoWorkload {
  return Object.freeze({ namespace, name, identity, serviceAccount, labels: Object.freeze(ciliumLabels(namespace, podLabels, serviceAccount)) });
}

export const FRONTEND = workload('shop', 'frontend', 21001, { app: 'frontend', tier: 'web' });
export const BACKEND = workload('shop', 'backend', 21002, { app: 'backend', tier: 'api' });
export const DATABASE = workload('shop', 'database', 21003, { app: 'database', tier: 'db' });
export const COREDNS = workload('kube-system', 'coredns', 39027, { 'k8s-app': 'kube-dns' }, 'coredns');

function pod(w: DemoWorkload, name: string, ip: string, node: string, endpointId: number): DemoPod {
  return Object.freeze({ workload: w, name, ip, node, endpointId });
}

/** Every pod, by workload. Replicas as the Deployments declare (frontend 2, backend 2, database 1; CoreDNS 2). */
export const PODS: Readonly<Record<'frontend' | 'backend' | 'database' | 'coredns', readonly DemoPod[]>> = Object.freeze({
  frontend: [pod(FRONTEND, 'frontend-6c9f7d8b5d-x7k2p', '10.244.1.11', 'worker-1', 812), pod(FRONTEND, 'frontend-6c9f7d8b5d-9hq4m', '10.244.2.12', 'worker-2', 1533)],
  backend: [pod(BACKEND, 'backend-7d8f6c9b4f-q4w9z', '10.244.2.21', 'worker-2', 1407), pod(BACKEND, 'backend-7d8f6c9b4f-t2l8c', '10.244.1.22', 'worker-1', 904)],
  database: [pod(DATABASE, 'database-5b7c8d9f6d-m3n8r', '10.244.1.31', 'worker-1', 233)],
  coredns: [pod(COREDNS, 'coredns-76f75df574-bvkz2', '10.244.2.5', 'worker-2', 95), pod(COREDNS, 'coredns-76f75df574-k8x5d', '10.244.1.5', 'worker-1', 117)],
});

/** Ports the containers declare (examples/shop/policies/10-deployments.yaml) and CoreDNS's. */
export const PORTS = Object.freeze({ frontendHttp: 3000, backendHttp: 8080, databasePostgres: 5432, dns: 53 });

function world(ip: string, dnsName?: string): DemoExternal {
  return Object.freeze({ ip, dnsName, identity: 2, labels: Object.freeze(['reserved:world']) });
}

/** The public APIs the backend calls on 443 (allowed by `backend-egress-to-internet`). */
export const PAYMENT_APIS: readonly DemoExternal[] = Object.freeze([world('203.0.113.50', 'api.payments.example'), world('203.0.113.51', 'api.payments.example')]);
/** Scanners on the internet probing the frontend (dropped: nothing admits ingress to it). */
export const SCANNERS: readonly DemoExternal[] = Object.freeze([world('198.51.100.77'), world('192.0.2.199')]);
/**
 * Where drift goes: addresses no policy lets shop pods reach on 443. Each drift to the outside takes the next one,
 * so new alerts keep opening through the first minute (six keys), then the same ones recur.
 */
export const EXFILTRATION_TARGETS: readonly DemoExternal[] = Object.freeze([
  world('198.51.100.23', 'telemetry.example.net'), world('203.0.113.66', 'backup.example.org'), world('198.51.100.24', 'telemetry.example.net'),
  world('192.0.2.15', 'paste.example.com'), world('203.0.113.67', 'backup.example.org'), world('192.0.2.44'),
]);
