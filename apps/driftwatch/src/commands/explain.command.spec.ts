import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lines, runMain } from '../../test/run-main.js';

let root = '';
const manifests = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: payments}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ledger, namespace: payments}
spec:
  podSelector: {matchLabels: {app: ledger}}
  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}], ports: [{port: http}]}]
---
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: Namespace, metadata: {name: payments}}
  - {apiVersion: v1, kind: Namespace, metadata: {name: monitoring}}
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: ledger, namespace: payments}
    spec:
      template:
        metadata: {labels: {app: ledger}}
        spec: {containers: [{name: ledger, ports: [{name: http, containerPort: 8080}]}]}
  - apiVersion: v1
    kind: Pod
    metadata: {name: api-0, namespace: payments, labels: {app: api}}
    status: {podIP: 10.1.0.5}
  - apiVersion: v1
    kind: Pod
    metadata: {name: prometheus, namespace: monitoring, labels: {app: prometheus}}
`;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'driftwatch-explain-'));
  await writeFile(join(root, 'manifests.yaml'), manifests);
  await writeFile(join(root, 'broken.yaml'), `${manifests}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: payments}\nspec: {}\n`);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const explain = (...args: string[]) => runMain('explain', '--policies', join(root, 'manifests.yaml'), ...args);

describe('driftwatch explain', () => {
  it('prints both halves and the explanation of a denied connection', async () => {
    const result = await explain('--from', 'monitoring/prometheus', '--to', 'payments/ledger', '--port', '9100');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(lines(result.stdout)).toEqual([
      'deny: monitoring/prometheus -> payments/ledger TCP 9100',
      '  egress  allow: egress from monitoring/prometheus is not isolated (no policy selects it for egress)',
      '  ingress deny: payments/ledger is isolated for ingress by payments/default-deny and payments/ledger, and no ingress rule of payments/default-deny or payments/ledger admits monitoring/prometheus on TCP 9100',
      '',
      'denied: payments/ledger is isolated for ingress by payments/default-deny and payments/ledger, and no ingress rule of payments/default-deny or payments/ledger admits monitoring/prometheus on TCP 9100',
    ]);
  });

  it('resolves a named port on the destination and a pod by its IP', async () => {
    const result = await explain('--from', '10.1.0.5', '--to', 'payments/ledger', '--port', 'http', '--protocol', 'tcp');
    expect(lines(result.stdout).at(-1)).toBe(
      'allowed: egress from payments/api-0 is not isolated (no policy selects it for egress); ingress to payments/ledger is admitted by payments/ledger spec.ingress[0] (from[0], ports[0])',
    );
  });

  it('treats an address no pod has as an external peer, and prints JSON on request', async () => {
    const result = await explain('--from', '203.0.113.9', '--to', 'payments/ledger', '--port', '8080', '--json');
    const output = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(output).toMatchObject({
      decision: {
        verdict: 'deny',
        source: { kind: 'external', ip: '203.0.113.9' },
        destination: { kind: 'pod', namespace: 'payments', name: 'ledger' },
        egress: { applicable: false },
        ingress: { isolated: true, verdict: 'deny' },
        issues: [],
      },
      explanation: {
        verdict: 'deny',
        text: expect.stringMatching(/^denied: payments\/ledger is isolated for ingress/),
        ingress: { reason: 'no-rule-admits', policies: ['payments/default-deny', 'payments/ledger'] },
      },
    });
  });

  it('warns about manifests with problems and explains with the rest', async () => {
    const result = await runMain('explain', '--policies', join(root, 'broken.yaml'), '--from', 'payments/api-0', '--to', 'payments/ledger', '--port', '8080');
    expect(result.code).toBe(0);
    expect(lines(result.stderr)).toEqual([
      `warning: 1 problem(s) in ${join(root, 'broken.yaml')}; the objects with problems are left out (see driftwatch validate --policies ${join(root, 'broken.yaml')})`,
    ]);
    expect(result.stdout).toContain('allowed:');
  });

  it.each([
    [['--from', 'payments/nope', '--to', 'payments/ledger', '--port', '80'], /^--from payments\/nope: no Pod or workload of that name in /],
    [['--from', 'payments', '--to', 'payments/ledger', '--port', '80'], /^--from must be namespace\/name or an IP address, got "payments"$/],
    [['--from', 'payments/api-0', '--to', 'payments/ledger', '--port', '0'], /^--port must be a whole number from 1 to 65535, got "0"$/],
    [['--from', 'payments/api-0', '--to', 'payments/ledger', '--port', 'grpc'], /^--port grpc: payments\/ledger has no TCP port named "grpc" \(its named ports: http \(TCP 8080\)\)$/],
    [['--from', 'payments/api-0', '--to', '203.0.113.9', '--port', 'http'], /^--port http: 203\.0\.113\.9 has no TCP port named "http" \(its named ports: none\)$/],
    [['--from', 'payments/api-0', '--to', 'payments/ledger', '--port', '80', '--protocol', 'ICMP'], /^--protocol must be TCP, UDP or SCTP, got "ICMP"$/],
    [['--to', 'payments/ledger', '--port', '80'], /^--from is required/],
  ])('rejects bad input with one line and exit code 2: %j', async (args, message) => {
    const result = await explain(...args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const [line, ...rest] = lines(result.stderr);
    expect(rest).toEqual([]);
    expect(line?.replace('driftwatch explain: ', '')).toMatch(message);
  });

  it('rejects a missing --policies path with one line', async () => {
    const result = await runMain('explain', '--policies', join(root, 'missing'), '--from', 'a/b', '--to', 'c/d', '--port', '1');
    expect(result).toEqual({ code: 2, stdout: '', stderr: `driftwatch explain: cannot read ${join(root, 'missing')}: no such file or directory\n` });
  });
});
