/**
 * Small NetworkPolicy manifests for the policy revision tests: namespace `ns` with default deny both ways, and
 * frontend → backend on 8080 (egress of frontend, ingress of backend). Each function returns one YAML document.
 */

export function namespace(ns: string): string {
  return `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${ns} }\n`;
}

export function defaultDeny(ns: string): string {
  return `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: default-deny, namespace: ${ns} }\nspec: { podSelector: {}, policyTypes: [Ingress, Egress] }\n`;
}

export function frontendEgress(ns: string, port = 8080): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: frontend-egress, namespace: ${ns} }
spec:
  podSelector: { matchLabels: { app: frontend } }
  policyTypes: [Egress]
  egress: [{ to: [{ podSelector: { matchLabels: { app: backend } } }], ports: [{ port: ${port} }] }]
`;
}

export function backendIngress(ns: string, ports: readonly number[] = [8080]): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: backend-ingress, namespace: ${ns} }
spec:
  podSelector: { matchLabels: { app: backend } }
  ingress:
    - from: [{ podSelector: { matchLabels: { app: frontend } } }]
      ports: [${ports.map((p) => `{ port: ${p} }`).join(', ')}]
    - from: [{ namespaceSelector: { matchLabels: { team: ops } } }]
`;
}

/** A NetworkPolicy with a problem (no podSelector): left out of a revision, reported at `spec.podSelector`. */
export function broken(ns: string, name = 'broken'): string {
  return `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: ${name}, namespace: ${ns} }\nspec: {}\n`;
}
