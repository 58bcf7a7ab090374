import { randomBytes } from 'node:crypto';
import { Prng } from '@driftwatch/common';
import type { ConnectionEdge, DriftKind, EndpointFilter, FlowLabel, FlowLabelFilter, ObservedVerdict } from '@driftwatch/contracts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  applyMigrations, dropDatabase, ensureDatabase, FlowQueries, FlowStore, insertSyntheticFlowRecords, withDatabase, type FlowRecordFilter,
  type FlowRecordRow, type NamespaceScope,
} from '../src/index.js';
import { planConnectionRange } from '../src/flows/connection-query.repository.js';
import { connectSql, type Sql } from '../src/flows/sql-client.js';
import { connectionHoursDrift } from './connection-hours-check.js';

/**
 * GET /connections reads whole hours from the rollup `connection_hours` and the rest from `flow_records`: its
 * answers must be those of `flow_records` alone, for every filter, range and scope. A database of its own, seeded
 * inside PostgreSQL (insertSyntheticFlowRecords) and through the pipeline's writer (FlowStore.writeBatch: two
 * writers at once, on the same keys, and a batch with a row Postgres refuses).
 */
const serverUrl = inject('serverUrl');
const name = `driftwatch_rollup_${randomBytes(4).toString('hex')}`;
const url = withDatabase(serverUrl, name);
const HOUR = 3_600_000;
const MINUTE = 60_000;
/** Midnight (UTC) of the day the data starts. */
const D = Date.UTC(2031, 4, 10);
const at = (ms: number) => new Date(D + ms);
const NAMESPACES = ['ns-000', 'ns-001', 'ns-002', 'ns-003'];

let sql: Sql;
let queries: FlowQueries;
let writerRecords = 0;

/** Records as the pipeline writes them, varied on every column the rollup keys on or drops. */
function writerRows(prng: Prng, count: number): FlowRecordRow[] {
  const rows: FlowRecordRow[] = [];
  const namespace = () => prng.pick([...NAMESPACES, null]);
  const workload = () => prng.pick(['wl-0', 'wl-1', 'api', null]);
  const ip = () => prng.pick(['10.0.0.1', '10.0.0.2', '203.0.113.9', 'fd00::1', null]);
  const verdicts: [FlowLabel | null, DriftKind | null][] = [['allowed', null], ['denied', null], ['unexpected', 'unenforced-deny'], ['unexpected', 'unexpected-drop'], [null, null]];
  for (let i = 0; i < count; i++) {
    // 10 s windows from an hour before the synthetic records to two hours after them; some a millisecond before an hour
    const windowStart = prng.int(0, 9) === 0 ? at(prng.int(0, 33) * HOUR - 1) : at(-HOUR + prng.int(0, 34 * 360) * 10_000);
    const [label, driftKind] = prng.pick(verdicts);
    const lastSeen = new Date(windowStart.getTime() + prng.int(0, 9_999));
    rows.push({
      windowStart, windowEnd: new Date(windowStart.getTime() + 10_000),
      source: prng.pick(['hubble', 'goldmane']), cluster: prng.pick(['', 'c1']),
      srcNamespace: namespace(), srcWorkload: workload(), srcIp: ip(),
      dstNamespace: namespace(), dstWorkload: workload(), dstIp: ip(),
      dstPort: prng.pick([80, 443, 5432, null]), protocol: prng.pick(['TCP', 'tcp', 'UDP', 'ICMPv4']),
      direction: prng.pick(['egress', 'ingress']), observed: prng.pick(['forwarded', 'dropped']), dropReason: null,
      event: label === null ? 'reply' : 'connection', label, driftKind, policyRevisionId: prng.pick([1, 2, null]),
      flowCount: prng.int(0, 49) === 0 ? 1_000_000_007 : prng.int(1, 30),
      firstSeen: windowStart, lastSeen, sampleFlowId: `w${i}`, issues: [],
    });
  }
  return rows;
}

