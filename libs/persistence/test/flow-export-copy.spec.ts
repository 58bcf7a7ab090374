import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { decodeFlowRecordId, encodeFlowRecordId, type FlowRecord } from '@driftwatch/contracts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { copiedRecordJson, parseCopiedRecord, parseTextArray } from '../src/flows/flow-record-copy.js';
import { applyMigrations, dropDatabase, ensureDatabase, FlowQueries, FlowStore, withDatabase, type FlowRecordFilter, type FlowRecordRow } from '../src/index.js';

describe('parseCopiedRecord (one line of COPY text format)', () => {
  const line = [
    '2026-12-01 10:00:00.123456+00', '42', '2026-12-01 10:00:10+00', '2026-12-01 10:00:01.5+00', '2026-12-01 10:00:09.07+00',
    'hubble', 'c\\t1', 'ns\\\\x', 'web\\nline', '\\N', 'db', '\\N', '203.0.113.7', '443', 'TCP', 'egress', 'forwarded', '\\N', 'connection',
    'unexpected', 'unenforced-deny', '3', '9007199254740991', 'f-1', '{port_unknown,"a \\\\"b\\\\""}', // COPY doubles the array's own backslashes
  ].join('\t');

  it('undoes the escapes, reads \\N as null and the array, and makes the id the contract makes', () => {
    expect(parseCopiedRecord(line)).toEqual({
      id: encodeFlowRecordId({ windowStartMicros: '1796119200123456', id: '42' }),
      windowStart: '2026-12-01T10:00:00.123Z', windowEnd: '2026-12-01T10:00:10.000Z', source: 'hubble', cluster: 'c\t1', srcNamespace: 'ns\\x',
      srcWorkload: 'web\nline', srcIp: null, dstNamespace: 'db', dstWorkload: null, dstIp: '203.0.113.7', dstPort: 443, protocol: 'TCP',
      direction: 'egress', observed: 'forwarded', dropReason: null, event: 'connection', label: 'unexpected', driftKind: 'unenforced-deny',
      policyRevisionId: 3, flowCount: 9007199254740991, firstSeen: '2026-12-01T10:00:01.500Z', lastSeen: '2026-12-01T10:00:09.070Z',
      sampleFlowId: 'f-1', issues: ['port_unknown', 'a "b"'],
    });
  });

  it.each([
    ['a line with a missing field', line.split('\t').slice(1).join('\t'), /24 fields, not 25/],
    ['a time that is not UTC', line.replace('10:00:10+00', '10:00:10+01'), /not a time as COPY writes it in UTC/],
  ])('refuses %s', (_, text, message) => expect(() => parseCopiedRecord(text)).toThrow(message));

  it('writes the JSON of that record without making it (the line above)', () => {
    expect(copiedRecordJson(line)).toBe(JSON.stringify(parseCopiedRecord(line)));
  });

  /** A text as COPY's text format writes it: backslash and the control characters it names escaped. */
  const copyText = (text: string) => text.replace(/[\\\b\f\n\r\t\v]/g, (c) => `\\${({ '\\': '\\', '\b': 'b', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't', '\v': 'v' } as Record<string, string>)[c]}`);
  const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constantFrom('a"b', 'x\\y', 'tab\tnew\nline', '\u0001', '\u2028', '\ud800'));
  const nullable = (arb: fc.Arbitrary<string>) => fc.oneof(fc.constant('\\N'), arb);
  const textField = nullable(text.map(copyText));
  const intField = nullable(fc.oneof(fc.integer({ min: -5, max: 70_000 }).map(String), fc.bigInt({ min: 0n, max: 9_223_372_036_854_775_807n }).map(String)));
  const time = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true })
    .chain((d) => fc.integer({ min: 0, max: 999_999 }).map((us) => {
      const fraction = us === 0 ? '' : `.${String(us).padStart(6, '0').replace(/0+$/, '')}`;
      return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)}${fraction}+00`;
    }));
  const array = fc.array(fc.oneof(fc.stringMatching(/^[a-z_]{1,8}$/), text.map((e) => `"${e.replace(/[\\"]/g, '\\$&')}"`)), { maxLength: 3 })
    .map((elements) => copyText(`{${elements.join(',')}}`));

  it('writes exactly JSON.stringify of the parsed record for any line (property)', () => {
    fc.assert(
      fc.property(
        fc.tuple(time, fc.bigInt({ min: 1n, max: 9_223_372_036_854_775_807n }).map(String), time, time, time),
        fc.array(textField, { minLength: 8, maxLength: 8 }), intField, fc.array(textField, { minLength: 7, maxLength: 7 }), intField, intField, textField, array,
        ([start, id, end, first, last], texts, port, more, revision, count, sample, issues) => {
          const fields = [start, id, end, first, last, ...texts, port, ...more, revision, count, sample, issues];
          const copied = fields.join('\t');
          expect(copiedRecordJson(copied)).toBe(JSON.stringify(parseCopiedRecord(copied)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['{}', []],
    ['{a}', ['a']],
    ['{a,b}', ['a', 'b']],
    ['{"a,b","c\\\\d",e}', ['a,b', 'c\\d', 'e']],
    ['{"{x}",""}', ['{x}', '']],
  ])('reads the text[] %s', (text, elements) => expect(parseTextArray(text)).toEqual(elements));
});

/**
 * The export's COPY path against the page path (parameters, JSON built by PostgreSQL) on the same rows, including
 * values chosen to break quoting (the filter values are inlined as literals for COPY) and multi-byte text.
 */
describe('FlowQueryRepository.export over COPY', () => {
  const name = `driftwatch_test_copy_${randomBytes(4).toString('hex')}`;
  const serverUrl = inject('serverUrl');
  let url: string;
  let queries: FlowQueries;
  const t0 = new Date('2026-11-30T08:00:00.000Z');
  const range = { from: t0, to: new Date(t0.getTime() + 3_600_000) };
  const hostile = ["o'brien", 'back\\slash', 'tab\there', 'new\nline', 'quote"d', 'ünïcødé-🛰', "E'\\x41'", '{brace,comma}', '$1'];

  function row(i: number, overrides: Partial<FlowRecordRow> = {}): FlowRecordRow {
    const start = new Date(t0.getTime() + Math.floor(i / 40) * 10_000);
    const ns = hostile[i % hostile.length] as string;
    return {
      windowStart: start, windowEnd: new Date(start.getTime() + 10_000), source: i % 3 === 0 ? 'calico' : 'hubble', cluster: i % 2 ? 'east' : '',
      srcNamespace: i % 7 === 0 ? null : ns, srcWorkload: `wl-${i % 5}`, srcIp: i % 4 === 0 ? `10.0.${i % 200}.${i % 250}` : null,
      dstNamespace: hostile[(i + 3) % hostile.length] as string, dstWorkload: i % 6 === 0 ? null : 'db', dstIp: i % 6 === 0 ? '2001:db8::7' : null,
      dstPort: i % 11 === 0 ? null : 5432 + (i % 3), protocol: i % 5 === 0 ? 'UDP' : 'TCP', direction: i % 2 ? 'ingress' : 'egress',
      observed: i % 9 === 0 ? 'dropped' : 'forwarded', dropReason: i % 9 === 0 ? 'POLICY_DENIED' : null, event: i % 8 === 0 ? 'reply' : 'connection',
      label: i % 8 === 0 ? null : i % 9 === 0 ? 'denied' : i % 10 === 0 ? 'unexpected' : 'allowed', driftKind: i % 8 !== 0 && i % 9 !== 0 && i % 10 === 0 ? 'unenforced-deny' : null,
      policyRevisionId: i % 13 === 0 ? null : 1 + (i % 2), flowCount: 1 + (i % 17), firstSeen: new Date(start.getTime() + (i % 10) * 7),
      lastSeen: new Date(start.getTime() + 9_999), sampleFlowId: i % 5 === 0 ? null : `flow-${i}-\t"${ns}"`, issues: i % 4 === 0 ? ['port_unknown', 'pod_labels_unknown'] : [],
      ...overrides,
    };
  }

  beforeAll(async () => {
    await ensureDatabase(serverUrl, name);
    url = withDatabase(serverUrl, name);
    await applyMigrations(url);
    const store = await FlowStore.open(url);
    try {
      const rows = Array.from({ length: 12_000 }, (_, i) => row(i));
      for (let i = 0; i < rows.length; i += 3000) await store.writeBatch({ records: rows.slice(i, i + 3000), evidence: [], events: [], states: [] });
    } finally {
      await store.close();
    }
    queries = FlowQueries.open(url, 2, 1); // one export connection: a connection left unusable would hang the next export
  }, 60_000);
  afterAll(async () => {
    await queries?.close();
    await dropDatabase(serverUrl, name);
  });

  async function viaPages(filter: FlowRecordFilter, scope: '*' | string[]): Promise<FlowRecord[]> {
    const out: FlowRecord[] = [];
    let cursor: string | null = null;
    do {
      const page: { records: FlowRecord[]; nextCursor: string | null } = await queries.records.page(
        filter, scope, cursor === null ? undefined : decodeFlowRecordId(cursor), 1000,
      );
      out.push(...page.records);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return out;
  }

  /** The records an export hands over, checking on the way that each record's JSON is what JSON.stringify makes of it. */
  async function viaExport(filter: FlowRecordFilter, scope: '*' | string[], batchSize?: number): Promise<FlowRecord[]> {
    const out: FlowRecord[] = [];
    for await (const batch of queries.records.export(filter, scope, { batchSize })) {
      const records = batch.records();
      const json: string[] = [];
      batch.eachJson((text) => json.push(text));
      expect(json).toEqual(records.map((record) => JSON.stringify(record)));
      out.push(...records);
    }
    return out;
  }

  const cases: [string, Partial<FlowRecordFilter>, '*' | string[]][] = [
    ['everything', {}, '*'],
    ['a namespace with a quote, either side', { namespace: "o'brien" }, '*'],
    ['a namespace with a backslash, scoped', { namespace: 'back\\slash' }, ['back\\slash', 'new\nline']],
    ['a scope of hostile names', {}, ['tab\there', "E'\\x41'", '{brace,comma}']],
    ['an empty scope', {}, []],
    ['labels with unlabeled', { label: ['denied', 'unlabeled'] }, '*'],
    ['drift kind and observed verdict', { kind: ['unenforced-deny'], observed: ['forwarded'] }, '*'],
    ['a source workload', { src: { kind: 'workload', namespace: 'quote"d', workload: 'wl-3' } }, '*'],
    ['a destination CIDR', { dst: { kind: 'cidr', cidr: '2001:db8::/64' } }, '*'],
    ['a source IP', { src: { kind: 'ip', ip: '10.0.4.4' } }, '*'],
    ['port, protocol, revision, source, cluster', { port: 5433, protocol: 'tcp', revision: 2, source: 'hubble', cluster: 'east' }, '*'],
    ['a multi-byte namespace', { namespace: 'ünïcødé-🛰' }, '*'],
    ['half the range', { to: new Date(t0.getTime() + 1_200_000) }, '*'],
  ];

  it.each(cases)('returns what the pages return: %s', async (_, extra, scope) => {
    const filter: FlowRecordFilter = { ...range, ...extra };
    const pages = await viaPages(filter, scope);
    const exported = await viaExport(filter, scope, 333);
    expect(exported).toEqual(pages);
    if (_ === 'everything') expect(exported).toHaveLength(12_000);
  });

  it('ends early without leaving the statement running or the connection unusable (20 exports on one connection)', async () => {
    for (let round = 0; round < 20; round++) {
      let batches = 0;
      for await (const batch of queries.records.export(range, '*', { batchSize: 100 })) {
        expect(batch.size).toBeGreaterThan(0);
        if (++batches === 1 + (round % 3)) break;
      }
      // a full export next, on the same single connection
      const all = await viaExport({ ...range, namespace: "o'brien" }, '*');
      expect(all.length).toBeGreaterThan(0);
    }
    expect(await queries.records.runningExports()).toBe(0);
  }, 60_000);

  it('stops after max records', async () => {
    const some: FlowRecord[] = [];
    for await (const batch of queries.records.export(range, '*', { max: 777 })) some.push(...batch.records());
    expect(some).toEqual((await viaPages(range, '*')).slice(0, 777));
  });
});
