/**
 * POST /api/v1/whatif over real HTTP and Postgres: the shop capture stored (one window judged with identities,
 * one more with identities, one written the old way without), judged again against candidates.
 */
import type { INestApplication } from '@nestjs/common';
import { whatIfResultSchema } from '@driftwatch/contracts';
import { FlowStore } from '@driftwatch/persistence';
import { compileRevision, loadManifests } from '@driftwatch/policy-engine';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { call, createKey, startApi } from './support/api-app.js';
import { ownDatabase, recordRevision, seedRecords, SHOP_WINDOW, shopFlows, shopSources } from './support/seed-flows.js';

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
/** The first two windows (identities kept) and the third (written without identities). */
const exact = { from: iso(SHOP_WINDOW), to: iso(SHOP_WINDOW + 2 * HOUR) };
const withOld = { from: iso(SHOP_WINDOW), to: iso(SHOP_WINDOW + 3 * HOUR) };

/** The shop policies without the rule that lets backend reach database (backend-egress-to-database). */
function withoutDatabaseEgress() {
  return shopSources().map((s) =>
    s.name === '50-backend.yaml' ? { ...s, text: s.text.replace(/---\n# backend → database[\s\S]*?---\n/, '---\n') } : s,
  );
}

describe('POST /api/v1/whatif', () => {
  let db: Awaited<ReturnType<typeof ownDatabase>>;
  let app: INestApplication;
  let url: string;
  let store: FlowStore;
  let admin: string;
  let viewerShop: string;
  let viewerElsewhere: string;
  let revision: number;
  const post = (key: string | undefined, body: unknown) => call(url, key, { method: 'POST', body: JSON.stringify(body) });

  beforeAll(async () => {
    db = await ownDatabase(inject('serverUrl'));
    ({ app, url } = await startApi(db.url));
    url = `${url}/api/v1/whatif`;
    store = await FlowStore.open(db.url);
    admin = (await createKey(db.url, 'admin')).key;
    viewerShop = (await createKey(db.url, 'viewer', ['shop'])).key;
    viewerElsewhere = (await createKey(db.url, 'viewer', ['elsewhere'])).key;
    revision = await recordRevision(store, shopSources());
    const snapshot = compileRevision(loadManifests(shopSources()), { revision });
    const flows = shopFlows();
    await seedRecords(store, snapshot, flows, { revisionId: revision });
    await seedRecords(store, snapshot, flows, { revisionId: revision, shiftMs: HOUR });
    await seedRecords(store, snapshot, flows, { revisionId: revision, shiftMs: 2 * HOUR, identities: false });
    // Traffic of another namespace, outside the shop's scope: elsewhere/client → elsewhere/server, allowed there.
    const elsewhere = flows.slice(0, 1).map((f) => ({
      ...f, src: { ...f.src, namespace: 'elsewhere', workload: { name: 'client', kind: 'Deployment', inferred: false } },
      dst: { ...f.dst, namespace: 'elsewhere', workload: { name: 'server', kind: 'Deployment', inferred: false } },
    }));
    await seedRecords(store, snapshot, elsewhere, { revisionId: revision, shiftMs: HOUR / 2 });
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
    await db?.drop();
  });

  it('answers 401 without a key', async () => {
    expect((await post(undefined, { candidate: { revision }, ...exact })).status).toBe(401);
  });

  it('finds no transition for the revision the records were judged with, by number or inline', async () => {
    for (const candidate of [{ revision }, { documents: shopSources() }]) {
      const { status, body } = await post(admin, { candidate, ...exact });
      expect(status).toBe(200);
      expect(whatIfResultSchema.parse(body)).toEqual(body);
      expect(body).toMatchObject({
        candidate: { revision: 'revision' in candidate ? revision : null, policies: 7 },
        transitions: [], namespaces: '*', becomeUnexpected: 0,
        totals: { records: 25, flows: 25, unchanged: 25, approximate: 0 },
      });
    }
  });

  it('reports exactly the connection a removed allow rule stops admitting, summed over its windows', async () => {
    const { status, body } = await post(admin, { candidate: { documents: withoutDatabaseEgress() }, ...exact });
    expect(status).toBe(200);
    expect(body.transitions).toEqual([
      {
        from: 'allowed', to: 'unexpected', records: 2, flows: 2,
        samples: [{ src: { namespace: 'shop', workload: 'backend', ip: null }, dst: { namespace: 'shop', workload: 'database', ip: null }, port: 5432, protocol: 'TCP', flows: 2 }],
      },
    ]);
    expect(body).toMatchObject({ becomeUnexpected: 2, totals: { records: 25, unchanged: 23, approximate: 0 } });
  });

  it('judges records written without identities from the candidate inventory, counted as approximate', async () => {
    const { body } = await post(admin, { candidate: { revision }, ...withOld });
    // The third window: 12 records without identities; kube-system/coredns is not in the manifests, so the DNS
    // record loses the labels (k8s-app=kube-dns) its flow carried and allow-dns-egress no longer matches it.
    expect(body.totals).toMatchObject({ records: 37, unchanged: 36, approximate: 12 });
    expect(body.transitions).toEqual([
      expect.objectContaining({ from: 'allowed', to: 'unexpected', records: 1, samples: [expect.objectContaining({ dst: { namespace: 'kube-system', workload: 'coredns', ip: null } })] }),
    ]);
  });

  it('reads only the namespaces of a scoped key, and refuses a namespace outside its scope', async () => {
    const shop = await post(viewerShop, { candidate: { revision }, ...exact });
    expect(shop.status).toBe(200);
    expect(shop.body).toMatchObject({ namespaces: ['shop'], totals: { records: 24 } });
    const elsewhere = await post(viewerElsewhere, { candidate: { documents: withoutDatabaseEgress() }, ...exact });
    expect(elsewhere.body).toMatchObject({ namespaces: ['elsewhere'], transitions: [], totals: { records: 1 } });
    const refused = await post(viewerShop, { candidate: { revision }, ...exact, namespaces: ['shop', 'elsewhere'] });
    expect(refused).toMatchObject({ status: 403, body: { message: 'this key may not read namespace elsewhere' } });
    const narrowed = await post(admin, { candidate: { revision }, ...exact, namespaces: ['elsewhere'] });
    expect(narrowed.body).toMatchObject({ namespaces: ['elsewhere'], totals: { records: 1 } });
  });

  it('answers 404 for an unknown revision', async () => {
    const { status, body } = await post(admin, { candidate: { revision: 999_999 }, ...exact });
    expect(status).toBe(404);
    expect(body.message).toBe('no policy revision 999999');
  });

  it('refuses a candidate with problems, listing them by document', async () => {
    const bad = [...shopSources(), { name: 'broken.yaml', text: 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: x }\nspec: { podSelector: {}, ingress: [{ ports: [{ port: 70000 }] }] }\n' }];
    const { status, body } = await post(admin, { candidate: { documents: bad }, ...exact });
    expect(status).toBe(400);
    expect(body.issues).toEqual([{ path: 'candidate.documents.7', message: expect.stringMatching(/^broken\.yaml:1:spec\.ingress\[0\]\.ports\[0\]\.port: /) }]);
  });

  it.each([
    ['to before from', { candidate: { revision: 1 }, from: exact.to, to: exact.from }, ['to']],
    ['a range over 31 days', { candidate: { revision: 1 }, from: iso(SHOP_WINDOW), to: iso(SHOP_WINDOW + 32 * 24 * HOUR) }, ['to']],
    ['no candidate', { from: exact.from, to: exact.to }, ['candidate']],
    ['both kinds of candidate', { candidate: { revision: 1, documents: [] }, ...exact }, ['candidate']],
    ['a time without zone', { candidate: { revision: 1 }, from: '2026-03-02T10:00:00', to: exact.to }, ['from']],
    ['a bad namespace and an unknown field', { candidate: { revision: 1 }, ...exact, namespaces: ['Shop!'], extra: 1 }, ['(root)', 'namespaces.0']],
  ])('answers 400 for %s', async (_name, body, paths) => {
    const { status, body: answer } = await post(admin, body);
    expect(status).toBe(400);
    expect(answer.message).toMatch(/^invalid request: /);
    expect(answer.issues.map((i: { path: string }) => i.path).sort()).toEqual(paths);
  });

  it('never answers 5xx to random bodies', async () => {
    const time = fc.oneof(fc.constantFrom(exact.from, exact.to, '2026-13-01T00:00:00Z', '', 'now'), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()));
    const candidate = fc.oneof(
      fc.record({ revision: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(revision)) }),
      fc.record({ documents: fc.array(fc.record({ name: fc.string(), text: fc.oneof(fc.string(), fc.constant('kind: NetworkPolicy\n')) }), { maxLength: 3 }) }),
      fc.anything(),
    );
    const body = fc.oneof(
      fc.record({ candidate, from: time, to: time, namespaces: fc.option(fc.array(fc.oneof(fc.constantFrom('shop', 'elsewhere'), fc.string()), { maxLength: 3 }), { nil: undefined }) }, { requiredKeys: [] }),
      fc.anything(),
    );
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom(admin, viewerShop), async (value, key) => {
        const { status } = await call(url, key, { method: 'POST', body: JSON.stringify(value) ?? 'null', headers: { 'content-type': 'application/json' } });
        expect([200, 400, 403, 404]).toContain(status);
      }),
      { numRuns: 80 },
    );
  });
});
