import { credentials, status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { loadHubbleApi } from '@driftwatch/collector';
import { createHubbleNormalizer } from '@driftwatch/flow';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeHubbleRelay } from './fake-hubble-relay.js';
import { toTimestamp, type GrpcGetFlowsResponse } from './hubble-messages.js';
import { malformedFrame, withUnknownFields } from './relay-frames.js';
import { createSyntheticCluster } from './synthetic-cluster.js';
import { encodedHubbleStream } from './synthetic-encoded.js';

const T0 = Date.UTC(2026, 0, 1);

function flowAt(i: number): GrpcGetFlowsResponse {
  const time = toTimestamp(T0 + i * 1000);
  return {
    flow: {
      time, uuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, verdict: 'FORWARDED', is_reply: { value: false },
      IP: { source: '10.0.0.1', destination: '10.0.0.2' }, l4: { TCP: { source_port: 40000 + i, destination_port: 8080, flags: { SYN: true } } },
      source: { identity: 300, namespace: 'shop', pod_name: 'frontend-7d4d858f75-j76f7', labels: ['k8s:app=frontend', 'k8s:io.kubernetes.pod.namespace=shop'] },
      destination: { identity: 301, namespace: 'shop', pod_name: 'backend-5c9f8b7d6c-x2x4z', labels: ['k8s:app=backend', 'k8s:io.kubernetes.pod.namespace=shop'] },
      traffic_direction: 'EGRESS', event_type: { type: 5 },
    },
    node_name: 'kind/worker',
    time,
  };
}

const HISTORY = Array.from({ length: 10 }, (_, i) => flowAt(i));

interface Received {
  readonly messages: Record<string, unknown>[];
  readonly error: ServiceError | undefined;
}

const relays: FakeHubbleRelay[] = [];
const clients: Array<{ close(): void }> = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const relay of relays.splice(0)) await relay.stop();
});

async function startRelay(options: Parameters<typeof FakeHubbleRelay.start>[0] = {}): Promise<FakeHubbleRelay> {
  const relay = await FakeHubbleRelay.start(options);
  relays.push(relay);
  return relay;
}

/** Calls GetFlows and collects messages until the stream ends, fails, or `enough` says stop (then cancels). */
function getFlows(
  address: string, request: Record<string, unknown>, enough?: (count: number) => boolean, onCount?: (count: number) => void,
): Promise<Received> {
  const { Observer } = loadHubbleApi();
  const client = new Observer(address, credentials.createInsecure());
  clients.push(client);
  const call = (client as unknown as { GetFlows(r: unknown): ClientReadableStream<Record<string, unknown>> }).GetFlows(request);
  const messages: Record<string, unknown>[] = [];
  return new Promise((resolve) => {
    let done = false;
    const finish = (error?: ServiceError): void => {
      if (done) return;
      done = true;
      resolve({ messages, error });
    };
    call.on('data', (message: Record<string, unknown>) => {
      messages.push(message);
      onCount?.(messages.length);
      if (enough?.(messages.length)) {
        finish();
        call.cancel();
      }
    });
    call.on('error', (error: ServiceError) => finish(error.code === status.CANCELLED && done ? undefined : error));
    call.on('end', () => finish());
  });
}

function uuids(messages: Record<string, unknown>[]): string[] {
  return messages.map((m) => String((m['flow'] as Record<string, unknown> | undefined)?.['uuid']));
}

