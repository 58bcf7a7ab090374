import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import {
  policyActivation, policyRevisionCreated, policyRevisionDetail, policyRevisionDiff, policyRevisionList, policyUnprocessable, POLICY_UPLOAD_MAX_BYTES,
} from '@driftwatch/contracts';
import { AlertStore } from '@driftwatch/persistence';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { z } from 'zod';
import { call, createKey, startApi } from './support/api-app.js';
import { backendIngress, broken, defaultDeny, frontendEgress, namespace } from './support/policy-manifests.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));
type Role = 'viewer' | 'operator' | 'admin' | 'scopedViewer';

let app: INestApplication;
let base: string;
let store: AlertStore;
const keys = {} as Record<Role, { key: string; prefix: string }>;

beforeAll(async () => {
  const started = await startApi(databaseUrl);
  app = started.app;
  base = `${started.url}/api/v1`;
  store = AlertStore.open(databaseUrl, 1);
  keys.viewer = await createKey(databaseUrl, 'viewer');
  keys.operator = await createKey(databaseUrl, 'operator');
  keys.admin = await createKey(databaseUrl, 'admin');
  keys.scopedViewer = await createKey(databaseUrl, 'viewer', ['elsewhere']);
});
afterAll(async () => {
  await store.close();
  await app.close();
});

/** A namespace of the test's own, so that revisions of other tests never share a content hash with it. */
const fresh = () => `ns-${randomBytes(4).toString('hex')}`;

function post(path: string, role: Role, body: unknown) {
  return call(`${base}${path}`, keys[role].key, { method: 'POST', body: JSON.stringify(body) });
}

function postYaml(path: string, role: Role, text: string | Buffer, contentType = 'application/yaml') {
  return call(`${base}${path}`, keys[role].key, { method: 'POST', body: text, headers: { 'content-type': contentType } });
}

const get = (path: string, role: Role = 'viewer') => call(`${base}${path}`, keys[role].key);

/**
 * A POST with a YAML type and no body at all: neither Content-Length nor Transfer-Encoding (fetch always sends one),
 * so the app's body parser has nothing to read. Resolves to the status and the parsed body of the answer.
 */
function postYamlWithoutBody(path: string, role: Role): Promise<{ status: number; body: { message?: string } }> {
  const url = new URL(`${base}${path}`);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(body) as { message?: string } });
    });
    socket.write(`POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${keys[role].key}\r\nContent-Type: application/yaml\r\nConnection: close\r\n\r\n`);
  });
}

/** Parses an answer with its contract's schema: what the docs say is what the API sends. */
function shaped<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new Error(`answer does not fit its contract: ${JSON.stringify(parsed.error.issues.slice(0, 5))}\n${JSON.stringify(body).slice(0, 500)}`);
  return parsed.data;
}

async function counts() {
  const [row] = await store.audit.list(1);
  const revisions = await store.revisions.list({ limit: 1 });
  return { lastAudit: row?.id ?? '0', lastRevision: revisions[0]?.id ?? 0 };
}

