import { loadManifests } from '@driftwatch/policy-engine';
import { describe, expect, it } from 'vitest';
import { diffRevisions, type RevisionDiff, type RuleChange } from '../src/index.js';

/** `api` in `shop`: ingress from frontend on 8080 (rule 0) and from monitoring on 9090 (rule 1); egress to db. */
const API = {
  podSelector: { matchLabels: { app: 'api' } },
  policyTypes: ['Ingress', 'Egress'],
  ingress: [
    { from: [{ podSelector: { matchLabels: { app: 'frontend' } } }], ports: [{ port: 8080 }] },
    { from: [{ namespaceSelector: { matchLabels: { team: 'ops' } } }, { podSelector: { matchLabels: { app: 'prometheus' } } }], ports: [{ port: 9090 }, { port: 9091 }] },
  ],
  egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 5432 }] }],
} as const;

type Spec = Record<string, unknown>;

function policy(name: string, spec: Spec, namespace = 'shop'): string {
  return JSON.stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec });
}

const DENY = policy('default-deny', { podSelector: {}, policyTypes: ['Ingress'] });

function load(...documents: string[]) {
  const loaded = loadManifests(documents.map((text, i) => ({ name: `doc-${i}.yaml`, text })));
  expect(loaded.problems).toEqual([]);
  return loaded;
}

const rule = (r: RuleChange) => `[${r.beforeIndex ?? ''}→${r.afterIndex ?? ''}]`;

/** The diff in one line per finding: what a reviewer would read. */
function findings(diff: RevisionDiff): string[] {
  const out: string[] = [];
  for (const p of diff.policies.added) out.push(`+ ${p.namespace}/${p.name}`);
  for (const p of diff.policies.removed) out.push(`- ${p.namespace}/${p.name}`);
  for (const c of diff.policies.changed) {
    const id = `${c.namespace}/${c.name}`;
    if (c.podSelector) out.push(`${id} podSelector`);
    if (c.policyTypes) out.push(`${id} policyTypes ${c.policyTypes.before.join('+')} → ${c.policyTypes.after.join('+')}`);
    for (const r of c.ingress) out.push(`${id} ingress ${r.change} ${rule(r)}`);
    for (const r of c.egress) out.push(`${id} egress ${r.change} ${rule(r)}`);
  }
  for (const n of diff.namespaces.added) out.push(`+ namespace ${n}`);
  for (const n of diff.namespaces.changed) out.push(`~ namespace ${n}`);
  for (const n of diff.pods.changed) out.push(`~ pod ${n}`);
  return out;
}

const api = (changes: Partial<Record<keyof typeof API, unknown>>) => policy('api', { ...API, ...changes });
const ingress = (...rules: unknown[]) => api({ ingress: rules });
const [R0, R1] = API.ingress;

