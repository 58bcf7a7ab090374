import { writeFileSync, mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { createSyntheticCluster, generateHubbleTraffic, TLS_FIXTURES, workerDatabaseUrl } from '@driftwatch/testing';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { FelixCollectorServer, IngestServer, loadIngestApi, SourceSetupError, type PublishSummary } from '../src/index.js';
import { openTestPipeline, Recorder, type TestPipeline, recorderLogger } from './support/collector-kit.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

const PUBLISH = loadIngestApi().Ingest.service['Publish'] as grpc.MethodDefinition<object, PublishSummary>;
const TOKEN = 'a-push-token-of-some-length';
const cluster = createSyntheticCluster({ seed: 41, namespaces: 1 });
const flows = (count: number, startTimeMs: number) =>
  [...generateHubbleTraffic(cluster, { seed: 41, count, startTimeMs, meanGapMicros: 1000 })].filter((e) => e.expected.kind !== 'lost_events').map((e) => e.response);

let open: { kit?: TestPipeline; servers: { stop(): Promise<void> }[]; clients: grpc.Client[]; sockets: Socket[] } = { servers: [], clients: [], sockets: [] };
afterEach(async () => {
  for (const socket of open.sockets) socket.destroy();
  for (const client of open.clients) client.close();
  for (const server of open.servers) await server.stop();
  await open.kit?.close();
  open = { servers: [], clients: [], sockets: [] };
});

/** Publishes `messages` on one stream with `authorization` (if any) and resolves with the answer or the error. */
function publish(port: number, messages: readonly object[], authorization?: string): Promise<PublishSummary | grpc.ServiceError> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  open.clients.push(client);
  const metadata = new grpc.Metadata();
  if (authorization !== undefined) metadata.set('authorization', authorization);
  return new Promise((resolve) => {
    const call = client.makeClientStreamRequest(PUBLISH.path, PUBLISH.requestSerialize, PUBLISH.responseDeserialize, metadata, (error, summary) =>
      resolve(error ?? (summary as PublishSummary)),
    );
    for (const message of messages) call.write(message);
    call.end();
  });
}

async function startIngest(kit: TestPipeline, options: Partial<ConstructorParameters<typeof IngestServer>[1]> = {}): Promise<IngestServer> {
  const server = new IngestServer(kit.pipeline, { listen: '127.0.0.1:0', logger: recorderLogger(kit.logs), ...options });
  await server.start();
  open.servers.push(server);
  return server;
}

describe('who may push to the Ingest and Felix servers', () => {
  it('with a token: refuses a call without it or with a wrong one (UNAUTHENTICATED, nothing stored), takes the right one', async () => {
    const kit = (open.kit = await openTestPipeline(databaseUrl, 'push-token'));
    const server = await startIngest(kit, { token: TOKEN });
    const port = server.port as number;
    const batch = flows(5, Date.UTC(2020, 1, 3, 10));

    for (const authorization of [undefined, 'Bearer not-the-token', `Basic ${TOKEN}`, TOKEN]) {
      expect(await publish(port, batch, authorization)).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    }
    expect(kit.pipeline.summary).toMatchObject({ flows: 0, malformed: 0 });

    expect(await publish(port, batch, `Bearer ${TOKEN}`)).toEqual({ received: '5', accepted: '5', rejected: '0' });
    expect(kit.pipeline.summary.flows).toBe(5);
    expect(kit.logs.items).toContain(`ingest:127.0.0.1:0: listening on 127.0.0.1:${port}; plaintext with a bearer token`);
  });

  it('refuses at start, in one line, to serve without client certificates or a token on an address other than loopback', async () => {
    const kit = (open.kit = await openTestPipeline(databaseUrl, 'push-open'));
    for (const make of [
      () => new IngestServer(kit.pipeline, { listen: '0.0.0.0:0' }),
      () => new FelixCollectorServer(kit.pipeline, { listen: '[::]:0' }),
      () => new IngestServer(kit.pipeline, { listen: '0.0.0.0:0', tls: { certFile: TLS_FIXTURES.relayCert, keyFile: TLS_FIXTURES.relayKey } }),
    ]) {
      const server = make();
      const failure = await server.start().then(() => undefined, (error: Error) => error);
      expect(failure).toBeInstanceOf(SourceSetupError);
      expect(failure?.message).toMatch(/^(ingest|felix):\S+: refusing to accept flows from anyone on \S+: listen on 127\.0\.0\.1, or require mutual TLS .*SOURCE_SERVER_ALLOW_PLAINTEXT=true$/);
      expect(failure?.message).not.toContain('\n');
      expect(server.reached).toBe(false);
    }
  });

  it('serves anyone off loopback only when told to, and says so when it starts', async () => {
    const kit = (open.kit = await openTestPipeline(databaseUrl, 'push-allowed'));
    const server = await startIngest(kit, { listen: '0.0.0.0:0', allowUnauthenticated: true });
    expect(kit.logs.items).toContain(`ingest:0.0.0.0:0: listening on 0.0.0.0:${server.port}; plaintext without authentication, open to anyone who reaches 0.0.0.0:0 (allowed explicitly)`);
  });

  it('checks certificate files at start: a garbage client CA (or a missing key) is refused with one line naming the file', async () => {
    const kit = (open.kit = await openTestPipeline(databaseUrl, 'push-certs'));
    const dir = mkdtempSync(join(tmpdir(), 'driftwatch-certs-'));
    const garbage = join(dir, 'ca.pem');
    writeFileSync(garbage, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
    const notPem = join(dir, 'notes.txt');
    writeFileSync(notPem, 'hello');
    const cases: [object, RegExp][] = [
      [{ certFile: TLS_FIXTURES.relayCert, keyFile: TLS_FIXTURES.relayKey, clientCaFile: garbage }, new RegExp(`^client CA ${garbage}: not a valid certificate \\(.+\\)$`)],
      [{ certFile: TLS_FIXTURES.relayCert, keyFile: TLS_FIXTURES.relayKey, clientCaFile: notPem }, new RegExp(`^client CA ${notPem}: no PEM certificate in it$`)],
      [{ certFile: TLS_FIXTURES.relayCert, keyFile: join(dir, 'missing.key') }, new RegExp(`^server key ${join(dir, 'missing.key')}: cannot read it \\(no such file\\)$`)],
      [{ certFile: TLS_FIXTURES.relayCert, keyFile: garbage }, new RegExp(`^server key ${garbage}: not a valid private key`)],
    ];
    for (const [tls, message] of cases) {
      const server = new FelixCollectorServer(kit.pipeline, { listen: '127.0.0.1:0', tls: tls as never });
      const failure = await server.start().then(() => undefined, (error: Error) => error);
      expect(failure).toBeInstanceOf(SourceSetupError);
      expect(failure?.message).toMatch(message);
    }
  });
});

/** A raw TCP connection to `port` that says nothing, and a promise of its close by the other side. */
function rawSocket(port: number): Promise<{ socket: Socket; closedWithin: (ms: number) => Promise<boolean> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    open.sockets.push(socket);
    socket.resume(); // read, so that the server's FIN is seen
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    const closedWithin = (ms: number) =>
      Promise.race([closed.then(() => true), new Promise<boolean>((done) => setTimeout(() => done(false), ms))]);
    socket.on('error', () => undefined);
    socket.once('error', reject);
    socket.once('connect', () => resolve({ socket, closedWithin }));
  });
}