describe('POST /api/v1/policies', () => {
  it('makes a revision of JSON documents (201), stores them sorted by name, not in force; the same content again is that revision (200)', async () => {
    const ns = fresh();
    const documents = [
      { name: 'b.yaml', text: frontendEgress(ns) },
      { name: 'a.yaml', text: `${namespace(ns)}---\n${defaultDeny(ns)}` },
    ];
    const created = await post('/policies', 'operator', { documents });
    expect(created.status).toBe(201);
    const body = shaped(policyRevisionCreated, created.body);
    expect(body).toMatchObject({
      created: true,
      activated: false,
      problems: [],
      revision: { sourceKind: 'upload', sourcePath: null, gitCommit: null, policyCount: 2, problemCount: 0, active: false, activatedAt: null },
    });
    expect(body.revision.contentHash).toMatch(/^[0-9a-f]{64}$/);
    const detail = shaped(policyRevisionDetail, (await get(`/policies/${body.revision.id}`)).body);
    expect(detail.documents.map((d) => d.name)).toEqual(['a.yaml', 'b.yaml']);

    const again = await post('/policies', 'operator', { documents: [...documents].reverse() });
    expect(again.status).toBe(200);
    expect(shaped(policyRevisionCreated, again.body)).toMatchObject({ created: false, activated: false, revision: { id: body.revision.id } });

    const audit = await store.audit.page({ limit: 10, targetTypes: ['policy_revision'], targetId: String(body.revision.id) });
    expect(audit.map((e) => [e.action, e.actor])).toEqual([['policy.create', keys.operator.prefix]]);
    expect(audit[0]?.details).toMatchObject({ sourceKind: 'upload', documents: 2, policyCount: 2, problemCount: 0 });
  });

  it('takes the YAML itself (application/yaml or text/yaml), named by ?name=', async () => {
    const ns = fresh();
    const yaml = `${defaultDeny(ns)}---\n${frontendEgress(ns)}`;
    const created = await postYaml(`/policies?name=${encodeURIComponent('shop/policies.yaml')}`, 'operator', yaml, 'text/yaml; charset=utf-8');
    expect(created.status).toBe(201);
    const { revision } = shaped(policyRevisionCreated, created.body);
    expect(revision.policyCount).toBe(2);
    const detail = shaped(policyRevisionDetail, (await get(`/policies/${revision.id}`)).body);
    expect(detail.documents).toEqual([{ name: 'shop/policies.yaml', text: yaml }]);
    expect(detail.policies.map((p) => [p.namespace, p.name, p.directions.join('+'), p.ingressRules, p.egressRules, p.origin.document])).toEqual([
      [ns, 'default-deny', 'ingress+egress', 0, 0, 1],
      [ns, 'frontend-egress', 'egress', 0, 1, 2],
    ]);
    const unnamed = await postYaml('/policies', 'operator', `${defaultDeny(fresh())}`);
    expect(unnamed.status).toBe(201);
    expect(shaped(policyRevisionDetail, (await get(`/policies/${(unnamed.body as { revision: { id: number } }).revision.id}`)).body).documents[0]?.name).toBe('upload.yaml');
  });

  it('stores the problems of objects left out, and answers 422 with every problem when no valid policy remains', async () => {
    const ns = fresh();
    const partly = await post('/policies', 'operator', { documents: [{ name: 'p.yaml', text: `${defaultDeny(ns)}---\n${broken(ns)}` }] });
    expect(partly.status).toBe(201);
    const body = shaped(policyRevisionCreated, partly.body);
    expect(body.problems).toEqual([{ file: 'p.yaml', document: 2, path: 'spec.podSelector', code: 'missing_field', message: 'is required; use {} to select every pod of the namespace' }]);
    expect(body.revision).toMatchObject({ policyCount: 1, problemCount: 1 });
    expect(shaped(policyRevisionDetail, (await get(`/policies/${body.revision.id}`)).body).problems).toEqual(body.problems);

    const before = await counts();
    const refused = await post('/policies', 'operator', { documents: [{ name: 'x.yaml', text: broken(ns, 'one') }, { name: 'y.yaml', text: `${broken(ns, 'two')}---\n: [` }] });
    expect(refused.status).toBe(422);
    const error = shaped(policyUnprocessable, refused.body);
    expect(error.message).toMatch(/no valid NetworkPolicy remains/);
    expect(error.problems.map((p) => `${p.file}:${p.document}:${p.path}`)).toEqual(['y.yaml:2:', 'x.yaml:1:spec.podSelector', 'y.yaml:1:spec.podSelector']);
    const empty = await post('/policies', 'operator', { documents: [{ name: 'cm.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n' }] });
    expect(empty.status).toBe(422);
    expect(shaped(policyUnprocessable, empty.body)).toMatchObject({ message: 'no revision made: the documents declare no NetworkPolicy', problems: [] });
    expect(await counts()).toEqual(before);
  });

  it('refuses bad bodies with the one 400 shape, a YAML body over 8 MiB with 413, other content types with 415; nothing is written', async () => {
    const before = await counts();
    const cases: [unknown, string][] = [
      [{}, 'documents: '],
      [{ documents: [] }, 'documents: must hold at least one document'],
      [{ documents: [{ name: 'a', text: 'x' }, { name: 'a', text: 'y' }] }, 'documents.1.name: is used by an earlier document'],
      [{ documents: [{ name: 'a', text: 'kind: \u0000' }] }, 'documents.0.text: must not contain NUL characters'],
      [{ documents: [{ name: 'a\nb', text: 'x' }] }, 'documents.0.name: must not contain control characters'],
      [{ documents: [{ name: 'a', text: 'x' }], activate: 'yes' }, 'activate: must be true or false'],
      [{ documents: [{ name: 'a', text: 'x' }], extra: 1 }, '(root): unknown field(s) extra'],
    ];
    for (const [body, message] of cases) {
      const answer = await post('/policies', 'admin', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.message).toContain(message);
      expect(answer.body.issues.length).toBeGreaterThan(0);
    }
    const jsonWithQuery = await call(`${base}/policies?activate=true`, keys.admin.key, { method: 'POST', body: JSON.stringify({ documents: [{ name: 'a', text: 'x' }] }) });
    expect(jsonWithQuery.status).toBe(400);
    expect(jsonWithQuery.body.message).toMatch(/^invalid request: activate: is only for a YAML body/);
    expect((await postYaml('/policies', 'operator', 'kind: \u0000')).body.message).toContain('must not contain NUL characters');
    expect((await postYaml('/policies', 'operator', Buffer.from([0x6b, 0xff, 0xfe]))).body.message).toBe('invalid request: (root): the YAML body is not valid UTF-8');
    expect((await postYaml('/policies?name=', 'operator', 'x')).status).toBe(400);
    expect(await postYamlWithoutBody('/policies', 'operator')).toMatchObject({ status: 400, body: { message: 'invalid request: (root): a YAML body is required (the manifests)' } });

    const tooLarge = await postYaml('/policies', 'operator', Buffer.alloc(POLICY_UPLOAD_MAX_BYTES + 1, 0x20));
    expect(tooLarge).toMatchObject({ status: 413, body: { statusCode: 413, message: `the request body is larger than ${POLICY_UPLOAD_MAX_BYTES} bytes (the limit of this body type)` } });
    const plain = await postYaml('/policies', 'operator', 'x', 'text/plain');
    expect(plain).toMatchObject({ status: 415, body: { statusCode: 415 } });
    expect(plain.body.message).toMatch(/application\/json.*YAML/);
    expect((await postYaml('/policies', 'operator', 'x', 'application/yaml; charset=latin1')).status).toBe(415);
    expect(await counts()).toEqual(before);
  });

  it('needs an operator key; activate: true needs an admin key (403 before anything is written)', async () => {
    const ns = fresh();
    const documents = [{ name: 'a.yaml', text: defaultDeny(ns) }];
    const before = await counts();
    expect((await post('/policies', 'viewer', { documents })).status).toBe(403);
    expect((await postYaml('/policies', 'viewer', defaultDeny(ns))).status).toBe(403);
    const operator = await post('/policies', 'operator', { documents, activate: true });
    expect(operator.status).toBe(403);
    expect(operator.body.message).toMatch(/activate: true needs the admin role; the key has operator/);
    expect((await postYaml('/policies?activate=true', 'operator', defaultDeny(ns))).status).toBe(403);
    expect((await call(`${base}/policies`, undefined, { method: 'POST', body: JSON.stringify({ documents }) })).status).toBe(401);
    expect(await counts()).toEqual(before);

    const admin = await post('/policies', 'admin', { documents, activate: true });
    expect(admin.status).toBe(201);
    expect(shaped(policyRevisionCreated, admin.body)).toMatchObject({ created: true, activated: true, revision: { active: true } });
    const audit = await store.audit.page({ limit: 10, targetTypes: ['policy_revision'], targetId: String(admin.body.revision.id) });
    expect(audit.map((e) => e.action)).toEqual(['policy.activate', 'policy.create']);
  });
});