describe('diffRevisions: a diff names exactly what changed, down to the rule', () => {
  const cases: { name: string; after: string[]; want: string[] }[] = [
    { name: 'the same policies', after: [api({}), DENY], want: [] },
    {
      name: 'the same policies, reformatted as YAML in another order, peers, ports and labels reordered',
      after: [
        DENY,
        `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {namespace: shop, name: api}   # a comment
spec:
  policyTypes: [Egress, Ingress]
  podSelector: {matchLabels: {app: api}}
  egress: [{to: [{podSelector: {matchLabels: {app: db}}}], ports: [{port: 5432, protocol: TCP}]}]
  ingress:
    - ports: [{port: 9091}, {port: 9090}]
      from: [{podSelector: {matchLabels: {app: prometheus}}}, {namespaceSelector: {matchLabels: {team: ops}}}]
    - from: [{podSelector: {matchLabels: {app: frontend}}}]
      ports: [{port: 8080}]
`,
      ],
      want: [],
    },
    { name: 'a port of ingress rule 1 changed', after: [ingress(R0, { ...R1, ports: [{ port: 9090 }, { port: 9092 }] }), DENY], want: ['shop/api ingress changed [1→1]'] },
    { name: 'a peer of ingress rule 0 changed', after: [ingress({ ...R0, from: [{ podSelector: { matchLabels: { app: 'web' } } }] }, R1), DENY], want: ['shop/api ingress changed [0→0]'] },
    { name: 'a rule added in front: the others only moved', after: [ingress({ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }, R0, R1), DENY], want: ['shop/api ingress added [→0]'] },
    { name: 'rule 0 removed', after: [ingress(R1), DENY], want: ['shop/api ingress removed [0→]'] },
    { name: 'rule 1 changed and a rule appended', after: [ingress(R0, { ...R1, ports: [{ port: 9090 }] }, { ports: [{ port: 22 }] }), DENY], want: ['shop/api ingress changed [1→1]', 'shop/api ingress added [→2]'] },
    { name: 'an egress rule gains an endPort', after: [api({ egress: [{ ...API.egress[0], ports: [{ port: 5432, endPort: 5440 }] }] }), DENY], want: ['shop/api egress changed [0→0]'] },
    { name: 'the protocol of a port (TCP is the default, so UDP is a change)', after: [api({ egress: [{ ...API.egress[0], ports: [{ port: 5432, protocol: 'UDP' }] }] }), DENY], want: ['shop/api egress changed [0→0]'] },
    { name: 'the pod selector', after: [api({ podSelector: { matchLabels: { app: 'api', tier: 'backend' } } }), DENY], want: ['shop/api podSelector'] },
    { name: 'policyTypes lose Egress (the egress rules are still declared)', after: [api({ policyTypes: ['Ingress'] }), DENY], want: ['shop/api policyTypes Ingress+Egress → Ingress'] },
    { name: 'a policy removed', after: [api({})], want: ['- shop/default-deny'] },
    { name: 'a policy added', after: [api({}), DENY, policy('default-deny', { podSelector: {} }, 'ops')], want: ['+ ops/default-deny'] },
    { name: 'a namespace declared', after: [api({}), DENY, JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { team: 'ops' } } })], want: ['+ namespace shop'] },
  ];
  const before = load(api({}), DENY);

  it.each(cases)('$name', ({ after, want }) => {
    expect(findings(diffRevisions(before, load(...after)))).toEqual(want);
  });

  it('gives the rule as it was and as it is, and counts what did not change', () => {
    const diff = diffRevisions(before, load(ingress(R0, { ...R1, ports: [{ port: 9090 }] }), DENY));
    expect(diff.policies.unchanged).toBe(1);
    const [change] = diff.policies.changed;
    expect(change?.ingress).toEqual([
      {
        change: 'changed',
        beforeIndex: 1,
        afterIndex: 1,
        before: {
          peers: [{ namespaceSelector: { matchLabels: { team: 'ops' }, matchExpressions: [] } }, { podSelector: { matchLabels: { app: 'prometheus' }, matchExpressions: [] } }],
          ports: [{ protocol: 'TCP', port: 9090 }, { protocol: 'TCP', port: 9091 }],
        },
        after: {
          peers: [{ namespaceSelector: { matchLabels: { team: 'ops' }, matchExpressions: [] } }, { podSelector: { matchLabels: { app: 'prometheus' }, matchExpressions: [] } }],
          ports: [{ protocol: 'TCP', port: 9090 }],
        },
      },
    ]);
    expect(change?.egress).toEqual([]);
  });

  it('pairs a changed rule with the one most like it, not the one at the same index', () => {
    const a = { from: [{ podSelector: { matchLabels: { app: 'a' } } }], ports: [{ port: 1 }] };
    const b = { from: [{ podSelector: { matchLabels: { app: 'b' } } }], ports: [{ port: 2 }] };
    const bChanged = { ...b, ports: [{ port: 3 }] };
    const aChanged = { ...a, ports: [{ port: 4 }] };
    const diff = diffRevisions(load(ingress(a, b)), load(ingress(bChanged, aChanged)));
    expect(diff.policies.changed[0]?.ingress.map((r) => [r.change, r.beforeIndex, r.afterIndex])).toEqual([
      ['changed', 1, 0],
      ['changed', 0, 1],
    ]);
  });

  it('is the same diff whichever order the documents come in', () => {
    const after = [ingress(R1, { ...R0, ports: [{ port: 8081 }] }), policy('x', { podSelector: {} }), policy('y', { podSelector: {} })];
    const one = diffRevisions(before, load(...after));
    const two = diffRevisions(before, load(...[...after].reverse()));
    expect(findings(two)).toEqual(findings(one));
    expect(findings(one)).toEqual(['+ shop/x', '+ shop/y', '- shop/default-deny', 'shop/api ingress changed [0→1]']);
  });
});
