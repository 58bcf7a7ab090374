import { compileRevision, loadManifests } from '@driftwatch/policy-engine';
const objs = { kind: 'List', apiVersion: 'v1', items: [
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'a', namespace: 'x' }, spec: { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'a1' } } }], ports: [{ port: 80 }] }] } },
]};
const loaded = loadManifests([{ name: 'a.json', text: JSON.stringify(objs) }]);
const snap = compileRevision(loaded);
const eps = Array.from({ length: 2000 }, (_, i) => Object.freeze({ kind: 'pod' as const, namespace: 'x', name: 'p' + i, labels: { app: 'a' + (i % 50), i: String(i) } }));
const qs = Array.from({ length: 50000 }, (_, i) => ({ src: eps[(i * 31) % 2000]!, dst: eps[(i * 17) % 2000]!, port: 80 + (i % 5) }));
for (const q of qs) snap.evaluate(q.src, q.dst, q.port, 'TCP');
let n = 0;
const N = 5_000_000;
const t = performance.now();
for (let i = 0; i < N; i++) { const q = qs[i % qs.length]!; if (snap.evaluate(q.src, q.dst, q.port, 'TCP').verdict === 'allow') n++; }
const ms = performance.now() - t;
console.log(Math.round(N / ms * 1000), 'per s', n);
