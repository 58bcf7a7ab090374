import { describe, expect, it } from 'vitest';
import { CiliumLabelCache, parseCiliumLabels } from '../src/index.js';

describe('parseCiliumLabels', () => {
  it('splits pod labels, namespace labels and bookkeeping', () => {
    const parsed = parseCiliumLabels([
      'k8s:app=cbs-csi-controller',
      'k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=kube-system',
      'k8s:io.cilium.k8s.namespace.labels.team=platform',
      'k8s:io.cilium.k8s.policy.cluster=default',
      'k8s:io.cilium.k8s.policy.serviceaccount=cbs-csi-controller-sa',
      'k8s:io.kubernetes.pod.namespace=kube-system',
      'k8s:app.kubernetes.io/name=csi',
      'k8s:flag',
      'k8s:expr=a=b',
    ]);
    expect(parsed).toEqual({
      labels: { app: 'cbs-csi-controller', 'app.kubernetes.io/name': 'csi', flag: '', expr: 'a=b' },
      namespaceLabels: { 'kubernetes.io/metadata.name': 'kube-system', team: 'platform' },
      namespace: 'kube-system',
      cluster: 'default',
      reserved: [],
      cidr: undefined,
      fqdn: false,
    });
    expect(Object.isFrozen(parsed.labels)).toBe(true);
    expect(Object.getPrototypeOf(parsed.labels)).toBe(null);
  });

  it('keeps pod labels known-empty when only bookkeeping labels are present', () => {
    expect(parseCiliumLabels(['k8s:io.kubernetes.pod.namespace=x']).labels).toEqual({});
  });

  it('reports no labels and no namespace labels when there are none', () => {
    expect(parseCiliumLabels(['reserved:host', 'reserved:remote-node'])).toMatchObject({
      labels: undefined, namespaceLabels: undefined, reserved: ['host', 'remote-node'],
    });
  });

  it('reads cidr (IPv6 dashes) and fqdn labels', () => {
    expect(parseCiliumLabels(['cidr:fd00--1/128', 'fqdn:*.example.com', 'reserved:world-ipv6'])).toMatchObject({
      cidr: 'fd00::1/128', fqdn: true, reserved: ['world-ipv6'],
    });
  });

  it('treats a label key such as __proto__ as plain data', () => {
    const parsed = parseCiliumLabels(['k8s:__proto__=x', 'k8s:constructor=y']);
    expect(parsed.labels?.['__proto__']).toBe('x');
    expect(Object.keys(parsed.labels ?? {})).toEqual(['__proto__', 'constructor']);
  });
});

describe('CiliumLabelCache', () => {
  const a = ['k8s:app=a', 'k8s:io.kubernetes.pod.namespace=x'];

  it('returns the same parsed object for an identity seen with the same labels', () => {
    const cache = new CiliumLabelCache();
    expect(cache.get(300, [...a])).toBe(cache.get(300, [...a]));
    expect(cache.size).toBe(1);
  });

  it('parses afresh when an identity comes back with other labels', () => {
    const cache = new CiliumLabelCache();
    cache.get(300, a);
    expect(cache.get(300, ['k8s:app=b', 'k8s:io.kubernetes.pod.namespace=x']).labels).toEqual({ app: 'b' });
  });

  it('does not cache identity 0 or absent identities, and stays bounded', () => {
    const cache = new CiliumLabelCache(2);
    cache.get(0, a);
    cache.get(undefined, a);
    expect(cache.size).toBe(0);
    cache.get(1, a);
    cache.get(2, a);
    cache.get(3, a);
    expect(cache.size).toBeLessThanOrEqual(2);
  });
});
