import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowStore } from '@driftwatch/persistence';
import { createTestDatabase, FakeHubbleRelay, parseHubbleJsonLines, unusedPort, type TestDatabase } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from './run-cli.js';

const shop = join(import.meta.dirname, '..', '..', '..', 'examples', 'shop');
const policies = join(shop, 'policies');
const flowsFile = join(shop, 'flows.jsonl');

/** [label, drift] per line of examples/shop/flows.jsonl, as its README states. */
const SHOP_EXPECTED: ReadonlyArray<readonly [string | null, string | null]> = [
  ['allowed', null], ['allowed', null], [null, null], [null, null], ['allowed', null], ['allowed', null], [null, null],
  ['allowed', null], [null, null], ['allowed', null], ['allowed', null], ['denied', null],
  ['unexpected', 'unenforced-deny'], ['unexpected', 'unenforced-deny'], ['unexpected', 'unexpected-drop'], ['denied', null],
];

function lastJson(text: string): Record<string, unknown> {
  return JSON.parse(text.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

describe('driftwatch evaluate', () => {
  it('labels examples/shop as its README says and exits 3 on drift', async () => {
    const run = await runCli(['evaluate', '--policies', policies, '--flows', flowsFile], {});
    expect(run.code).toBe(3);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const perFlow = lines.slice(0, -1);
    expect(perFlow.map((l) => [l['label'], l['drift']])).toEqual(SHOP_EXPECTED);
    for (const line of perFlow) {
      expect(Object.keys(line)).toEqual(expect.arrayContaining(['uuid', 'time', 'src', 'dst', 'port', 'protocol', 'direction', 'observed', 'label', 'drift', 'issues', 'explanation']));
    }
    expect(perFlow[12]).toMatchObject({ src: 'shop/frontend', dst: 'shop/database', port: 5432, protocol: 'TCP', direction: 'egress', observed: 'forwarded' });
    expect(perFlow[12]?.['explanation']).toMatch(/^denied: shop\/frontend is isolated for egress/);
    expect(lines.at(-1)).toMatchObject({ flows: 16, allowed: 7, denied: 2, unexpected: 3, skipped: 4, lost: 0 });
  });

  it('never labels replies or non-policy drops unexpected, and exits 0 without drift', async () => {
    const calm = readFileSync(flowsFile, 'utf8').split('\n').filter((l) => l.trim() !== '').filter((_, i) => ![12, 13, 14].includes(i));
    const run = await runCli(['evaluate', '--policies', policies, '--flows', '-'], {}, 20_000, calm.join('\n'));
    expect(run.code).toBe(0);
    expect(lastJson(run.stdout)).toMatchObject({ flows: 13, unexpected: 0, skipped: 4 });
  });

  // Independent runs of the binary: side by side, not one after another.
  it.concurrent.for([
    [['evaluate', '--policies', join(shop, 'missing'), '--flows', flowsFile], /^driftwatch evaluate: cannot read .*missing: no such file or directory\n$/],
    [['evaluate', '--policies', policies, '--flows', join(shop, 'missing.jsonl')], /^driftwatch evaluate: cannot read .*missing\.jsonl: no such file\n$/],
    [['evaluate', '--policies', policies], /^driftwatch evaluate: --flows is required/],
  ] as const)('exits 2 with one line for bad input: %j', async ([args, message], { expect }) => {
    const run = await runCli([...args], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it.concurrent.for([
    ['a pretty-printed Goldmane protojson document', 'goldmane-flow-protojson-longhorn.json', { flows: 1, allowed: 1 }, 'longhorn-system/longhorn-manager'],
    ['Calico Enterprise flow-log lines', 'enterprise-docs-aggregation-examples.ndjson', { flows: 7, unexpected: 1 }, 'policy-demo/access'],
  ] as const)('reads %s', async ([_what, file, summary, src], { expect }) => {
    const fixture = join(import.meta.dirname, '..', '..', '..', 'libs', 'flow', 'test', 'fixtures', 'calico', file);
    const run = await runCli(['evaluate', '--policies', policies, '--flows', fixture], {});
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.at(-1)).toMatchObject({ ...summary, malformed: 0 });
    expect(lines[0]).toMatchObject({ src });
    expect(run.code).toBe('unexpected' in summary ? 3 : 0);
  });

  it('reports a malformed line with its place, goes on, and exits 2', async () => {
    const lines = readFileSync(flowsFile, 'utf8').split('\n').filter((l) => l.trim() !== '').slice(0, 2);
    const run = await runCli(['evaluate', '--policies', policies, '--flows', '-'], {}, 20_000, [lines[0], '{"flow": 42}', 'not json', lines[1]].join('\n'));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^stdin:2: flow must be an object\nstdin:3: not JSON/);
    expect(lastJson(run.stdout)).toMatchObject({ flows: 2, allowed: 2, malformed: 2 });
  });
});

// A database of its own: the first test counts every shop flow stored, and other files of this project (run at the
// same time, on the shared database) store shop flows too.
describe('driftwatch collect', () => {
  let relay: FakeHubbleRelay;
  let database: TestDatabase;
  let databaseUrl: string;
  let store: FlowStore;
  beforeAll(async () => {
    database = await createTestDatabase(inject('serverUrl'), inject('templateDatabase'), 'driftwatch_collect');
    databaseUrl = database.url;
    relay = await FakeHubbleRelay.start({ history: parseHubbleJsonLines(readFileSync(flowsFile, 'utf8')) });
    store = await FlowStore.open(databaseUrl);
  });
  afterAll(async () => {
    await relay.stop();
    await store?.close();
    await database?.drop();
  });

  it('collects from a Hubble relay into Postgres, records the policy revision, and prints the summary', async () => {
    const run = await runCli(['collect', '--hubble', relay.address, '--policies', policies, '--until-idle', '2'], { DATABASE_URL: databaseUrl }, 30_000);
    expect(run.code).toBe(0);
    expect(lastJson(run.stdout)).toMatchObject({ flows: 16, allowed: 7, denied: 2, unexpected: 3, skipped: 4, lost: 0 });
    // One Logger for the collector: time and level on every line.
    expect(run.stderr).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z LOG {3}policies: revision \d+ from .*examples\/shop\/policies \(7 policies, git [0-9a-f]{40}\)$/m);
    const records = (await store.flowRecords.list(10_000)).filter((r) => r.source === 'hubble' && r.srcNamespace === 'shop');
    const unexpected = records.filter((r) => r.label === 'unexpected');
    expect(unexpected.reduce((n, r) => n + r.flowCount, 0)).toBe(3);
    expect(new Set(unexpected.map((r) => r.driftKind))).toEqual(new Set(['unenforced-deny', 'unexpected-drop']));
    expect(unexpected.every((r) => r.policyRevisionId !== null)).toBe(true);
    const evidence = await store.evidence.byFlowId(unexpected.find((r) => r.driftKind === 'unexpected-drop')!.sampleFlowId!);
    expect(evidence[0]).toMatchObject({ label: 'unexpected', driftKind: 'unexpected-drop' });

    // A second run resumes where the first stopped: nothing new, nothing counted twice.
    const again = await runCli(['collect', '--hubble', relay.address, '--policies', policies, '--until-idle', '2'], { DATABASE_URL: databaseUrl }, 30_000);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/resuming from/);
    const after = (await store.flowRecords.list(10_000)).filter((r) => r.source === 'hubble' && r.srcNamespace === 'shop');
    expect(after.reduce((n, r) => n + r.flowCount, 0)).toBe(records.reduce((n, r) => n + r.flowCount, 0));
  });

  // An unreachable source (retried for 2 s with one line, exit 1, no flows): collect-sources.e2e.spec.ts.

  it('honours LOG_LEVEL for the collector\'s lines', async () => {
    const port = await unusedPort();
    const run = await runCli(['collect', '--hubble', `127.0.0.1:${port}`, '--policies', policies, '--until-idle', '1'], { DATABASE_URL: databaseUrl, LOG_LEVEL: 'error' }, 30_000);
    expect(run.stderr).not.toMatch(/policies: revision/);
    expect(run.stderr).not.toMatch(/ LOG {3}/);
    expect(lastJson(run.stdout)).toMatchObject({ flows: 0 });
  });

  it('refuses to start on declared policies with a problem (exit 2), before recording a revision', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftwatch-collect-broken-'));
    try {
      cpSync(policies, dir, { recursive: true });
      writeFileSync(join(dir, '90-bad.yaml'), 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: shop}\nspec: {}\n');
      const run = await runCli(['collect', '--hubble', relay.address, '--policies', dir, '--until-idle', '1'], { DATABASE_URL: databaseUrl }, 30_000);
      expect(run.code).toBe(2);
      expect(run.stderr.split('\n').filter((l) => l.startsWith('driftwatch collect:'))).toEqual([
        `driftwatch collect: the declared policies under ${dir} have a problem: ${join(dir, '90-bad.yaml')}:1:spec.podSelector: is required; use {} to select every pod of the namespace`,
      ]);
      expect(run.stdout).toBe('');
      expect(run.stderr).not.toMatch(/policies: revision/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.concurrent.for([
    [['collect', '--policies', policies], /name at least one flow source/],
    [['collect', '--hubble', 'no-port', '--policies', policies], /--hubble must be host:port or unix:\/\/\/path, got "no-port"/],
    [['collect', '--hubble', '127.0.0.1:1', '--policies', '/nonexistent/policies'], /cannot read \/nonexistent\/policies: no such file or directory/],
  ] as const)('rejects bad input with one line: %j', async ([args, message], { expect }) => {
    const run = await runCli([...args], { DATABASE_URL: databaseUrl });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n').find((l) => l.startsWith('driftwatch collect:'))).toMatch(message);
  });
});
