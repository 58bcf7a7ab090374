import * as grpc from '@grpc/grpc-js';
import type { FlowBatch, FlowStore } from '@driftwatch/persistence';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { IngestServer, loadIngestApi, type PublishSummary } from '../src/index.js';
import { bucketStart, openTestPipeline, Recorder, TRUNCATED_FRAME, varintField, type TestPipeline, recorderLogger } from './support/collector-kit.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

const PUBLISH = loadIngestApi().Ingest.service['Publish'] as grpc.MethodDefinition<object, PublishSummary>;
const encode = (message: object): Buffer => PUBLISH.requestSerialize(message);

interface HubbleSpec {
  readonly ns: string;
  readonly uuid: string;
  readonly port: number;
  readonly dropped?: boolean;
  readonly reply?: boolean;
  /** Hour of 2020-01-01 the flow is in (see bucketStart). */
  readonly slot: number;
}

/** A Hubble `GetFlowsResponse{flow}` in the gRPC object form: frontend → backend in `ns`, observed at egress. */
function hubbleResponse(spec: HubbleSpec): Record<string, unknown> {
  const time = { seconds: String(bucketStart(spec.slot)), nanos: 125_000_000 };
  const pod = (app: string, ip: string, identity: number) => ({
    identity, namespace: spec.ns, pod_name: `${app}-7c9d5f-x2k4q`, workloads: [{ name: app, kind: 'Deployment' }],
    labels: [`k8s:app=${app}`, `k8s:io.kubernetes.pod.namespace=${spec.ns}`, `k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=${spec.ns}`],
    ip,
  });
  const [src, dst] = spec.reply ? [pod('backend', '10.4.0.20', 4020), pod('frontend', '10.4.0.10', 4010)] : [pod('frontend', '10.4.0.10', 4010), pod('backend', '10.4.0.20', 4020)];
  return {
    flow: {
      time, uuid: spec.uuid, verdict: spec.dropped ? 'DROPPED' : 'FORWARDED',
      ...(spec.dropped ? { drop_reason_desc: 'POLICY_DENIED', drop_reason: 133 } : {}),
      IP: { source: src.ip, destination: dst.ip, ipVersion: 'IPv4' },
      l4: { TCP: spec.reply
        ? { source_port: spec.port, destination_port: 41000, flags: { SYN: true, ACK: true } }
        : { source_port: 41000, destination_port: spec.port, flags: { SYN: true } } },
      source: { identity: src.identity, namespace: src.namespace, labels: src.labels, pod_name: src.pod_name, workloads: src.workloads },
      destination: { identity: dst.identity, namespace: dst.namespace, labels: dst.labels, pod_name: dst.pod_name, workloads: dst.workloads },
      Type: 'L3_L4', node_name: 'kind-worker', traffic_direction: 'EGRESS', is_reply: { value: spec.reply === true },
      event_type: { type: spec.dropped ? 1 : 4 },
    },
    node_name: 'kind-worker',
    time,
  };
}

/** A client-streaming Publish call sending raw frames. */
function publish(port: number): { send: (frame: Buffer) => void; end: () => void; result: Promise<PublishSummary>; client: grpc.Client } {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  let call: grpc.ClientWritableStream<Buffer> | undefined;
  const result = new Promise<PublishSummary>((resolve, reject) => {
    call = client.makeClientStreamRequest(PUBLISH.path, (frame: Buffer) => frame, PUBLISH.responseDeserialize, (error, summary) =>
      error || !summary ? reject(error ?? new Error('no summary')) : resolve(summary),
    );
  });
  result.catch(() => undefined); // asserted later by the test; not an unhandled rejection meanwhile
  open.clients.push(client);
  return { send: (frame) => call?.write(frame), end: () => call?.end(), result, client };
}

let open: { kit?: TestPipeline; server?: IngestServer; clients: grpc.Client[] } = { clients: [] };
afterEach(async () => {
  for (const client of open.clients) client.close();
  await open.server?.stop();
  await open.kit?.close();
  open = { clients: [] };
});

async function startIngest(kit: TestPipeline): Promise<IngestServer> {
  const server = (open.server = new IngestServer(kit.pipeline, { listen: '127.0.0.1:0', logger: recorderLogger(kit.logs) }));
  await server.start();
  return server;
}

