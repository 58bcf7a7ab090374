import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

export { Backoff, delay } from '@driftwatch/common';

/**
 * A running connection to one flow source (a client of Hubble or Goldmane, or a server Felix or agents push
 * to). It feeds a FlowPipeline, reconnects by itself with backoff, and logs a lost connection once.
 */
export interface FlowSource {
  /** Stable id, used for the collector's saved state: `<kind>:<address>`. */
  readonly id: string;
  /** Starts connecting or listening; resolves once started (servers: once bound). Never rejects for a client. */
  start(): Promise<void>;
  /** Stops; pending flows are handed to the pipeline before it resolves. */
  stop(): Promise<void>;
}

/** TLS settings of a gRPC client: server TLS with `caFile`, mutual TLS when `certFile` and `keyFile` are set too. */
export interface TlsOptions {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  /** Name to verify the server certificate against when dialling by IP or through a port-forward. */
  readonly serverName?: string;
}

/** TLS settings of a gRPC server source: a certificate and key; with `clientCaFile`, clients must present a certificate it signed. */
export interface ServerTlsOptions {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile?: string;
}

/** Server credentials: plaintext unless TLS options are given. Reads the files once. */
export function serverCredentials(tls: ServerTlsOptions | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const ca = tls.clientCaFile ? readFileSync(tls.clientCaFile) : null;
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: readFileSync(tls.certFile), private_key: readFileSync(tls.keyFile) }], ca !== null);
}

/** Channel credentials and options for a client: plaintext unless TLS options are given. Reads the files once. */
export function clientCredentials(tls: TlsOptions | undefined): { credentials: grpc.ChannelCredentials; options: grpc.ChannelOptions } {
  if (!tls || (!tls.caFile && !tls.certFile && !tls.keyFile)) return { credentials: grpc.credentials.createInsecure(), options: {} };
  if (!!tls.certFile !== !!tls.keyFile) throw new Error('mutual TLS needs both a client certificate and its key');
  const read = (file: string | undefined) => (file ? readFileSync(file) : null);
  return {
    credentials: grpc.credentials.createSsl(read(tls.caFile), read(tls.keyFile), read(tls.certFile)),
    options: tls.serverName ? { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName } : {},
  };
}

/**
 * Silences grpc-js's own logging: every failure it would print (e.g. "No address added out of total 1
 * resolved" next to a bind error) reaches the user through our one-line messages already.
 */
export function quietGrpcLogs(): void {
  grpc.setLogVerbosity(grpc.logVerbosity.NONE);
}