beforeAll(async () => {
  await ensureDatabase(serverUrl, name);
  await applyMigrations(url);
  sql = connectSql(url, 2);
  queries = FlowQueries.open(url, 4, 1);
  // 30,000 records generated inside PostgreSQL, from an odd time of the first day to one of the second
  await insertSyntheticFlowRecords(url, { count: 30_000, from: at(7 * MINUTE + 13_500), to: at(30 * HOUR + 41 * MINUTE), namespaces: NAMESPACES.length, seed: 3 });
  // 4,000 through the writer, in batches of 150 taken in turns by two writers at once (they share many keys)
  const rows = writerRows(new Prng(11), 4000);
  const [one, two] = [await FlowStore.open(url), await FlowStore.open(url)];
  try {
    const batches = Array.from({ length: Math.ceil(rows.length / 150) }, (_, i) => rows.slice(i * 150, (i + 1) * 150));
    const write = async (store: FlowStore, parity: number) => {
      for (const [i, records] of batches.entries()) if (i % 2 === parity) await store.writeBatch({ records, evidence: [], events: [], states: [] });
    };
    await Promise.all([write(one, 0), write(two, 1)]);
    // a batch with one row Postgres refuses: the others are stored (in halves, in savepoints), with their rollup only
    const bad = writerRows(new Prng(12), 40).map((r, i) => (i === 17 ? { ...r, srcIp: 'not-an-address' } : r));
    const outcome = await one.writeBatch({ records: bad, evidence: [], events: [], states: [] });
    expect(outcome.unstorable.map((u) => u.tables)).toEqual([{ flow_records: 1 }]);
    writerRecords = rows.length + bad.length - 1;
  } finally {
    await Promise.all([one.close(), two.close()]);
  }
}, 120_000);
afterAll(async () => {
  await queries?.close();
  await sql?.end({ timeout: 5 });
  await dropDatabase(serverUrl, name);
});

describe('connection_hours', () => {
  it('holds exactly the records summed per hour and key, whoever wrote them', async () => {
    const [{ n } = { n: 0 }] = await sql<{ n: number }[]>`select count(*)::int as n from flow_records`;
    expect(n).toBe(30_000 + writerRecords);
    const [hours] = await sql<{ rows: number; records: string }[]>`select count(*)::int as rows, sum(records)::text as records from connection_hours`;
    expect(Number(hours?.records)).toBe(n);
    expect(hours?.rows).toBeLessThan(n);
    expect(await connectionHoursDrift(sql)).toEqual([]);
  });
});

/** Filters over the dimensions the rollup keeps, and (last four) ones only the records can answer. */
const FILTERS: readonly [string, Omit<FlowRecordFilter, 'from' | 'to'>, boolean][] = [
  ['no filter', {}, true],
  ['namespace, either side', { namespace: 'ns-001' }, true],
  ['a namespace nobody has', { namespace: 'ns-999' }, true],
  ['src namespace', { src: { kind: 'namespace', namespace: 'ns-002' } }, true],
  ['src workload', { src: { kind: 'workload', namespace: 'ns-001', workload: 'wl-1' } }, true],
  ['dst workload', { dst: { kind: 'workload', namespace: 'ns-003', workload: 'wl-0' } }, true],
  ['dst namespace and port', { dst: { kind: 'namespace', namespace: 'ns-000' }, port: 443 }, true],
  ['protocol in another case', { protocol: 'tcp' }, true],
  ['protocol UDP', { protocol: 'Udp' }, true],
  ['one label', { label: ['denied'] }, true],
  ['unlabeled', { label: ['unlabeled'] }, true],
  ['a label and unlabeled', { label: ['allowed', 'unlabeled'] }, true],
  ['drift kind', { kind: ['unexpected-drop'] }, true],
  ['source', { source: 'goldmane' }, true],
  ['cluster', { cluster: 'c1' }, true],
  ['the empty cluster', { cluster: '' }, true],
  ['all of them', { namespace: 'ns-001', port: 80, protocol: 'TCP', label: ['allowed', 'denied'], source: 'hubble', cluster: '' }, true],
  ['src address', { src: { kind: 'ip', ip: '10.0.0.1' } }, false],
  ['dst network', { dst: { kind: 'cidr', cidr: '203.0.113.0/24' } }, false],
  ['observed verdict', { observed: ['dropped'] }, false],
  ['policy revision', { revision: 2 }, false],
];

