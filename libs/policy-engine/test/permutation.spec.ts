/**
 * The order of policies (and of rules, peers and ports inside them) never changes a verdict. Policy order does
 * not even change the explanation: policies are considered in canonical order.
 */
import { describe, expect, it } from 'vitest';
import type { Decision, PolicySnapshot } from '@driftwatch/policy-engine';
import { CONNECTIONS, ENDPOINTS, random, randomPolicies, shuffle } from './support/random-revision.js';
import { snapshotOf, type Manifest } from './support/world.js';

function allDecisions(snapshot: PolicySnapshot): Decision[] {
  return ENDPOINTS.flatMap((src) =>
    ENDPOINTS.filter((dst) => dst !== src).flatMap((dst) => CONNECTIONS.map(({ port, protocol }) => snapshot.evaluate(src, dst, port, protocol))),
  );
}

function shuffleInside(policy: Manifest, rand: () => number): Manifest {
  const spec = policy['spec'] as Record<string, unknown>;
  const rules = (list: unknown, key: string) =>
    Array.isArray(list)
      ? shuffle(list as Record<string, unknown>[], rand).map((rule) => ({
          ...rule,
          ...(Array.isArray(rule[key]) && { [key]: shuffle(rule[key] as unknown[], rand) }),
          ...(Array.isArray(rule['ports']) && { ports: shuffle(rule['ports'] as unknown[], rand) }),
        }))
      : list;
  return { ...policy, spec: { ...spec, ingress: rules(spec['ingress'], 'from'), egress: rules(spec['egress'], 'to') } };
}

describe.each([1, 2, 3, 4, 5])('random revision %i', (seed) => {
  const policies = randomPolicies(seed, 12);
  const reference = allDecisions(snapshotOf(policies));

  it('has both verdicts, so the comparison means something', () => {
    const verdicts = new Set(reference.map((d) => d.verdict));
    expect(verdicts).toEqual(new Set(['allow', 'deny']));
  });

  it('gives the same decisions for every order of its policies', () => {
    const rand = random(seed * 7919);
    for (let round = 0; round < 5; round++) {
      expect(allDecisions(snapshotOf(shuffle(policies, rand)))).toEqual(reference);
    }
  });

  it('gives the same verdicts for every order of rules, peers and ports', () => {
    const rand = random(seed * 104729);
    const project = (d: Decision) => [d.verdict, d.egress.verdict, d.ingress.verdict, d.egress.isolatingPolicies, d.ingress.isolatingPolicies];
    for (let round = 0; round < 5; round++) {
      const shuffled = shuffle(policies, rand).map((p) => shuffleInside(p, rand));
      expect(allDecisions(snapshotOf(shuffled)).map(project)).toEqual(reference.map(project));
    }
  });
});
