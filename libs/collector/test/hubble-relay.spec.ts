import type { Flow } from '@driftwatch/flow';
import { FlowStore } from '@driftwatch/persistence';
import { compileRevision, loadManifests, type PolicySnapshot } from '@driftwatch/policy-engine';
import { createSyntheticCluster, FakeHubbleRelay, generateHubbleTraffic, malformedFrame, readTlsFixture, renderSyntheticPolicies, TLS_FIXTURES, withUnknownFields, type SyntheticHubbleEvent, workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FlowPipeline, HubbleRelaySource } from '../src/index.js';
import { Backoff } from '@driftwatch/common';
import { closedPort, Recorder, recorderLogger } from './support/collector-kit.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

const cluster = createSyntheticCluster({ seed: 11, namespaces: 3 });
let snapshot: PolicySnapshot;
let store: FlowStore;

beforeAll(async () => {
  const loaded = loadManifests([{ name: 'synthetic.yaml', text: renderSyntheticPolicies(cluster) }]);
  expect(loaded.problems).toEqual([]);
  snapshot = compileRevision(loaded, { revision: 1 });
  store = await FlowStore.open(databaseUrl);
});
afterAll(() => store.close());

/** Synthetic traffic starting at a time of its own, so that tests sharing the database can be told apart. */
function traffic(count: number, startTimeMs: number, extra: { lostEventsEvery?: number } = {}): SyntheticHubbleEvent[] {
  return [...generateHubbleTraffic(cluster, { seed: startTimeMs % 997, count, startTimeMs, meanGapMicros: 2000, ...extra })];
}

function expectedTotals(events: readonly SyntheticHubbleEvent[]) {
  const totals = { flows: 0, allowed: 0, denied: 0, unexpected: 0, skipped: 0, lost: 0 };
  for (const { expected, response } of events) {
    if (expected.kind === 'lost_events') {
      totals.lost += Number((response.lost_events as { num_events_lost?: string } | undefined)?.num_events_lost ?? 0);
      continue;
    }
    totals.flows += 1;
    if (expected.label) totals[expected.label] += 1;
    else totals.skipped += 1;
  }
  return totals;
}

/** What the database holds for windows in [since, since + 1 day): each test writes in a day of its own. */
async function storedTotals(since: Date) {
  const rows = await store.flowRecords.totals(since, new Date(since.getTime() + 86_400_000));
  const sum = (pick: (r: (typeof rows)[number]) => boolean) => rows.filter(pick).reduce((n, r) => n + r.flows, 0);
  return {
    allowed: sum((r) => r.label === 'allowed'),
    denied: sum((r) => r.label === 'denied'),
    unexpected: sum((r) => r.label === 'unexpected'),
    skipped: sum((r) => r.label === null),
    unenforcedDeny: sum((r) => r.driftKind === 'unenforced-deny'),
    unexpectedDrop: sum((r) => r.driftKind === 'unexpected-drop'),
  };
}

function startPipeline(flows: Recorder<Flow>, logs: Recorder<string>) {
  return new FlowPipeline({ snapshot, id: null }, { store, windowMs: 10_000, onFlow: (flow) => flows.push(flow), logger: recorderLogger(logs) });
}

