import * as grpc from '@grpc/grpc-js';
import type { FlowBatch, FlowStore } from '@driftwatch/persistence';
import { StallingProxy, workerDatabaseUrl } from '@driftwatch/testing';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { GoldmaneStreamSource, loadGoldmaneApi } from '../src/index.js';
import {
  bucketStart, closedPort, goldmaneFlow, openTestPipeline, Recorder, TRUNCATED_FRAME, varintField, recorderLogger, type TestPipeline } from './support/collector-kit.js';
import { Backoff } from '@driftwatch/common';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

const STREAM = loadGoldmaneApi().Flows.service['Stream'] as grpc.MethodDefinition<Record<string, unknown>, object>;

/** A FlowResult the fake sends: a message object, or raw bytes sent untouched. */
type Sent = { id: string; flow: Record<string, unknown> } | Buffer;

/**
 * A minimal fake Goldmane serving `goldmane.Flows/Stream`: it records each request's `start_time_gte`, sends
 * headers, then every result whose bucket starts at or after it (raw frames always), and keeps the call open
 * like the live stream does. `kill()` drops every connection at once (a crashed Goldmane).
 */
class FakeGoldmane {
  readonly requests = new Recorder<string>();
  readonly cancelled = new Recorder<string>();
  private readonly server = new grpc.Server();

  constructor(private readonly results: readonly Sent[]) {
    const serialize = (value: object) => (Buffer.isBuffer(value) ? value : STREAM.responseSerialize(value));
    this.server.addService({ Stream: { ...STREAM, responseSerialize: serialize } }, {
      Stream: (call: grpc.ServerWritableStream<Record<string, unknown>, object>) => this.stream(call),
    });
  }

  start(port = 0): Promise<number> {
    return new Promise((resolve, reject) =>
      this.server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
  }

  kill(): void {
    this.server.forceShutdown();
  }

  private stream(call: grpc.ServerWritableStream<Record<string, unknown>, object>): void {
    const gte = String(call.request['start_time_gte'] ?? '0');
    call.on('cancelled', () => this.cancelled.push(gte));
    call.sendMetadata(new grpc.Metadata());
    for (const result of this.results) {
      if (Buffer.isBuffer(result) || Number(gte) <= 0 || Number(result.flow['start_time']) >= Number(gte)) call.write(result);
    }
    this.requests.push(gte);
  }
}

let open: { kit?: TestPipeline; source?: GoldmaneStreamSource; fakes: FakeGoldmane[]; proxy?: StallingProxy } = { fakes: [] };
afterEach(async () => {
  await open.source?.stop();
  await open.proxy?.close();
  for (const fake of open.fakes) fake.kill();
  await open.kit?.close();
  open = { fakes: [] };
});

function fake(results: readonly Sent[]): FakeGoldmane {
  const server = new FakeGoldmane(results);
  open.fakes.push(server);
  return server;
}

/** A backoff that counts its retries: fast, for tests. */
class CountingBackoff extends Backoff {
  readonly retries = new Recorder<number>();

  constructor() {
    super(20, 100);
  }

