/**
 * Client of Calico Goldmane `goldmane.Flows/Stream` (server-streaming `FlowStreamRequest` → `FlowResult`s, one
 * per flow key and 15 s bucket). Reconnects with backoff forever and resumes from the newest bucket already
 * received; the replayed overlap is dropped by the pipeline (flow ids are stable per key and bucket).
 */
import * as grpc from '@grpc/grpc-js';
import { normalizeGoldmaneFlow, type CalicoNormalizeOptions } from '@driftwatch/flow';
import { guardDeserializer, UndecodableMessage } from '../grpc/decode-guard.js';
import { loadGoldmaneApi } from '../grpc/protos.js';
import type { FlowPipeline } from '../pipeline/flow-pipeline.js';
import { Backoff, clientCredentials, delay, type FlowSource, type TlsOptions } from './flow-source.js';

/** Options of {@link GoldmaneStreamSource}. */
export interface GoldmaneStreamOptions {
  /** Goldmane's `host:port` (the operator's Service is `goldmane.calico-system.svc:7443`). */
  readonly address: string;
  /** Server TLS or mTLS; Goldmane as the operator deploys it requires a client certificate. Plaintext without. */
  readonly tls?: TlsOptions;
  /**
   * `start_time_gte` of the first request, in seconds: 0 = from now, no backfill (the default); below 0 =
   * relative to now; above 0 = absolute Unix seconds. Later requests resume from what was received.
   */
  readonly startTimeGte?: number;
  /** Cluster recorded on the flows (Goldmane does not name it). */
  readonly cluster?: string;
  /** Retry schedule (default: 0.5 s doubling to 30 s, with jitter). */
  readonly backoff?: Backoff;
  readonly log: (line: string) => void;
}

/** What one call ended with. */
interface CallOutcome {
  /** The server accepted the call (sent headers or a message) before it ended. */
  readonly connected: boolean;
  readonly reason: string;
}

/**
 * Goldmane's buckets reach the Stream about 30 s after they start (it emits the bucket 2 back from head), so a
 * stream opened "now" receives buckets from about 30 s earlier; a reconnect with nothing received yet goes
 * back that far.
 */
const STREAM_LAG_S = 30;

/** Why a call ended, for the log line. We cancel only when stopping, so a CANCELLED came from the server. */
function describeStatus(status: grpc.StatusObject): string {
  if (status.code === grpc.status.OK) return 'the server ended the stream';
  if (status.code === grpc.status.CANCELLED) return `the server cancelled the stream (${status.details})`;
  return `${grpc.status[status.code]}: ${status.details}`;
}

/**
 * A {@link FlowSource} reading Goldmane's `Flows/Stream`. Each (re)connection opens a new channel; the first
 * request uses `startTimeGte`, later ones `start_time_gte = floor(lastSeen / 1000)`. A lost connection is
 * logged once with the address and the reason, and once more when it is back. The call is paused while the
 * pipeline asks to wait (backpressure). Messages that cannot be decoded or normalized are rejected and skipped.
 */
export class GoldmaneStreamSource implements FlowSource {
  readonly id: string;
  private readonly method: grpc.MethodDefinition<object, unknown>;
  private readonly channel: { credentials: grpc.ChannelCredentials; options: grpc.ChannelOptions };
  private readonly backoff: Backoff;
  private readonly normalizeOptions: CalicoNormalizeOptions;
  private abort = new AbortController();
  private running: Promise<void> | undefined;
  private call: grpc.ClientReadableStream<unknown> | undefined;
  /** Absolute resume point when nothing was received yet (set at the first attempt). */
  private anchor: number | undefined;
  private connected = false;
  /** A lost (or failed) connection has been logged and is not back yet. */
  private lost = false;

  constructor(
    private readonly pipeline: FlowPipeline,
    private readonly options: GoldmaneStreamOptions,
  ) {
    this.id = `goldmane:${options.address}`;
    const method = loadGoldmaneApi().Flows.service['Stream'];
    if (!method) throw new Error('goldmane.Flows/Stream is missing from the loaded protos');
    this.method = method as grpc.MethodDefinition<object, unknown>;
    this.channel = clientCredentials(options.tls);
    this.backoff = options.backoff ?? new Backoff();
    this.normalizeOptions = options.cluster === undefined ? {} : { cluster: options.cluster };
  }

