import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runConformanceScenario } from '@driftwatch/policy-engine';
const root = '/work/shared/conformance';
let passed = 0, failed = 0;
const t = performance.now();
for (const dir of ['k8s-e2e', 'netpol-analyzer']) for (const f of readdirSync(join(root, dir)).filter(f => f.endsWith('.json')).sort()) {
  const r = runConformanceScenario(JSON.parse(readFileSync(join(root, dir, f), 'utf8')), `${dir}/${f}`);
  passed += r.passed; failed += r.failures.length;
  for (const x of r.failures.slice(0, 3)) console.log(JSON.stringify(x));
}
console.log(passed, failed, performance.now() - t);
