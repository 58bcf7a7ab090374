import * as grpc from '@grpc/grpc-js';
import { FelixClient, readTlsFixture, TLS_FIXTURES, workerDatabaseUrl } from '@driftwatch/testing';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { FelixCollectorServer } from '../src/index.js';
import { bucketStart, goldmaneFlow, openTestPipeline, type TestPipeline, recorderLogger } from './support/collector-kit.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

// A Felix set up by the Calico operator dials Goldmane over mutual TLS: to stand in for Goldmane, the server does too.
const serverTls = { certFile: TLS_FIXTURES.relayCert, keyFile: TLS_FIXTURES.relayKey, clientCaFile: TLS_FIXTURES.ca };
const nameOverride = { 'grpc.ssl_target_name_override': TLS_FIXTURES.relayName };

let open: { kit?: TestPipeline; server?: FelixCollectorServer; client?: FelixClient } = {};
afterEach(async () => {
  open.client?.close();
  await open.server?.stop();
  await open.kit?.close();
  open = {};
});

describe('FelixCollectorServer over mutual TLS', () => {
  it('takes updates from a Felix presenting a certificate of the trusted CA', async () => {
    const ns = 'felix-mtls';
    const kit = (open.kit = await openTestPipeline(databaseUrl, ns));
    const server = (open.server = new FelixCollectorServer(kit.pipeline, { listen: '127.0.0.1:0', tls: serverTls, logger: recorderLogger(kit.logs) }));
    await server.start();
    const credentials = grpc.credentials.createSsl(readTlsFixture(TLS_FIXTURES.ca), readTlsFixture(TLS_FIXTURES.clientKey), readTlsFixture(TLS_FIXTURES.clientCert));
    const client = (open.client = new FelixClient(`127.0.0.1:${server.port}`, credentials, nameOverride));
    const t = bucketStart(3);
    await client.sendAll([goldmaneFlow({ ns, start: t, port: 8080 }), goldmaneFlow({ ns, start: t + 15, port: 8080 })] as never);
    expect(client.receipts).toBe(2);
    expect(kit.pipeline.summary).toMatchObject({ flows: 2, allowed: 2 });
  });

  it('refuses a Felix without a client certificate', async () => {
    const kit = (open.kit = await openTestPipeline(databaseUrl, 'felix-mtls-refused'));
    const server = (open.server = new FelixCollectorServer(kit.pipeline, { listen: '127.0.0.1:0', tls: serverTls, logger: recorderLogger(kit.logs) }));
    await server.start();
    const client = (open.client = new FelixClient(`127.0.0.1:${server.port}`, grpc.credentials.createSsl(readTlsFixture(TLS_FIXTURES.ca)), nameOverride));
    await expect(client.sendAll([goldmaneFlow({ ns: 'felix-mtls-refused', start: bucketStart(3) })] as never)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect(kit.pipeline.summary.flows).toBe(0);
  });
});
