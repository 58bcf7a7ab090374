/**
 * A Felix-like client of `goldmane.FlowCollector/Connect`: it sends FlowUpdates in lock step, waiting for one
 * FlowReceipt per update before sending the next, as Felix does; and like Felix it can reconnect and resend
 * what it sent before (Felix resends the last 5 minutes), so servers can be tested for idempotence.
 */
import { credentials, type ChannelCredentials, type ChannelOptions, type ClientDuplexStream } from '@grpc/grpc-js';
import { loadGoldmaneApi } from '@driftwatch/collector';
import type { GoldmaneFlowObject } from './fake-goldmane.js';

type ConnectStream = ClientDuplexStream<Record<string, unknown>, Record<string, unknown>>;

interface Pending {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class FelixClient {
  private readonly client: InstanceType<ReturnType<typeof loadGoldmaneApi>['FlowCollector']>;
  private stream: ConnectStream | undefined;
  private pending: Pending | undefined;
  private failure: Error | undefined;
  /** Flows sent and acknowledged, in order (the resend cache). */
  readonly sent: GoldmaneFlowObject[] = [];
  /** FlowReceipts received over all connections. */
  receipts = 0;

  /** Creates a client for `address` (`host:port`); plaintext unless credentials are given. */
  constructor(address: string, channelCredentials: ChannelCredentials = credentials.createInsecure(), channelOptions: ChannelOptions = {}) {
    const { FlowCollector } = loadGoldmaneApi();
    this.client = new FlowCollector(address, channelCredentials, channelOptions);
  }

  /** Opens the Connect stream (a no-op when open). */
  connect(): void {
    if (this.stream !== undefined) return;
    this.failure = undefined;
    const stream = (this.client as unknown as { Connect(): ConnectStream }).Connect();
    stream.on('data', () => {
      this.receipts++;
      const pending = this.pending;
      this.pending = undefined;
      pending?.resolve();
    });
    const fail = (error: Error): void => {
      // A stream we already replaced (reconnect) may still report its cancellation: not our concern.
      if (this.stream !== stream) return;
      this.failure = error;
      this.stream = undefined;
      const pending = this.pending;
      this.pending = undefined;
      pending?.reject(error);
    };
    stream.on('error', fail);
    stream.on('end', () => fail(new Error('FlowCollector.Connect ended by the server')));
    this.stream = stream;
  }

  /** Sends one flow and resolves when its receipt arrives; rejects when the stream fails first. */
  send(flow: GoldmaneFlowObject): Promise<void> {
    return this.write(flow).then(() => {
      this.sent.push(flow);
    });
  }

  /** Sends flows one after another, each waiting for its receipt. */
  async sendAll(flows: Iterable<GoldmaneFlowObject>): Promise<void> {
    for (const flow of flows) await this.send(flow);
  }

  /**
   * Drops the current stream, connects again and resends the last `resendLast` acknowledged flows (default:
   * all of them), in lock step. Resent flows are not added to `sent` again.
   */
  async reconnect(resendLast = Number.POSITIVE_INFINITY): Promise<void> {
    const old = this.stream;
    this.stream = undefined;
    this.pending = undefined;
    old?.cancel();
    this.connect();
    const from = Math.max(0, this.sent.length - resendLast);
    for (const flow of this.sent.slice(from)) await this.write(flow);
  }

  /** Ends the stream and closes the channel. */
  close(): void {
    this.stream?.end();
    this.stream = undefined;
    this.client.close();
  }

  private write(flow: GoldmaneFlowObject): Promise<void> {
    this.connect();
    const stream = this.stream;
    if (stream === undefined) return Promise.reject(this.failure ?? new Error('not connected'));
    if (this.pending !== undefined) return Promise.reject(new Error('lock step: a receipt is still pending'));
    return new Promise<void>((resolve, reject) => {
      this.pending = { resolve, reject };
      stream.write({ flow });
    });
  }
}