  override next(): number {
    const ms = super.next();
    this.retries.push(ms);
    return ms;
  }
}

describe('GoldmaneStreamSource (goldmane.Flows/Stream)', () => {
  it('notices a stalled connection by keepalive pings, logs it once and resumes over a working path', async () => {
    const ns = 'goldmane-stall';
    const kit = (open.kit = await openTestPipeline(databaseUrl, ns));
    const t = bucketStart(24);
    const server = fake([0, 15].map((offset) => ({ id: '1', flow: goldmaneFlow({ ns, start: t + offset, port: 8080 }) })));
    const proxy = (open.proxy = await StallingProxy.start(await server.start()));
    const source = (open.source = new GoldmaneStreamSource(kit.pipeline, {
      address: proxy.address, startTimeGte: t, backoff: new Backoff(20, 100), logger: recorderLogger(kit.logs), keepalive: { timeMs: 200, timeoutMs: 300 },
    }));
    await source.start();
    await kit.flows.count(2, 'flows before the stall');
    proxy.stall(); // the connection stays open, and silent
    await kit.logs.until((lines) => lines.some((line) => line.includes('reconnected')), 'the reconnection', 10_000);
    expect(server.requests.items).toEqual([String(t), String(t + 15)]);
    expect(kit.logs.items).toEqual([
      expect.stringMatching(new RegExp(`^goldmane:${proxy.address}: lost the connection to Goldmane at ${proxy.address} \\(.+\\); reconnecting with backoff$`)),
      `goldmane:${proxy.address}: reconnected to Goldmane at ${proxy.address}`,
    ]);
  }, 20_000);

  it('resumes after a disconnect mid-stream with start_time_gte, losing and duplicating nothing', async () => {
    const ns = 'goldmane-resume';
    const kit = (open.kit = await openTestPipeline(databaseUrl, ns));
    const t = bucketStart(21);
    // Four 15 s buckets, two flow keys each (port 8080 is declared allow, 9090 deny); ids are stable per key.
    const results = [0, 15, 30, 45].flatMap((offset) => [
      { id: '1', flow: goldmaneFlow({ ns, start: t + offset, port: 8080 }) },
      { id: '2', flow: goldmaneFlow({ ns, start: t + offset, port: 9090 }) },
    ]);
    const first = fake(results.slice(0, 5)); // dies in the middle of the third bucket
    const port = await first.start();
    const source = (open.source = new GoldmaneStreamSource(kit.pipeline, {
      address: `127.0.0.1:${port}`, startTimeGte: t, backoff: new Backoff(20, 100), logger: recorderLogger(kit.logs),
    }));
    await source.start();
    await kit.flows.count(5, 'flows from the first Goldmane');
    expect(first.requests.items).toEqual([String(t)]);

    first.kill();
    await kit.logs.until((lines) => lines.some((line) => line.includes('lost the connection')), 'the lost-connection line');
    const second = fake(results);
    await second.start(port);
    await kit.flows.count(8, 'all flows');
    await kit.logs.until((lines) => lines.some((line) => line.includes('reconnected')), 'the reconnected line');

    // Resumed from the newest bucket received: the third bucket is replayed, its first flow dropped as a duplicate.
    expect(second.requests.items).toEqual([String(t + 30)]);
    expect(kit.pipeline.summary).toMatchObject({ flows: 9, duplicates: 1, malformed: 0 });
    expect(kit.logs.items).toEqual([
      expect.stringMatching(new RegExp(`^goldmane:127\\.0\\.0\\.1:${port}: lost the connection to Goldmane at 127\\.0\\.0\\.1:${port} \\(.+\\); reconnecting with backoff$`)),
      `goldmane:127.0.0.1:${port}: reconnected to Goldmane at 127.0.0.1:${port}`,
    ]);
    const records = await kit.records(ns);
    expect(records).toHaveLength(8);
    expect(new Set(records.map((r) => r.sampleFlowId)).size).toBe(8);
    expect(records.map((r) => `${r.windowStart.getTime() / 1000 - t}:${r.dstPort}:${r.label}`).sort()).toEqual([
      '0:8080:allowed', '0:9090:unexpected', '15:8080:allowed', '15:9090:unexpected',
      '30:8080:allowed', '30:9090:unexpected', '45:8080:allowed', '45:9090:unexpected',
    ]);

    await source.stop();
    await second.cancelled.count(1, 'the stream cancelled by stop()');
    await kit.pipeline.drainAll();
    const events = await kit.store.collectors.events(source.id);
    expect(events.map((e) => e.kind).filter((kind) => kind !== 'duplicates')).toEqual(['connected', 'disconnected', 'connected', 'disconnected']);
    expect(events.filter((e) => e.kind === 'duplicates').reduce((n, e) => n + e.count, 0)).toBe(kit.pipeline.summary.duplicates);
  });

  it('skips undecodable and empty results, logs them, passes unknown fields, and the stream goes on', async () => {
    const ns = 'goldmane-malformed';
    const kit = (open.kit = await openTestPipeline(databaseUrl, ns));
    const t = bucketStart(22);
    const withUnknown = Buffer.concat([STREAM.responseSerialize({ id: '3', flow: goldmaneFlow({ ns, start: t + 15 }) }), varintField(42, 1)]);
    const server = fake([
      { id: '1', flow: goldmaneFlow({ ns, start: t }) },
      TRUNCATED_FRAME,
      STREAM.responseSerialize({ id: '2' }),
      withUnknown,
      { id: '4', flow: goldmaneFlow({ ns, start: t + 30, port: 9090 }) },
    ]);
    const source = (open.source = new GoldmaneStreamSource(kit.pipeline, { address: `127.0.0.1:${await server.start()}`, logger: recorderLogger(kit.logs) }));
    await source.start();
    await kit.flows.count(3, 'flows around the bad messages');
    expect(server.requests.items).toEqual(['0']); // the default: from now on
    expect(kit.pipeline.summary).toMatchObject({ flows: 3, malformed: 2 });
    expect(kit.logs.items).toEqual([
      expect.stringMatching(/skipped a malformed message \(undecodable_message: cannot decode a 3-byte message: /),
      expect.stringMatching(/skipped a malformed message \(missing_field at flow: a FlowResult without a flow/),
    ]);
    expect((await kit.records(ns)).map((r) => r.dstPort).sort()).toEqual([8080, 8080, 9090]);
  });

  it('pauses the call while the pipeline waits for the database (backpressure)', async () => {
    const ns = 'goldmane-backpressure';
    const writes = new Recorder<FlowBatch>();
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slowStore = { writeBatch: async (batch: FlowBatch) => (writes.push(batch), gate) } as unknown as FlowStore;
    const kit = (open.kit = await openTestPipeline(databaseUrl, ns, { store: slowStore, maxOpenRecords: 1, maxPendingBatches: 1 }));
    const t = bucketStart(23);
    const server = fake([0, 15, 30, 45, 60].map((offset) => ({ id: '1', flow: goldmaneFlow({ ns, start: t + offset }) })));
    const source = (open.source = new GoldmaneStreamSource(kit.pipeline, { address: `127.0.0.1:${await server.start()}`, logger: recorderLogger(kit.logs) }));
    await source.start();
    try {
      await writes.count(1, 'database write');
      // Nothing to await for an absent event: give the stream a fair chance to (wrongly) go on.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(kit.pipeline.summary.flows).toBe(1);
    } finally {
      release();
    }
    await kit.flows.count(5, 'the rest of the stream once the database caught up');
  });

  it('retries an unreachable Goldmane with backoff, logs it exactly once, and stops cleanly', async () => {
    const kit = (open.kit = await openTestPipeline(databaseUrl, 'goldmane-unreachable'));
    const address = `127.0.0.1:${await closedPort()}`;
    const backoff = new CountingBackoff();
    const source = (open.source = new GoldmaneStreamSource(kit.pipeline, { address, backoff, logger: recorderLogger(kit.logs) }));
    await source.start();
    await backoff.retries.count(4, 'retries');
    expect(kit.logs.items).toEqual([
      expect.stringMatching(new RegExp(`^goldmane:${address}: cannot reach Goldmane at ${address} \\(connection refused\\); reconnecting with backoff$`)),
    ]);
    await source.stop();
    const retries = backoff.retries.items.length;
    expect(kit.logs.items).toHaveLength(1);
    expect(backoff.retries.items.length).toBe(retries);
    await kit.pipeline.drainAll();
    expect((await kit.store.collectors.events(source.id)).map((e) => e.kind)).toEqual(['disconnected']);
  });
});
