import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadIngestApi } from '@driftwatch/collector';
import { randomBytes } from 'node:crypto';
import { dropDatabase, ensureDatabase, FlowStore, withDatabase } from '@driftwatch/persistence';
import { encodeGetFlowsResponse, parseHubbleJsonLines, unusedPort } from '@driftwatch/testing';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServe } from './run-cli.js';

const shop = join(import.meta.dirname, '..', '..', '..', 'examples', 'shop');
// A database of its own: its collection puts its revisions in force (start, SIGHUP), which every collection on
// the same database follows, so it must not share one with tests that collect against other policies.
const serverUrl = inject('serverUrl');
const databaseName = `driftwatch_serve_collectors_${randomBytes(4).toString('hex')}`;
const databaseUrl = withDatabase(serverUrl, databaseName);
beforeAll(() => ensureDatabase(serverUrl, databaseName, { template: inject('templateDatabase') }));
afterAll(() => dropDatabase(serverUrl, databaseName));


/** Publishes Hubble responses to a driftwatch.v1.Ingest server and resolves with its summary. */
function publish(address: string, frames: Buffer[]): Promise<{ received: string; accepted: string; rejected: string }> {
  const method = loadIngestApi().Ingest.service['Publish']!;
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const call = client.makeClientStreamRequest(method.path, (frame: Buffer) => frame, method.responseDeserialize as (b: Buffer) => never, (error, summary) => {
      client.close();
      if (error) reject(error);
      else resolve(summary as unknown as { received: string; accepted: string; rejected: string });
    });
    for (const frame of frames) call.write(frame);
    call.end();
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('driftwatch serve with flow sources from the environment', () => {
  const policyDir = mkdtempSync(join(tmpdir(), 'driftwatch-policies-'));
  afterAll(() => rmSync(policyDir, { recursive: true, force: true }));

  it('runs the ingest server into Postgres and reloads the policies on SIGHUP', async () => {
    cpSync(join(shop, 'policies'), policyDir, { recursive: true });
    const port = await unusedPort();
    const server = await startServe({ DATABASE_URL: databaseUrl, PORT: '0', LOG_LEVEL: 'log', INGEST_LISTEN: `127.0.0.1:${port}`, POLICY_DIR: policyDir, FLOW_WINDOW_SECONDS: '0' });
    const store = await FlowStore.open(databaseUrl);
    try {
      expect(server.output()).toContain(`flow sources: ingest 127.0.0.1:${port}`);
      const frames = parseHubbleJsonLines(readFileSync(join(shop, 'flows.jsonl'), 'utf8')).map((m) => encodeGetFlowsResponse(m));
      expect(await publish(`127.0.0.1:${port}`, frames)).toEqual({ received: '16', accepted: '16', rejected: '0' }); // uint64 as strings (longs: String)
      const ids = ['5e6f7a8b', '7a8b9c0d']; // lines 13 and 15 of flows.jsonl: the two kinds of drift
      const drift = await until('the drift records', async () => {
        const rows = (await store.flowRecords.list(10_000)).filter((r) => r.source === 'hubble' && ids.some((id) => r.sampleFlowId?.startsWith(id)));
        return rows.length === 2 ? rows : undefined;
      });
      expect(drift.map((r) => r.driftKind).sort()).toEqual(['unenforced-deny', 'unexpected-drop']);

      writeFileSync(
        join(policyDir, '70-frontend-to-database.yaml'),
        'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: frontend-to-database, namespace: shop }\nspec:\n  podSelector: { matchLabels: { app: frontend } }\n  policyTypes: [Egress]\n  egress: [{ to: [{ podSelector: { matchLabels: { app: database } } }], ports: [{ port: 5432 }] }]\n',
      );
      server.signal('SIGHUP');
      const reloaded = await until('the reload', async () => /policies: now revision (\d+) \(8 policies\)/.exec(server.output()) ?? undefined);

      // A reload with errors keeps the running revision and says why.
      writeFileSync(join(policyDir, '80-broken.yaml'), 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: broken, namespace: shop }\nspec: {}\n');
      server.signal('SIGHUP');
      await until('the refused reload', async () => (/policy problem: .*80-broken\.yaml:1:spec\.podSelector: is required/.test(server.output()) ? true : undefined));
      expect(server.output()).toMatch(new RegExp(` ERROR policies: reload refused, keeping revision ${reloaded[1]}: 1 problem\\(s\\) in `));
      expect(server.output().match(/policies: now revision/g)).toHaveLength(1);
    } finally {
      await store.close();
      expect(await server.stop()).toBe(0);
    }
  });
});
