import { describe, expect, it } from 'vitest';
import { compileRevision, loadManifests, type PodEndpoint } from '@driftwatch/policy-engine';
import { api, db, external, internet, np, prom, snapshotOf, web } from './support/world.js';

const dbFromOps = np('shop', 'db-from-ops', {
  podSelector: { matchLabels: { app: 'db' } },
  ingress: [
    { from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 5432 }] },
    { from: [{ ipBlock: { cidr: '192.0.2.0/24' } }, { namespaceSelector: { matchLabels: { team: 'ops' } } }], ports: [{ port: 9000 }, { port: 'http' }] },
  ],
});
const defaultDeny = np('shop', 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });

describe('decisions carry their provenance', () => {
  const snapshot = snapshotOf([dbFromOps, defaultDeny], { revision: 'r7' });

  it('names the policy, rule, peer and port that admitted each half', () => {
    const decision = snapshot.evaluate(prom, db, 8080, 'TCP');
    expect(decision).toMatchObject({ verdict: 'allow', revision: 'r7', source: prom, destination: db, port: 8080, protocol: 'TCP' });
    expect(decision.egress).toEqual({ direction: 'egress', verdict: 'allow', applicable: true, isolated: false, isolatingPolicies: [] });
    expect(decision.ingress).toEqual({
      direction: 'ingress',
      verdict: 'allow',
      applicable: true,
      isolated: true,
      isolatingPolicies: [
        { namespace: 'shop', name: 'db-from-ops' },
        { namespace: 'shop', name: 'default-deny' },
      ],
      allowedBy: { policy: { namespace: 'shop', name: 'db-from-ops' }, rule: 1, peer: 1, port: 1 },
    });
  });

  it('lists the isolating policies of a denied half', () => {
    const decision = snapshot.evaluate(web, api, 80, 'TCP');
    expect(decision.verdict).toBe('deny');
    expect(decision.egress).toMatchObject({ verdict: 'deny', isolated: true, isolatingPolicies: [{ namespace: 'shop', name: 'default-deny' }] });
    expect(decision.egress.allowedBy).toBeUndefined();
    expect(decision.ingress.verdict).toBe('deny');
  });

  it('uses null for a rule without peers or without ports', () => {
    const open = snapshotOf([np('shop', 'open', { podSelector: {}, ingress: [{}] })]);
    expect(open.evaluate(web, api, 1, 'UDP').ingress.allowedBy).toEqual({ policy: { namespace: 'shop', name: 'open' }, rule: 0, peer: null, port: null });
  });

  it('treats external peers as having no policy of their own', () => {
    const decision = snapshot.evaluate(external('192.0.2.9'), db, 9000, 'TCP');
    expect(decision.verdict).toBe('allow');
    expect(decision.egress).toMatchObject({ applicable: false, isolated: false, verdict: 'allow' });
    expect(decision.ingress.allowedBy).toMatchObject({ rule: 1, peer: 0, port: 0 });
    expect(snapshot.evaluate(db, internet, 443, 'TCP').ingress.applicable).toBe(false);
  });

  it('is plain data that survives JSON', () => {
    const decision = snapshot.evaluate(prom, db, 8080, 'TCP');
    expect(JSON.parse(JSON.stringify(decision))).toEqual(decision);
  });
});