describe('POST /api/v1/policies/:rev/activate', () => {
  it('puts a revision in force (admin), records who and what was in force before, and is a no-op when it already is', async () => {
    const ns = fresh();
    const first = (await post('/policies', 'admin', { documents: [{ name: 'a.yaml', text: defaultDeny(ns) }], activate: true })).body.revision.id as number;
    const second = (await post('/policies', 'operator', { documents: [{ name: 'a.yaml', text: `${defaultDeny(ns)}---\n${frontendEgress(ns)}` }] })).body.revision.id as number;

    expect((await post(`/policies/${second}/activate`, 'operator', {})).status).toBe(403);
    expect((await post(`/policies/${second}/activate`, 'viewer', {})).status).toBe(403);
    const activated = await post(`/policies/${second}/activate`, 'admin', {});
    expect(activated.status).toBe(200);
    const body = shaped(policyActivation, activated.body);
    expect(body).toMatchObject({ previousRevisionId: first, changed: true, revision: { id: second, active: true } });
    expect(body.note).toMatch(/until the next activation, restart or SIGHUP/);
    expect(await store.revisions.active()).toMatchObject({ id: second });
    const [entry] = await store.audit.page({ limit: 1, actions: ['policy.activate'] });
    expect(entry).toMatchObject({ actor: keys.admin.prefix, targetType: 'policy_revision', targetId: String(second), details: { previousRevisionId: first } });

    const before = await counts();
    const again = shaped(policyActivation, (await post(`/policies/${second}/activate`, 'admin', {})).body);
    expect(again).toMatchObject({ changed: false, previousRevisionId: null, revision: { id: second, active: true } });
    expect(await counts()).toEqual(before);

    const list = shaped(policyRevisionList, (await get('/policies?limit=200')).body);
    expect(list.revisions.filter((r) => r.active).map((r) => r.id)).toEqual([second]);
    expect(list.revisions.find((r) => r.id === first)).toMatchObject({ active: false, activatedAt: expect.any(String) });
  });

  it('re-activating an older revision makes it the one in force again', async () => {
    const ns = fresh();
    const a = (await post('/policies', 'admin', { documents: [{ name: 'a.yaml', text: defaultDeny(ns) }], activate: true })).body.revision.id as number;
    const b = (await post('/policies', 'admin', { documents: [{ name: 'b.yaml', text: defaultDeny(ns) }], activate: true })).body.revision.id as number;
    expect(await store.revisions.active()).toMatchObject({ id: b });
    expect(shaped(policyActivation, (await post(`/policies/${a}/activate`, 'admin', {})).body)).toMatchObject({ previousRevisionId: b, changed: true });
    expect(await store.revisions.active()).toMatchObject({ id: a });
  });

  it('404 for an unknown revision, 400 for what is not a revision number', async () => {
    expect((await post('/policies/999999999/activate', 'admin', {})).status).toBe(404);
    const bad = await post('/policies/0x1/activate', 'admin', {});
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('invalid request: rev: must be a revision number (a positive integer)');
  });
});

