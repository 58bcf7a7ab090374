/**
 * The NetworkPolicy conformance corpus (copied into test/conformance with its provenance), run through the same
 * runner as `driftwatch conformance`. Every case must pass.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runConformanceScenario, type ConformanceFailure } from '@driftwatch/policy-engine';

const CORPUS = join(import.meta.dirname, 'conformance');

function scenarioFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? scenarioFiles(join(directory, entry.name)) : entry.name.endsWith('.json') ? [join(directory, entry.name)] : []))
    .sort();
}

describe('conformance corpus', () => {
  const files = scenarioFiles(CORPUS);

  it('is all there: 100 scenario files', () => {
    expect(files.map((f) => relative(CORPUS, f).split('/')[0])).toEqual([...Array<string>(48).fill('k8s-e2e'), ...Array<string>(52).fill('netpol-analyzer')]);
  });

  it('passes all 29,623 cases', () => {
    let passed = 0;
    const failures: ConformanceFailure[] = [];
    for (const file of files) {
      const report = runConformanceScenario(JSON.parse(readFileSync(file, 'utf8')), relative(CORPUS, file));
      passed += report.passed;
      failures.push(...report.failures);
    }
    expect(failures.slice(0, 20)).toEqual([]);
    expect(passed).toBe(29623);
  });
});

describe('runConformanceScenario', () => {
  const scenario = {
    namespaces: [{ name: 'x', labels: { 'kubernetes.io/metadata.name': 'x' } }],
    pods: [
      { namespace: 'x', name: 'a', labels: { pod: 'a' }, ip: '10.0.0.1', ports: [] },
      { namespace: 'x', name: 'b', labels: { pod: 'b' }, ip: '10.0.0.2', ports: [] },
    ],
    steps: [
      {
        policies: [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny', namespace: 'x' }, spec: { podSelector: {} } }],
        cases: [
          { src: 'x/a', dst: 'x/b', port: 80, protocol: 'TCP', expected: 'deny' },
          { src: { ip: '192.0.2.1' }, dst: 'x/b', port: 80, protocol: 'TCP', expected: 'allow' },
        ],
      },
      { policies: [], cases: [{ src: 'x/a', dst: 'x/nope', port: 80, protocol: 'TCP', expected: 'allow' }] },
    ],
  };

  it('reports a case whose verdict differs, with its explanation', () => {
    const report = runConformanceScenario(scenario, 's.json');
    expect(report.passed).toBe(1);
    expect(report.failures).toEqual([
      {
        file: 's.json',
        step: 1,
        case: 2,
        connection: '192.0.2.1 -> x/b TCP/80',
        expected: 'allow',
        got: 'deny',
        explanation: 'denied: x/b is isolated for ingress by x/deny, and no ingress rule of x/deny admits 192.0.2.1 on TCP 80',
      },
      { file: 's.json', step: 2, case: 1, connection: 'x/a -> x/nope TCP/80', expected: 'allow', got: 'error', explanation: 'unknown pod "x/nope" (not in the scenario\'s pods)' },
    ]);
  });

  it('fails a policy that does not validate instead of skipping it silently', () => {
    const bad = { ...scenario, steps: undefined, policies: [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p', namespace: 'x' }, spec: { podSelector: {}, ingress: [{ ports: [{ port: 0 }] }] } }], cases: [] };
    const report = runConformanceScenario(bad, 'bad.json');
    expect(report.failures.map((f) => f.explanation)).toEqual(['policy rejected: bad.json policies:1:spec.ingress[0].ports[0].port: must be a port number from 1 to 65535, got 0']);
  });

  it('fails what is not a scenario', () => {
    expect(runConformanceScenario([1, 2], 'list.json').failures).toHaveLength(1);
    expect(runConformanceScenario({ name: 'no cases' }, 'empty.json').failures[0]?.explanation).toContain('"policies" and "cases" must be lists');
  });
});