describe('Hubble GetFlows → pipeline → Postgres', () => {
  it('stores every flow with the label the declared policies imply, and records lost events as a gap', async () => {
    const start = Date.UTC(2026, 10, 1, 10, 0, 0);
    const events = traffic(3000, start, { lostEventsEvery: 1000 });
    const relay = await FakeHubbleRelay.start({ history: events.map((e) => e.response) });
    const flows = new Recorder<Flow>();
    const logs = new Recorder<string>();
    const pipeline = startPipeline(flows, logs);
    const source = new HubbleRelaySource(pipeline, { address: relay.address, logger: recorderLogger(logs) });
    await source.start();
    const want = expectedTotals(events);
    expect(want.unexpected).toBeGreaterThan(0);
    expect(want.lost).toBeGreaterThan(0);
    await flows.count(want.flows, 'flows');
    await source.stop();
    await pipeline.close();
    await relay.stop();

    const { flows: _f, lost, ...labels } = want;
    expect(pipeline.summary).toMatchObject({ ...labels, flows: want.flows, lost, duplicates: 0, malformed: 0 });
    const stored = await storedTotals(new Date(start));
    expect(stored).toMatchObject(labels);
    expect(stored.unenforcedDeny + stored.unexpectedDrop).toBe(want.unexpected);
    const gaps = (await store.collectors.events(source.id)).filter((e) => e.kind === 'lost_events');
    expect(gaps.reduce((n, e) => n + e.count, 0)).toBe(lost);
    expect(await store.collectors.load(source.id)).toMatchObject({ kind: 'hubble', lostEvents: lost });
    expect(logs.items.some((l) => l.includes('lost') && l.includes('recorded as a gap'))).toBe(true);
  }, 20_000); // thousands of flows into Postgres: slow on a busy 2-core machine

  it('loses and duplicates nothing when the relay is killed mid-stream and comes back', async () => {
    const start = Date.UTC(2026, 10, 2, 10, 0, 0);
    const events = traffic(2000, start);
    const [first, second] = [events.slice(0, 1200), events.slice(1200)];
    const relay = await FakeHubbleRelay.start({ history: first.map((e) => e.response) });
    const flows = new Recorder<Flow>();
    const logs = new Recorder<string>();
    const pipeline = startPipeline(flows, logs);
    const source = new HubbleRelaySource(pipeline, { address: relay.address, logger: recorderLogger(logs) });
    await source.start();
    await flows.count(first.length, 'flows before the kill');
    relay.kill();
    await logs.until((lines) => lines.some((l) => l.includes('reconnecting with backoff')), 'the lost-connection line');
    relay.push(...second.map((e) => e.response));
    await relay.restart();
    await logs.until((lines) => lines.some((l) => l.includes(': reconnected to Hubble at ')), 'the reconnection');
    const want = expectedTotals(events);
    await flows.count(want.flows, 'all flows');
    await source.stop();
    await pipeline.close();
    await relay.stop();

    const resumed = relay.requests.at(-1);
    expect(resumed?.since).toBeGreaterThan(start);
    expect(pipeline.summary.duplicates).toBeGreaterThan(0); // the overlap was replayed, and dropped
    const { flows: _f, lost: _l, ...labels } = want;
    expect(pipeline.summary).toMatchObject(labels);
    expect(await storedTotals(new Date(start))).toMatchObject(labels);
    expect(logs.items.filter((l) => l.includes('reconnecting with backoff'))).toHaveLength(1);
    const replayed = (await store.collectors.events(source.id)).filter((e) => e.kind === 'duplicates');
    expect(replayed.reduce((n, e) => n + e.count, 0)).toBe(pipeline.summary.duplicates);
  }, 20_000);

  it('logs and skips malformed messages and ignores unknown fields, while the stream goes on', async () => {
    const start = Date.UTC(2026, 10, 3, 10, 0, 0);
    const events = traffic(40, start);
    const history = [
      ...events.slice(0, 20).map((e) => e.response),
      malformedFrame('truncated'),
      ...events.slice(20, 30).map((e) => withUnknownFields(e.response)),
      malformedFrame('bad-wire-type'),
      ...events.slice(30).map((e) => e.response),
    ];
    const relay = await FakeHubbleRelay.start({ history });
    const flows = new Recorder<Flow>();
    const logs = new Recorder<string>();
    const pipeline = startPipeline(flows, logs);
    const source = new HubbleRelaySource(pipeline, { address: relay.address, logger: recorderLogger(logs) });
    await source.start();
    await flows.count(events.length, 'flows around the garbage');
    await source.stop();
    await pipeline.close();
    await relay.stop();
    expect(pipeline.summary.malformed).toBe(2);
    expect(pipeline.summary.flows).toBe(events.length);
    expect(logs.items.filter((l) => l.includes('skipped a malformed message'))).toHaveLength(2);
    const malformed = (await store.collectors.events(source.id)).filter((e) => e.kind === 'malformed');
    expect(malformed.reduce((n, e) => n + e.count, 0)).toBe(2);
    expect(malformed.length).toBeLessThanOrEqual(2); // one row per error code and batch, not per message
  });

  it('pauses the gRPC stream while the database is behind, and loses nothing when it catches up', async () => {
    const events = traffic(400, Date.UTC(2026, 10, 5, 10, 0, 0));
    const relay = await FakeHubbleRelay.start({ history: events.map((e) => e.response) });
    const writes = new Recorder<unknown>();
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const blocked = { writeBatch: async (batch: unknown) => (writes.push(batch), gate) } as unknown as FlowStore;
    const flows = new Recorder<Flow>();
    const pipeline = new FlowPipeline({ snapshot, id: null }, { store: blocked, maxOpenRecords: 1, maxPendingBatches: 2, onFlow: flows.push });
    const source = new HubbleRelaySource(pipeline, { address: relay.address });
    await source.start();
    try {
      await writes.count(1, 'a database write');
      // The database hangs: once two batches wait, the stream is paused and the flows stop coming.
      await flows.count(2, 'flows until the queue is full');
      const held = flows.items.length;
      await new Promise((resolve) => setTimeout(resolve, 300)); // nothing to await for an absent event
      expect(flows.items.length).toBe(held);
      expect(held).toBeLessThan(events.length);
    } finally {
      release();
    }
    await flows.count(events.length, 'every flow after the database caught up');
    await source.stop();
    await pipeline.close();
    await relay.stop();
    expect(pipeline.summary).toMatchObject({ flows: events.length, duplicates: 0 });
  });

  it('retries an unreachable relay with backoff, logging it once, without crashing', async () => {
    const port = await closedPort();
    const logs = new Recorder<string>();
    const pipeline = new FlowPipeline({ snapshot, id: null }, { logger: recorderLogger(logs) });
    const source = new HubbleRelaySource(pipeline, { address: `127.0.0.1:${port}`, logger: recorderLogger(logs), backoff: new Backoff(20) });
    await source.start();
    const deadline = Date.now() + 10_000;
    while (source.failedAttempts < 4 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    await source.stop();
    await pipeline.close();
    expect(source.failedAttempts).toBeGreaterThanOrEqual(4);
    expect(logs.items).toEqual([`hubble:127.0.0.1:${port}: cannot reach Hubble at 127.0.0.1:${port} (connection refused); reconnecting with backoff`]);
  });
});

describe('Hubble over TLS', () => {
  const tls = { cert: readTlsFixture(TLS_FIXTURES.relayCert), key: readTlsFixture(TLS_FIXTURES.relayKey), clientCa: readTlsFixture(TLS_FIXTURES.ca) };

  it('streams over mutual TLS with a CA, a client certificate and a server name override', async () => {
    const events = traffic(50, Date.UTC(2026, 10, 4, 10, 0, 0));
    const relay = await FakeHubbleRelay.start({ history: events.map((e) => e.response), tls });
    const flows = new Recorder<Flow>();
    const pipeline = new FlowPipeline({ snapshot, id: null }, { onFlow: flows.push });
    const source = new HubbleRelaySource(pipeline, {
      address: relay.address,
      tls: { caFile: TLS_FIXTURES.ca, certFile: TLS_FIXTURES.clientCert, keyFile: TLS_FIXTURES.clientKey, serverName: TLS_FIXTURES.relayName },
    });
    await source.start();
    await flows.count(events.length, 'flows over mTLS');
    await source.stop();
    await pipeline.close();
    await relay.stop();
    expect(pipeline.summary.flows).toBe(events.length);
  });

  it('is refused without a client certificate, says so once, and keeps retrying', async () => {
    const relay = await FakeHubbleRelay.start({ history: [], tls });
    const logs = new Recorder<string>();
    const pipeline = new FlowPipeline({ snapshot, id: null }, { logger: recorderLogger(logs) });
    const source = new HubbleRelaySource(pipeline, { address: relay.address, tls: { caFile: TLS_FIXTURES.ca, serverName: TLS_FIXTURES.relayName }, logger: recorderLogger(logs), backoff: new Backoff(20) });
    await source.start();
    const deadline = Date.now() + 10_000;
    while (source.failedAttempts < 3 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    await source.stop();
    await pipeline.close();
    await relay.stop();
    expect(source.failedAttempts).toBeGreaterThanOrEqual(3);
    expect(logs.items).toHaveLength(1);
    expect(logs.items).toEqual([`hubble:${relay.address}: cannot reach Hubble at ${relay.address} (TLS: the server requires a client certificate); reconnecting with backoff`]);
  });
});
