import type { INestApplication } from '@nestjs/common';
import { AlertStore } from '@driftwatch/persistence';
import fc from 'fast-check';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKey, startApi } from './support/api-app.js';
import { defaultDeny } from './support/policy-manifests.js';

/**
 * Random and malformed input to every route of policies and the audit log: never a 5xx, and a refused write
 * leaves policy_revisions and audit_log exactly as they were (an accepted one adds what it says it made).
 */
const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

let app: INestApplication;
let base: string;
let store: AlertStore;
let adminKey = '';
let operatorKey = '';

beforeAll(async () => {
  const started = await startApi(databaseUrl);
  app = started.app;
  base = `${started.url}/api/v1`;
  store = AlertStore.open(databaseUrl, 1);
  adminKey = (await createKey(databaseUrl, 'admin')).key;
  operatorKey = (await createKey(databaseUrl, 'operator')).key;
});
afterAll(async () => {
  await store.close();
  await app.close();
});

async function rowCounts(): Promise<{ revisions: number; audit: number }> {
  const sql = store.audit['sql'];
  const [row] = await sql<{ revisions: number; audit: number }[]>`
    select (select count(*) from policy_revisions)::int as revisions, (select count(*) from audit_log)::int as audit`;
  return row as { revisions: number; audit: number };
}

async function send(method: string, path: string, key: string, body?: string | Uint8Array, contentType?: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(contentType ? { 'content-type': contentType } : {}) },
    ...(body === undefined ? {} : { body }),
  });
  return { status: response.status, text: await response.text() };
}

/** A write's effect on the two tables: nothing when refused; one revision (and its audit) when made. */
async function expectWriteEffect(write: () => Promise<{ status: number; text: string }>): Promise<void> {
  const before = await rowCounts();
  const { status, text } = await write();
  expect(status, text).toBeLessThan(500);
  const after = await rowCounts();
  if (status >= 400) {
    expect(after, `refused with ${status} but wrote: ${text.slice(0, 300)}`).toEqual(before);
    const body = JSON.parse(text) as { statusCode: number; message: string };
    expect(body.statusCode).toBe(status);
    expect(typeof body.message).toBe('string');
    return;
  }
  const answer = JSON.parse(text) as { created?: boolean; activated?: boolean; changed?: boolean };
  const revisions = answer.created ? 1 : 0;
  const audits = revisions + (answer.activated || answer.changed ? 1 : 0);
  expect(after).toEqual({ revisions: before.revisions + revisions, audit: before.audit + audits });
}

/** YAML-ish text: fragments of manifests, YAML syntax and noise, joined at random. */
const yamlish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'apiVersion: networking.k8s.io/v1\n', 'kind: NetworkPolicy\n', 'kind: List\nitems:\n', 'metadata: { name: p, namespace: shop }\n',
        'spec: { podSelector: {} }\n', 'spec:\n  ingress: [{ from: [{ ipBlock: { cidr: 10.0.0.0/33 } }] }]\n', '---\n', '- ', '  ', ': ', '{', '}', '[', ']',
        '&a ', '*a ', '!!binary ', '%YAML 1.1\n', '? ', '|\n', '"\\u0000"', '\t', '\ufeff', 'port: 99999\n', 'endPort: 1\n', defaultDeny('prop'),
      ),
      fc.string({ maxLength: 20 }),
      fc.string({ unit: 'grapheme', maxLength: 10 }),
    ),
    { maxLength: 25 },
  )
  .map((parts) => parts.join(''));

const documentsBody = fc.record(
  {
    documents: fc.array(fc.record({ name: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('a.yaml', 'b.json', '')), text: yamlish }, { requiredKeys: [] }), { maxLength: 4 }),
    activate: fc.oneof(fc.boolean(), fc.constantFrom('true', 1, null)),
    extra: fc.anything(),
  },
  { requiredKeys: [] },
);

describe('policy and audit routes under random input', { timeout: 120_000 }, () => {
  it('POST /policies with random JSON: never a 5xx, never a partial write', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(documentsBody, fc.jsonValue()), fc.boolean(), async (body, asAdmin) => {
        await expectWriteEffect(() => send('POST', '/policies', asAdmin ? adminKey : operatorKey, JSON.stringify(body), 'application/json'));
      }),
      { numRuns: 60, examples: [[{ documents: [{ name: 'p.yaml', text: defaultDeny('prop-json') }], activate: true }, true]] },
    );
  });

  it('POST /policies with random YAML text, broken JSON and odd content types: never a 5xx, never a partial write', async () => {
    const contentType = fc.constantFrom('application/yaml', 'text/yaml', 'application/x-yaml; charset=utf-8', 'application/json', 'text/plain', 'application/yaml; charset=utf-16');
    const query = fc.constantFrom('', '?activate=true', '?activate=maybe', '?name=x.yaml', '?name=%00', '?name=a%0Ab', '?other=1');
    const raw = fc.oneof(yamlish.map((s) => Buffer.from(s)), fc.uint8Array({ maxLength: 64 }));
    await fc.assert(
      fc.asyncProperty(raw, contentType, query, fc.boolean(), async (body, type, q, asAdmin) => {
        await expectWriteEffect(() => send('POST', `/policies${q}`, asAdmin ? adminKey : operatorKey, body, type));
      }),
      { numRuns: 80, examples: [[Buffer.from(defaultDeny('prop-yaml')), 'application/yaml', '?activate=true', true]] },
    );
  });

  it('random revision ids and queries on every route: never a 5xx; activation writes only what it reports', async () => {
    const segment = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('1', '0', '-1', '1e3', '99999999999999999999', '1.5', ' 1', '%00', 'NaN'), fc.nat().map(String));
    const query = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom('limit=1', 'limit=0', 'limit=abc', 'cursor=1', 'cursor=-5', 'limit=2&limit=3', 'cursor[]=1', 'from=2020-01-01T00:00:00Z&to=2019-01-01T00:00:00Z', 'action=policy.create,nope', 'targetType=webhook&targetId='),
    );
    await fc.assert(
      fc.asyncProperty(segment, segment, query, async (rev, other, q) => {
        const id = encodeURIComponent(rev);
        const reads = await Promise.all([
          send('GET', `/policies/${id}`, adminKey),
          send('GET', `/policies/${id}/diff/${encodeURIComponent(other)}`, adminKey),
          send('GET', `/policies?${encodeURI(q)}`, adminKey),
          send('GET', `/audit-log?${encodeURI(q)}`, adminKey),
        ]);
        for (const read of reads) expect(read.status, read.text).toBeLessThan(500);
        await expectWriteEffect(() => send('POST', `/policies/${id}/activate`, adminKey));
      }),
      { numRuns: 60, examples: [['1', '2', 'limit=1']] },
    );
  });
});
