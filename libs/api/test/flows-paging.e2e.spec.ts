import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import { encodeFlowRecordId, type FlowRecord } from '@driftwatch/contracts';
import { FlowStore, type FlowRecordRow } from '@driftwatch/persistence';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { call, createKey, startApi } from './support/api-app.js';
import { flowRecord, insertRecords } from './support/flow-records.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

describe('flow pages while records are stored, and hostile query strings', () => {
  let app: INestApplication;
  let api: string;
  let store: FlowStore;
  let admin: string;
  let scoped: string;
  const ns = `p${randomBytes(3).toString('hex')}`;
  const [A, B] = [`${ns}-a`, `${ns}-b`];
  beforeAll(async () => {
    const started = await startApi(databaseUrl, { rateLimitPerMinute: 0 }) // property runs send more than a key may a minute;
    app = started.app;
    api = `${started.url}/api/v1`;
    store = await FlowStore.open(databaseUrl);
    admin = (await createKey(databaseUrl, 'viewer', ['*'])).key;
    scoped = (await createKey(databaseUrl, 'viewer', [A])).key;
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  describe.each([
    ['the primary key order (no namespace)', '', 'admin'],
    ['the per-side index scans (namespace)', 'namespace', 'admin'],
    ['a scoped key', '', 'scoped'],
  ])('keyset pages through %s', (_what, filter, who) => {
    it('return every record stored before the first page exactly once, while more are stored between and during pages', async () => {
      const base = Date.UTC(2036, 0, 1) + Math.floor(Math.random() * 3000) * 86_400_000;
      const range = `from=${new Date(base).toISOString()}&to=${new Date(base + 3600_000).toISOString()}`;
      const window = (i: number) => new Date(base + (i % 60) * 10_000);
      const side = (i: number) => (i % 3 === 0 ? { srcNamespace: A, dstNamespace: B } : i % 3 === 1 ? { srcNamespace: B, dstNamespace: A } : { srcNamespace: B, dstNamespace: B });
      const visible = (r: FlowRecordRow) => filter === 'namespace' || who === 'scoped' ? r.srcNamespace === A || r.dstNamespace === A : true;
      const initial = Array.from({ length: 600 }, (_, i) => flowRecord(window(i * 7), { ...side(i), srcWorkload: 'w', dstWorkload: 'w', sampleFlowId: `init-${i}` }));
      await insertRecords(store, initial);
      let added = 0;
      const addSome = async (n: number) => {
        // windows old and new, so some land above the cursor and some below it
        const rows = Array.from({ length: n }, (_, j) => flowRecord(window(added + j * 13), { ...side(added + j), sampleFlowId: `new-${added + j}` }));
        added += n;
        await insertRecords(store, rows);
      };
      let paging = true;
      const background = (async () => {
        while (paging) await addSome(7);
      })();
      const seen: FlowRecord[] = [];
      let cursor: string | null = null;
      let pages = 0;
      try {
        do {
          const query: string = `${range}&limit=37${filter ? `&namespace=${A}` : ''}${cursor ? `&cursor=${cursor}` : ''}`;
          const { status, body } = await call(`${api}/flows?${query}`, who === 'scoped' ? scoped : admin);
          expect(status).toBe(200);
          seen.push(...(body.records as FlowRecord[]));
          cursor = body.nextCursor as string | null;
          pages += 1;
          await addSome(5);
        } while (cursor !== null && pages < 200);
      } finally {
        paging = false;
        await background;
      }
      expect(new Set(seen.map((r) => r.id)).size).toBe(seen.length);
      const seenNames = seen.map((r) => r.sampleFlowId);
      const expected = initial.filter(visible).map((r) => r.sampleFlowId);
      expect(expected.length).toBeGreaterThan(300);
      for (const name of expected) expect(seenNames.filter((n) => n === name)).toHaveLength(1);
      expect(seen.every((r) => who === 'admin' && filter === '' ? true : r.srcNamespace === A || r.dstNamespace === A)).toBe(true);
      expect(added).toBeGreaterThan(pages * 5 - 1);
    });
  });

  const keys = ['from', 'to', 'namespace', 'src', 'dst', 'port', 'protocol', 'label', 'kind', 'observed', 'revision', 'source', 'cluster', 'cursor', 'limit', 'format', 'max'];
  const wellFormed = fc.constantFrom(
    '2026-01-01T00:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '2026-13-01T00:00:00Z', ns, `${A}/web`, '10.0.0.1', '10.0.0.0/8',
    'fd00::/8', '::1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '0', '65535', '65536', '-1', '1e3', '0x10', ' ', '', 'allowed,denied', 'unlabeled',
    'unenforced-deny', 'dropped', 'TCP', 'csv', 'ndjson', encodeFlowRecordId({ windowStartMicros: '253402300799999999', id: '9223372036854775807' }),
    encodeFlowRecordId({ windowStartMicros: '0', id: '1' }), 'MTox', '\u0000', '%00', '\ud800', 'a\u0000b', 'x'.repeat(5000),
  );
  const value = fc.oneof(wellFormed, fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }));
  const query = fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 8 })), fc.oneof(value, fc.array(value, { maxLength: 3 })), { maxKeys: 6 });
  const encode = (q: Record<string, string | string[]>) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) for (const one of Array.isArray(v) ? v : [v]) params.append(k, one);
    return params.toString();
  };

  it.each(['flows', 'flows/export', 'connections', 'collectors'])('GET /%s never answers 5xx to any query string (property)', async (path) => {
    await fc.assert(
      fc.asyncProperty(query, fc.boolean(), async (q, raw) => {
        const text = raw ? Object.entries(q).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('%') : v}`).join('&') : encode(q);
        const response = await fetch(`${api}/${path}?${text}`, { headers: { authorization: `Bearer ${scoped}` } });
        const answer = await response.text();
        expect(response.status, `${path}?${text}: ${answer.slice(0, 300)}`).toBeLessThan(500);
        if (response.status === 200 && path === 'flows/export') expect(response.headers.get('content-disposition')).toMatch(/^attachment; /);
      }),
      { numRuns: 120 },
    );
  });

  it('GET /flows/{id}/evidence never answers 5xx to any id (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(value, fc.string({ unit: 'grapheme', maxLength: 30 })), async (id) => {
        const response = await fetch(`${api}/flows/${encodeURIComponent(id.replace(/[\ud800-\udfff]/g, '\ufffd'))}/evidence`, { headers: { authorization: `Bearer ${scoped}` } });
        await response.arrayBuffer();
        expect(response.status, id).toBeLessThan(500);
        expect([400, 404]).toContain(response.status);
      }),
      { numRuns: 150 },
    );
  });
});