/** Ranges in ms from D: aligned on hours or not, within an hour, around the whole data. */
const RANGES: readonly [string, number, number][] = [
  ['whole hours', HOUR, 6 * HOUR],
  ['neither end on an hour', HOUR + 13 * MINUTE + 500, 7 * HOUR + 59 * MINUTE + 59_999],
  ['from on an hour, to not', 2 * HOUR, 9 * HOUR + 1],
  ['to on an hour, from not', 2 * HOUR - 1, 9 * HOUR],
  ['one hour', 3 * HOUR, 4 * HOUR],
  ['within one hour', 2 * HOUR + 5 * MINUTE, 2 * HOUR + 50 * MINUTE],
  ['across midnight', 20 * HOUR + 10_000, 28 * HOUR + 20_000],
  ['all of it and more', -5 * HOUR, 40 * HOUR],
];
const SCOPES: readonly NamespaceScope[] = ['*', ['ns-001'], ['ns-002', 'ns-003'], []];

async function compare(filter: FlowRecordFilter, scope: NamespaceScope, limit: number): Promise<ConnectionEdge[]> {
  const [fromRollup, fromRecords] = await Promise.all([queries.connections.edges(filter, scope, limit), queries.connections.edgesFromRecords(filter, scope, limit)]);
  expect(fromRollup, JSON.stringify({ filter, scope, limit })).toEqual(fromRecords);
  return fromRollup;
}

describe('/connections from the rollup and the partial hours', () => {
  it.each(FILTERS)('%s: the same edges as from the records alone, for every range and scope', async (_, dimensions, rollup) => {
    let answered = 0;
    for (const [, from, to] of RANGES) {
      const filter: FlowRecordFilter = { ...dimensions, from: at(from), to: at(to) };
      const plan = planConnectionRange(filter);
      const whole = Math.floor(to / HOUR) > Math.ceil(from / HOUR);
      expect(plan.hours !== undefined).toBe(rollup && whole);
      for (const scope of SCOPES) answered += (await compare(filter, scope, 5000)).length;
      await compare(filter, '*', 7);
    }
    if (dimensions.namespace !== 'ns-999') expect(answered).toBeGreaterThan(0);
  });

  it('gives the same edges for 150 random filters, ranges, scopes and limits', async () => {
    const prng = new Prng(2031);
    const maybe = <T>(value: () => T): T | undefined => (prng.int(0, 3) === 0 ? value() : undefined);
    const endpoint = (): EndpointFilter =>
      prng.pick<() => EndpointFilter>([
        () => ({ kind: 'namespace', namespace: prng.pick(NAMESPACES) }),
        () => ({ kind: 'workload', namespace: prng.pick(NAMESPACES), workload: prng.pick(['wl-0', 'wl-1', 'wl-2', 'api']) }),
        () => ({ kind: 'ip', ip: prng.pick(['10.0.0.2', '203.0.113.9', 'fd00::1']) }),
        () => ({ kind: 'cidr', cidr: prng.pick(['10.0.0.0/8', '203.0.113.0/24']) }),
      ])();
    let fromRollup = 0;
    let edges = 0;
    for (let i = 0; i < 150; i++) {
      // times on an hour, on a 10 s window, or anywhere to the millisecond
      const time = () => prng.pick([() => prng.int(-2, 34) * HOUR, () => prng.int(-360, 34 * 360) * 10_000, () => prng.int(-HOUR, 34 * HOUR)])();
      const [a, b] = [time(), time()];
      const filter: FlowRecordFilter = {
        from: at(Math.min(a, b)), to: at(Math.max(a, b) + (a === b ? 1 : 0)),
        namespace: maybe(() => prng.pick(NAMESPACES)), src: maybe(endpoint), dst: maybe(endpoint),
        port: maybe(() => prng.pick([53, 80, 443, 5432, 8080])), protocol: maybe(() => prng.pick(['tcp', 'UDP', 'icmpv4'])),
        label: maybe(() => prng.pick<FlowLabelFilter[]>([['allowed'], ['unexpected'], ['unlabeled'], ['denied', 'unexpected']])),
        kind: maybe(() => prng.pick<DriftKind[]>([['unenforced-deny'], ['unexpected-drop'], ['unenforced-deny', 'unexpected-drop']])),
        source: maybe(() => prng.pick(['hubble', 'goldmane'])), cluster: maybe(() => prng.pick(['', 'c1'])),
        ...(prng.int(0, 9) === 0 ? { observed: [prng.pick<ObservedVerdict>(['forwarded', 'dropped'])] } : {}),
        ...(prng.int(0, 9) === 0 ? { revision: prng.int(1, 2) } : {}),
      };
      const scope = prng.pick<NamespaceScope>(['*', '*', [prng.pick(NAMESPACES)], [prng.pick(NAMESPACES), prng.pick(NAMESPACES)]]);
      if (planConnectionRange(filter).hours) fromRollup += 1;
      edges += (await compare(filter, scope, prng.pick([1, 5, 50, 5000]))).length;
    }
    // most of them read the rollup, and they answer something
    expect(fromRollup).toBeGreaterThan(75);
    expect(edges).toBeGreaterThan(1000);
  }, 60_000);
});

