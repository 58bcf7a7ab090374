import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lines, runMain } from '../../test/run-main.js';

let root = '';
const scenario = (expected: string) => ({
  name: 'tiny',
  namespaces: [{ name: 'x', labels: { 'kubernetes.io/metadata.name': 'x' } }],
  pods: [
    { namespace: 'x', name: 'a', labels: { pod: 'a' }, ip: '10.0.0.1', ports: [] },
    { namespace: 'x', name: 'b', labels: { pod: 'b' }, ip: '10.0.0.2', ports: [] },
  ],
  policies: [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny', namespace: 'x' }, spec: { podSelector: { matchLabels: { pod: 'b' } } } }],
  cases: [
    { src: 'x/a', dst: 'x/b', port: 80, protocol: 'TCP', expected },
    { src: 'x/b', dst: 'x/a', port: 80, protocol: 'TCP', expected: 'allow' },
  ],
});

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'driftwatch-conformance-'));
  await mkdir(join(root, 'pass', 'nested'), { recursive: true });
  await writeFile(join(root, 'pass', 'one.json'), JSON.stringify(scenario('deny')));
  await writeFile(join(root, 'pass', 'nested', 'two.json'), JSON.stringify(scenario('deny')));
  await writeFile(join(root, 'pass', 'README.md'), 'not a scenario');
  await writeFile(join(root, 'wrong.json'), JSON.stringify(scenario('allow')));
  await writeFile(join(root, 'broken.json'), '{"name": ');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('driftwatch conformance', () => {
  it('runs every *.json below a directory and ends with the counts', async () => {
    const result = await runMain('conformance', join(root, 'pass'));
    expect(result).toEqual({ code: 0, stdout: '4 passed, 0 failed\n', stderr: '' });
  });

  it('prints one line per failing case with its explanation, and exits 1', async () => {
    const result = await runMain('conformance', join(root, 'wrong.json'), join(root, 'broken.json'), join(root, 'pass', 'one.json'));
    expect(result.code).toBe(1);
    expect(lines(result.stdout)).toEqual([
      `${join(root, 'wrong.json')}: case 1 (x/a -> x/b TCP/80): expected allow, got deny: denied: x/b is isolated for ingress by x/deny, and no ingress rule of x/deny admits x/a on TCP 80`,
      expect.stringMatching(new RegExp(`^${join(root, 'broken.json')}: not valid JSON: `)),
      '3 passed, 2 failed',
    ]);
  });

  it('passes the conformance corpus copied into the repository', async () => {
    const corpus = join(import.meta.dirname, '..', '..', '..', '..', 'libs', 'policy-engine', 'test', 'conformance');
    const result = await runMain('conformance', corpus);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('29623 passed, 0 failed\n');
  });

  it.each([
    [[], 'give at least one scenario file or directory (see driftwatch conformance --help)'],
    [['/nonexistent/corpus'], 'cannot read /nonexistent/corpus: no such file or directory'],
  ])('rejects bad input with one line and exit code 2: %j', async (args, message) => {
    const result = await runMain('conformance', ...args);
    expect(result).toEqual({ code: 2, stdout: '', stderr: `driftwatch conformance: ${message}\n` });
  });

  it('rejects a directory without scenarios', async () => {
    await mkdir(join(root, 'none'), { recursive: true });
    const result = await runMain('conformance', join(root, 'none'));
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`driftwatch conformance: no conformance scenarios (.json) under ${join(root, 'none')}\n`);
  });
});
