import * as grpc from '@grpc/grpc-js';
import type { FlowBatch, FlowStore } from '@driftwatch/persistence';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { normalizeGoldmaneFlow } from '@driftwatch/flow';
import { peerAddress } from '../src/grpc/server-lifecycle.js';
import { FelixCollectorServer, loadGoldmaneApi } from '../src/index.js';
import {
  bucketStart, goldmaneFlow, lengthDelimited, openTestPipeline, Recorder, TRUNCATED_FRAME, varintField, recorderLogger, type TestPipeline } from './support/collector-kit.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

const CONNECT = loadGoldmaneApi().FlowCollector.service['Connect'] as grpc.MethodDefinition<object, unknown>;

/** Encodes a FlowUpdate the way Felix does. */
const encode = (update: object): Buffer => CONNECT.requestSerialize(update);

/** The Flow bytes inside an encoded `FlowUpdate{flow}` (field 1, length-delimited). */
function flowBytes(update: Buffer): Buffer {
  let length = 0;
  let shift = 0;
  let at = 1;
  for (;;) {
    const byte = update[at++] as number;
    length |= (byte & 0x7f) << shift;
    shift += 7;
    if (byte < 0x80) break;
  }
  return update.subarray(at, at + length);
}

/**
 * A Felix-like client: one Connect stream, strict lock-step (send one update, wait for its receipt). It fails
 * the test if the server ever answers more receipts than updates sent.
 */
class FelixClient {
  readonly receipts = new Recorder<unknown>();
  readonly status = new Recorder<grpc.StatusObject>();
  sent = 0;
  /** Receipts that came with no update outstanding (a lock-step violation). */
  unexpectedReceipts = 0;
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<Buffer, unknown>;

  constructor(port: number) {
    this.client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    this.call = this.client.makeBidiStreamRequest(CONNECT.path, (frame: Buffer) => frame, CONNECT.responseDeserialize);
    this.call.on('data', (receipt: unknown) => {
      if (this.receipts.items.length >= this.sent) this.unexpectedReceipts += 1;
      this.receipts.push(receipt);
    });
    this.call.on('status', this.status.push);
    this.call.on('error', () => undefined);
  }

  /** Sends one update; the promise resolves with its receipt. Only one may be outstanding. */
  post(frame: Buffer): Promise<void> {
    expect(this.receipts.items.length, 'an update sent before the previous receipt').toBe(this.sent);
    this.sent += 1;
    this.call.write(frame);
    return this.receipts.count(this.sent, 'receipts');
  }

  /** Sends one update and waits for its one receipt. */
  async send(frame: Buffer): Promise<void> {
    await this.post(frame);
    expect(this.unexpectedReceipts).toBe(0);
  }

  /** Drops the connection the way a restarting calico-node does. */
  cancel(): void {
    this.call.cancel();
    this.client.close();
  }

  close(): void {
    this.client.close();
  }
}

let open: { kit?: TestPipeline; server?: FelixCollectorServer; clients: FelixClient[] } = { clients: [] };
afterEach(async () => {
  for (const client of open.clients) client.close();
  await open.server?.stop();
  await open.kit?.close();
  open = { clients: [] };
});

async function startFelixServer(kit: TestPipeline): Promise<FelixCollectorServer> {
  const server = new FelixCollectorServer(kit.pipeline, { listen: '127.0.0.1:0', logger: recorderLogger(kit.logs) });
  open.server = server;
  await server.start();
  return server;
}

function normalizedId(update: object, node: string): string | undefined {
  const result = normalizeGoldmaneFlow(update, { node });
  return result.kind === 'flow' ? result.flow.id : undefined;
}

function connect(server: FelixCollectorServer): FelixClient {
  const client = new FelixClient(server.port as number);
  open.clients.push(client);
  return client;
}

