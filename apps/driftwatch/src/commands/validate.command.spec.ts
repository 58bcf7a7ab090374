import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lines, runMain } from '../../test/run-main.js';

let root = '';
const good = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
`;
const bad = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchExpressions: [{key: app, operator: In}]}
  ingress: [{ports: [{port: 80, protocol: ICMP}]}]
`;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'driftwatch-validate-'));
  await writeFile(join(root, 'good.yaml'), good);
  await writeFile(join(root, 'bad.yaml'), bad);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('driftwatch validate', () => {
  it('prints a one-line summary and exits 0 when there is no problem', async () => {
    const result = await runMain('validate', '--policies', join(root, 'good.yaml'));
    expect(result).toEqual({ code: 0, stdout: 'OK: 1 policy, 0 namespaces, 0 pods and workloads in 1 file; 1 note(s), --verbose shows them\n', stderr: '' });
  });

  it('prints notes with --verbose', async () => {
    const result = await runMain('validate', '--policies', join(root, 'good.yaml'), '--verbose');
    expect(lines(result.stdout)).toEqual([
      `${join(root, 'good.yaml')}:2: skipped Service "web" (v1): not a kind the policy engine uses (note)`,
      'OK: 1 policy, 0 namespaces, 0 pods and workloads in 1 file',
    ]);
  });

  it('prints each problem as file:doc:path: message and exits 1', async () => {
    const result = await runMain('validate', '--policies', root);
    const file = join(root, 'bad.yaml');
    expect(result.code).toBe(1);
    expect(lines(result.stdout)).toEqual([
      `${file}:2:spec.podSelector.matchExpressions[0].values: must list at least one value when operator is In`,
      `${file}:2:spec.ingress[0].ports[0].protocol: "ICMP" is not a protocol; use TCP, UDP or SCTP`,
    ]);
    expect(result.stderr).toBe('2 problems in 2 files; objects with problems are left out\n');
  });

  it.each([
    [['validate'], '--policies is required (see driftwatch validate --help)'],
    [['validate', '--policies', '/nonexistent/policies'], 'cannot read /nonexistent/policies: no such file or directory'],
    [['validate', '--policies', 'x', '--bogus'], "Unknown option '--bogus'"],
  ])('rejects bad input with one line and exit code 2: %j', async (args, message) => {
    const result = await runMain(...args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(lines(result.stderr)).toEqual([`driftwatch validate: ${message}`]);
  });
});