  /** Starts streaming in the background; resolves at once and never rejects (failures are retried and logged). */
  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.pipeline.registerSource(this.id, 'goldmane', this.options.address);
    this.abort = new AbortController();
    this.running = this.run(this.abort.signal);
    return Promise.resolve();
  }

  /** Cancels the call and the retry loop; what was received has already been handed to the pipeline. */
  async stop(): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.abort.abort();
    this.call?.cancel();
    await running;
    this.running = undefined;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const outcome = await this.streamOnce(signal);
      if (signal.aborted) break;
      if (outcome.connected) this.backoff.reset();
      this.connectionLost(outcome);
      await delay(this.backoff.next(), signal);
    }
    if (this.connected) this.pipeline.setConnected(this.id, false);
    this.connected = false;
  }

  /** The `start_time_gte` of the next request. */
  private startTime(): number {
    const seen = this.pipeline.lastSeen(this.id);
    if (seen !== undefined) return Math.floor(seen / 1000);
    const requested = this.options.startTimeGte ?? 0;
    if (this.anchor === undefined) {
      const now = Math.floor(Date.now() / 1000);
      this.anchor = requested > 0 ? requested : now + (requested < 0 ? requested : -STREAM_LAG_S);
      return requested;
    }
    return this.anchor;
  }

  /** One call, from request to final status (and every message it delivered handed to the pipeline). */
  private streamOnce(signal: AbortSignal): Promise<CallOutcome> {
    return new Promise((resolve) => {
      let client: grpc.Client;
      try {
        client = new grpc.Client(this.options.address, this.channel.credentials, this.channel.options);
      } catch (error) {
        return resolve({ connected: false, reason: (error as Error).message }); // e.g. an address grpc-js cannot parse
      }
      const call = client.makeServerStreamRequest(
        this.method.path,
        this.method.requestSerialize,
        guardDeserializer(this.method.responseDeserialize),
        { start_time_gte: this.startTime() },
      );
      this.call = call;
      let connected = false;
      let status: grpc.StatusObject | undefined;
      let ended = false;
      const accepted = () => {
        if (connected) return;
        connected = true;
        this.connectionUp();
      };
      const settle = () => {
        // Messages that arrived before the status may still sit in the paused stream: wait for its end.
        if (status === undefined || (!ended && !signal.aborted)) return;
        if (this.call === call) this.call = undefined;
        client.close();
        resolve({ connected, reason: describeStatus(status) });
      };
      call.on('metadata', accepted);
      call.on('data', (message: unknown) => {
        accepted();
        const wait = this.handle(message);
        if (wait === undefined) return;
        call.pause();
        void wait.then(() => call.resume());
      });
      call.on('error', () => undefined); // the 'status' event carries the same error
      call.on('status', (received: grpc.StatusObject) => {
        status = received;
        settle();
      });
      call.on('end', () => {
        ended = true;
        settle();
      });
    });
  }

  private handle(message: unknown): Promise<void> | undefined {
    if (message instanceof UndecodableMessage) {
      this.pipeline.reject(this.id, message.problem);
      return undefined;
    }
    const result = normalizeGoldmaneFlow(message, this.normalizeOptions);
    if (result.kind === 'skip') {
      this.pipeline.reject(this.id, { code: 'missing_field', path: 'flow', message: `a FlowResult without a flow (${result.reason})` });
      return undefined;
    }
    return this.pipeline.accept(this.id, result);
  }

  private connectionUp(): void {
    if (this.lost) this.options.log(`${this.id}: reconnected to Goldmane at ${this.options.address}`);
    this.lost = false;
    this.connected = true;
    this.pipeline.setConnected(this.id, true);
  }

  private connectionLost(outcome: CallOutcome): void {
    if (this.lost) return;
    this.lost = true;
    this.options.log(
      outcome.connected
        ? `${this.id}: lost the connection to Goldmane at ${this.options.address} (${outcome.reason}); reconnecting with backoff`
        : `${this.id}: cannot reach Goldmane at ${this.options.address} (${outcome.reason}); retrying with backoff`,
    );
    this.connected = false;
    this.pipeline.setConnected(this.id, false, outcome.reason);
  }
}
