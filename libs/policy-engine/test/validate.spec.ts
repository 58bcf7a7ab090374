/**
 * Validation as the API server does it: one case per problem code (the table is keyed by ProblemCode, so the
 * type checker insists on a case for every code), each checking the code, the document, the field path, and that
 * the object was left out while the rest of the file still loaded.
 */
import { describe, expect, it } from 'vitest';
import { formatFinding, loadManifests, type ProblemCode } from '@driftwatch/policy-engine';

const policy = (spec: string, meta = 'name: p\n  namespace: shop') =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  ${meta}\nspec:\n${spec}`;
const ingressPort = (port: string) => policy(`  podSelector: {}\n  ingress:\n    - ports:\n        - ${port}`);
const ingressPeer = (peer: string) => policy(`  podSelector: {}\n  ingress:\n    - from:\n        - ${peer}`);
const selector = (expression: string) => policy(`  podSelector:\n    matchExpressions:\n      - ${expression}`);

/** `depth` Lists, each the only item of the one around it, holding one Namespace. */
function nestedLists(depth: number): string {
  let object = '{apiVersion: v1, kind: Namespace, metadata: {name: deep}}';
  for (let i = 0; i < depth; i += 1) object = `{apiVersion: v1, kind: List, items: [${object}]}`;
  return object;
}

interface Case {
  readonly yaml: string;
  readonly path: string;
  /** Which document of the text is bad; defaults to the first. */
  readonly document?: number;
}

const CASES: Readonly<Record<ProblemCode, Case>> = {
  parse_error: { yaml: 'kind: [unclosed', path: '' },
  invalid_document: { yaml: '- just\n- a list', path: '' },
  missing_field: { yaml: policy('  policyTypes: [Ingress]'), path: 'spec.podSelector' },
  invalid_type: { yaml: policy('  podSelector: {}\n  ingress: everything'), path: 'spec.ingress' },
  unknown_field: { yaml: policy('  podSelector: {}\n  podselector: {matchLabels: {app: x}}'), path: 'spec.podselector' },
  invalid_name: { yaml: policy('  podSelector: {}', 'name: Bad_Name\n  namespace: shop'), path: 'metadata.name' },
  invalid_label_key: { yaml: policy('  podSelector:\n    matchLabels: {"-app": x}'), path: 'spec.podSelector.matchLabels.-app' },
  invalid_label_value: { yaml: policy('  podSelector:\n    matchLabels: {app: "two words"}'), path: 'spec.podSelector.matchLabels.app' },
  invalid_operator: { yaml: selector('{key: app, operator: Equals, values: [x]}'), path: 'spec.podSelector.matchExpressions[0].operator' },
  missing_values: { yaml: selector('{key: app, operator: In}'), path: 'spec.podSelector.matchExpressions[0].values' },
  unexpected_values: { yaml: selector('{key: app, operator: Exists, values: [x]}'), path: 'spec.podSelector.matchExpressions[0].values' },
  invalid_cidr: { yaml: ingressPeer('ipBlock: {cidr: 10.0.0.300/8}'), path: 'spec.ingress[0].from[0].ipBlock.cidr' },
  except_not_in_cidr: {
    yaml: ingressPeer('ipBlock: {cidr: 10.0.0.0/16, except: [10.0.1.0/24, 10.1.0.0/24]}'),
    path: 'spec.ingress[0].from[0].ipBlock.except[1]',
  },
  invalid_port: { yaml: ingressPort('{port: 70000}'), path: 'spec.ingress[0].ports[0].port' },
  invalid_port_name: { yaml: ingressPort('{port: "8080"}'), path: 'spec.ingress[0].ports[0].port' },
  invalid_end_port: { yaml: ingressPort('{port: 9000, endPort: 8000}'), path: 'spec.ingress[0].ports[0].endPort' },
  end_port_without_numeric_port: { yaml: ingressPort('{port: http, endPort: 9000}'), path: 'spec.ingress[0].ports[0].endPort' },
  invalid_protocol: { yaml: ingressPort('{protocol: ICMP}'), path: 'spec.ingress[0].ports[0].protocol' },
  invalid_policy_type: { yaml: policy('  podSelector: {}\n  policyTypes: [Ingress, Both]'), path: 'spec.policyTypes[1]' },
  empty_peer: { yaml: ingressPeer('{}'), path: 'spec.ingress[0].from[0]' },
  multiple_peer_types: {
    yaml: ingressPeer('{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}'),
    path: 'spec.ingress[0].from[0]',
  },
  invalid_ip: {
    yaml: 'apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: shop}\nstatus: {podIP: 10.0.0.999}',
    path: 'status.podIP',
  },
  duplicate_object: { yaml: `${policy('  podSelector: {}')}\n---\n${policy('  podSelector: {}')}`, path: '', document: 2 },
  too_deep: { yaml: nestedLists(17), path: 'items[0]' + '.items[0]'.repeat(15) },
};

const GOOD = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: fine, namespace: shop}
spec: {podSelector: {}}`;

