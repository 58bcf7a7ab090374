/**
 * Seeded random revisions for property tests: policies built from pools of selectors, peers and ports that
 * exercise every feature (AND/OR peers, ipBlocks with except, named ports, ranges, empty rules, policyTypes).
 */
import type { Endpoint } from '@driftwatch/policy-engine';
import { Prng } from '@driftwatch/common';
import { api, db, external, labApi, np, pod, prom, web, type Manifest } from './world.js';

/** A seeded random number in [0, 1), from the workspace's one PRNG. */
export function random(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.next();
}

export function shuffle<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const SELECTORS = [
  {},
  { matchLabels: { app: 'db' } },
  { matchLabels: { tier: 'back' } },
  { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] },
  { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['back'] }] },
  { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] },
  { matchExpressions: [{ key: 'app', operator: 'Exists' }] },
];
const NAMESPACE_SELECTORS = [{}, { matchLabels: { team: 'ops' } }, { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] }];
const IP_BLOCKS = [
  { cidr: '10.0.0.0/16', except: ['10.0.1.0/24'] },
  { cidr: '10.0.1.3/32' },
  { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] },
  { cidr: '2001:db8::/32', except: ['2001:db8:ff::/48'] },
];
const PORTS = [{ port: 80 }, { port: 'http' }, { port: 'dns', protocol: 'UDP' }, { port: 5000, endPort: 5100 }, { protocol: 'UDP' }, { port: 443, protocol: 'SCTP' }];

/** The endpoints a random revision is checked over: pods of three namespaces and external addresses. */
export const ENDPOINTS: readonly Endpoint[] = [
  web,
  api,
  db,
  prom,
  labApi,
  pod('ops', 'batch', { job: 'batch' }, '10.0.2.2'),
  external('203.0.113.7'),
  external('10.0.1.9'),
  external('2001:db8:1::1'),
];
export const CONNECTIONS: readonly { port: number; protocol: string }[] = [
  { port: 80, protocol: 'TCP' },
  { port: 8080, protocol: 'TCP' },
  { port: 53, protocol: 'UDP' },
  { port: 5050, protocol: 'TCP' },
  { port: 443, protocol: 'SCTP' },
];

/** `count` NetworkPolicy manifests in namespaces shop, ops and lab. */
export function randomPolicies(seed: number, count: number): Manifest[] {
  const rand = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const peer = () => {
    const r = rand();
    if (r < 0.35) return { podSelector: pick(SELECTORS) };
    if (r < 0.6) return { namespaceSelector: pick(NAMESPACE_SELECTORS) };
    if (r < 0.8) return { namespaceSelector: pick(NAMESPACE_SELECTORS), podSelector: pick(SELECTORS) };
    return { ipBlock: pick(IP_BLOCKS) };
  };
  const rules = (key: 'from' | 'to') =>
    Array.from({ length: Math.floor(rand() * 3) }, () => ({
      ...(rand() < 0.8 && { [key]: Array.from({ length: 1 + Math.floor(rand() * 2) }, peer) }),
      ...(rand() < 0.7 && { ports: Array.from({ length: 1 + Math.floor(rand() * 2) }, () => pick(PORTS)) }),
    }));
  return Array.from({ length: count }, (_, i) => {
    const types = pick([undefined, ['Ingress'], ['Egress'], ['Ingress', 'Egress']]);
    return np(pick(['shop', 'shop', 'ops', 'lab']), `p${i}`, {
      podSelector: pick(SELECTORS),
      ...(types && { policyTypes: types }),
      ...(rand() < 0.8 && { ingress: rules('from') }),
      ...(rand() < 0.6 && { egress: rules('to') }),
    });
  });
}
