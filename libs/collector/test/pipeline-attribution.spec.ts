/**
 * What records keep for what-ifs and the compliance report: the endpoint identity of each side (part of the
 * record key, written insert-if-absent) and, for allowed records, the rules that admitted them. The examples/shop
 * capture goes through the real pipeline into the run's database and is read back.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeHubbleJsonLine, type Flow, type LabelMap } from '@driftwatch/flow';
import { FlowStore, type FlowRecordRow } from '@driftwatch/persistence';
import { compileRevision, loadManifests } from '@driftwatch/policy-engine';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FlowPipeline } from '../src/index.js';
import { EndpointIdentities, identityId } from '../src/pipeline/endpoint-identities.js';
import { podEndpoint, externalEndpoint, workerDatabaseUrl } from '@driftwatch/testing';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

const shopDir = join(import.meta.dirname, '..', '..', '..', 'examples', 'shop');
const snapshot = () => {
  const loaded = loadManifests(readdirSync(join(shopDir, 'policies')).map((name) => ({ name, text: readFileSync(join(shopDir, 'policies', name), 'utf8') })));
  return compileRevision(loaded, { revision: 1 });
};
const shopFlows = (): Flow[] =>
  readFileSync(join(shopDir, 'flows.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '').map((line) => {
    const result = normalizeHubbleJsonLine(line);
    if (result.kind !== 'flow') throw new Error('not a flow');
    return result.flow;
  });

/** A flow time for the identities' own tests. */
const T = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