describe('FakeHubbleRelay', () => {
  it('serves its history to a real grpc-js client, decodable by the Hubble normalizer', async () => {
    const relay = await startRelay({ history: HISTORY });
    const { messages, error } = await getFlows(relay.address, {});
    expect(error).toBeUndefined();
    expect(uuids(messages)).toEqual(uuids(HISTORY as Record<string, unknown>[]));
    const normalizer = createHubbleNormalizer();
    const first = normalizer.response(messages[0]);
    expect(first).toMatchObject({ kind: 'flow', flow: { time: T0, node: 'worker', cluster: 'kind', dstPort: 8080, event: 'connection', direction: 'egress' } });
  });

  it('applies since (time >= since), until, and number (last N / first N)', async () => {
    const relay = await startRelay({ history: HISTORY });
    expect(uuids((await getFlows(relay.address, { since: toTimestamp(T0 + 7000) })).messages)).toEqual(uuids(HISTORY.slice(7) as Record<string, unknown>[]));
    expect(uuids((await getFlows(relay.address, { since: toTimestamp(T0 + 2000), until: toTimestamp(T0 + 4000) })).messages))
      .toEqual(uuids(HISTORY.slice(2, 5) as Record<string, unknown>[]));
    expect(uuids((await getFlows(relay.address, { number: '3' })).messages)).toEqual(uuids(HISTORY.slice(7) as Record<string, unknown>[]));
    expect(uuids((await getFlows(relay.address, { number: '2', first: true })).messages)).toEqual(uuids(HISTORY.slice(0, 2) as Record<string, unknown>[]));
    expect(relay.requests.map((r) => r.since)).toEqual([T0 + 7000, T0 + 2000, undefined, undefined]);
  });

  it('keeps a follow stream open and delivers pushes, including node_status and lost_events', async () => {
    const relay = await startRelay({ history: HISTORY.slice(0, 2) });
    const received = getFlows(relay.address, { follow: true }, (n) => n === 5);
    await relay.waitForRequests(1);
    relay.push(flowAt(2), { node_status: { state_change: 'NODE_UNAVAILABLE', node_names: ['kind/worker2'] }, time: toTimestamp(T0) });
    relay.push({ lost_events: { source: 'HUBBLE_RING_BUFFER', num_events_lost: '12' }, node_name: 'kind/worker', time: toTimestamp(T0) });
    const { messages } = await received;
    expect(messages.map((m) => m['response_types'])).toEqual(['flow', 'flow', 'flow', 'node_status', 'lost_events']);
    expect(messages[4]).toMatchObject({ lost_events: { source: 'HUBBLE_RING_BUFFER', num_events_lost: '12' } });
  });

  it('follow without since or number can be told to send only new messages', async () => {
    const relay = await startRelay({ history: HISTORY, replayHistoryOnFollow: false });
    const received = getFlows(relay.address, { follow: true }, (n) => n === 1);
    await relay.waitForRequests(1);
    relay.push(flowAt(42));
    expect(uuids((await received).messages)).toEqual(uuids([flowAt(42)] as Record<string, unknown>[]));
  });

  it('dies mid-stream when killed and comes back on the same port with the same history', async () => {
    const big = Array.from({ length: 5000 }, (_, i) => flowAt(i));
    const relay = await startRelay({ history: big });
    const port = relay.port;
    const broken = await getFlows(relay.address, { follow: true }, undefined, (n) => {
      if (n === 100) relay.kill();
    });
    expect(broken.error?.code).toBe(status.UNAVAILABLE);
    expect(broken.messages.length).toBeGreaterThanOrEqual(100);
    expect(broken.messages.length).toBeLessThan(5000);
    expect(relay.openStreams).toBe(0);

    await relay.restart();
    expect(relay.port).toBe(port);
    relay.push(flowAt(5000));
    const lastSeen = T0 + (broken.messages.length - 1) * 1000;
    const resumed = await getFlows(relay.address, { since: toTimestamp(lastSeen) });
    expect(uuids(resumed.messages)[0]).toBe(uuids(broken.messages).at(-1));
    const seen = new Set([...uuids(broken.messages), ...uuids(resumed.messages)]);
    expect(seen.size).toBe(5001);
  });

  it('can also die by a bare force shutdown (clients see CANCELLED)', async () => {
    const relay = await startRelay({ history: Array.from({ length: 2000 }, (_, i) => flowAt(i)) });
    const broken = await getFlows(relay.address, { follow: true }, undefined, (n) => {
      if (n === 10) relay.kill('cancel');
    });
    expect(broken.error?.code).toBe(status.CANCELLED);
  });

  it('sends frames with unknown fields that decode to the same message', async () => {
    const relay = await startRelay({ history: [withUnknownFields(flowAt(1)), withUnknownFields({ lost_events: { num_events_lost: '3' } })] });
    const { messages, error } = await getFlows(relay.address, {});
    expect(error).toBeUndefined();
    const plain = await getFlows((await startRelay({ history: [flowAt(1)] })).address, {});
    expect(messages[0]).toEqual(plain.messages[0]);
    expect(messages[1]).toMatchObject({ lost_events: { num_events_lost: '3' } });
  });

  it('sends malformed frames that a grpc-js client cannot decode (the call fails, INTERNAL)', async () => {
    const relay = await startRelay({ history: [flowAt(0), malformedFrame('truncated'), flowAt(1)] });
    const { messages, error } = await getFlows(relay.address, {});
    expect(messages).toHaveLength(1);
    expect(error?.code).toBe(status.INTERNAL);
  });

  it('streams a pre-encoded synthetic source at transport speed, with backpressure', async () => {
    const cluster = createSyntheticCluster();
    const relay = await startRelay({ source: () => encodedHubbleStream(cluster, { count: 20_000, templates: 512 }) });
    const { messages, error } = await getFlows(relay.address, {});
    expect(error).toBeUndefined();
    expect(messages).toHaveLength(20_000);
    expect(new Set(uuids(messages)).size).toBe(20_000);
    const normalizer = createHubbleNormalizer();
    const times = messages.map((m) => {
      const r = normalizer.response(m);
      return r.kind === 'flow' ? r.flow.time : Number.NaN;
    });
    expect(times.every((t, i) => i === 0 || t >= (times[i - 1] ?? 0))).toBe(true);
  });

  it('answers ServerStatus', async () => {
    const relay = await startRelay({ history: HISTORY });
    const { Observer } = loadHubbleApi();
    const client = new Observer(relay.address, credentials.createInsecure());
    clients.push(client);
    const reply = await new Promise<Record<string, unknown>>((resolve, reject) =>
      (client as unknown as { ServerStatus(r: unknown, cb: (e: Error | null, v: Record<string, unknown>) => void): void })
        .ServerStatus({}, (e, v) => (e ? reject(e) : resolve(v))),
    );
    expect(reply).toMatchObject({ num_flows: '10', version: 'driftwatch-fake-relay', num_connected_nodes: { value: 1 } });
  });
});