describe('GET /api/v1/policies', () => {
  it('lists newest first with every field, a page at a time, to every key whatever its scope', async () => {
    const ns = fresh();
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const text = `${defaultDeny(ns)}---\n${frontendEgress(ns, 8000 + i)}`;
      ids.push((await post('/policies', 'operator', { documents: [{ name: 'p.yaml', text }] })).body.revision.id as number);
    }
    const first = shaped(policyRevisionList, (await get('/policies?limit=2', 'scopedViewer')).body);
    expect(first.revisions.map((r) => r.id)).toEqual([ids[2], ids[1]]);
    expect(first.revisions[0]).toMatchObject({ sourceKind: 'upload', policyCount: 2, problemCount: 0, active: false, activatedAt: null, createdAt: expect.any(String) });
    expect(first.nextCursor).toBe(String(ids[1]));
    const second = shaped(policyRevisionList, (await get(`/policies?limit=2&cursor=${first.nextCursor}`, 'scopedViewer')).body);
    expect(second.revisions[0]?.id).toBe(ids[0]);

    const all: number[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page: z.output<typeof policyRevisionList> = shaped(policyRevisionList, (await get(`/policies?limit=5${cursor ? `&cursor=${cursor}` : ''}`)).body);
      all.push(...page.revisions.map((r) => r.id));
      cursor = page.nextCursor;
    }
    expect(all).toEqual([...all].sort((a, b) => b - a));
    expect(new Set(all).size).toBe(all.length);
    expect(all).toEqual(expect.arrayContaining(ids));

    for (const query of ['limit=0', 'limit=201', 'cursor=abc', 'cursor=-1', 'other=1']) {
      const answer = await get(`/policies?${query}`);
      expect(answer.status, query).toBe(400);
    }
    expect((await get('/policies/12345678')).status).toBe(404);
    expect((await call(`${base}/policies`, undefined)).status).toBe(401);
  });
});