describe('validation problem codes', () => {
  it.each(Object.entries(CASES))('%s', (code, { yaml, path, document = 1 }) => {
    const loaded = loadManifests([{ name: 'bad.yaml', text: `${yaml}\n---\n${GOOD}` }]);
    const problem = loaded.problems.find((p) => p.code === code);
    expect(problem, JSON.stringify(loaded.problems)).toMatchObject({ file: 'bad.yaml', document, path });
    expect(problem?.message.length).toBeGreaterThan(10);
    // The bad object is left out; the good document after it still loads.
    expect(loaded.policies.map((p) => p.name)).toEqual(code === 'duplicate_object' ? ['p', 'fine'] : ['fine']);
    expect(loaded.pods).toEqual([]);
  });
});

describe('validation', () => {
  it('reports every problem of an object in one pass, and keeps none of it', () => {
    const yaml = policy(
      '  podSelector:\n    matchLabels: {app: "a b"}\n  ingress:\n    - ports: [{port: 0}, {protocol: tcp}]\n      from: [{}]',
    );
    const loaded = loadManifests([{ name: 'p.yaml', text: yaml }]);
    expect(loaded.problems.map((p) => [p.code, p.path])).toEqual([
      ['invalid_label_value', 'spec.podSelector.matchLabels.app'],
      ['empty_peer', 'spec.ingress[0].from[0]'],
      ['invalid_port', 'spec.ingress[0].ports[0].port'],
      ['invalid_protocol', 'spec.ingress[0].ports[1].protocol'],
    ]);
    expect(loaded.policies).toEqual([]);
  });

  it('accepts what the API server accepts', () => {
    const yaml = policy(`  podSelector:
    matchLabels: {app.kubernetes.io/name: web, "empty": ""}
    matchExpressions:
      - {key: tier, operator: NotIn, values: [db]}
      - {key: canary, operator: DoesNotExist}
  policyTypes: [Egress, Ingress]
  ingress:
    - from:
        - namespaceSelector: {}
          podSelector: {matchLabels: {role: client}}
        - ipBlock: {cidr: "2001:db8::/32", except: ["2001:db8:1::/48"]}
      ports: [{port: 8000, endPort: 8000}, {port: metrics, protocol: SCTP}, {protocol: UDP}]
  egress:
    - {}`);
    const loaded = loadManifests([{ name: 'p.yaml', text: yaml }]);
    expect(loaded.problems).toEqual([]);
    expect(loaded.policies).toHaveLength(1);
  });

  it('accepts a CIDR with host bits set, with a note saying what it means', () => {
    const loaded = loadManifests([{ name: 'p.yaml', text: ingressPeer('ipBlock: {cidr: 10.0.0.1/4, except: [10.0.0.2/32]}') }]);
    expect(loaded.problems).toEqual([]);
    expect(loaded.notes).toEqual([
      expect.objectContaining({ code: 'non_canonical_cidr', path: 'spec.ingress[0].from[0].ipBlock.cidr', message: expect.stringContaining('0.0.0.0/4') }),
    ]);
  });

  it('rejects IPv4 octets with leading zeros and mixed families in except', () => {
    const loaded = loadManifests([
      { name: 'a.yaml', text: ingressPeer('ipBlock: {cidr: 010.0.0.0/8}') },
      { name: 'b.yaml', text: ingressPeer('ipBlock: {cidr: 10.0.0.0/8, except: ["fd00::/64"]}') },
    ]);
    expect(loaded.problems.map((p) => [p.file, p.code])).toEqual([
      ['a.yaml', 'invalid_cidr'],
      ['b.yaml', 'except_not_in_cidr'],
    ]);
  });

  it('reads YAML as kubectl does: an unquoted yes is a boolean, not a label value', () => {
    const loaded = loadManifests([{ name: 'p.yaml', text: policy('  podSelector:\n    matchLabels: {enabled: yes}') }]);
    expect(loaded.problems).toEqual([expect.objectContaining({ code: 'invalid_type', path: 'spec.podSelector.matchLabels.enabled' })]);
    expect(loaded.problems[0]?.message).toContain('quote it');
  });

  it('formats a finding as file:doc:path: message', () => {
    const loaded = loadManifests([{ name: 'dir/p.yaml', text: `${GOOD}\n---\n${ingressPort('{port: 0}')}` }]);
    expect(loaded.problems.map(formatFinding)).toEqual(['dir/p.yaml:2:spec.ingress[0].ports[0].port: must be a port number from 1 to 65535, got 0']);
    expect(formatFinding({ file: 'x.yaml', document: 3, path: '', code: 'parse_error', message: 'bad' })).toBe('x.yaml:3: bad');
  });
});
