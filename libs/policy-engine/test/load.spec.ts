import { describe, expect, it } from 'vitest';
import { loadManifests } from '@driftwatch/policy-engine';

const yaml = (text: string) => loadManifests([{ name: 'm.yaml', text }]);

describe('loadManifests', () => {
  it('reads multi-document YAML, keeping the document number of each object', () => {
    const loaded = yaml(`---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
# only a comment: an empty document
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}}
`);
    expect(loaded.problems).toEqual([]);
    expect(loaded.namespaces).toEqual([{ name: 'shop', labels: { team: 'shop', 'kubernetes.io/metadata.name': 'shop' }, origin: { file: 'm.yaml', document: 1 } }]);
    expect(loaded.policies).toEqual([
      {
        namespace: 'shop',
        name: 'deny',
        podSelector: { matchLabels: {}, matchExpressions: [] },
        policyTypes: ['Ingress'],
        ingress: [],
        egress: [],
        origin: { file: 'm.yaml', document: 3 },
      },
    ]);
  });

  it('reads JSON, and List kinds (plain and typed, whose items may leave kind out)', () => {
    const loaded = loadManifests([
      {
        name: 'list.json',
        text: JSON.stringify({
          apiVersion: 'v1',
          kind: 'List',
          items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } }],
        }),
      },
      {
        name: 'typed.yaml',
        text: 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicyList\nitems:\n  - metadata: {name: p, namespace: a}\n    spec: {podSelector: {}}\n',
      },
    ]);
    expect(loaded.problems).toEqual([]);
    expect(loaded.namespaces.map((n) => n.name)).toEqual(['a']);
    expect(loaded.policies.map((p) => `${p.namespace}/${p.name}`)).toEqual(['a/p']);
  });

  it('locates problems of List items by their index', () => {
    const loaded = yaml('apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: Namespace, metadata: {name: ok}}\n  - {apiVersion: v1, kind: Namespace, metadata: {name: Not_OK}}\n');
    expect(loaded.problems.map((p) => [p.document, p.path, p.code])).toEqual([[1, 'items[1].metadata.name', 'invalid_name']]);
    expect(loaded.namespaces.map((n) => n.name)).toEqual(['ok']);
  });

  it('skips kinds it does not use, and NetworkPolicies of other API groups, with a note', () => {
    const loaded = yaml(`apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: calico, namespace: shop}
spec: {selector: all()}
`);
    expect(loaded.problems).toEqual([]);
    expect(loaded.policies).toEqual([]);
    expect(loaded.notes.map((n) => [n.document, n.code])).toEqual([
      [1, 'skipped_kind'],
      [2, 'unsupported_api_version'],
    ]);
    expect(loaded.notes[0]?.message).toContain('Service "web"');
  });

  it('normalizes Pods and workloads into pod templates with labels and named ports', () => {
    const loaded = yaml(`apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web}}
spec:
  containers:
    - name: web
      ports: [{name: http, containerPort: 8080}, {containerPort: 9999}]
    - name: dns
      ports: [{name: dns, containerPort: 53, protocol: UDP}]
status: {podIP: 10.0.0.5, podIPs: [{ip: 10.0.0.5}, {ip: "fd00::5"}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop, labels: {owner: me}}
spec:
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, ports: [{name: grpc, containerPort: 9090}]}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup, namespace: shop}
spec:
  jobTemplate:
    spec:
      template:
        metadata: {labels: {job: backup}}
        spec: {containers: [{name: b}]}
`);
    expect(loaded.problems).toEqual([]);
    expect(loaded.pods.map(({ origin: _origin, ...pod }) => pod)).toEqual([
      {
        namespace: 'shop',
        name: 'web-1',
        kind: 'Pod',
        labels: { app: 'web' },
        namedPorts: [
          { name: 'http', port: 8080, protocol: 'TCP' },
          { name: 'dns', port: 53, protocol: 'UDP' },
        ],
        ips: ['10.0.0.5', 'fd00::5'],
      },
      { namespace: 'shop', name: 'api', kind: 'Deployment', labels: { app: 'api' }, namedPorts: [{ name: 'grpc', port: 9090, protocol: 'TCP' }], ips: [] },
      { namespace: 'shop', name: 'backup', kind: 'CronJob', labels: { job: 'backup' }, namedPorts: [], ips: [] },
    ]);
  });

  it('defaults a missing namespace to "default", with a note', () => {
    const loaded = yaml('apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {}}');
    expect(loaded.policies[0]?.namespace).toBe('default');
    expect(loaded.notes.map((n) => n.code)).toEqual(['namespace_defaulted']);
  });

  it('defaults policyTypes and port protocols, and keeps empty vs absent rule lists apart from empty rules', () => {
    const loaded = yaml(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  ingress: [{}]
  egress:
    - to: []
      ports: [{port: 53}]
`);
    expect(loaded.policies[0]).toMatchObject({
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ peers: [], ports: [] }],
      egress: [{ peers: [], ports: [{ protocol: 'TCP', port: 53 }] }],
    });
  });

  it('reads a null port entry as an empty one, and rejects a null peer as empty', () => {
    const loaded = yaml(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  ingress: [{ports: [null]}]
  egress: [{to: [null]}]
`);
    expect(loaded.problems.map((p) => [p.code, p.path])).toEqual([['empty_peer', 'spec.egress[0].to[0]']]);
    const ports = loadManifests([{ name: 'p.yaml', text: 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: s}\nspec: {podSelector: {}, ingress: [{ports: [null]}]}' }]);
    expect(ports.policies[0]?.ingress).toEqual([{ peers: [], ports: [{ protocol: 'TCP' }] }]);
  });

  it('keeps an explicit policyTypes as written', () => {
    const loaded = yaml(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec: {podSelector: {}, policyTypes: [Egress]}
`);
    expect(loaded.policies[0]?.policyTypes).toEqual(['Egress']);
  });

  it('reports a document that does not parse and loads the others', () => {
    const loaded = loadManifests([
      { name: 'broken.json', text: '{"apiVersion": "v1",' },
      { name: 'ok.yaml', text: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: fine}' },
    ]);
    expect(loaded.problems.map((p) => [p.file, p.code])).toEqual([['broken.json', 'parse_error']]);
    expect(loaded.namespaces.map((n) => n.name)).toEqual(['fine']);
  });

  it('never throws, whatever the input', () => {
    const inputs = ['', '42', 'null', '[1, 2]', '{}', '{"kind": 5}', 'a: &a [*a]', '- - -', 'apiVersion: v1\nkind: List\nitems: 3', '\u0000'];
    for (const text of inputs) {
      expect(() => loadManifests([{ name: 'x.yaml', text }])).not.toThrow();
    }
  });
});
