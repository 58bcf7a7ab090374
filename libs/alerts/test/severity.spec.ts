import type { Endpoint, PolicySnapshot } from '@driftwatch/policy-engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { severityOf } from '../src/index.js';
import { shopSnapshot } from './support/shop-flows.js';

describe('severity of a drift alert (README, "Drift alerts")', () => {
  let snapshot: PolicySnapshot;
  beforeAll(async () => {
    snapshot = await shopSnapshot();
  });
  const pod = (namespace: string, name: string): Endpoint =>
    snapshot.endpoint(namespace, name) ?? { kind: 'pod', namespace, name, labels: { app: name } };
  const external = (ip: string): Endpoint => ({ kind: 'external', ip });

  it.each([
    ['an unexpected drop', 'medium', 'unexpected-drop', () => [pod('shop', 'frontend'), pod('shop', 'backend'), 8080]],
    ['an unenforced deny to a pod isolated by a default-deny policy', 'critical', 'unenforced-deny', () => [pod('shop', 'frontend'), pod('shop', 'database'), 5432]],
    ['an unenforced deny to a peer outside the cluster', 'critical', 'unenforced-deny', () => [pod('shop', 'frontend'), external('203.0.113.7'), 443]],
    ['an unenforced deny to a pod no policy isolates', 'high', 'unenforced-deny', () => [pod('shop', 'frontend'), pod('tools', 'wiki'), 80]],
    ['an unenforced deny from outside to a pod no policy isolates', 'high', 'unenforced-deny', () => [external('198.51.100.1'), pod('tools', 'wiki'), 80]],
  ] as const)('%s is %s', (_what, severity, drift, connection) => {
    const [src, dst, port] = connection() as [Endpoint, Endpoint, number];
    expect(severityOf(drift, snapshot.evaluate(src, dst, port, 'TCP'), snapshot)).toBe(severity);
  });

  it('is high for an unenforced deny without a decision, and for a default-deny destination when no snapshot is known', () => {
    const decision = snapshot.evaluate(pod('shop', 'frontend'), pod('shop', 'database'), 5432, 'TCP');
    expect(severityOf('unenforced-deny', undefined, snapshot)).toBe('high');
    expect(severityOf('unenforced-deny', decision, undefined)).toBe('high');
  });
});
