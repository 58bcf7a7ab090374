/**
 * GET /api/v1/reports/compliance over real HTTP and Postgres, on examples/shop: the tiered setup the guide users
 * follow (default deny per namespace, one policy per flow, both halves declared), its capture stored with rule
 * attribution, an open alert; then a revision with a namespace left open and a policy that selects nothing.
 */
import type { INestApplication } from '@nestjs/common';
import { AlertStore, FlowStore } from '@driftwatch/persistence';
import { complianceReportSchema } from '@driftwatch/contracts';
import { compileRevision, loadManifests, type ManifestSource } from '@driftwatch/policy-engine';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { call, createKey, startApi } from './support/api-app.js';
import { seedAlert } from '@driftwatch/testing';
import { ownDatabase, recordRevision, seedRecords, SHOP_WINDOW, shopFlows, shopSources } from './support/seed-flows.js';

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const range = (from: number, to: number) => `from=${encodeURIComponent(iso(from))}&to=${encodeURIComponent(iso(to))}`;
const SHOP_RULES = [
  'shop/allow-dns-egress#egress[0]',
  'shop/backend-egress-to-database#egress[0]',
  'shop/backend-egress-to-internet#egress[0]',
  'shop/backend-ingress-from-frontend#ingress[0]',
  'shop/database-ingress-from-backend#ingress[0]',
  'shop/frontend-egress-to-backend#egress[0]',
];

/** Revision 2: the shop, plus a namespace with a workload and no policy, and a shop policy for pods that do not exist. */
const EXTRAS: ManifestSource = {
  name: '70-extras.yaml',
  text: `
apiVersion: v1
kind: Namespace
metadata: { name: staging }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: batch, namespace: staging }
spec:
  selector: { matchLabels: { app: batch } }
  template:
    metadata: { labels: { app: batch } }
    spec: { containers: [{ name: batch, image: batch:1 }] }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: cache-ingress, namespace: shop }
spec:
  podSelector: { matchLabels: { app: cache } }
  ingress: [{ from: [{ podSelector: { matchLabels: { app: backend } } }], ports: [{ port: 6379 }] }]
`,
};

type Row = readonly [namespace: string, code: string, subject: string];