describe('EndpointIdentities', () => {
  it('gives equal label sets one id whatever object carries them, and different sets different ids', () => {
    const identities = new EndpointIdentities();
    const a = identities.of(podEndpoint('web', { app: 'web', tier: 'a' }, '10.0.0.1'), T);
    const again = identities.of(podEndpoint('web-2', { tier: 'a', app: 'web' }, '10.0.0.2'), T);
    expect(again).toBe(a);
    const ids = [
      a.id,
      identities.of(podEndpoint('web', { app: 'web' }, '10.0.0.1'), T).id,
      identities.of(podEndpoint('web', { app: 'web', tier: 'a' }, '10.0.0.1', { namespace: 'other' }), T).id,
      identities.of(podEndpoint('web', { app: 'web', tier: 'a' }, '10.0.0.1', { namespaceLabels: undefined }), T).id,
      identities.of(podEndpoint('web', undefined, '10.0.0.1'), T).id,
      identities.of(podEndpoint('web', {}, '10.0.0.1'), T).id,
    ];
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^-?[1-9]\d*$/.test(id))).toBe(true);
    // The id is the same in every process: the sha-256 of the canonical text, not a counter.
    expect(a.id).toBe(identityId(JSON.stringify(['shop', [['app', 'web'], ['tier', 'a']], [['kubernetes.io/metadata.name', 'shop'], ['team', 'retail']]])));
  });

  it('judges as the classifier does: an external peer, a host, a pod without namespace are the external identity 0', () => {
    const identities = new EndpointIdentities();
    expect(identities.of(externalEndpoint('203.0.113.7'), T).id).toBe('0');
    expect(identities.of(podEndpoint('n', { a: 'b' }, '10.0.0.1', { kind: 'host', namespace: undefined }), T).id).toBe('0');
    expect(identities.of(podEndpoint('n', { a: 'b' }, '10.0.0.1', { namespace: undefined }), T).id).toBe('0');
    expect(identities.takeNew().rows).toEqual([]);
  });

  it('queues each new identity once for the writer (within an hour of flow time), and again after its bounded cache started over', () => {
    const identities = new EndpointIdentities({ maxEntries: 2 });
    const pod = (app: string) => podEndpoint(app, Object.freeze({ app }) as LabelMap, '10.0.0.1');
    const [a, b, c] = [pod('a'), pod('b'), pod('c')];
    identities.of(a, T);
    identities.of(b, T);
    identities.of({ ...a, labels: { app: 'a' } }, T);
    expect(identities.takeNew().rows.map((r) => r.labels)).toEqual([{ app: 'a' }, { app: 'b' }]);
    identities.of(c, T); // the cache holds 2: it starts over
    identities.of({ ...a, labels: { app: 'a' } }, T); // a new object with a's labels: looked up by content, queued again
    const again = identities.takeNew().rows;
    expect(again.map((r) => r.labels)).toEqual([{ app: 'c' }, { app: 'a' }]);
    expect(again[1]?.id).toBe(identities.of(a, T).id);
  });

  it('queues an identity again once its flows are an hour past the time it was last queued, whichever path finds it, and not before', () => {
    const identities = new EndpointIdentities();
    const side = podEndpoint('a', Object.freeze({ app: 'a' }) as LabelMap, '10.0.0.1');
    // the same label objects again: the last identity of the label object (the fast path)
    const fast = (time: number) => identities.of(side, time);
    // a new object with the same labels: found by content
    const byContent = (time: number) => identities.of({ ...side, labels: { app: 'a' } }, time);
    // the label object with another namespace label object of the same content, which the fast path then holds:
    // the side that comes next is found in the label object's map of namespace label objects
    const paired = { ...side, namespaceLabels: { ...side.namespaceLabels } };
    const byPair = (time: number) => identities.of(paired, time);
    const a = fast(T);
    const row = (time: number) => ({ id: a.id, namespace: 'shop', labels: { app: 'a' }, namespaceLabels: side.namespaceLabels, lastSeen: new Date(time) });
    expect(identities.takeNew().rows).toEqual([row(T)]);

    // within the hour, by any path (the last one through the map of namespace label objects), and earlier flows: nothing
    for (const find of [fast, byContent, byPair, fast]) expect(find(T + HOUR - 1)).toBe(a);
    expect(fast(T - 10 * HOUR)).toBe(a);
    expect(identities.takeNew()).toEqual({ rows: [], bytes: 0 });

    // an hour on: queued again once, with the time of the flow that found it due, by the fast path ...
    expect(fast(T + HOUR)).toBe(a);
    expect(fast(T + HOUR + 1)).toBe(a);
    expect(byContent(T + HOUR + 2)).toBe(a);
    const taken = identities.takeNew();
    expect(taken.rows).toEqual([row(T + HOUR)]);
    expect(taken.bytes).toBeGreaterThan(0);
    // ... by content ...
    expect(byContent(T + 2 * HOUR + 5)).toBe(a);
    expect(fast(T + 2 * HOUR + 6)).toBe(a);
    expect(identities.takeNew().rows).toEqual([row(T + 2 * HOUR + 5)]);
    // ... and through the map of namespace label objects
    expect(byPair(T + 3 * HOUR + 4)).toBe(a);
    expect(identities.takeNew().rows).toEqual([]);
    expect(fast(T + 3 * HOUR + 5)).toBe(a);
    expect(identities.takeNew().rows).toEqual([row(T + 3 * HOUR + 5)]);
  });
});

