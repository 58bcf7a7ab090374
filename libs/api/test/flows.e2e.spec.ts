import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { decodeFlowRecordId, encodeFlowRecordId, type FlowRecord } from '@driftwatch/contracts';
import { FlowStore, type FlowRecordRow } from '@driftwatch/persistence';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { call, createKey, startApi } from './support/api-app.js';
import { evidenceOf, flowRecord, insertRecords } from './support/flow-records.js';
import { parseCsv } from './support/csv.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

/** A day of its own in the default partition, so no other test's records fall in the ranges queried here. */
const BASE = Date.UTC(2035, 0, 1) + Math.floor(Math.random() * 3000) * 86_400_000;
const at = (seconds: number) => new Date(BASE + seconds * 1000);
const iso = (seconds: number) => encodeURIComponent(at(seconds).toISOString());
const RANGE = `from=${iso(0)}&to=${iso(3600)}`;

describe('flow records over real HTTP', () => {
  let app: INestApplication;
  let api: string;
  let store: FlowStore;
  const ns = `t${randomBytes(3).toString('hex')}`;
  const [A, B, C] = [`${ns}-a`, `${ns}-b`, `${ns}-c`];
  let admin: string;
  let onlyA: string;
  let onlyC: string;
  /** The seeded records by name (sampleFlowId), as stored. */
  const seeded: Record<string, FlowRecordRow> = {};

  beforeAll(async () => {
    const started = await startApi(databaseUrl);
    app = started.app;
    api = `${started.url}/api/v1`;
    store = await FlowStore.open(databaseUrl);
    admin = (await createKey(databaseUrl, 'viewer', ['*'])).key;
    onlyA = (await createKey(databaseUrl, 'viewer', [A])).key;
    onlyC = (await createKey(databaseUrl, 'viewer', [C])).key;
    const rows: Array<[string, number, Partial<FlowRecordRow>]> = [
      ['r1', 0, { srcNamespace: A, srcWorkload: 'web', dstNamespace: B, dstWorkload: 'api', dstPort: 8080, cluster: 'c1', policyRevisionId: 1, flowCount: 5 }],
      ['r2', 10, { srcNamespace: A, srcWorkload: 'web', dstNamespace: B, dstWorkload: 'api', dstPort: 8080, observed: 'dropped', dropReason: 'POLICY_DENIED', label: 'unexpected', driftKind: 'unexpected-drop', policyRevisionId: 1 }],
      ['r3', 20, { srcNamespace: B, srcWorkload: 'api', dstNamespace: A, dstWorkload: 'db', dstPort: 5432, direction: 'ingress', observed: 'dropped', label: 'denied', policyRevisionId: 2, flowCount: 3 }],
      ['r4', 30, { srcNamespace: C, srcWorkload: 'job', dstIp: '203.0.113.7', dstPort: 443, label: 'unexpected', driftKind: 'unenforced-deny', policyRevisionId: 1 }],
      ['r5', 40, { srcNamespace: A, srcWorkload: 'web', dstNamespace: C, dstWorkload: 'cache', dstPort: 6379, protocol: 'UDP', event: 'reply', label: null }],
      ['r6', 50, { srcIp: '10.1.2.3', dstNamespace: A, dstWorkload: 'web', dstPort: 80, direction: 'ingress', source: 'goldmane', cluster: 'c2', issues: ['pod_labels_unknown'] }],
      ['r7', 1800, { srcIp: '198.51.100.1', dstIp: '198.51.100.2', dstPort: 0, protocol: 'ICMPv4' }],
    ];
    const records = rows.map(([name, seconds, overrides]) => (seeded[name] = flowRecord(at(seconds), { sampleFlowId: name, ...overrides })));
    const r2 = seeded['r2'] as FlowRecordRow;
    const r4 = seeded['r4'] as FlowRecordRow;
    await insertRecords(store, records, [
      evidenceOf(r2, 'e2-a', 1000, { port: 8080, protocol: 'TCP' }),
      evidenceOf(r2, 'e2-b', 2000, null),
      evidenceOf(r2, 'e2-other-port', 3000, { port: 9999, protocol: 'TCP' }),
      evidenceOf({ ...r2, windowStart: at(20) }, 'e2-next-window', 0, { port: 8080, protocol: 'TCP' }),
      evidenceOf({ ...r2, srcWorkload: 'other' }, 'e2-other-workload', 1500, { port: 8080, protocol: 'TCP' }),
      evidenceOf(r4, 'e4', 500, { port: 443, protocol: 'TCP' }),
    ]);
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  const list = async (query: string, key = admin): Promise<FlowRecord[]> => {
    const { status, body } = await call(`${api}/flows?${query}`, key);
    expect(status, JSON.stringify(body)).toBe(200);
    return body.records as FlowRecord[];
  };
  const names = (records: readonly FlowRecord[]) => records.map((r) => r.sampleFlowId);

  it('answers 401 without a key', async () => {
    expect((await call(`${api}/flows`, undefined)).status).toBe(401);
  });

  it.each([
    ['no filter', '', ['r7', 'r6', 'r5', 'r4', 'r3', 'r2', 'r1']],
    ['namespace (either side)', `namespace=${A}`, ['r6', 'r5', 'r3', 'r2', 'r1']],
    ['namespace of a source only', `namespace=${C}`, ['r5', 'r4']],
    ['src namespace', `src=${A}`, ['r5', 'r2', 'r1']],
    ['src namespace/workload', `src=${B}/api`, ['r3']],
    ['dst namespace/workload', `dst=${A}/web`, ['r6']],
    ['dst namespace/unknown workload', `dst=${A}/nope`, []],
    ['src IP', 'src=10.1.2.3', ['r6']],
    ['src CIDR', 'src=10.1.0.0/16', ['r6']],
    ['dst CIDR', `dst=${encodeURIComponent('203.0.113.0/24')}`, ['r4']],
    ['dst IP', 'dst=198.51.100.2', ['r7']],
    ['IPv6 CIDR', `src=${encodeURIComponent('fd00::/8')}`, []],
    ['port', 'port=8080', ['r2', 'r1']],
    ['protocol in any case', 'protocol=udp', ['r5']],
    ['protocol ICMPv4', 'protocol=ICMPv4', ['r7']],
    ['label', 'label=denied', ['r3']],
    ['labels', 'label=allowed,denied', ['r7', 'r6', 'r3', 'r1']],
    ['unlabeled', 'label=unlabeled', ['r5']],
    ['label and unlabeled', 'label=unexpected&label=unlabeled', ['r5', 'r4', 'r2']],
    ['drift kind', 'kind=unenforced-deny', ['r4']],
    ['drift kinds', 'kind=unexpected-drop,unenforced-deny', ['r4', 'r2']],
    ['observed verdict', 'observed=dropped', ['r3', 'r2']],
    ['policy revision', 'revision=2', ['r3']],
    ['source', 'source=goldmane', ['r6']],
    ['cluster', 'cluster=c1', ['r1']],
    ['namespace and label', `namespace=${A}&label=allowed`, ['r6', 'r1']],
  ])('filters by %s', async (_what, query, expected) => {
    expect(names(await list(`${RANGE}${query ? `&${query}` : ''}`))).toEqual(expected);
  });

  it('filters by time: windows starting in [from, to)', async () => {
    expect(names(await list(`from=${iso(20)}&to=${iso(50)}`))).toEqual(['r5', 'r4', 'r3']);
    expect(names(await list(`from=${iso(21)}&to=${iso(40)}`))).toEqual(['r4']);
    expect(names(await list(`from=${iso(1000)}&to=${iso(3600)}`))).toEqual(['r7']);
  });

  it('defaults to the last hour', async () => {
    const recent = flowRecord(new Date(Date.now() - 10 * 60_000), { srcNamespace: A, srcWorkload: 'recent', sampleFlowId: 'recent' });
    const old = flowRecord(new Date(Date.now() - 2 * 3600_000), { srcNamespace: A, srcWorkload: 'old', sampleFlowId: 'old' });
    await insertRecords(store, [recent, old]);
    expect(names(await list(`src=${A}`))).toEqual(['recent']);
    expect(names(await list(`src=${A}&from=${encodeURIComponent(new Date(Date.now() - 3 * 3600_000).toISOString())}`))).toEqual(['recent', 'old']);
  });

  it('returns each record whole, with an id usable as cursor and for evidence', async () => {
    const [r6] = await list(`${RANGE}&source=goldmane`);
    expect(r6).toEqual({
      id: expect.any(String), windowStart: at(50).toISOString(), windowEnd: at(60).toISOString(), source: 'goldmane', cluster: 'c2',
      srcNamespace: null, srcWorkload: null, srcIp: '10.1.2.3', dstNamespace: A, dstWorkload: 'web', dstIp: null, dstPort: 80,
      protocol: 'TCP', direction: 'ingress', observed: 'forwarded', dropReason: null, event: 'connection', label: 'allowed', driftKind: null,
      policyRevisionId: null, flowCount: 1, firstSeen: at(50).toISOString(), lastSeen: at(55).toISOString(), sampleFlowId: 'r6',
      issues: ['pod_labels_unknown'],
    });
    expect(decodeFlowRecordId((r6 as FlowRecord).id)?.windowStartMicros).toBe(String(at(50).getTime() * 1000));
  });

  it('keeps a scoped key to records with a namespace of its scope on either side (in SQL, before the limit)', async () => {
    expect(names(await list(RANGE, onlyA))).toEqual(['r6', 'r5', 'r3', 'r2', 'r1']);
    expect(names(await list(RANGE, onlyC))).toEqual(['r5', 'r4']);
    expect(names(await list(`${RANGE}&namespace=${C}`, onlyA))).toEqual(['r5']);
    expect(names(await list(`${RANGE}&namespace=${B}`, onlyC))).toEqual([]);
    // one record per page: a filter applied after the limit would give an empty first page here
    const page = await call(`${api}/flows?${RANGE}&limit=1`, onlyC);
    expect(names(page.body.records)).toEqual(['r5']);
    const next = await call(`${api}/flows?${RANGE}&limit=1&cursor=${page.body.nextCursor}`, onlyC);
    expect(names(next.body.records)).toEqual(['r4']);
  });

  it('pages with an opaque cursor; the last page says null', async () => {
    const seen: string[] = [];
    let cursor = '';
    for (let pages = 0; pages < 10; pages++) {
      const { body } = await call(`${api}/flows?${RANGE}&limit=3${cursor ? `&cursor=${cursor}` : ''}`, admin);
      seen.push(...names(body.records).map(String));
      if (body.nextCursor === null) break;
      cursor = body.nextCursor;
    }
    expect(seen).toEqual(['r7', 'r6', 'r5', 'r4', 'r3', 'r2', 'r1']);
    const namespaced = await call(`${api}/flows?${RANGE}&namespace=${A}&limit=2`, admin);
    const rest = await call(`${api}/flows?${RANGE}&namespace=${A}&limit=10&cursor=${namespaced.body.nextCursor}`, admin);
    expect([...names(namespaced.body.records), ...names(rest.body.records)]).toEqual(['r6', 'r5', 'r3', 'r2', 'r1']);
    expect(rest.body.nextCursor).toBeNull();
  });

  it.each([
    ['a cursor that is not base64url', 'cursor=%25%25%25', 'cursor'],
    ['a cursor of other text', `cursor=${Buffer.from('hello').toString('base64url')}`, 'cursor'],
    ['a cursor with a leading zero', `cursor=${Buffer.from('01:2').toString('base64url')}`, 'cursor'],
    ['a cursor beyond bigint', `cursor=${Buffer.from('1:9223372036854775808').toString('base64url')}`, 'cursor'],
    ['a cursor with padding', `cursor=${encodeFlowRecordId({ windowStartMicros: '1', id: '1' })}=`, 'cursor'],
    ['a limit over 1000', 'limit=1001', 'limit'],
    ['a limit of 0', 'limit=0', 'limit'],
    ['a bad time', 'from=yesterday', 'from'],
    ['from after to', `from=${iso(10)}&to=${iso(0)}`, 'from'],
    ['a good from and a bad to', `from=${iso(10)}&to=+`, 'to'],
    ['a time before 1970', 'from=1969-12-31T23:59:59Z', 'from'],
    ['a bad endpoint', 'src=Not_A_Namespace', 'src'],
    ['a CIDR with a bad mask', `dst=${encodeURIComponent('10.0.0.0/33')}`, 'dst'],
    ['an unknown label', 'label=allowed,maybe', 'label.1'],
    ['an unknown drift kind', 'kind=hole', 'kind.0'],
    ['an unknown observed verdict', 'observed=ok', 'observed.0'],
    ['a port out of range', 'port=70000', 'port'],
    ['an unknown parameter', 'color=red', '(root)'],
  ])('answers 400 naming the field for %s', async (_what, query, path) => {
    const { status, body } = await call(`${api}/flows?${query}`, admin);
    expect(status).toBe(400);
    expect(body.issues.map((i: { path: string }) => i.path)).toContain(path);
    expect(body.message).toMatch(/^invalid request: /);
  });

  describe('evidence', () => {
    const idOf = async (name: string, key = admin) => ((await list(RANGE, admin)).find((r) => r.sampleFlowId === name) as FlowRecord | undefined)?.id ?? `missing-${name}-${key}`;

    it("returns the record's evidence: its window and key, the same port and protocol when the engine decided", async () => {
      const { status, body } = await call(`${api}/flows/${await idOf('r2')}/evidence`, admin);
      expect(status).toBe(200);
      expect(body.record.sampleFlowId).toBe('r2');
      expect(body.evidence.map((e: { flowId: string }) => e.flowId)).toEqual(['e2-a', 'e2-b']);
      expect(body.evidence[0]).toEqual({
        id: expect.any(String), flowId: 'e2-a', observedAt: at(11).toISOString(), source: 'hubble', direction: 'egress', label: 'unexpected',
        driftKind: 'unexpected-drop', policyRevisionId: 1, decision: { verdict: 'deny', port: 8080, protocol: 'TCP' },
        explanation: 'unexpected: test decision', issues: ['pod_labels_unknown'], body: { flow: { uuid: 'e2-a', note: '=cmd' } },
      });
      expect(body.evidence[1]).toMatchObject({ flowId: 'e2-b', decision: null, explanation: 'unexpected by the observed verdict alone', issues: [] });
    });

    it('has none for allowed or unlabeled records', async () => {
      for (const name of ['r1', 'r5']) {
        const { status, body } = await call(`${api}/flows/${await idOf(name)}/evidence`, admin);
        expect(status).toBe(200);
        expect(body.evidence).toEqual([]);
      }
    });

    it('answers 404 alike for an unknown record and one outside the scope; 400 for a malformed id', async () => {
      const r4 = await idOf('r4');
      expect((await call(`${api}/flows/${r4}/evidence`, onlyC)).body.evidence.map((e: { flowId: string }) => e.flowId)).toEqual(['e4']);
      const hidden = await call(`${api}/flows/${r4}/evidence`, onlyA);
      const position = decodeFlowRecordId(r4);
      const unknown = await call(`${api}/flows/${encodeFlowRecordId({ windowStartMicros: position?.windowStartMicros ?? '1', id: '9223372036854775807' })}/evidence`, onlyA);
      expect(hidden).toEqual({ status: 404, body: unknown.body });
      expect(unknown.status).toBe(404);
      const bad = await call(`${api}/flows/not-an-id!/evidence`, admin);
      expect(bad.status).toBe(400);
      expect(bad.body.issues[0].path).toBe('id');
    });
  });

  describe('connections', () => {
    const edges = async (query: string, key = admin) => {
      const { status, body } = await call(`${api}/connections?${RANGE}${query ? `&${query}` : ''}`, key);
      expect(status, JSON.stringify(body)).toBe(200);
      return body;
    };

    it('sums flows per edge and label, busiest first, with the range it covered', async () => {
      const body = await edges('');
      expect(body.from).toBe(at(0).toISOString());
      expect(body.to).toBe(at(3600).toISOString());
      expect(body.edges[0]).toEqual({
        src: { namespace: A, workload: 'web', ip: null }, dst: { namespace: B, workload: 'api', ip: null }, port: 8080, protocol: 'TCP',
        counts: { allowed: 5, denied: 0, unexpected: 1, unlabeled: 0 }, flows: 6, lastSeen: at(15).toISOString(),
      });
      expect(body.edges[1]).toMatchObject({ src: { namespace: B, workload: 'api' }, counts: { denied: 3 }, flows: 3 });
      expect(body.edges).toHaveLength(6);
      expect(body.edges.find((e: { dst: { ip: string | null } }) => e.dst.ip === '203.0.113.7')).toMatchObject({
        src: { namespace: C, workload: 'job', ip: null }, dst: { namespace: null, workload: null, ip: '203.0.113.7' }, counts: { unexpected: 1 },
      });
      expect(body.edges.find((e: { protocol: string }) => e.protocol === 'UDP')).toMatchObject({ counts: { unlabeled: 1 }, flows: 1 });
    });

    it('takes the flow filters and a limit', async () => {
      expect((await edges(`namespace=${C}`)).edges.map((e: { port: number }) => e.port)).toEqual([6379, 443]);
      expect((await edges('label=denied')).edges).toHaveLength(1);
      expect((await edges('limit=2')).edges).toHaveLength(2);
      expect((await call(`${api}/connections?limit=5001`, admin)).status).toBe(400);
    });

    it('keeps a scoped key to edges with a namespace of its scope', async () => {
      const seen = (await edges('', onlyC)).edges.map((e: { src: { namespace: string }; dst: { namespace: string } }) => [e.src.namespace, e.dst.namespace]);
      expect(seen.sort()).toEqual([[A, C], [C, null]].sort());
    });
  });

  describe('export', () => {
    const fetchExport = async (query: string, key = admin, range = RANGE) => {
      const response = await fetch(`${api}/flows/export?${range}${query ? `&${query}` : ''}`, { headers: { authorization: `Bearer ${key}` } });
      return { response, text: await response.text() };
    };

    it('streams NDJSON: the records of the list, as an attachment', async () => {
      const { response, text } = await fetchExport('');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
      expect(response.headers.get('content-disposition')).toBe('attachment; filename="flows.ndjson"');
      expect(text.endsWith('\n')).toBe(true);
      const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as FlowRecord);
      expect(lines).toEqual(await list(RANGE));
    });

    it('takes the filters, the scope and max', async () => {
      const lines = (text: string) => text.trimEnd().split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as FlowRecord).sampleFlowId);
      expect(lines((await fetchExport(`namespace=${A}&label=allowed`)).text)).toEqual(['r6', 'r1']);
      expect(lines((await fetchExport('', onlyC)).text)).toEqual(['r5', 'r4']);
      expect(lines((await fetchExport('max=2')).text)).toEqual(['r7', 'r6']);
      expect(lines((await fetchExport('label=denied', onlyC)).text)).toEqual([]);
    });

    it('streams CSV with a header row, RFC 4180 quoting and no formulas', async () => {
      const hostile = flowRecord(at(4000), {
        srcNamespace: A, srcWorkload: '=HYPERLINK("http://evil.example","x")', dstNamespace: A, dstWorkload: 'a,b "c"\r\nd',
        dropReason: '+1', cluster: '@SUM(A1)', sampleFlowId: '-2+3', issues: ['pod_labels_unknown', 'port_unknown'],
      });
      await insertRecords(store, [hostile]);
      const { response, text } = await fetchExport('format=csv', admin, `from=${iso(4000)}&to=${iso(4010)}`);
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(response.headers.get('content-disposition')).toBe('attachment; filename="flows.csv"');
      const [header, row, ...rest] = parseCsv(text);
      expect(rest).toEqual([]);
      expect(header).toEqual(['id', 'windowStart', 'windowEnd', 'source', 'cluster', 'srcNamespace', 'srcWorkload', 'srcIp', 'dstNamespace',
        'dstWorkload', 'dstIp', 'dstPort', 'protocol', 'direction', 'observed', 'dropReason', 'event', 'label', 'driftKind',
        'policyRevisionId', 'flowCount', 'firstSeen', 'lastSeen', 'sampleFlowId', 'issues']);
      const cell = (name: string) => row?.[(header as string[]).indexOf(name)];
      expect(cell('srcWorkload')).toBe(`'=HYPERLINK("http://evil.example","x")`);
      expect(cell('dstWorkload')).toBe('a,b "c"\r\nd');
      expect(cell('dropReason')).toBe("'+1");
      expect(cell('cluster')).toBe("'@SUM(A1)");
      expect(cell('sampleFlowId')).toBe("'-2+3");
      expect(cell('issues')).toBe('pod_labels_unknown;port_unknown');
      expect(cell('srcIp')).toBe('');
      expect(cell('dstPort')).toBe('8080');
      expect(text).toContain('"\'=HYPERLINK(""http://evil.example"",""x"")"');
      expect(text.split('\r\n')[0]).toBe((header as string[]).join(','));
    });

    it('answers 400 before streaming for a bad query', async () => {
      const { response, text } = await fetchExport('format=xlsx');
      expect(response.status).toBe(400);
      expect(JSON.parse(text).issues[0].path).toBe('format');
    });
  });

  describe('collectors', () => {
    beforeAll(async () => {
      const now = new Date();
      await store.writeBatch({
        records: [],
        evidence: [],
        states: [{ id: `hubble-${ns}`, kind: 'hubble', address: 'relay:4245', connected: true, lastSeenTime: now, cursor: { idsAtLastSeen: ['x'] }, lostEvents: 7, lastError: null }],
        events: [
          { collectorId: `hubble-${ns}`, at: new Date(now.getTime() - 25 * 3600_000), kind: 'disconnected', count: 0, details: { error: 'too old' } },
          { collectorId: `hubble-${ns}`, at: new Date(now.getTime() - 60_000), kind: 'lost_events', count: 7, details: { source: 'HUBBLE_RING_BUFFER', messages: 1, lastNode: 'node-1' } },
          { collectorId: `hubble-${ns}`, at: now, kind: 'malformed', count: 2, details: { code: 'invalid_ip', messages: 2, lastPath: 'flow.source.ip', lastMessage: `flow.source.ip is not an IP address: "${B}-secret"` } },
        ],
      });
    });
    const mine = (body: { collectors: Array<{ id: string; gaps: unknown[] }> }) => body.collectors.find((c) => c.id === `hubble-${ns}`);

    it('lists each source with its state and the gaps of the last 24 hours, newest first', async () => {
      const { status, body } = await call(`${api}/collectors`, admin);
      expect(status).toBe(200);
      expect(mine(body)).toEqual({
        id: `hubble-${ns}`, kind: 'hubble', address: 'relay:4245', connected: true, lastError: null, lastSeenTime: expect.any(String),
        lostEvents: 7, updatedAt: expect.any(String), cursor: { idsAtLastSeen: ['x'] },
        gaps: [
          { kind: 'malformed', count: 2, at: expect.any(String), details: { code: 'invalid_ip', messages: 2, lastPath: 'flow.source.ip', lastMessage: `flow.source.ip is not an IP address: "${B}-secret"` } },
          { kind: 'lost_events', count: 7, at: expect.any(String), details: { source: 'HUBBLE_RING_BUFFER', messages: 1, lastNode: 'node-1' } },
        ],
      });
    });

    it('shows a scoped key no detail that can quote flow data', async () => {
      const { status, body } = await call(`${api}/collectors`, onlyA);
      expect(status).toBe(200);
      expect(mine(body)?.gaps[0]).toEqual({ kind: 'malformed', count: 2, at: expect.any(String), details: { code: 'invalid_ip', messages: 2 } });
      expect(JSON.stringify(body)).not.toContain(`${B}-secret`);
    });
  });
});
