/** The decision cache: cached and uncached evaluation agree, and the cache key holds everything a decision depends on. */
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '@driftwatch/policy-engine';
import { CONNECTIONS, ENDPOINTS, random, randomPolicies } from './support/random-revision.js';
import { db, np, pod, snapshotOf, web } from './support/world.js';

/** A structurally equal copy: a new object the cache has never seen. */
const copy = (endpoint: Endpoint): Endpoint => JSON.parse(JSON.stringify(endpoint)) as Endpoint;

describe('decision cache', () => {
  it.each([11, 12, 13, 14])('agrees with uncached evaluation on random revision %i, in any order, with repeats and copies', (seed) => {
    const policies = randomPolicies(seed, 15);
    const cached = snapshotOf(policies);
    const uncached = snapshotOf(policies, { cache: false });
    const rand = random(seed);
    const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)] as T;
    for (let i = 0; i < 3000; i++) {
      const src = rand() < 0.3 ? copy(pick(ENDPOINTS)) : pick(ENDPOINTS);
      const dst = rand() < 0.3 ? copy(pick(ENDPOINTS)) : pick(ENDPOINTS);
      const { port, protocol } = pick(CONNECTIONS);
      expect(cached.evaluate(src, dst, port, protocol)).toEqual(uncached.evaluate(src, dst, port, protocol));
    }
    const stats = cached.cacheStats();
    expect(stats.hits).toBeGreaterThan(stats.misses);
    expect(stats.entries).toBe(stats.misses);
    expect(uncached.cacheStats()).toEqual({ entries: 0, hits: 0, misses: 0 });
  });

  it('shares entries between endpoints with the same identity, even as new objects', () => {
    const snapshot = snapshotOf([np('shop', 'db', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: {} }] }] })]);
    snapshot.evaluate(web, db, 80, 'TCP');
    const replica = { ...web, name: 'web-2', labels: { tier: 'front', app: 'web' } };
    const decision = snapshot.evaluate(replica, copy(db), 80, 'TCP');
    expect(snapshot.cacheStats()).toMatchObject({ hits: 1, misses: 1 });
    expect(decision.source).toBe(replica);
    expect(decision.verdict).toBe('allow');
  });

  it('keys on the port, the protocol and both identities', () => {
    const snapshot = snapshotOf([np('shop', 'db', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 80 }] }] })]);
    expect(snapshot.evaluate(web, db, 80, 'TCP').verdict).toBe('allow');
    expect(snapshot.evaluate(web, db, 81, 'TCP').verdict).toBe('deny');
    expect(snapshot.evaluate(web, db, 80, 'UDP').verdict).toBe('deny');
    expect(snapshot.evaluate(db, db, 80, 'TCP').verdict).toBe('deny');
    expect(snapshot.evaluate({ ...web, labels: { app: 'web2' } }, db, 80, 'TCP').verdict).toBe('deny');
    expect(snapshot.evaluate({ ...web, namespaceLabels: { team: 'x' }, namespace: 'lab' }, db, 80, 'TCP').verdict).toBe('deny');
    expect(snapshot.cacheStats()).toMatchObject({ hits: 0, misses: 6 });
  });

  it('keys on which ipBlocks an address falls in, so same-label pods with different IPs stay apart', () => {
    const snapshot = snapshotOf([np('shop', 'db', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ ipBlock: { cidr: '10.0.1.0/24' } }] }] })]);
    const inside = pod('shop', 'a', { app: 'x' }, '10.0.1.50');
    const outside = pod('shop', 'b', { app: 'x' }, '10.0.9.50');
    expect(snapshot.evaluate(inside, db, 80, 'TCP').verdict).toBe('allow');
    expect(snapshot.evaluate(outside, db, 80, 'TCP').verdict).toBe('deny');
    expect(snapshot.evaluate(pod('shop', 'c', { app: 'x' }, '10.0.1.51'), db, 80, 'TCP').verdict).toBe('allow');
    expect(snapshot.cacheStats()).toMatchObject({ hits: 1, misses: 2 });
  });

  it("keys on the destination's named ports", () => {
    const snapshot = snapshotOf([np('shop', 'db', { podSelector: {}, ingress: [{ ports: [{ port: 'http' }] }] })]);
    const on8080 = pod('shop', 'a', { app: 'x' });
    const on9000 = { ...pod('shop', 'b', { app: 'x' }), namedPorts: [{ name: 'http', port: 9000, protocol: 'TCP' as const }] };
    expect(snapshot.evaluate(web, on8080, 8080, 'TCP').verdict).toBe('allow');
    expect(snapshot.evaluate(web, on9000, 8080, 'TCP').verdict).toBe('deny');
  });

  it('starts over when full, and stays correct', () => {
    const policies = randomPolicies(21, 10);
    const small = snapshotOf(policies, { cacheLimit: 5 });
    const reference = snapshotOf(policies, { cache: false });
    for (const src of ENDPOINTS) {
      for (const dst of ENDPOINTS) {
        for (const { port, protocol } of CONNECTIONS) expect(small.evaluate(src, dst, port, protocol)).toEqual(reference.evaluate(src, dst, port, protocol));
      }
    }
    expect(small.cacheStats().entries).toBeLessThanOrEqual(5);
  });

  it('grows past its initial size without losing entries', () => {
    const snapshot = snapshotOf([np('shop', 'db', { podSelector: {}, ingress: [{ ports: [{ port: 1000, endPort: 20000 }] }] })]);
    for (let port = 1; port <= 10000; port++) snapshot.evaluate(web, db, port, 'TCP');
    for (let port = 1; port <= 10000; port++) expect(snapshot.evaluate(web, db, port, 'TCP').verdict).toBe(port >= 1000 ? 'allow' : 'deny');
    expect(snapshot.cacheStats()).toEqual({ entries: 10000, hits: 10000, misses: 10000 });
  });
});
