import { describe, expect, it } from 'vitest';
import { CiliumLabelCache, parseCiliumLabels } from '../src/index.js';
import { parseKeyValueLabels } from '../src/cilium-labels.js';
import { MAX_LABEL_TEXT, MAX_LABELS } from '../src/flow-limits.js';

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
      truncated: false,
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

describe('label limits (flow-limits.ts)', () => {
  it('cuts keys and values longer than MAX_LABEL_TEXT, keeping the key, and says so', () => {
    const long = 'v'.repeat(20_000);
    const parsed = parseCiliumLabels([`k8s:app=web`, `k8s:junk=${long}`, `k8s:${'k'.repeat(5000)}=x`]);
    expect(parsed.truncated).toBe(true);
    expect(parsed.labels?.['app']).toBe('web');
    expect(parsed.labels?.['junk']).toBe('v'.repeat(MAX_LABEL_TEXT));
    expect(Object.keys(parsed.labels ?? {}).map((k) => k.length).sort((a, b) => a - b)).toEqual([3, 4, MAX_LABEL_TEXT]);
  });

  it('keeps the first MAX_LABELS labels in key order, whatever the order of the list', () => {
    const list = Array.from({ length: MAX_LABELS + 10 }, (_, i) => `k8s:l${String(i).padStart(3, '0')}=x`);
    const a = parseCiliumLabels(list);
    const b = parseCiliumLabels([...list].reverse());
    expect(Object.keys(a.labels ?? {})).toHaveLength(MAX_LABELS);
    expect(Object.keys(b.labels ?? {}).sort()).toEqual(Object.keys(a.labels ?? {}).sort());
    expect(a.labels?.['l000']).toBe('x');
    expect(a.labels?.[`l${MAX_LABELS}`]).toBeUndefined();
    expect(a.truncated).toBe(true);
  });

  it('leaves a set within the limits alone', () => {
    expect(parseCiliumLabels(['k8s:app=web', `k8s:v=${'x'.repeat(MAX_LABEL_TEXT)}`]).truncated).toBe(false);
  });

  it('refuses an entry with a NUL byte (nul_in_string)', () => {
    expect(() => parseCiliumLabels(['k8s:app=we\u0000b'])).toThrow(expect.objectContaining({ code: 'nul_in_string' }));
  });

  it('Calico k=v labels follow the same limits', () => {
    const parsed = parseKeyValueLabels([`a=${'v'.repeat(3000)}`, 'b=1']);
    expect(parsed.truncated).toBe(true);
    expect(parsed.labels).toEqual({ a: 'v'.repeat(MAX_LABEL_TEXT), b: '1' });
    expect(parseKeyValueLabels(['a=1'])).toEqual({ labels: { a: '1' }, truncated: false });
    expect(parseKeyValueLabels([])).toEqual({ labels: undefined, truncated: false });
  });
});

describe('CiliumLabelCache', () => {
  it('never keeps a list longer than it would remember, and stays within its character bound', () => {
    const cache = new CiliumLabelCache(1000, 50_000);
    cache.get(300, [`k8s:big=${'x'.repeat(20_000)}`]);
    expect(cache.size).toBe(0);
    for (let i = 0; i < 100; i++) cache.get(1000 + i, [`k8s:app=${String(i).padStart(1000, '0')}`]);
    expect(cache.cachedChars).toBeLessThanOrEqual(50_000);
    expect(cache.size).toBeLessThan(100);
  });

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
