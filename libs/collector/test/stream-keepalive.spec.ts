import type { Flow } from '@driftwatch/flow';
import { Backoff } from '@driftwatch/common';
import { FlowStore } from '@driftwatch/persistence';
import { createSyntheticCluster, FakeHubbleRelay, generateHubbleTraffic, StallingProxy, workerDatabaseUrl } from '@driftwatch/testing';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { FlowPipeline, HubbleRelaySource } from '../src/index.js';
import { Recorder, shopSnapshot, recorderLogger } from './support/collector-kit.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

const cluster = createSyntheticCluster({ seed: 29, namespaces: 2 });
const traffic = (count: number, startTimeMs: number) =>
  [...generateHubbleTraffic(cluster, { seed: startTimeMs % 997, count, startTimeMs, meanGapMicros: 2000 })].filter((e) => e.expected.kind !== 'lost_events').map((e) => e.response);

let open: { source?: HubbleRelaySource; pipeline?: FlowPipeline; store?: FlowStore; relay?: FakeHubbleRelay; proxy?: StallingProxy } = {};
afterEach(async () => {
  await open.source?.stop();
  await open.pipeline?.close();
  await open.store?.close();
  await open.proxy?.close();
  await open.relay?.stop();
  open = {};
});

describe('a streaming client behind a proxy that stalls', () => {
  it('notices the stall by keepalive, logs it once, and reconnects over a working path', async () => {
    const start = Date.UTC(2026, 10, 9, 10, 0, 0);
    const [first, second] = [traffic(50, start), traffic(30, start + 60_000)];
    const relay = (open.relay = await FakeHubbleRelay.start({ history: first }));
    const proxy = (open.proxy = await StallingProxy.start(relay.port));
    const store = (open.store = await FlowStore.open(databaseUrl));
    const flows = new Recorder<Flow>();
    const logs = new Recorder<string>();
    const pipeline = (open.pipeline = new FlowPipeline({ snapshot: shopSnapshot('keepalive'), id: null }, { store, windowMs: 0, onFlow: flows.push }));
    const source = (open.source = new HubbleRelaySource(pipeline, {
      address: proxy.address,
      logger: recorderLogger(logs),
      backoff: new Backoff(20, 100),
      keepalive: { timeMs: 200, timeoutMs: 300 },
    }));
    await source.start();
    await flows.count(first.length, 'flows before the stall');

    // The proxy stops forwarding without closing: the stream falls silent, and what the relay sends now is held.
    proxy.stall();
    relay.push(...second);
    await logs.until((lines) => lines.some((l) => l.includes('lost the connection')), 'the lost-connection line', 10_000);
    // New connections through the proxy are forwarded again: the client reconnects and resumes.
    await flows.count(first.length + second.length, 'flows after the reconnect', 10_000);
    await logs.until((lines) => lines.some((l) => l.includes('reconnected')), 'the reconnected line');

    expect(logs.items).toEqual([
      expect.stringMatching(new RegExp(`^hubble:${proxy.address}: lost the connection to Hubble at ${proxy.address} \\(the connection dropped or stopped answering keepalive pings\\); reconnecting with backoff$`)),
      `hubble:${proxy.address}: reconnected to Hubble at ${proxy.address}`,
    ]);
    expect(proxy.accepted).toBeGreaterThanOrEqual(2);
    expect(source.reached).toBe(true);
    expect(pipeline.summary.flows - pipeline.summary.duplicates).toBe(first.length + second.length); // the replayed overlap is dropped
  }, 30_000);

  it('without keepalive stays silent on a stalled stream (what the pings are for)', async () => {
    const start = Date.UTC(2026, 10, 9, 12, 0, 0);
    const relay = (open.relay = await FakeHubbleRelay.start({ history: traffic(10, start) }));
    const proxy = (open.proxy = await StallingProxy.start(relay.port));
    const flows = new Recorder<Flow>();
    const logs = new Recorder<string>();
    const pipeline = (open.pipeline = new FlowPipeline({ snapshot: shopSnapshot('keepalive-off'), id: null }, { onFlow: flows.push }));
    const source = (open.source = new HubbleRelaySource(pipeline, { address: proxy.address, logger: recorderLogger(logs), keepalive: false }));
    await source.start();
    await flows.count(10, 'flows before the stall');
    proxy.stall();
    relay.push(...traffic(5, start + 60_000));
    await new Promise((resolve) => setTimeout(resolve, 1500)); // nothing to await: the point is that nothing happens
    expect(logs.items).toEqual([]);
    expect(flows.items).toHaveLength(10);
  }, 15_000);
});
