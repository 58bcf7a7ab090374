/** Issue 11, item 2: a raw body with NUL or a lone surrogate anywhere is still stored as evidence (jsonb refuses both). */
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { jsonbText } from '../src/flows/evidence.repository.js';
import { FlowStore, type EvidenceRow } from '../src/index.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

let store: FlowStore;
beforeAll(async () => {
  store = await FlowStore.open(databaseUrl);
});
afterAll(() => store.close());

describe('evidence bodies as jsonb', () => {
  it.each([
    ['NUL', { a: 'x\u0000y' }, { a: 'x\ufffdy' }],
    ['a lone high surrogate', { a: 'x\ud800' }, { a: 'x\ufffd' }],
    ['a lone low surrogate in a key', { ['k\udc00']: 1 }, { ['k\ufffd']: 1 }],
    ['a backslash before u0000 text (not an escape)', { a: '\\u0000' }, { a: '\\u0000' }],
    ['an escaped backslash, then NUL', { a: '\\\u0000' }, { a: '\\\ufffd' }],
    ['a surrogate pair (kept)', { a: '😀' }, { a: '😀' }],
    ['nothing to change', { a: [1, 'b', null] }, { a: [1, 'b', null] }],
  ])('%s', (_name, value, expected) => {
    expect(JSON.parse(jsonbText(value))).toEqual(expected);
  });

  it('stores a body whose unread fields hold NUL and lone surrogates', async () => {
    const row: EvidenceRow = {
      observedAt: new Date('2019-05-06T12:00:00.000Z'), flowId: 'evidence-jsonb-1', source: 'hubble', direction: 'egress', label: 'unexpected',
      driftKind: 'unenforced-deny', srcNamespace: 'shop', srcWorkload: 'frontend', dstNamespace: 'shop', dstWorkload: 'db',
      policyRevisionId: null, body: { flow: { l7: { http: { url: '/a\u0000b\ud800' } } } }, explanation: { text: 'x\u0000' },
    };
    await store.evidence.insert([row]);
    expect(await store.evidence.byFlowId('evidence-jsonb-1')).toEqual([
      { label: 'unexpected', driftKind: 'unenforced-deny', body: { flow: { l7: { http: { url: '/a\ufffdb\ufffd' } } } }, explanation: { text: 'x\ufffd' } },
    ]);
  });
});