describe('FelixCollectorServer (goldmane.FlowCollector/Connect)', () => {
  it('answers one receipt per update in lock-step, only after the pipeline took it, and stores resent flows once', async () => {
    const ns = 'felix-resend';
    const kit = (open.kit = await openTestPipeline(databaseUrl, ns));
    const server = await startFelixServer(kit);
    const t = bucketStart(11);
    const updates = [
      { flow: goldmaneFlow({ ns, start: t, port: 8080 }) },
      { flow: goldmaneFlow({ ns, start: t, port: 9090 }) },
      { flow: goldmaneFlow({ ns, start: t, port: 9090, action: 'Deny' }) },
      { flow: goldmaneFlow({ ns, start: t + 15, port: 8080 }) },
    ].map(encode);
    const later = encode({ flow: goldmaneFlow({ ns, start: t + 30, port: 8080 }) });

    const first = connect(server);
    for (const [i, update] of updates.entries()) {
      await first.send(update);
      expect(kit.pipeline.summary.flows, 'receipt written before the pipeline accepted the update').toBe(i + 1);
    }
    first.cancel();

    // Felix reconnects and first resends everything of the last 5 minutes, then goes on.
    const second = connect(server);
    for (const update of [...updates, later]) await second.send(update);

    expect([first.receipts.items.length, second.receipts.items.length]).toEqual([4, 5]);
    expect(kit.pipeline.summary).toMatchObject({ flows: 9, duplicates: 4, malformed: 0 });
    const records = await kit.records(ns);
    expect(records).toHaveLength(5);
    expect(new Set(records.map((r) => r.sampleFlowId)).size).toBe(5);
    expect(records.map((r) => [r.dstPort, r.observed, r.label, r.driftKind]).sort()).toEqual([
      [8080, 'forwarded', 'allowed', null],
      [8080, 'forwarded', 'allowed', null],
      [8080, 'forwarded', 'allowed', null],
      [9090, 'dropped', 'denied', null],
      [9090, 'forwarded', 'unexpected', 'unenforced-deny'],
    ]);
  });

  it('takes the peer IP as the node, so the flow id names the Felix that sent it', async () => {
    const ns = 'felix-nodes';
    const kit = (open.kit = await openTestPipeline(databaseUrl, ns));
    const server = await startFelixServer(kit);
    const update = { flow: goldmaneFlow({ ns, start: bucketStart(12) }) };
    await connect(server).send(encode(update));
    const stored = kit.flows.items[0];
    expect(stored?.node).toBe('127.0.0.1');
    expect(stored?.id).toBe(normalizedId(update, '127.0.0.1'));
    expect(normalizedId(update, '10.0.0.2')).not.toBe(stored?.id);
  });

  it.each([
    ['10.0.0.5:41234', '10.0.0.5'],
    ['::1:41234', '::1'],
    ['fd00::5:41234', 'fd00::5'],
    ['::ffff:10.0.0.5:41234', '10.0.0.5'],
    ['[fd00::5]:41234', 'fd00::5'],
    ['ipv4:10.0.0.5:41234', '10.0.0.5'],
    ['unknown', 'unknown'],
  ])('reads the node address out of the peer %s', (peer, node) => {
    expect(peerAddress(peer)).toBe(node);
  });

  it('answers and counts malformed updates, passes unknown fields, and the stream goes on', async () => {
    const ns = 'felix-malformed';
    const kit = (open.kit = await openTestPipeline(databaseUrl, ns));
    const server = await startFelixServer(kit);
    const malformedCount = async () =>
      (await kit.store.collectors.events(server.id)).filter((e) => e.kind === 'malformed').reduce((n, e) => n + e.count, 0);
    const before = await malformedCount();
    const t = bucketStart(13);
    const valid = encode({ flow: goldmaneFlow({ ns, start: t, port: 8080 }) });
    const withUnknownTopLevel = Buffer.concat([encode({ flow: goldmaneFlow({ ns, start: t, port: 9090 }) }), varintField(15, 7)]);
    const nested = flowBytes(encode({ flow: goldmaneFlow({ ns, start: t + 15, port: 8080 }) }));
    const withUnknownInFlow = lengthDelimited(1, Buffer.concat([nested, varintField(99, 1), lengthDelimited(100, Buffer.from('from a newer Felix'))]));
    const withoutKey = encode({ flow: { start_time: String(t), end_time: String(t) } });

    const felix = connect(server);
    for (const frame of [valid, TRUNCATED_FRAME, encode({}), withUnknownTopLevel, withoutKey, withUnknownInFlow]) await felix.send(frame);
    await felix.send(encode({ flow: goldmaneFlow({ ns, start: t + 30, port: 8080 }) }));

    expect(felix.receipts.items).toHaveLength(7);
    expect(felix.status.items).toEqual([]);
    expect(kit.pipeline.summary).toMatchObject({ flows: 4, malformed: 3 });
    const skipped = kit.logs.items.filter((line) => line.includes('skipped a malformed message'));
    expect(skipped).toHaveLength(3);
    expect(skipped[0]).toMatch(/undecodable_message: cannot decode a 3-byte message: .*from 127\.0\.0\.1/);
    expect(skipped[1]).toMatch(/missing_field at flow: a FlowUpdate without a flow/);
    expect(skipped[2]).toMatch(/missing_field at flow\.Key/);
    expect((await kit.records(ns)).map((r) => r.dstPort).sort()).toEqual([8080, 8080, 8080, 9090]);
    expect((await malformedCount()) - before).toBe(3);
  });

  it('withholds the receipt while the pipeline waits for the database (backpressure)', async () => {
    const ns = 'felix-backpressure';
    const writes = new Recorder<FlowBatch>();
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slowStore = { writeBatch: async (batch: FlowBatch) => (writes.push(batch), gate) } as unknown as FlowStore;
    const kit = await openTestPipeline(databaseUrl, ns, { store: slowStore, maxOpenRecords: 1, maxPendingBatches: 1 });
    open.kit = kit;
    const server = await startFelixServer(kit);
    const felix = connect(server);
    const receipt = felix.post(encode({ flow: goldmaneFlow({ ns, start: bucketStart(14) }) }));
    try {
      await writes.count(1, 'database write');
      expect(kit.pipeline.summary.flows).toBe(1);
      // Nothing to await for an absent event: give the receipt a fair chance to (wrongly) arrive.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(felix.receipts.items).toHaveLength(0);
    } finally {
      release();
    }
    await receipt;
    expect(felix.receipts.items).toHaveLength(1);
  });

  it('fails to start with one clear line when the address is taken, and stop() ends streams and frees the port', async () => {
    const kit = (open.kit = await openTestPipeline(databaseUrl, 'felix-lifecycle'));
    const server = await startFelixServer(kit);
    const port = server.port as number;
    const second = new FelixCollectorServer(kit.pipeline, { listen: `127.0.0.1:${port}`, logger: recorderLogger(kit.logs) });
    await expect(second.start()).rejects.toThrow(new Error(`cannot listen on 127.0.0.1:${port}: address already in use`));

    const felix = connect(server);
    await felix.send(encode({ flow: goldmaneFlow({ ns: 'felix-lifecycle', start: bucketStart(15) }) }));
    await server.stop();
    await felix.status.count(1, 'end of the stream');
    expect(felix.status.items[0]?.code).toBe(grpc.status.OK);
    expect(server.port).toBeUndefined();

    const again = new FelixCollectorServer(kit.pipeline, { listen: `127.0.0.1:${port}`, logger: recorderLogger(kit.logs) });
    await again.start();
    expect(again.port).toBe(port);
    await again.stop();
    expect(kit.logs.items.filter((line) => line.includes('failed'))).toEqual([]);
  });
});

