const N = 10000;
const frozen = Array.from({ length: N }, (_, i) => Object.freeze({ kind: 'pod', namespace: 'x' + i, name: 'p' }));
const plain = Array.from({ length: N }, (_, i) => ({ kind: 'pod', namespace: 'x' + i, name: 'p' }));
for (const [label, arr] of [['frozen', frozen], ['plain', plain]] as const) {
  const wm = new WeakMap<object, number>();
  arr.forEach((o, i) => wm.set(o, i));
  let s = 0;
  const t = performance.now();
  for (let r = 0; r < 400; r++) for (let i = 0; i < N; i++) s += wm.get(arr[(i * 7919) % N]!)!;
  console.log(label, ((performance.now() - t) / (400 * N)) * 1e6, 'ns', s);
}
