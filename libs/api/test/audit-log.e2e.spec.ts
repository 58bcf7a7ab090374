import type { INestApplication } from '@nestjs/common';
import { AUDIT_ACTIONS, auditLogPage } from '@driftwatch/contracts';
import { AlertStore } from '@driftwatch/persistence';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { call, createKey, startApi } from './support/api-app.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

let app: INestApplication;
let base: string;
let store: AlertStore;
let admin: { key: string; prefix: string };

beforeAll(async () => {
  const started = await startApi(databaseUrl);
  app = started.app;
  base = `${started.url}/api/v1`;
  store = AlertStore.open(databaseUrl, 1);
  admin = await createKey(databaseUrl, 'admin');
});
afterAll(async () => {
  await store.close();
  await app.close();
});

async function page(query: string, key = admin.key) {
  const answer = await call(`${base}/audit-log${query ? `?${query}` : ''}`, key);
  if (answer.status !== 200) return answer;
  return { status: answer.status, body: auditLogPage.parse(answer.body) };
}

/**
 * Writes audit rows at chosen times, one statement each (ids grow with them). Writers stamp `at` with the time
 * of their transaction, so the time filters need rows from another day: written here on the store's own pool
 * (the tests of libs/api may not open a SQL driver themselves).
 */
async function seed(rows: { actor: string; action: string; targetType: string; targetId: string; at: string }[]): Promise<string[]> {
  const sql = store.audit['sql'];
  const ids: string[] = [];
  for (const row of rows) {
    const [inserted] = await sql<{ id: string }[]>`
      insert into audit_log (actor, action, target_type, target_id, details, at)
      values (${row.actor}, ${row.action}, ${row.targetType}, ${row.targetId}, ${sql.json({ seeded: true })}, ${row.at}::timestamptz)
      returning id::text`;
    ids.push((inserted as { id: string }).id);
  }
  return ids;
}

describe('GET /api/v1/audit-log', () => {
  it('is for admin keys with every namespace only', async () => {
    const viewer = await createKey(databaseUrl, 'viewer');
    const operator = await createKey(databaseUrl, 'operator');
    const scopedAdmin = await createKey(databaseUrl, 'admin', ['shop']);
    expect((await page('', viewer.key)).status).toBe(403);
    expect((await page('', operator.key)).status).toBe(403);
    const scoped = await page('', scopedAdmin.key);
    expect(scoped.status).toBe(403);
    expect((scoped.body as { message: string }).message).toMatch(/every namespace/);
    expect((await call(`${base}/audit-log`, undefined)).status).toBe(401);
    const ok = await page('');
    expect(ok.status).toBe(200);
    // Creating the keys above was audited (as `test`, the helper's actor), newest first.
    const entries = (ok.body as { entries: { action: string; targetId: string | null }[] }).entries;
    expect(entries.slice(0, 3).map((e) => [e.action, e.targetId])).toEqual([
      ['key.create', scopedAdmin.prefix],
      ['key.create', operator.prefix],
      ['key.create', viewer.prefix],
    ]);
  });

  it('filters by time, action, actor, target type and id, and pages newest first without gaps or repeats', async () => {
    const actor = `seed-${Date.now()}`;
    const ids = await seed([
      { actor, action: 'policy.create', targetType: 'policy_revision', targetId: '7', at: '2001-01-01T00:00:00Z' },
      { actor, action: 'policy.activate', targetType: 'policy_revision', targetId: '7', at: '2001-01-02T00:00:00Z' },
      { actor, action: 'webhook.create', targetType: 'webhook', targetId: '3', at: '2001-01-03T00:00:00Z' },
      { actor, action: 'policy.activate', targetType: 'policy_revision', targetId: '8', at: '2001-01-04T00:00:00Z' },
      { actor: 'someone-else', action: 'policy.activate', targetType: 'policy_revision', targetId: '9', at: '2001-01-04T12:00:00Z' },
    ]);
    const found = async (query: string) => ((await page(query)).body as { entries: { id: string }[] }).entries.map((e) => ids.indexOf(e.id));
    const window = 'from=2001-01-01T00:00:00Z&to=2001-01-05T00:00:00Z';
    expect(await found(window)).toEqual([4, 3, 2, 1, 0]);
    expect(await found(`${window}&actor=${actor}`)).toEqual([3, 2, 1, 0]);
    expect(await found(`${window}&action=policy.activate`)).toEqual([4, 3, 1]);
    expect(await found(`${window}&action=policy.activate,webhook.create&actor=${actor}`)).toEqual([3, 2, 1]);
    expect(await found(`${window}&action=policy.create&action=webhook.create`)).toEqual([2, 0]);
    expect(await found(`${window}&targetType=webhook`)).toEqual([2]);
    expect(await found(`${window}&targetType=policy_revision&targetId=7`)).toEqual([1, 0]);
    expect(await found('from=2001-01-02T00:00:00Z&to=2001-01-04T00:00:00Z')).toEqual([2, 1]);
    expect(await found('from=2001-01-02T01:00:00%2B01:00&to=2001-01-02T00:00:01Z')).toEqual([1]);

    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const answer = await page(`${window}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      const body = answer.body as { entries: { id: string }[]; nextCursor: string | null };
      expect(body.entries.length).toBeLessThanOrEqual(2);
      seen.push(...body.entries.map((e) => ids.indexOf(e.id)));
      cursor = body.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual([4, 3, 2, 1, 0]);
  });

  it('answers the one 400 for a bad filter', async () => {
    const cases: [string, string][] = [
      ['action=policy.delete', 'action.0: must be one of'],
      ['targetType=alerts', 'targetType.0: must be one of'],
      ['from=yesterday', 'from: must be an ISO 8601 date-time'],
      ['from=2001-01-02T00:00:00Z&to=2001-01-01T00:00:00Z', 'to: must be after from'],
      ['limit=501', 'limit: must be from 1 to 500'],
      ['cursor=0', 'cursor: must be an audit entry id'],
      ['actor=', 'actor: must not be empty'],
      ['action=', 'action: must name at least one'],
      ['nope=1', 'unknown field(s) nope'],
    ];
    for (const [query, message] of cases) {
      const answer = await page(query);
      expect(answer.status, query).toBe(400);
      expect((answer.body as { message: string }).message, query).toContain(message);
    }
  });

  it('knows every action it can be asked for', () => {
    expect(AUDIT_ACTIONS).toEqual(expect.arrayContaining(['key.create', 'key.revoke', 'alert.acknowledged', 'webhook.create', 'policy.create', 'policy.activate']));
  });
});