describe('records of the shop capture, through the real pipeline', () => {
  let store: FlowStore;
  let rows: FlowRecordRow[];
  const cluster = `attr-${randomBytes(3).toString('hex')}`;
  // Each run writes at a time of its own in 2019, a year no other suite writes to.
  const base = Date.UTC(2019, 0, 1 + (randomBytes(2).readUInt16BE(0) % 300), 10);

  beforeAll(async () => {
    store = await FlowStore.open(databaseUrl);
    const pipeline = new FlowPipeline({ snapshot: snapshot(), id: null }, { store, windowMs: 10_000 });
    const flows = shopFlows();
    // The capture twice in one window (fresh ids): the same keys, so the same records, counted twice.
    for (const round of [0, 1]) {
      for (const flow of flows) {
        await pipeline.accept('hubble:attr', { ok: true, kind: 'flow', flow: { ...flow, id: `${flow.id}-${cluster}-${round}`, time: base + (flow.time % 10_000) / 10, cluster } });
      }
    }
    await pipeline.close();
    rows = (await store.flowRecords.list(1_000_000)).filter((r) => r.cluster === cluster);
  });
  afterAll(async () => {
    await store.close();
  });

  const find = (src: string, dst: string, port: number, direction: string, observed = 'forwarded') =>
    rows.filter((r) => `${r.srcNamespace}/${r.srcWorkload ?? r.srcIp}` === src && `${r.dstNamespace ?? ''}/${r.dstWorkload ?? r.dstIp}` === dst && r.dstPort === port && r.direction === direction && r.observed === observed && r.event === 'connection');

  // connection as records name it, port, direction, observed → rules that admitted it (null: not allowed)
  const TABLE: readonly [string, string, number, string, string, string[] | null][] = [
    ['shop/frontend', 'shop/backend', 8080, 'egress', 'forwarded', ['shop/backend-ingress-from-frontend#ingress[0]', 'shop/frontend-egress-to-backend#egress[0]']],
    ['shop/frontend', 'shop/backend', 8080, 'ingress', 'forwarded', ['shop/backend-ingress-from-frontend#ingress[0]', 'shop/frontend-egress-to-backend#egress[0]']],
    ['shop/backend', 'shop/database', 5432, 'egress', 'forwarded', ['shop/backend-egress-to-database#egress[0]', 'shop/database-ingress-from-backend#ingress[0]']],
    ['shop/backend', 'shop/database', 5432, 'ingress', 'forwarded', ['shop/backend-egress-to-database#egress[0]', 'shop/database-ingress-from-backend#ingress[0]']],
    ['shop/backend', 'shop/database', 5432, 'ingress', 'dropped', ['shop/backend-egress-to-database#egress[0]', 'shop/database-ingress-from-backend#ingress[0]']],
    // coredns is selected by no policy: only the egress half names a rule.
    ['shop/backend', 'kube-system/coredns', 53, 'egress', 'forwarded', ['shop/allow-dns-egress#egress[0]']],
    ['shop/backend', '/203.0.113.50', 443, 'egress', 'forwarded', ['shop/backend-egress-to-internet#egress[0]']],
    ['shop/database', '/203.0.113.50', 443, 'egress', 'dropped', null],
    ['shop/frontend', 'shop/database', 5432, 'egress', 'forwarded', null],
    ['shop/frontend', 'shop/backend', 8080, 'ingress', 'dropped', null],
  ];
  it.each(TABLE)('%s → %s:%d (%s, %s) keeps the rules %j', (src, dst, port, direction, observed, rules) => {
    const found = find(src, dst, port, direction, observed).filter((r) => r.protocol !== 'ICMPv4');
    expect(found).toHaveLength(1);
    expect(found[0]?.allowedBy ?? null).toEqual(rules);
    expect(found[0]?.flowCount).toBe(2);
  });

  it('gives every labeled record the identities of its sides (0 for an external peer), and unlabeled ones none', () => {
    for (const row of rows) {
      if (row.label === null) {
        expect(row.srcIdentity).toBeNull();
        expect(row.dstIdentity).toBeNull();
        continue;
      }
      expect(row.srcIdentity).toMatch(/^-?[1-9]\d*$/);
      expect(row.dstIdentity).toMatch(row.dstNamespace === null ? /^0$/ : /^-?[1-9]\d*$/);
    }
    expect(rows.filter((r) => r.label !== null)).toHaveLength(12);
  });

  it('stores each identity with the labels its flows carried, last seen at most two hours before its records', async () => {
    const [record] = find('shop/backend', 'kube-system/coredns', 53, 'egress');
    const stored = (await store.identities.get([record?.srcIdentity ?? '0', record?.dstIdentity ?? '0'])).sort((a, b) => a.namespace.localeCompare(b.namespace));
    // (other tests of this database may have written the same identities later: last_seen never moves back)
    for (const identity of stored) expect(identity.lastSeen?.getTime()).toBeGreaterThanOrEqual((record?.lastSeen.getTime() ?? 0) - 2 * HOUR);
    expect(stored.map(({ lastSeen: _, ...rest }) => rest)).toEqual([
      { id: record?.dstIdentity, namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, namespaceLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
      { id: record?.srcIdentity, namespace: 'shop', labels: { app: 'backend', tier: 'api' }, namespaceLabels: { env: 'prod', 'kubernetes.io/metadata.name': 'shop', team: 'retail' } },
    ]);
  });
});
