import { credentials, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { loadGoldmaneApi } from '@driftwatch/collector';
import { normalizeGoldmaneFlow } from '@driftwatch/flow';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeGoldmane, type GoldmaneFlowObject } from './fake-goldmane.js';
import { FelixClient } from './felix-client.js';

const NOW = 1_764_970_900;

function bucket(startTime: number, sourceName = 'frontend-5f7c9d8b6c-*'): GoldmaneFlowObject {
  return {
    Key: {
      source_name: sourceName, source_namespace: 'shop', source_type: 'WorkloadEndpoint', dest_name: 'backend-6d8f7c9b5d-*',
      dest_namespace: 'shop', dest_type: 'WorkloadEndpoint', dest_port: '8080', proto: 'tcp', reporter: 'Src', action: 'Allow',
      policies: { enforced_policies: [{ kind: 'NetworkPolicy', namespace: 'shop', name: 'frontend-egress', tier: 'default', action: 'Allow' }] },
    },
    start_time: String(startTime), end_time: String(startTime + 15), source_labels: ['app=frontend'], dest_labels: ['app=backend'],
    num_connections_started: '3',
  };
}

const HISTORY = [bucket(NOW - 3600), bucket(NOW - 120), bucket(NOW - 30), bucket(NOW - 30, 'worker-7b9c8d6f5g-*')];

const fakes: FakeGoldmane[] = [];
const closers: Array<{ close(): void }> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) c.close();
  for (const f of fakes.splice(0)) await f.stop();
});

async function start(): Promise<FakeGoldmane> {
  const fake = await FakeGoldmane.start({ flows: HISTORY, now: () => NOW });
  fakes.push(fake);
  return fake;
}

interface FlowResult {
  readonly id: string;
  readonly flow: Record<string, unknown> & { readonly start_time: string };
}

/** Opens Flows.Stream and resolves with the first `count` results (then cancels). */
function stream(address: string, startTimeGte: number, count: number, onOpen?: () => void): Promise<FlowResult[]> {
  const { Flows } = loadGoldmaneApi();
  const client = new Flows(address, credentials.createInsecure());
  closers.push(client);
  const call = (client as unknown as { Stream(r: unknown): ClientReadableStream<FlowResult> }).Stream({ start_time_gte: String(startTimeGte) });
  const results: FlowResult[] = [];
  onOpen?.();
  return new Promise((resolve, reject) => {
    call.on('data', (r: FlowResult) => {
      results.push(r);
      if (results.length === count) {
        call.cancel();
        resolve(results);
      }
    });
    call.on('error', (e: ServiceError) => {
      if (results.length < count) reject(e);
    });
  });
}

describe('FakeGoldmane Flows.Stream', () => {
  it('absolute start_time_gte backfills from that second on, with stable ids per key', async () => {
    const fake = await start();
    const results = await stream(fake.address, NOW - 200, 3);
    expect(results.map((r) => Number(r.flow.start_time))).toEqual([NOW - 120, NOW - 30, NOW - 30]);
    expect(results[0]?.id).toBe(results[1]?.id);
    expect(results[2]?.id).not.toBe(results[0]?.id);
    const flow = normalizeGoldmaneFlow(results[0]?.flow);
    expect(flow).toMatchObject({ kind: 'flow', flow: { source: 'goldmane', direction: 'egress', count: 3, dstPort: 8080 } });
  });

  it('negative start_time_gte is relative to now', async () => {
    const fake = await start();
    const results = await stream(fake.address, -60, 2);
    expect(results.map((r) => Number(r.flow.start_time))).toEqual([NOW - 30, NOW - 30]);
  });

  it('0 means now: no backfill, only buckets pushed later', async () => {
    const fake = await start();
    const results = stream(fake.address, 0, 1);
    await fake.waitForStreams(1);
    fake.push(bucket(NOW + 15));
    expect((await results).map((r) => Number(r.flow.start_time))).toEqual([NOW + 15]);
    expect(fake.streamRequests).toEqual([0]);
  });
});

describe('FelixClient against FakeGoldmane FlowCollector.Connect', () => {
  it('sends in lock step, one receipt per update', async () => {
    const fake = await start();
    const felix = new FelixClient(fake.address);
    closers.push(felix);
    await felix.sendAll([bucket(NOW), bucket(NOW + 15), bucket(NOW + 30)]);
    expect(felix.receipts).toBe(3);
    expect(fake.received.map((r) => r.flow?.['start_time'])).toEqual([String(NOW), String(NOW + 15), String(NOW + 30)]);
    await expect(Promise.all([felix.send(bucket(NOW + 45)), felix.send(bucket(NOW + 60))])).rejects.toThrow(/lock step/);
  });

  it('reconnects and resends the last N flows on a new stream', async () => {
    const fake = await start();
    const felix = new FelixClient(fake.address);
    closers.push(felix);
    await felix.sendAll([bucket(NOW), bucket(NOW + 15), bucket(NOW + 30)]);
    await felix.reconnect(2);
    expect(fake.received.map((r) => [r.connection, r.flow?.['start_time']])).toEqual([
      [1, String(NOW)], [1, String(NOW + 15)], [1, String(NOW + 30)], [2, String(NOW + 15)], [2, String(NOW + 30)],
    ]);
    expect(felix.sent).toHaveLength(3);
  });

  it('a send fails while Goldmane is down; after its restart, reconnect resends everything', async () => {
    const fake = await start();
    const felix = new FelixClient(fake.address);
    closers.push(felix);
    await felix.sendAll([bucket(NOW), bucket(NOW + 15)]);
    fake.kill();
    await expect(felix.send(bucket(NOW + 30))).rejects.toThrow();
    await fake.restart();
    await felix.reconnect();
    await fake.waitForReceived(4);
    expect(fake.received.slice(2).map((r) => r.flow?.['start_time'])).toEqual([String(NOW), String(NOW + 15)]);
  });
});
