import * as grpc from '@grpc/grpc-js';
import { bindServer, shutdownServer } from '../grpc/server-lifecycle.js';
import type { FlowPipeline } from '../pipeline/flow-pipeline.js';
import { serverCredentials, type FlowSource, type ServerTlsOptions } from './flow-source.js';

/**
 * What the flow sources that are gRPC servers share (Felix's FlowCollector, our Ingest API): binding (plaintext,
 * TLS, or mutual TLS as a Felix set up by the Calico operator expects of Goldmane), the bound port, and the
 * pipeline's view of the source, which counts as connected while the server listens.
 */
export abstract class GrpcServerSource implements FlowSource {
  readonly id: string;
  protected stopping = false;
  private server: grpc.Server | undefined;
  private boundPort: number | undefined;

  protected constructor(
    protected readonly pipeline: FlowPipeline,
    private readonly kind: string,
    protected readonly listen: string,
    private readonly tls?: ServerTlsOptions,
  ) {
    this.id = `${kind}:${listen}`;
  }

  /** The bound port once started (useful with `listen` port 0). */
  get port(): number | undefined {
    return this.boundPort;
  }

  /** Binds and serves; rejects with `cannot listen on <listen>: <reason>` when the address cannot be bound. */
  async start(): Promise<void> {
    if (this.server) return;
    const server = new grpc.Server();
    this.register(server);
    try {
      this.boundPort = await bindServer(server, this.listen, serverCredentials(this.tls));
    } catch (error) {
      server.forceShutdown();
      throw error;
    }
    this.server = server;
    this.stopping = false;
    this.pipeline.registerSource(this.id, this.kind, this.listen);
    this.pipeline.setConnected(this.id, true);
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
