/**
 * A Goldmane-compatible `goldmane.FlowCollector/Connect` server, so Felix (calico-node) can push its flows to
 * Driftwatch directly. The protocol is strict lock-step: Felix sends one `FlowUpdate{flow}` and waits for one
 * empty `FlowReceipt` before the next; on every reconnect it resends what it sent in the last 5 minutes. See
 * shared/reference/calico-api.md §2 and §9.
 */
import type * as grpc from '@grpc/grpc-js';
import { normalizeGoldmaneFlow } from '@driftwatch/flow';
import { guardRequests, UndecodableMessage } from '../grpc/decode-guard.js';
import { loadGoldmaneApi } from '../grpc/protos.js';
import { peerAddress } from '../grpc/server-lifecycle.js';
import type { FlowPipeline } from '../pipeline/flow-pipeline.js';
import { GrpcServerSource, type GrpcServerOptions } from './grpc-server-source.js';

/** Options of {@link FelixCollectorServer}. */
export interface FelixCollectorOptions extends GrpcServerOptions {
  /** Cluster recorded on the flows (Felix does not name it). */
  readonly cluster?: string;
}

/** The empty `FlowReceipt`. */
const RECEIPT = Object.freeze({});

/** One open Connect stream (one Felix). */
interface FelixConnection {
  readonly call: grpc.ServerDuplexStream<unknown, object>;
  /** Set while the receipt of the last update waits for the pipeline. */
  pending: Promise<void> | undefined;
  open: boolean;
}

/**
 * A {@link FlowSource} serving `FlowCollector.Connect`. Each update is handed to the pipeline with the peer's IP
 * as the node (the Flow carries no node name; calico-node is host-networked), so that two nodes' identical
 * buckets stay distinct while a node's resends get the same flow ids and are dropped as duplicates. The receipt
 * is written only once the pipeline took the update: while the pipeline asks to wait, Felix waits too.
 * Malformed updates (undecodable, without a flow, not normalizable) are rejected, still answered with a
 * receipt (otherwise Felix stalls), and the stream goes on.
 * The source counts as connected (pipeline state and events) while the server is listening.
 */
export class FelixCollectorServer extends GrpcServerSource {
  private readonly connections = new Set<FelixConnection>();

  constructor(
    pipeline: FlowPipeline,
    private readonly options: FelixCollectorOptions,
  ) {
    super(pipeline, 'felix', options);
  }

  protected register(server: grpc.Server): void {
    server.addService(guardRequests(loadGoldmaneApi().FlowCollector.service), {
      Connect: (call: grpc.ServerDuplexStream<unknown, object>) => this.connect(call),
    });
  }

  /**
   * Updates already received are in the pipeline; the receipt of one still waiting for the pipeline is written
   * first; then every stream is ended (Felix resends the unacknowledged rest elsewhere or on its next connection).
   */
  protected async endCalls(): Promise<void> {
    await Promise.all([...this.connections].map((connection) => connection.pending));
    for (const connection of this.connections) this.close(connection, true);
  }

  private connect(call: grpc.ServerDuplexStream<unknown, object>): void {
    const node = peerAddress(call.getPeer());
    const connection: FelixConnection = { call, pending: undefined, open: true };
    this.connections.add(connection);
    call.on('data', (update: unknown) => {
      // After stop() began, updates stay unacknowledged: Felix keeps and resends them.
      if (!connection.open || this.stopping) return;
      const wait = this.receive(update, node);
      if (wait === undefined) {
        call.write(RECEIPT);
        return;
      }
      call.pause();
      connection.pending = wait.then(() => {
        connection.pending = undefined;
        if (!connection.open) return;
        call.write(RECEIPT);
        call.resume();
      });
    });
    call.on('end', () => this.close(connection, true));
    call.on('cancelled', () => this.close(connection, false));
    call.on('error', (error: Error) => {
      this.logger.warn(`${this.id}: stream from ${node} failed (${error.message})`);
      this.close(connection, false);
    });
  }

  /** Hands one update to the pipeline; returns what to wait for before the receipt, if anything. */
  private receive(update: unknown, node: string): Promise<void> | undefined {
    if (update instanceof UndecodableMessage) {
      this.pipeline.reject(this.id, { ...update.problem, message: `${update.problem.message} (from ${node})` });
      return undefined;
    }
    const result = normalizeGoldmaneFlow(update, this.options.cluster === undefined ? { node } : { node, cluster: this.options.cluster });
    if (result.kind === 'skip') {
      this.pipeline.reject(this.id, { code: 'missing_field', path: 'flow', message: `a FlowUpdate without a flow (from ${node})` });
      return undefined;
    }
    return this.pipeline.accept(this.id, result);
  }

  private close(connection: FelixConnection, endCall: boolean): void {
    if (!connection.open) return;
    connection.open = false;
    this.connections.delete(connection);
    if (endCall) connection.call.end();
  }
}