describe('GET /api/v1/policies/:rev/diff/:other', () => {
  it('names exactly the policies and rules that changed, on the parsed objects', async () => {
    const ns = fresh();
    const upload = async (...texts: string[]) =>
      (await post('/policies', 'operator', { documents: texts.map((text, i) => ({ name: `${i}.yaml`, text })) })).body.revision.id as number;
    const before = await upload(defaultDeny(ns), frontendEgress(ns), backendIngress(ns, [8080]));
    const after = await upload(defaultDeny(ns), backendIngress(ns, [8080, 8443]), namespace(ns), `${defaultDeny(ns).replace('default-deny', 'deny-2')}`);
    const answer = await get(`/policies/${before}/diff/${after}`, 'scopedViewer');
    expect(answer.status).toBe(200);
    const diff = shaped(policyRevisionDiff, answer.body);
    expect(diff.from.id).toBe(before);
    expect(diff.to.id).toBe(after);
    expect(diff.policies.added.map((p) => p.name)).toEqual(['deny-2']);
    expect(diff.policies.removed.map((p) => p.name)).toEqual(['frontend-egress']);
    expect(diff.policies.unchanged).toBe(1);
    expect(diff.policies.changed).toEqual([
      {
        namespace: ns,
        name: 'backend-ingress',
        ingress: [
          {
            change: 'changed',
            beforeIndex: 0,
            afterIndex: 0,
            before: { peers: [{ podSelector: { matchLabels: { app: 'frontend' }, matchExpressions: [] } }], ports: [{ protocol: 'TCP', port: 8080 }] },
            after: { peers: [{ podSelector: { matchLabels: { app: 'frontend' }, matchExpressions: [] } }], ports: [{ protocol: 'TCP', port: 8080 }, { protocol: 'TCP', port: 8443 }] },
          },
        ],
        egress: [],
      },
    ]);
    expect(diff.namespaces).toEqual({ added: [ns], removed: [], changed: [] });

    const same = shaped(policyRevisionDiff, (await get(`/policies/${after}/diff/${after}`)).body);
    expect(same.policies).toEqual({ added: [], removed: [], changed: [], unchanged: 3 });
    const missing = await get(`/policies/${before}/diff/99999999`);
    expect(missing).toMatchObject({ status: 404, body: { message: 'no policy revision 99999999' } });
    expect((await get(`/policies/${before}/diff/x`)).status).toBe(400);
  });
});