describe('/connections order', () => {
  it('puts the most flows first by number, not by their text (1000 before 10 before 9)', async () => {
    const base = Date.UTC(2032, 1, 3, 5);
    const store = await FlowStore.open(url);
    const edge = (workload: string, flowCount: number, seconds: number): FlowRecordRow => ({
      windowStart: new Date(base + seconds * 1000), windowEnd: new Date(base + seconds * 1000 + 10_000), source: 'hubble', cluster: 'order',
      srcNamespace: 'ns-order', srcWorkload: workload, srcIp: null, dstNamespace: 'ns-order', dstWorkload: 'db', dstIp: null, dstPort: 5432,
      protocol: 'TCP', direction: 'egress', observed: 'forwarded', dropReason: null, event: 'connection', label: 'allowed', driftKind: null,
      policyRevisionId: 1, flowCount, firstSeen: new Date(base + seconds * 1000), lastSeen: new Date(base + seconds * 1000), sampleFlowId: null, issues: [],
    });
    try {
      await store.writeBatch({ records: [edge('nine', 9, 30), edge('ten', 10, 20), edge('thousand', 1000, 10), edge('thousand-later', 600, 40), edge('thousand-later', 400, 50)], evidence: [], events: [], states: [] });
    } finally {
      await store.close();
    }
    const expected = ['thousand-later', 'thousand', 'ten', 'nine'];
    const names = (edges: readonly ConnectionEdge[]) => edges.map((e) => e.src.workload);
    const range = { from: new Date(base), to: new Date(base + HOUR), cluster: 'order' };
    expect(planConnectionRange(range).hours).toBeDefined();
    expect(names(await queries.connections.edges(range, '*', 10))).toEqual(expected);
    expect(names(await queries.connections.edgesFromRecords(range, '*', 10))).toEqual(expected);
    expect(names(await queries.connections.edges({ ...range, observed: ['forwarded'] }, '*', 10))).toEqual(expected);
    expect((await queries.connections.edges(range, '*', 10)).map((e) => e.flows)).toEqual([1000, 1000, 10, 9]);
  });
});
