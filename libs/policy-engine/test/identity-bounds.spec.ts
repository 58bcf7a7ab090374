/**
 * Issue 11, item 4: identities come from flows an attacker shapes, so the identity table is bounded (entries and
 * bytes) and starts a new generation when full; decisions never change because of it.
 */
import type { Endpoint } from '@driftwatch/policy-engine';
import { describe, expect, it } from 'vitest';
import { CONNECTIONS, ENDPOINTS, random, randomPolicies } from './support/random-revision.js';
import { snapshotOf } from './support/world.js';

/** A pod with one label unique to `i`, of `size` characters. */
function unique(i: number, size = 10): Endpoint {
  return { kind: 'pod', namespace: 'shop', name: `p${i}`, labels: { app: 'web', junk: String(i).padStart(size, 'x') } };
}

describe('identity table bounds', () => {
  it('starts a new generation at maxIdentities, and decides exactly as an unbounded snapshot', () => {
    const policies = randomPolicies(21, 15);
    const bounded = snapshotOf(policies, { identityLimits: { maxIdentities: 50, maxBytes: 1e12 } });
    const unbounded = snapshotOf(policies, { identityLimits: { maxIdentities: 1e9, maxBytes: 1e12 } });
    const rand = random(21);
    const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)] as T;
    for (let i = 0; i < 2000; i++) {
      const src = i % 3 === 0 ? unique(i) : pick(ENDPOINTS);
      const dst = i % 5 === 0 ? unique(i + 1e6) : pick(ENDPOINTS);
      const { port, protocol } = pick(CONNECTIONS);
      expect(bounded.evaluate(src, dst, port, protocol)).toEqual(unbounded.evaluate(src, dst, port, protocol));
      expect(bounded.identityStats().identities).toBeLessThanOrEqual(52);
    }
    expect(bounded.identityStats().generations).toBeGreaterThan(10);
    expect(unbounded.identityStats()).toMatchObject({ generations: 1 });
    expect(unbounded.identityStats().identities).toBeGreaterThan(1000);
  });

  it('starts a new generation at maxBytes: unique 20 KB labels never pile up', () => {
    const snapshot = snapshotOf(randomPolicies(22, 10), { identityLimits: { maxIdentities: 1e9, maxBytes: 2_000_000 } });
    const web: Endpoint = ENDPOINTS[0] as Endpoint;
    for (let i = 0; i < 1000; i++) {
      snapshot.evaluate(unique(i, 20_000), web, 80, 'TCP');
      expect(snapshot.identityStats().bytes).toBeLessThan(2_000_000 + 200_000);
    }
    expect(snapshot.identityStats().generations).toBeGreaterThan(5);
  });

  it('keeps warm traffic in one generation', () => {
    const snapshot = snapshotOf(randomPolicies(23, 10));
    for (let round = 0; round < 50; round++) {
      for (const src of ENDPOINTS) for (const dst of ENDPOINTS) snapshot.evaluate(src, dst, 80, 'TCP');
    }
    expect(snapshot.identityStats().generations).toBe(1);
  });
});
