/**
 * `driftwatch whatif` against a database of its own, filled by the real pipeline with the examples/shop capture:
 * exit codes of the CI gate, text and JSON, and bad input. The gate's main answers run the real binary; the rest
 * runs in-process (`--database-url`), which is the same code without a process start each.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowPipeline } from '@driftwatch/collector';
import { whatIfResultSchema } from '@driftwatch/contracts';
import { normalizeHubbleJsonLine } from '@driftwatch/flow';
import { FlowStore } from '@driftwatch/persistence';
import { loadDeclaredPolicies } from '@driftwatch/policy-source';
import { createTestDatabase, type TestDatabase } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from './run-cli.js';
import { runMain } from './run-main.js';

const root = join(import.meta.dirname, '..', '..', '..');
const shop = join(root, 'examples', 'shop');
const serverUrl = inject('serverUrl');
const FROM = '2026-03-02T10:00:00Z';
const TO = '2026-03-02T11:00:00Z';

describe('driftwatch whatif (real binary, own database, shop capture through the real pipeline)', () => {
  let database: TestDatabase;
  let url: string;
  const env = { DATABASE_URL: '', LOG_LEVEL: 'warn' };
  const work = mkdtempSync(join(tmpdir(), 'driftwatch-whatif-'));
  let revision: number;

  /** A copy of the shop policies with one file changed, as a branch would change it. */
  function candidate(dir: string, file: string, edit: (text: string) => string): string {
    const path = join(work, dir);
    cpSync(join(shop, 'policies'), path, { recursive: true });
    writeFileSync(join(path, file), edit(readFileSync(join(path, file), 'utf8')));
    return path;
  }

  beforeAll(async () => {
    database = await createTestDatabase(serverUrl, inject('templateDatabase'), 'driftwatch_whatif');
    url = env.DATABASE_URL = database.url;
    const store = await FlowStore.open(url);
    try {
      const declared = await loadDeclaredPolicies(join(shop, 'policies'));
      ({ id: revision } = await store.revisions.record({
        sourceKind: 'directory', sourcePath: declared.path, gitCommit: null, contentHash: declared.contentHash, documents: declared.sources,
        policyCount: declared.loaded.policies.length, problems: [],
      }));
      const pipeline = new FlowPipeline({ snapshot: declared.snapshot, id: revision }, { store, windowMs: 10_000 });
      for (const line of readFileSync(join(shop, 'flows.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '')) {
        await pipeline.accept('hubble:shop', normalizeHubbleJsonLine(line));
      }
      await pipeline.close();
    } finally {
      await store.close();
    }
  });
  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    await database?.drop();
  });

  // The runs of the binary (they only read the database) go side by side; the rest runs in-process, one at a time.
  it.concurrent('exits 0 when the candidate changes nothing (the same policies, or the stored revision)', async ({ expect }) => {
    const [same, stored] = await Promise.all([
      runCli(['whatif', '--policies', join(shop, 'policies'), '--from', FROM, '--to', TO], env),
      runCli(['whatif', '--revision', String(revision), '--from', FROM, '--to', TO, '--json'], env),
    ]);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toContain('no connection changes label');
    expect(same.stdout).toContain('against 12 records (12 flows)');
    expect(same.stdout).toMatch(/unchanged 12 records; approximate 0; [\d.]+ s\nno allowed or denied traffic would become unexpected\n$/);
    expect(stored.code, stored.stderr).toBe(0);
    expect(whatIfResultSchema.parse(JSON.parse(stored.stdout))).toMatchObject({ candidate: { revision, policies: 7 }, transitions: [], totals: { records: 12 } });
  });

  it.concurrent('exits 3 when a removed allow rule would make allowed traffic unexpected, naming the connection', async ({ expect }) => {
    const path = candidate('no-db-egress', '50-backend.yaml', (text) => text.replace(/---\n# backend → database[\s\S]*?---\n/, '---\n'));
    const [run, json] = await Promise.all([
      runCli(['whatif', '--policies', path, '--from', FROM, '--to', TO], env),
      runCli(['whatif', '--policies', path, '--from', FROM, '--to', TO, '--namespace', 'shop', '--json'], env),
    ]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toContain('  allowed -> unexpected: 1 records, 1 flows\n    shop/backend -> shop/database TCP 5432: 1 flows\n');
    expect(run.stdout).toContain('1 records of allowed or denied traffic would become unexpected');
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ namespaces: ['shop'], becomeUnexpected: 1, transitions: [{ from: 'allowed', to: 'unexpected', records: 1 }] });
  });

  it.concurrent('exits 1 with one line when the database does not answer', async ({ expect }) => {
    const run = await runCli(['whatif', '--revision', '1', '--from', FROM, '--to', TO, '--database-url', 'postgresql://postgres@127.0.0.1:1/x'], env, 60_000);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^driftwatch whatif: cannot reach database/);
  }, 70_000);

  it('exits 3 when denied traffic would become an unexpected drop', async () => {
    const path = candidate('db-internet', '60-database.yaml', (text) =>
      `${text}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: database-egress-internet, namespace: shop }\n` +
      `spec: { podSelector: { matchLabels: { app: database } }, policyTypes: [Egress], egress: [{ ports: [{ port: 443 }] }] }\n`);
    const run = await runMain('whatif', '--policies', path, '--from', FROM, '--to', TO, '--database-url', url);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toContain('  denied -> unexpected: 1 records, 1 flows\n    shop/database -> 203.0.113.50 TCP 443: 1 flows\n');
  });

  it('exits 0 when the candidate only declares what drifted (unexpected → allowed)', async () => {
    const path = candidate('legacy', '40-frontend.yaml', (text) =>
      `${text}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: legacy-db-access, namespace: shop }\n` +
      `spec: { podSelector: { matchLabels: { app: frontend } }, policyTypes: [Egress], egress: [{ ports: [{ port: 5432 }] }] }\n`);
    const run = await runMain('whatif', '--policies', path, '--from', FROM, '--to', TO, '--database-url', url);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('  unexpected -> allowed: 1 records, 1 flows\n    shop/frontend -> shop/database TCP 5432: 1 flows\n');
  });

  it.each([
    ['no candidate', ['--from', FROM, '--to', TO], /exactly one of --policies <path> or --revision <n>/],
    ['two candidates', ['--policies', 'x', '--revision', '1', '--from', FROM, '--to', TO], /exactly one of/],
    ['no range', ['--revision', '1'], /--from and --to are required/],
    ['a time without zone', ['--revision', '1', '--from', '2026-03-02T10:00:00', '--to', TO], /--from must be an ISO 8601 date-time with a time zone/],
    ['a range over 31 days', ['--revision', '1', '--from', FROM, '--to', '2026-05-01T00:00:00Z'], /--to the range is too large: at most 31 days/],
    ['a bad namespace', ['--revision', '1', '--from', FROM, '--to', TO, '--namespace', 'shop,Bad_Name'], /--namespace must be a comma-separated list of namespace names, got "Bad_Name"/],
    ['a bad revision number', ['--revision', 'x', '--from', FROM, '--to', TO], /--revision must be a whole number/],
    ['an unknown revision', ['--revision', '999999', '--from', FROM, '--to', TO], /no policy revision 999999 in the database/],
    ['policies with problems', ['--policies', 'BROKEN', '--from', FROM, '--to', TO], /have a problem/],
    ['a path that does not exist', ['--policies', '/nonexistent/policies', '--from', FROM, '--to', TO], /nonexistent/],
    ['a database URL that is not one', ['--revision', '1', '--from', FROM, '--to', TO, '--database-url', 'mysql://x'], /--database-url must be a postgres/],
    ['an unknown flag', ['--revision', '1', '--from', FROM, '--to', TO, '--colour'], /Unknown option '--colour'/],
  ])('exits 2 for %s', async (_what, args, message) => {
    const broken = join(work, 'broken.yaml');
    writeFileSync(broken, 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: x }\nspec: { podSelector: {}, ingress: [{ ports: [{ port: 70000 }] }] }\n');
    const withDatabase = args.includes('--database-url') ? args : [...args, '--database-url', url];
    const run = await runMain('whatif', ...withDatabase.map((a) => (a === 'BROKEN' ? broken : a)));
    expect(run.code, run.stdout).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('prints its usage with --help', async () => {
    const run = await runMain('whatif', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^usage: driftwatch whatif \(--policies <path> \| --revision <n>\)/);
    expect(run.stdout).toContain('Exit status: 3 when some allowed or denied traffic would become unexpected');
  });
});