describe('missing facts become issue codes', () => {
  const snapshot = snapshotOf([dbFromOps]);
  const bare = (partial: Partial<PodEndpoint>): PodEndpoint => ({ kind: 'pod', namespace: 'ops', labels: { app: 'prom' }, ip: '10.0.2.9', ...partial });

  it('namespace_labels_unknown: assumes only kubernetes.io/metadata.name', () => {
    const decision = snapshot.evaluate(bare({}), db, 9000, 'TCP');
    expect(decision.issues).toEqual(['namespace_labels_unknown']);
    expect(decision.verdict).toBe('deny');
    const byName = snapshotOf([
      np('shop', 'by-name', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ops' } } }] }] }),
    ]);
    expect(byName.evaluate(bare({}), db, 1, 'TCP')).toMatchObject({ verdict: 'allow', issues: ['namespace_labels_unknown'] });
  });

  it("takes a namespace's labels from the revision when the endpoint has none", () => {
    const withNamespace = compileRevision({
      ...loadManifests([{ name: 'ns.yaml', text: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: ops, labels: {team: ops}}' }]),
      policies: snapshot.policies,
    });
    expect(withNamespace.evaluate(bare({}), db, 9000, 'TCP')).toMatchObject({ verdict: 'allow', issues: [] });
  });

  it('pod_labels_unknown: a pod without labels matches no selector that needs one', () => {
    const decision = snapshot.evaluate({ kind: 'pod', namespace: 'shop', namespaceLabels: { team: 'shop' } }, db, 5432, 'TCP');
    expect(decision).toMatchObject({ verdict: 'deny', issues: ['pod_labels_unknown'] });
    const unlabeledDestination = snapshot.evaluate(api, { kind: 'pod', namespace: 'shop' }, 5432, 'TCP');
    expect(unlabeledDestination).toMatchObject({ verdict: 'allow', issues: ['pod_labels_unknown'] });
  });

  it('named_port_unresolved: the destination has no named-port information', () => {
    const { namedPorts: _ignored, ...dbWithoutPorts } = db;
    expect(snapshot.evaluate(prom, dbWithoutPorts, 8080, 'TCP')).toMatchObject({ verdict: 'deny', issues: ['named_port_unresolved'] });
    expect(snapshot.evaluate(prom, { ...db, namedPorts: [] }, 8080, 'TCP')).toMatchObject({ verdict: 'deny', issues: [] });
  });

  it('pod_ip_unknown: an ipBlock cannot be checked against a pod without IP', () => {
    const egress = snapshotOf([np('shop', 'out', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] })]);
    const { ip: _ignored, ...dbWithoutIp } = db;
    expect(egress.evaluate(web, dbWithoutIp, 80, 'TCP')).toMatchObject({ verdict: 'deny', issues: ['pod_ip_unknown'] });
    expect(egress.evaluate(web, db, 80, 'TCP')).toMatchObject({ verdict: 'allow', issues: [] });
    expect(egress.evaluate(web, external('not-an-ip'), 80, 'TCP')).toMatchObject({ verdict: 'deny', issues: ['invalid_ip'] });
  });

  it('invalid_port and unsupported_protocol: only rules without ports can match', () => {
    const open = snapshotOf([dbFromOps, np('shop', 'all-from-web', { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }] })]);
    expect(open.evaluate(api, db, 70000, 'TCP')).toMatchObject({ verdict: 'deny', issues: ['invalid_port'] });
    expect(open.evaluate(web, db, 0, 'ICMP')).toMatchObject({ verdict: 'allow', issues: ['unsupported_protocol'] });
    expect(open.evaluate(api, db, 5432, 'ICMP')).toMatchObject({ verdict: 'deny', issues: ['unsupported_protocol'] });
  });

  it('reports nothing when every fact was known', () => {
    expect(snapshot.evaluate(prom, db, 8080, 'TCP').issues).toEqual([]);
  });
});

describe('the snapshot as inventory', () => {
  const loaded = loadManifests([
    {
      name: 'inventory.yaml',
      text: `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}}
spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}
status: {podIP: "fd00::0:7"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec: {template: {metadata: {labels: {app: api, from: deployment}}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec: {template: {metadata: {labels: {app: db}}}}
`,
    },
  ]);
  const snapshot = compileRevision(loaded);

  it('looks up pods before workloads, and workloads by kind', () => {
    expect(snapshot.findPod('shop', 'api')?.kind).toBe('Pod');
    expect(snapshot.findPod('shop', 'api', 'Deployment')?.labels).toEqual({ app: 'api', from: 'deployment' });
    expect(snapshot.findPod('shop', 'db')?.kind).toBe('StatefulSet');
    expect(snapshot.findPod('shop', 'nope')).toBeUndefined();
  });

  it('finds a pod by any spelling of its IP', () => {
    expect(snapshot.podByIp('fd00::7')?.name).toBe('api');
    expect(snapshot.podByIp('FD00:0:0:0:0:0:0:7')?.name).toBe('api');
    expect(snapshot.podByIp('fd00::8')).toBeUndefined();
  });

  it('builds endpoints once, with namespace labels only when the namespace is known', () => {
    const endpoint = snapshot.endpoint('shop', 'api');
    expect(endpoint).toEqual({
      kind: 'pod',
      namespace: 'shop',
      name: 'api',
      labels: { app: 'api' },
      namespaceLabels: { team: 'shop', 'kubernetes.io/metadata.name': 'shop' },
      ip: 'fd00::0:7',
      namedPorts: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
    expect(snapshot.endpoint('shop', 'api')).toBe(endpoint);
    expect(Object.isFrozen(endpoint)).toBe(true);
    expect(snapshot.namespaceLabels('shop')).toEqual({ team: 'shop', 'kubernetes.io/metadata.name': 'shop' });
    expect(snapshot.namespaceLabels('other')).toBeUndefined();
  });

  it('is immutable: changing the input after compiling changes nothing', () => {
    const policies = [np('shop', 'p', { podSelector: { matchLabels: { app: 'db' } } })];
    const input = loadManifests([{ name: 'p.json', text: JSON.stringify(policies[0]) }]);
    const compiled = compileRevision(input);
    (input.policies[0]?.podSelector.matchLabels as Record<string, string>)['app'] = 'web';
    expect(compiled.evaluate(web, db, 80, 'TCP').verdict).toBe('deny');
    expect(compiled.evaluate(db, web, 80, 'TCP').verdict).toBe('allow');
    expect(Object.isFrozen(compiled.policies[0]?.podSelector.matchLabels)).toBe(true);
  });
});