describe('limits of the push servers against idle and stalled peers', () => {
  it('closes silent TCP connections after the idle timeout', async () => {
    const kit = (open.kit = await openTestPipeline(databaseUrl, 'push-idle'));
    const server = await startIngest(kit, { limits: { idleTimeoutMs: 300 } });
    const sockets = await Promise.all(Array.from({ length: 20 }, () => rawSocket(server.port as number)));
    const closed = await Promise.all(sockets.map((s) => s.closedWithin(5000)));
    expect(closed.every(Boolean)).toBe(true);
  }, 15_000);

  it('closes connections beyond the connection limit as they arrive', async () => {
    const kit = (open.kit = await openTestPipeline(databaseUrl, 'push-connections'));
    const server = await startIngest(kit, { limits: { maxConnections: 3 } });
    const sockets = [];
    for (let i = 0; i < 6; i += 1) sockets.push(await rawSocket(server.port as number));
    const closed = await Promise.all(sockets.map((s) => s.closedWithin(1000)));
    expect(closed).toEqual([false, false, false, true, true, true]);
  }, 15_000);

  it('announces the stream limit, and refuses a frame larger than the message limit at its header', async () => {
    const kit = (open.kit = await openTestPipeline(databaseUrl, 'push-frames'));
    const server = await startIngest(kit, { limits: { maxMessageBytes: 64 * 1024, maxStreamsPerConnection: 4 } });
    const session = http2.connect(`http://127.0.0.1:${server.port}`);
    await new Promise<void>((resolve) => session.once('remoteSettings', () => resolve()));
    expect(session.remoteSettings.maxConcurrentStreams).toBe(4);

    // As many streams as allowed, each announcing a 4 MB message and sending its first 16 KiB: each is ended at
    // once with RESOURCE_EXHAUSTED; nothing waits for (or buffers) the 4 MB.
    session.on('error', () => undefined);
    const statuses = new Recorder<string>();
    const header = Buffer.alloc(5);
    header.writeUInt32BE(4 * 1024 * 1024, 1);
    for (let i = 0; i < 4; i += 1) {
      const stream = session.request({ ':method': 'POST', ':path': PUBLISH.path, 'content-type': 'application/grpc', te: 'trailers' });
      stream.on('trailers', (trailers) => statuses.push(String(trailers['grpc-status'])));
      stream.on('response', (headers) => headers['grpc-status'] !== undefined && statuses.push(String(headers['grpc-status'])));
      stream.on('error', () => undefined);
      stream.resume();
      stream.write(Buffer.concat([header, Buffer.alloc(16 * 1024)]));
    }
    await statuses.count(4, 'a status on every stream', 10_000);
    expect(new Set(statuses.items)).toEqual(new Set([String(grpc.status.RESOURCE_EXHAUSTED)]));
    session.destroy();
    expect(kit.pipeline.summary.flows).toBe(0);
  }, 15_000);
});