describe('GET /api/v1/reports/compliance on examples/shop', () => {
  let db: Awaited<ReturnType<typeof ownDatabase>>;
  let app: INestApplication;
  let base: string;
  let store: FlowStore;
  let alerts: AlertStore;
  let admin: string;
  let viewerShop: string;
  let alertId: string;
  let first: number;
  const get = (key: string | undefined, query: string) => call(`${base}?${query}`, key);
  const rows = (body: { findings: { namespace: string; code: string; subject: string }[] }): Row[] => body.findings.map((f) => [f.namespace, f.code, f.subject]);

  beforeAll(async () => {
    db = await ownDatabase(inject('serverUrl'));
    let url: string;
    ({ app, url } = await startApi(db.url));
    base = `${url}/api/v1/reports/compliance`;
    store = await FlowStore.open(db.url);
    alerts = AlertStore.open(db.url, 1);
    admin = (await createKey(db.url, 'admin')).key;
    viewerShop = (await createKey(db.url, 'viewer', ['shop'])).key;
    first = await recordRevision(store, shopSources());
    await seedRecords(store, compileRevision(loadManifests(shopSources()), { revision: first }), shopFlows(), { revisionId: first });
    alertId = (await seedAlert(alerts, 'shop', 'shop')).id;
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
    await alerts?.close();
    await db?.drop();
  });

  it('reports the shop as the guide wants it and kube-system, seen in its traffic, as open', async () => {
    const { status, body } = await get(admin, range(SHOP_WINDOW, SHOP_WINDOW + HOUR));
    expect(status).toBe(200);
    expect(complianceReportSchema.parse(body)).toEqual(body);
    expect(body).toMatchObject({ revision: { id: first }, attributedRecords: 7 });
    expect(body.namespaces).toEqual([
      {
        namespace: 'kube-system', declared: false, seenInTraffic: true, defaultDeny: { ingress: [], egress: [] },
        everyPodIsolated: { ingress: false, egress: false }, pods: { inventory: 0, traffic: 1 },
        unselectedPods: [{ name: 'coredns', kind: 'observed', source: 'traffic' }], policiesSelectingNothing: [],
        rules: { total: 0, unused: [] }, openAlerts: { count: 0, ids: [] },
      },
      {
        namespace: 'shop', declared: true, seenInTraffic: true, defaultDeny: { ingress: ['default-deny-all'], egress: ['default-deny-all'] },
        everyPodIsolated: { ingress: true, egress: true }, pods: { inventory: 3, traffic: 0 }, unselectedPods: [], policiesSelectingNothing: [],
        rules: { total: 6, unused: [] }, openAlerts: { count: 1, ids: [alertId] },
      },
    ]);
    expect(rows(body)).toEqual<Row[]>([
      ['kube-system', 'no_default_deny_ingress', 'kube-system'],
      ['kube-system', 'no_default_deny_egress', 'kube-system'],
      ['kube-system', 'pod_not_selected', 'observed/coredns'],
      ['shop', 'alert_open', alertId],
    ]);
  });

  it('finds every rule unused in a range without traffic, and only the declared namespaces', async () => {
    const { body } = await get(admin, range(SHOP_WINDOW + HOUR, SHOP_WINDOW + 2 * HOUR));
    expect(body.attributedRecords).toBe(0);
    expect(body.namespaces.map((n: { namespace: string }) => n.namespace)).toEqual(['shop']);
    expect(rows(body)).toEqual<Row[]>([...SHOP_RULES.map((rule): Row => ['shop', 'rule_unused', rule]), ['shop', 'alert_open', alertId]]);
  });

  it('answers the findings as CSV, one row each', async () => {
    const response = await fetch(`${base}?${range(SHOP_WINDOW, SHOP_WINDOW + HOUR)}&format=csv`, { headers: { authorization: `Bearer ${admin}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = (await response.text()).split('\r\n');
    expect(lines[0]).toBe('namespace,finding,subject,detail');
    expect(lines.slice(1, -1).map((line) => line.split(',').slice(0, 3))).toEqual([
      ['kube-system', 'no_default_deny_ingress', 'kube-system'],
      ['kube-system', 'no_default_deny_egress', 'kube-system'],
      ['kube-system', 'pod_not_selected', 'observed/coredns'],
      ['shop', 'alert_open', alertId],
    ]);
    expect(lines.at(-1)).toBe('');
  });

  it('shows a scoped key its namespaces only, and refuses another', async () => {
    const { body } = await get(viewerShop, range(SHOP_WINDOW, SHOP_WINDOW + HOUR));
    expect(body.namespaces.map((n: { namespace: string }) => n.namespace)).toEqual(['shop']);
    expect(rows(body)).toEqual<Row[]>([['shop', 'alert_open', alertId]]);
    expect(await get(viewerShop, `namespace=kube-system&${range(SHOP_WINDOW, SHOP_WINDOW + HOUR)}`)).toMatchObject({
      status: 403, body: { message: 'this key may not read namespace kube-system' },
    });
    const one = await get(admin, `namespace=kube-system&${range(SHOP_WINDOW, SHOP_WINDOW + HOUR)}`);
    expect(one.body.namespaces.map((n: { namespace: string }) => n.namespace)).toEqual(['kube-system']);
  });

  it('judges rules against the revision in force: a new one, its traffic, a namespace left open, a policy for no pod', async () => {
    const second = await recordRevision(store, [...shopSources(), EXTRAS]);
    // The capture again an hour later, judged against revision 2.
    await seedRecords(store, compileRevision(loadManifests([...shopSources(), EXTRAS]), { revision: second }), shopFlows(), { revisionId: second, shiftMs: HOUR });
    const { body } = await get(admin, range(SHOP_WINDOW, SHOP_WINDOW + 2 * HOUR));
    expect(body).toMatchObject({ revision: { id: second }, attributedRecords: 7 });
    expect(rows(body)).toEqual<Row[]>([
      ['kube-system', 'no_default_deny_ingress', 'kube-system'],
      ['kube-system', 'no_default_deny_egress', 'kube-system'],
      ['kube-system', 'pod_not_selected', 'observed/coredns'],
      ['shop', 'policy_selects_nothing', 'cache-ingress'],
      ['shop', 'rule_unused', 'shop/cache-ingress#ingress[0]'],
      ['shop', 'alert_open', alertId],
      ['staging', 'no_default_deny_ingress', 'staging'],
      ['staging', 'no_default_deny_egress', 'staging'],
      ['staging', 'pod_not_selected', 'Deployment/batch'],
    ]);
    const staging = body.namespaces.find((n: { namespace: string }) => n.namespace === 'staging');
    expect(staging).toMatchObject({ declared: true, seenInTraffic: false, pods: { inventory: 1, traffic: 0 } });
  });

  it.each([
    ['a bad format', 'format=xml', ['format']],
    ['an unknown field', 'colour=red', ['(root)']],
    ['a bad namespace', 'namespace=Not_A_Namespace', ['namespace']],
    ['to before from', range(SHOP_WINDOW, SHOP_WINDOW - HOUR), ['to']],
    ['a bad time', 'from=yesterday', ['from']],
  ])('answers 400 for %s', async (_name, query, paths) => {
    const { status, body } = await get(admin, query);
    expect(status).toBe(400);
    expect(body.issues.map((i: { path: string }) => i.path)).toEqual(paths);
  });

  it('answers 401 without a key and never 5xx to random queries', async () => {
    expect((await get(undefined, '')).status).toBe(401);
    const key = fc.constantFrom('namespace', 'from', 'to', 'format', 'x', 'namespace[]');
    const value = fc.oneof(fc.constantFrom('shop', 'kube-system', 'csv', 'json', iso(SHOP_WINDOW), ''), fc.string({ maxLength: 30 }));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(key, value), { maxLength: 4 }), fc.constantFrom(admin, viewerShop), async (pairs, who) => {
        const query = pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
        const response = await fetch(`${base}?${query}`, { headers: { authorization: `Bearer ${who}` } });
        await response.arrayBuffer();
        expect([200, 400, 403]).toContain(response.status);
      }),
      { numRuns: 80 },
    );
  });
});
