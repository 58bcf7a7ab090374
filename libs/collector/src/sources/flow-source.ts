import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

/**
 * A running connection to one flow source (a client of Hubble or Goldmane, or a server Felix or agents push
 * to). It feeds a FlowPipeline, reconnects by itself with backoff, and logs a lost connection once.
 */
export interface FlowSource {
  /**
   * Stable id, used for the collector's saved state: `<kind>:<address>` with the address as configured (for a
   * server on port 0, `ingest:127.0.0.1:0`, not the port it happened to get), so a restart finds its state.
   */
  readonly id: string;
  /** Where the source is: the address dialled, or for a server the address it is bound to once started. */
  readonly address: string;
  /** Whether the source was ever reached since start: a client's call was accepted, or a server is bound. */
  readonly reached: boolean;
  /** Why the last attempt failed, if one did (clients). */
  readonly lastError?: string | undefined;
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

/**
 * A setting of a source that cannot work (an unreadable or invalid certificate file, a push server that would be
 * open to anyone): a configuration error, reported at start in one line (the CLI exits 2).
 */
export class SourceSetupError extends Error {
  override readonly name = 'SourceSetupError';
}

/** Reads a PEM file that must hold at least one certificate; throws a {@link SourceSetupError} naming the file. */
function readCertificates(file: string, what: string): Buffer {
  const pem = readPem(file, what);
  const blocks = pem.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new SourceSetupError(`${what} ${file}: no PEM certificate in it`);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new SourceSetupError(`${what} ${file}: not a valid certificate (${(error as Error).message})`);
    }
  }
  return pem;
}

/** Reads a PEM private key; throws a {@link SourceSetupError} naming the file. */
function readPrivateKey(file: string, what: string): Buffer {
  const pem = readPem(file, what);
  try {
    createPrivateKey(pem);
  } catch (error) {
    throw new SourceSetupError(`${what} ${file}: not a valid private key (${(error as Error).message})`);
  }
  return pem;
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'a directory, not a file' : (error as Error).message;
    throw new SourceSetupError(`${what} ${file}: cannot read it (${reason})`);
  }
}

/**
 * Server credentials: plaintext unless TLS options are given. Reads and checks the files once: a file that is
 * missing or holds no valid certificate (or key) throws a {@link SourceSetupError} naming it, rather than a
 * server that starts and then fails every handshake.
 */
export function serverCredentials(tls: ServerTlsOptions | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const ca = tls.clientCaFile ? readCertificates(tls.clientCaFile, 'client CA') : null;
  const cert = readCertificates(tls.certFile, 'server certificate');
  const key = readPrivateKey(tls.keyFile, 'server key');
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], ca !== null);
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
