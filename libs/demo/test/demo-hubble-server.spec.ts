import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadHubbleApi, startCollection } from '@driftwatch/collector';
import { silentLogger } from '@driftwatch/common';
import type { Classification, Flow, FlowObserver } from '@driftwatch/flow';
import { FlowStore } from '@driftwatch/persistence';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DemoHubbleServer, shopTraffic, type DemoEvent } from '../src/index.js';

const POLICIES = join(import.meta.dirname, '..', '..', '..', 'examples', 'shop', 'policies');

/** A GetFlows call of a plain grpc-js client; `received` fills as messages arrive. */
function getFlows(address: string, request: object) {
  const client = new (loadHubbleApi().Observer)(address, grpc.credentials.createInsecure());
  const call = (client as unknown as { GetFlows(r: object): grpc.ClientReadableStream<Record<string, unknown>> }).GetFlows(request);
  const received: Record<string, unknown>[] = [];
  call.on('data', (m: Record<string, unknown>) => received.push(m));
  const ended = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  call.on('error', () => undefined);
  return { call, received, ended, close: () => client.close() };
}

async function until(what: () => string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The traffic a server played, regenerated from its seed and start: uuid → event. */
function replayOf(demo: DemoHubbleServer, seed: number, flowsPerSecond: number, count: number, drift: { driftEveryMs: number; firstDriftAfterMs: number }): Map<string, DemoEvent> {
  const byId = new Map<string, DemoEvent>();
  for (const event of shopTraffic({ seed, startMs: demo.startMs, flowsPerSecond, ...drift })) {
    byId.set(event.response.flow['uuid'] as string, event);
    if (byId.size === count) break;
  }
  return byId;
}

describe('the demo Hubble server', () => {
  let store: FlowStore;
  beforeAll(async () => {
    store = await FlowStore.open(inject('databaseUrl'));
  });
  afterAll(() => store.close());

  it('is consumed by the real collector with zero malformed messages, each flow labeled as the traffic intends', async () => {
    const drift = { driftEveryMs: 500, firstDriftAfterMs: 100 };
    const demo = await DemoHubbleServer.start({ seed: 5, flowsPerSecond: 400, ...drift });
    const seen: { flow: Flow; c: Classification }[] = [];
    let reached: () => void = () => undefined;
    const enough = new Promise<void>((resolve) => (reached = resolve));
    const observer: FlowObserver = {
      observe(flow, c) {
        seen.push({ flow, c });
        if (seen.length === 800) reached();
      },
    };
    const collection = await startCollection({
      store, policies: POLICIES, sources: [{ kind: 'hubble', address: demo.address }], windowSeconds: 10, logger: silentLogger, observers: [observer],
    });
    try {
      await enough;
    } finally {
      await collection.stop();
      await demo.stop();
    }
    const summary = collection.pipeline.summary;
    expect({ malformed: summary.malformed, lost: summary.lost, duplicates: summary.duplicates }).toEqual({ malformed: 0, lost: 0, duplicates: 0 });
    expect(summary.unexpected).toBeGreaterThan(0);
    const intended = replayOf(demo, 5, 400, demo.played, drift);
    const wrong = seen
      .map(({ flow, c }) => ({ id: flow.id, actual: [flow.event, c.label, c.drift], expected: intended.get(flow.id)?.expected }))
      .filter(({ actual, expected }) => JSON.stringify(actual) !== JSON.stringify([expected?.event, expected?.label, expected?.drift]));
    expect(wrong.slice(0, 5)).toEqual([]);
    const labels = new Set(seen.map(({ c }) => `${c.label}/${c.drift}`));
    expect([...labels].sort()).toEqual(['allowed/undefined', 'denied/undefined', 'undefined/undefined', 'unexpected/unenforced-deny', 'unexpected/unexpected-drop']);
  });

  it('replays its buffer for number and since, then follows; refuses filters; answers ServerStatus and GetNodes', async () => {
    let now = Date.UTC(2026, 2, 2, 10, 0, 0);
    const demo = await DemoHubbleServer.start({ seed: 3, flowsPerSecond: 50, bufferSize: 100, now: () => now });
    try {
      now += 10_000; // ten seconds of traffic are due: about 500 flows, of which the buffer keeps the last 100
      await until(() => `flows played (${demo.played})`, () => demo.played > 300);
      const played = demo.played;
      const last = getFlows(demo.address, { number: 10 });
      expect((await last.ended).code).toBe(grpc.status.OK);
      expect(last.received).toHaveLength(10);
      const first = getFlows(demo.address, { number: 5, first: true });
      await first.ended;
      expect(first.received).toHaveLength(5);
      expect(Number((first.received[0]!['flow'] as { time: { seconds: string } }).time.seconds)).toBeLessThan(Number((last.received[0]!['flow'] as { time: { seconds: string } }).time.seconds) + 1);

      const sinceMs = now - 500;
      const buffered = [...replayOf(demo, 3, 50, played, { driftEveryMs: 5000, firstDriftAfterMs: 2000 }).values()].slice(-100);
      const intended = buffered.filter((e) => Math.floor(e.timeMicros / 1000) >= sinceMs).map((e) => e.response.flow['uuid']);
      expect(intended.length).toBeGreaterThan(5);
      const since = getFlows(demo.address, { follow: true, since: { seconds: String(Math.floor(sinceMs / 1000)), nanos: (sinceMs % 1000) * 1e6 } });
      await until(() => `the replay (${since.received.length} of ${intended.length})`, () => since.received.length >= intended.length);
      const replayed = since.received.length;
      expect(since.received.map((m) => (m['flow'] as { uuid: string }).uuid)).toEqual(intended);
      const follow = getFlows(demo.address, { follow: true });
      // The clock moves only once the server holds this stream beside `since`: flows played before it arrived (one
      // tick is 50 ms, and a busy machine can take longer to deliver the call) would reach `since` alone.
      const following = () => (demo as unknown as { followers: ReadonlySet<unknown> }).followers.size;
      await until(() => `the server to hold both following streams (${following()})`, () => following() === 2);
      now += 1000;
      await until(() => `new flows (${follow.received.length})`, () => follow.received.length > 20 && since.received.length === replayed + follow.received.length);
      expect(follow.received.map((m) => (m['flow'] as { uuid: string }).uuid)).toEqual(since.received.slice(replayed).map((m) => (m['flow'] as { uuid: string }).uuid));
      since.call.cancel();
      follow.call.cancel();
      since.close();
      follow.close();
      last.close();
      first.close();

      const filtered = getFlows(demo.address, { follow: true, whitelist: [{ verdict: ['DROPPED'] }] });
      const refused = await filtered.ended;
      expect(refused.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(refused.details).toContain('filters');
      filtered.close();

      const client = new (loadHubbleApi().Observer)(demo.address, grpc.credentials.createInsecure()) as unknown as Record<string, (r: object, cb: (e: Error | null, v: Record<string, unknown>) => void) => void>;
      const status = await new Promise<Record<string, unknown>>((resolve, reject) => client['ServerStatus']!({}, (e, v) => (e ? reject(e) : resolve(v))));
      expect(status).toMatchObject({ num_flows: '100', max_flows: '100', version: 'driftwatch-demo' });
      expect(Number(status['seen_flows'])).toBeGreaterThanOrEqual(played);
      const nodes = await new Promise<Record<string, unknown>>((resolve, reject) => client['GetNodes']!({}, (e, v) => (e ? reject(e) : resolve(v))));
      expect(nodes).toMatchObject({ nodes: [{ name: 'worker-1', state: 'NODE_CONNECTED' }, { name: 'worker-2', state: 'NODE_CONNECTED' }] });
      (client as unknown as grpc.Client).close();
    } finally {
      await demo.stop();
    }
  });

  it('a reader that falls behind loses flows and is told how many with lost_events: received + lost = played', async () => {
    let now = Date.UTC(2026, 2, 2, 11, 0, 0);
    const demo = await DemoHubbleServer.start({ seed: 4, flowsPerSecond: 50, now: () => now });
    const reader = getFlows(demo.address, { follow: true });
    try {
      await until(() => 'the stream to open', () => (demo as unknown as { followers: Set<unknown> }).followers.size === 1);
      reader.call.pause();
      const before = demo.played;
      now += 200_000; // 200 s at once: more than a stream may hold
      await until(() => `the burst (${demo.played})`, () => demo.played - before > 8000);
      reader.call.resume();
      await until(() => `the backlog (${reader.received.length})`, () => reader.received.length > 4000);
      now += 2000; // a flow after the reader caught up brings the lost_events notice
      const lostOf = () => reader.received.filter((m) => m['lost_events']).reduce((n, m) => n + Number((m['lost_events'] as { num_events_lost: string }).num_events_lost), 0);
      const flows = () => reader.received.filter((m) => m['flow']).length;
      await until(() => `flows and lost to add up (${flows()} + ${lostOf()} vs ${demo.played - before})`, () => lostOf() > 0 && flows() + lostOf() === demo.played - before);
      expect(reader.received.find((m) => m['lost_events'])).toMatchObject({ lost_events: { source: 'HUBBLE_RING_BUFFER' } });
    } finally {
      reader.call.cancel();
      reader.close();
      await demo.stop();
    }
  });

  it('plays a ring-buffer overflow every lossEveryMs: lossFlows flows reach no reader and each is told, received + lost = played', async () => {
    let now = Date.UTC(2026, 2, 2, 12, 0, 0);
    const demo = await DemoHubbleServer.start({ seed: 6, flowsPerSecond: 50, now: () => now, lossEveryMs: 30_000, lossFlows: 8 });
    const reader = getFlows(demo.address, { follow: true });
    try {
      await until(() => 'the stream to open', () => (demo as unknown as { followers: Set<unknown> }).followers.size === 1);
      const before = demo.played;
      // 95 s of flow time, a second at a time (the reader keeps up): overflows at 30, 60 and 90 s
      for (let s = 0; s < 95; s++) {
        now += 1000;
        const played = demo.played;
        await until(() => `second ${s} to be played`, () => demo.played > played);
      }
      const notices = () => reader.received.filter((m) => m['lost_events']).map((m) => Number((m['lost_events'] as { num_events_lost: string }).num_events_lost));
      const flows = () => reader.received.filter((m) => m['flow']).length;
      await until(() => `flows and lost to add up (${flows()} + ${notices().join('+')} vs ${demo.played - before})`, () => flows() + notices().reduce((a, b) => a + b, 0) === demo.played - before);
      expect(notices()).toEqual([8, 8, 8]);
    } finally {
      reader.call.cancel();
      reader.close();
      await demo.stop();
    }
  });
});
