/**
 * ARCHITECTURE.md §3, NetworkPolicy semantics: one allow and one deny case for each rule, as a table.
 * Each row is evaluated through loadManifests + compileRevision + evaluate.
 */
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '@driftwatch/policy-engine';
import { api, db, external, internet, labApi, np, pod, prom, snapshotOf, web, type Manifest } from './support/world.js';

interface Case {
  readonly src: Endpoint;
  readonly dst: Endpoint;
  readonly port: number;
  readonly protocol?: string;
}

interface Rule {
  readonly rule: string;
  readonly policies: readonly Manifest[];
  readonly allow: Case;
  readonly deny: Case;
}

const grafana = pod('ops', 'grafana', { app: 'grafana' });
const promInShop = pod('shop', 'prom', { app: 'prom' });
const alt = { ...pod('shop', 'alt', { app: 'alt' }), namedPorts: [{ name: 'http', port: 9000, protocol: 'TCP' as const }] };
const dbOnly = { podSelector: { matchLabels: { app: 'db' } } };
const ingressTo = (from: unknown[], ports?: unknown[]) => ({ ...dbOnly, ingress: [{ from, ...(ports && { ports }) }] });

const RULES: readonly Rule[] = [
  {
    rule: 'pods selected by no policy are not isolated',
    policies: [np('shop', 'db-deny', { ...dbOnly, policyTypes: ['Ingress'] })],
    allow: { src: web, dst: api, port: 80 },
    deny: { src: web, dst: db, port: 80 },
  },
  {
    rule: 'policyTypes defaults to Ingress (egress stays open)',
    policies: [np('shop', 'api', { podSelector: { matchLabels: { app: 'api' } } })],
    allow: { src: api, dst: web, port: 80 },
    deny: { src: web, dst: api, port: 80 },
  },
  {
    rule: 'policyTypes defaults to Ingress and Egress when spec.egress has a rule',
    policies: [np('shop', 'api', { podSelector: { matchLabels: { app: 'api' } }, egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }] }] })],
    allow: { src: api, dst: db, port: 5432 },
    deny: { src: api, dst: web, port: 80 },
  },
  {
    rule: 'an empty spec.egress list does not add Egress to the default policyTypes',
    policies: [np('shop', 'api', { podSelector: { matchLabels: { app: 'api' } }, egress: [] })],
    allow: { src: api, dst: web, port: 80 },
    deny: { src: web, dst: api, port: 80 },
  },
  {
    rule: 'an empty rule list admits nothing, a list with one empty rule admits everything',
    policies: [
      np('shop', 'api-none', { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Ingress'], ingress: [] }),
      np('shop', 'db-all', { ...dbOnly, policyTypes: ['Ingress'], ingress: [{}] }),
    ],
    allow: { src: internet, dst: db, port: 1234 },
    deny: { src: web, dst: api, port: 80 },
  },
  {
    rule: 'a rule without peers admits every peer (on its ports)',
    policies: [np('shop', 'db', { ...dbOnly, ingress: [{ ports: [{ port: 5432 }] }] })],
    allow: { src: internet, dst: db, port: 5432 },
    deny: { src: internet, dst: db, port: 5433 },
  },
  {
    rule: 'one peer with namespaceSelector and podSelector needs both (AND)',
    policies: [np('shop', 'db', ingressTo([{ namespaceSelector: { matchLabels: { team: 'ops' } }, podSelector: { matchLabels: { app: 'prom' } } }]))],
    allow: { src: prom, dst: db, port: 9090 },
    deny: { src: promInShop, dst: db, port: 9090 },
  },
  {
    rule: 'separate peers are alternatives (OR)',
    policies: [np('shop', 'db', ingressTo([{ namespaceSelector: { matchLabels: { team: 'ops' } } }, { podSelector: { matchLabels: { app: 'prom' } } }]))],
    allow: { src: grafana, dst: db, port: 9090 },
    deny: { src: labApi, dst: db, port: 9090 },
  },
  {
    rule: "a podSelector-only peer stays in the policy's namespace",
    policies: [np('shop', 'db', ingressTo([{ podSelector: { matchLabels: { app: 'api' } } }]))],
    allow: { src: api, dst: db, port: 5432 },
    deny: { src: labApi, dst: db, port: 5432 },
  },
  {
    rule: 'namespaceSelector {} matches every pod of every namespace, but no external IP',
    policies: [np('shop', 'db', ingressTo([{ namespaceSelector: {} }]))],
    allow: { src: labApi, dst: db, port: 5432 },
    deny: { src: internet, dst: db, port: 5432 },
  },
  {
    rule: 'ipBlock admits its cidr except the except ranges (IPv4)',
    policies: [np('shop', 'db', ingressTo([{ ipBlock: { cidr: '203.0.113.0/24', except: ['203.0.113.128/25'] } }]))],
    allow: { src: external('203.0.113.7'), dst: db, port: 5432 },
    deny: { src: external('203.0.113.200'), dst: db, port: 5432 },
  },
  {
    rule: 'ipBlock admits its cidr except the except ranges (IPv6)',
    policies: [np('shop', 'db', ingressTo([{ ipBlock: { cidr: '2001:db8::/32', except: ['2001:db8:ff::/48'] } }]))],
    allow: { src: external('2001:db8:1::5'), dst: db, port: 5432 },
    deny: { src: external('2001:db8:ff::5'), dst: db, port: 5432 },
  },
  {
    rule: "ipBlock also matches a pod's own IP",
    policies: [np('shop', 'web', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.1.3/32' } }] }] })],
    allow: { src: web, dst: db, port: 5432 },
    deny: { src: web, dst: api, port: 5432 },
  },
  {
    rule: 'a port without protocol is TCP',
    policies: [np('shop', 'db', ingressTo([], [{ port: 53 }]))],
    allow: { src: web, dst: db, port: 53, protocol: 'TCP' },
    deny: { src: web, dst: db, port: 53, protocol: 'UDP' },
  },
  {
    rule: 'an empty port entry admits every TCP port',
    policies: [np('shop', 'db', ingressTo([], [{}]))],
    allow: { src: web, dst: db, port: 1234, protocol: 'TCP' },
    deny: { src: web, dst: db, port: 1234, protocol: 'UDP' },
  },
  {
    rule: 'endPort makes a port range, both ends included',
    policies: [np('shop', 'db', ingressTo([], [{ port: 8000, endPort: 8100 }]))],
    allow: { src: web, dst: db, port: 8100 },
    deny: { src: web, dst: db, port: 8101 },
  },
  {
    rule: 'a protocol without port admits every port of that protocol only',
    policies: [np('shop', 'db', ingressTo([], [{ protocol: 'UDP' }]))],
    allow: { src: web, dst: db, port: 4444, protocol: 'UDP' },
    deny: { src: web, dst: db, port: 4444, protocol: 'SCTP' },
  },
  {
    rule: 'a named port resolves on the destination pod (ingress)',
    policies: [np('shop', 'db', ingressTo([], [{ port: 'http' }]))],
    allow: { src: web, dst: db, port: 8080 },
    deny: { src: web, dst: db, port: 80 },
  },
  {
    rule: 'a named port resolves on the destination pod (egress), not on the source',
    policies: [np('shop', 'web', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'http' }] }] })],
    allow: { src: web, dst: alt, port: 9000 },
    deny: { src: web, dst: alt, port: 8080 },
  },
  {
    rule: 'a named port never matches an external destination (it has no container ports)',
    policies: [np('shop', 'web', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'http' }] }] })],
    allow: { src: web, dst: api, port: 8080 },
    deny: { src: web, dst: internet, port: 8080 },
  },
  {
    rule: 'a named port matches only its own protocol',
    policies: [np('shop', 'db', ingressTo([], [{ port: 'dns', protocol: 'UDP' }, { port: 'http', protocol: 'UDP' }]))],
    allow: { src: web, dst: db, port: 53, protocol: 'UDP' },
    deny: { src: web, dst: db, port: 8080, protocol: 'UDP' },
  },
  {
    rule: 'the policies that select a pod are a union',
    policies: [
      np('shop', 'db-from-api', ingressTo([{ podSelector: { matchLabels: { app: 'api' } } }], [{ port: 5432 }])),
      np('shop', 'db-from-ops', ingressTo([{ namespaceSelector: { matchLabels: { team: 'ops' } } }], [{ port: 9090 }])),
    ],
    allow: { src: prom, dst: db, port: 9090 },
    deny: { src: prom, dst: db, port: 5432 },
  },
  {
    rule: "a connection needs the source's egress and the destination's ingress",
    policies: [
      np('shop', 'web-out', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'api' } } }] }] }),
      np('shop', 'db-in', ingressTo([{ podSelector: { matchLabels: { app: 'web' } } }])),
    ],
    allow: { src: web, dst: api, port: 80 },
    deny: { src: web, dst: db, port: 80 },
  },
  {
    rule: 'a policy only selects pods of its own namespace',
    policies: [np('lab', 'deny-all', { podSelector: {}, policyTypes: ['Ingress'] })],
    allow: { src: web, dst: api, port: 80 },
    deny: { src: web, dst: labApi, port: 80 },
  },
  {
    rule: 'rules of a direction missing from policyTypes are ignored',
    policies: [np('shop', 'api', { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Ingress'], egress: [{ to: [{ ipBlock: { cidr: '192.0.2.0/24' } }] }] })],
    allow: { src: api, dst: web, port: 80 },
    deny: { src: web, dst: api, port: 80 },
  },
];

describe('NetworkPolicy semantics (ARCHITECTURE.md §3)', () => {
  describe.each(RULES)('$rule', ({ policies, allow, deny }) => {
    const snapshot = snapshotOf(policies);
    it('allows', () => {
      const decision = snapshot.evaluate(allow.src, allow.dst, allow.port, allow.protocol ?? 'TCP');
      expect(decision.verdict).toBe('allow');
      expect(decision.issues).toEqual([]);
    });
    it('denies', () => {
      const decision = snapshot.evaluate(deny.src, deny.dst, deny.port, deny.protocol ?? 'TCP');
      expect(decision.verdict).toBe('deny');
      expect(decision.issues).toEqual([]);
    });
  });
});
