import * as grpc from '@grpc/grpc-js';
import { silentLogger, type Logger } from '@driftwatch/common';
import { bearerTokenInterceptor, DEFAULT_SERVER_LIMITS, isLoopbackHost, guardConnections, listenHost, serverOptions, type ServerLimits } from '../grpc/server-guard.js';
import { bindServer, shutdownServer } from '../grpc/server-lifecycle.js';
import type { FlowPipeline } from '../pipeline/flow-pipeline.js';
import { serverCredentials, SourceSetupError, type FlowSource, type ServerTlsOptions } from './flow-source.js';

/** What every push server (Felix's FlowCollector, our Ingest API) takes. */
export interface GrpcServerOptions {
  /** `host:port` to listen on; port 0 picks a free port (see `address` once started). */
  readonly listen: string;
  /** The source's id (default `<kind>:<listen>`). */
  readonly id?: string;
  /** Serve TLS (and require client certificates signed by `clientCaFile` when given); plaintext without. */
  readonly tls?: ServerTlsOptions;
  /** Require `authorization: Bearer <token>` on every call. */
  readonly token?: string;
  /**
   * Serve without authentication (neither a client CA nor a token) on an address other than loopback. Without
   * it, such a server refuses to start: anyone who reaches it could push flows.
   */
  readonly allowUnauthenticated?: boolean;
  /** Connection, stream and message limits (defaults: {@link DEFAULT_SERVER_LIMITS}). */
  readonly limits?: Partial<ServerLimits>;
  /** Where the start line and stream failures go (default: nowhere). */
  readonly logger?: Logger;
}

/**
 * What the flow sources that are gRPC servers share (Felix's FlowCollector, our Ingest API): binding (plaintext,
 * TLS, or mutual TLS as a Felix set up by the Calico operator expects of Goldmane), who may push (mutual TLS, a
 * bearer token, or loopback only unless told otherwise), limits against idle and stalled peers, the bound
 * address, and the pipeline's view of the source, which counts as connected while the server listens.
 * The id keeps the configured address (`ingest:127.0.0.1:0`), so saved state is found again after a restart
 * even when port 0 gave another port; the bound address is printed at start and is {@link address}.
 */
export abstract class GrpcServerSource implements FlowSource {
  readonly id: string;
  protected stopping = false;
  protected readonly logger: Logger;
  private server: grpc.Server | undefined;
  private boundPort: number | undefined;
  private everBound = false;
  private readonly limits: ServerLimits;

  protected constructor(
    protected readonly pipeline: FlowPipeline,
    private readonly kind: string,
    private readonly serverOptions: GrpcServerOptions,
  ) {
    this.id = serverOptions.id ?? `${kind}:${serverOptions.listen}`;
    this.logger = serverOptions.logger ?? silentLogger;
    this.limits = { ...DEFAULT_SERVER_LIMITS, ...serverOptions.limits };
  }

  /** The configured `host:port`. */
  protected get listen(): string {
    return this.serverOptions.listen;
  }

  /** The bound port once started (useful with `listen` port 0). */
  get port(): number | undefined {
    return this.boundPort;
  }

  /** The bound `host:port` once started (the real port for port 0); the configured address before. */
  get address(): string {
    return this.boundPort === undefined ? this.listen : `${listenHost(this.listen)}:${this.boundPort}`;
  }

  /** A server counts as reached once it was bound. */
  get reached(): boolean {
    return this.everBound;
  }

  /**
   * Checks who may push (see {@link protection}), binds and serves, and logs one line with the bound address and
   * the protection in force. Rejects with a {@link SourceSetupError} for an unprotected server off loopback or
   * unusable certificate files, and with `cannot listen on <listen>: <reason>` when the address cannot be bound.
   */
  async start(): Promise<void> {
    if (this.server) return;
    const protection = this.protection();
    const credentials = serverCredentials(this.serverOptions.tls);
    const interceptors = this.serverOptions.token
      ? [bearerTokenInterceptor(this.serverOptions.token, (peer) => this.logger.debug(`${this.id}: refused a call from ${peer} without a valid token`))]
      : [];
    const server = new grpc.Server({ ...serverOptions(this.limits), interceptors });
    this.register(server);
    try {
      this.boundPort = await bindServer(server, this.listen, credentials);
    } catch (error) {
      server.forceShutdown();
      throw error;
    }
    if (!guardConnections(server, this.limits)) this.logger.warn(`${this.id}: cannot cap connections or close silent ones (grpc-js internals changed); other limits hold`);
    this.server = server;
    this.everBound = true;
    this.stopping = false;
    this.pipeline.registerSource(this.id, this.kind, this.listen);
    this.pipeline.setConnected(this.id, true);
    if (protection.open) this.logger.warn(`${this.id}: listening on ${this.address}; ${protection.text}`);
    else this.logger.log(`${this.id}: listening on ${this.address}; ${protection.text}`);
  }

  /**
   * Who may push, in one phrase; throws a {@link SourceSetupError} when nothing would stop a stranger: no client
   * CA and no token, on an address other than loopback, without `allowUnauthenticated`.
   */
  private protection(): { text: string; open: boolean } {
    const { tls, token, allowUnauthenticated } = this.serverOptions;
    const loopback = isLoopbackHost(listenHost(this.listen));
    const transport = tls ? 'TLS' : 'plaintext';
    if (tls?.clientCaFile) return { text: `mutual TLS (client certificates signed by ${tls.clientCaFile})${token ? ' and a bearer token' : ''}`, open: false };
    if (token) return { text: `${transport} with a bearer token${!tls && !loopback ? ' (sent in clear: prefer TLS)' : ''}`, open: !tls && !loopback };
    if (loopback) return { text: `${transport} without authentication, loopback only`, open: false };
    if (allowUnauthenticated) return { text: `${transport} without authentication, open to anyone who reaches ${this.listen} (allowed explicitly)`, open: true };
    throw new SourceSetupError(
      `${this.id}: refusing to accept flows from anyone on ${this.listen}: listen on 127.0.0.1, or require mutual TLS ` +
        '(SOURCE_SERVER_TLS_CLIENT_CA) or a token (SOURCE_SERVER_TOKEN), or set SOURCE_SERVER_ALLOW_PLAINTEXT=true',
    );
  }

  /** Stops: `endCalls` settles the open calls, then the server shuts down. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.stopping = true;
    await this.endCalls();
    await shutdownServer(server);
    this.server = undefined;
    this.boundPort = undefined;
    this.pipeline.setConnected(this.id, false);
  }

  /** Adds the service this source serves. */
  protected abstract register(server: grpc.Server): void;

  /** Ends the calls still open, once what they delivered is in the pipeline. */
  protected abstract endCalls(): Promise<void>;
}