describe('IngestServer (driftwatch.v1.Ingest/Publish)', () => {
  it('stores published Hubble responses with their labels and answers with the counts', async () => {
    const ns = 'ingest-shop';
    const kit = (open.kit = await openTestPipeline(databaseUrl, ns));
    const server = await startIngest(kit);
    const before = kit.pipeline.summary.lost;
    const call = publish(server.port as number);
    const frames = [
      encode(hubbleResponse({ slot: 31, ns, uuid: 'ing-1', port: 8080 })),
      encode(hubbleResponse({ slot: 31, ns, uuid: 'ing-2', port: 9090 })),
      encode(hubbleResponse({ slot: 31, ns, uuid: 'ing-3', port: 9090, dropped: true })),
      encode(hubbleResponse({ slot: 31, ns, uuid: 'ing-4', port: 8080, reply: true })),
      encode({ node_status: { state_change: 'NODE_CONNECTED', node_names: ['kind-worker'] }, node_name: 'relay' }),
      encode({ lost_events: { source: 'HUBBLE_RING_BUFFER', num_events_lost: '7' }, node_name: 'kind-worker' }),
      TRUNCATED_FRAME,
      encode(hubbleResponse({ slot: 31, ns, uuid: 'ing-1', port: 8080 })), // a retried publish: a duplicate
      Buffer.concat([encode(hubbleResponse({ slot: 31, ns, uuid: 'ing-5', port: 8080 })), varintField(5000, 1)]), // unknown field
      encode({ node_name: 'kind-worker' }), // a response with nothing in it: skipped
    ];
    for (const frame of frames) call.send(frame);
    call.end();

    expect(await call.result).toEqual({ received: '10', accepted: '8', rejected: '1' });
    expect(kit.pipeline.summary).toMatchObject({ flows: 6, duplicates: 1, malformed: 1, lost: before + 7 });
    expect(kit.logs.items.filter((line) => line.includes('skipped a malformed message'))).toEqual([
      expect.stringMatching(/^ingest:127\.0\.0\.1:0: skipped a malformed message \(undecodable_message: cannot decode a 3-byte message: .* \(from 127\.0\.0\.1\)\)$/),
    ]);
    const records = await kit.records(ns);
    expect(records.map((r) => [r.sampleFlowId, r.dstPort, r.event, r.label, r.driftKind]).sort()).toEqual([
      ['ing-1', 8080, 'connection', 'allowed', null],
      ['ing-2', 9090, 'connection', 'unexpected', 'unenforced-deny'],
      ['ing-3', 9090, 'connection', 'denied', null],
      ['ing-4', 41000, 'reply', null, null],
      ['ing-5', 8080, 'connection', 'allowed', null],
    ]);
    expect(records.every((r) => r.source === 'hubble' && r.srcNamespace === ns)).toBe(true);
    const kinds = (await kit.store.collectors.events(server.id)).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['node_status', 'lost_events', 'malformed']));
  });

  it('pauses the stream while the pipeline waits for the database (backpressure)', async () => {
    const ns = 'ingest-backpressure';
    const writes = new Recorder<FlowBatch>();
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slowStore = { writeBatch: async (batch: FlowBatch) => (writes.push(batch), gate) } as unknown as FlowStore;
    const kit = (open.kit = await openTestPipeline(databaseUrl, ns, { store: slowStore, maxOpenRecords: 1, maxPendingBatches: 1 }));
    const server = await startIngest(kit);
    const call = publish(server.port as number);
    for (let i = 0; i < 5; i += 1) call.send(encode(hubbleResponse({ slot: 32, ns, uuid: `bp-${i}`, port: 8080 })));
    call.end();
    try {
      await writes.count(1, 'database write');
      // Nothing to await for an absent event: give the stream a fair chance to (wrongly) go on.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(kit.pipeline.summary.flows).toBe(1);
    } finally {
      release();
    }
    expect(await call.result).toEqual({ received: '5', accepted: '5', rejected: '0' });
    expect(kit.pipeline.summary.flows).toBe(5);
  });

  it('fails to start with one clear line when the address is taken; stop() answers open streams and frees the port', async () => {
    const kit = (open.kit = await openTestPipeline(databaseUrl, 'ingest-lifecycle'));
    const server = await startIngest(kit);
    const port = server.port as number;
    const second = new IngestServer(kit.pipeline, { listen: `127.0.0.1:${port}`, logger: recorderLogger(kit.logs) });
    await expect(second.start()).rejects.toThrow(new Error(`cannot listen on 127.0.0.1:${port}: address already in use`));

    const call = publish(port);
    call.send(encode(hubbleResponse({ slot: 33, ns: 'ingest-lifecycle', uuid: 'life-1', port: 8080 })));
    await kit.flows.count(1, 'the published flow');
    await server.stop();
    await expect(call.result).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE, details: expect.stringMatching(/stopping after 1 message/) });

    const again = new IngestServer(kit.pipeline, { listen: `127.0.0.1:${port}`, logger: recorderLogger(kit.logs) });
    await again.start();
    expect(again.port).toBe(port);
    await again.stop();
  });
});
