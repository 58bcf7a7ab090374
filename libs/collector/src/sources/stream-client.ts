/**
 * What the two streaming clients (Hubble `GetFlows`, Goldmane `Flows/Stream`) share: one server-streaming call
 * at a time, reconnected with the one {@link Backoff} forever; a lost connection logged once (and once more when
 * it is back); the call paused while the pipeline asks to wait; gRPC keepalive pings so that a peer that stopped
 * answering (a stalled proxy, a dead node) is told from a quiet stream.
 */
import * as grpc from '@grpc/grpc-js';
import { Backoff, delay, silentLogger, type Logger } from '@driftwatch/common';
import { guardDeserializer } from '../grpc/decode-guard.js';
import type { FlowPipeline } from '../pipeline/flow-pipeline.js';
import { clientCredentials, type FlowSource, type TlsOptions } from './flow-source.js';

/** Keepalive of a client channel: a ping after `timeMs` without traffic; no answer within `timeoutMs` ends the connection. */
export interface KeepaliveOptions {
  readonly timeMs: number;
  readonly timeoutMs: number;
}

/**
 * Default keepalive: a ping after 30 s of silence, 10 s to answer, so a stalled peer is noticed within about
 * 40 s. Servers built on grpc-go refuse pings more often than every 5 minutes only while they send nothing
 * (the strike count resets whenever they send), so a live stream is not affected.
 */
export const DEFAULT_KEEPALIVE: KeepaliveOptions = Object.freeze({ timeMs: 30_000, timeoutMs: 10_000 });

/** The settings every streaming client takes. */
export interface StreamClientOptions {
  /** `host:port` (or `unix:///path`) to dial. */
  readonly address: string;
  /** The source's id (default `<kind>:<address>`). */
  readonly id?: string;
  /** Server TLS or mutual TLS; plaintext without. */
  readonly tls?: TlsOptions;
  /** Retry schedule (default: 0.5 s doubling to 30 s, equal jitter). */
  readonly backoff?: Backoff;
  /** Keepalive pings; `false` turns them off (default {@link DEFAULT_KEEPALIVE}). */
  readonly keepalive?: KeepaliveOptions | false;
  /** Where lost and restored connections are logged (default: nowhere). */
  readonly logger?: Logger;
}

/** How one call ended. */
interface CallOutcome {
  /** The server accepted the call (sent headers or a message) before it ended. */
  readonly connected: boolean;
  readonly reason: string;
}

/** The method a streaming client calls. */
export interface StreamMethod {
  readonly path: string;
  readonly serialize: (request: object) => Buffer;
  readonly deserialize: (bytes: Buffer) => unknown;
}

/**
 * A {@link FlowSource} that keeps one server-streaming call open: each attempt dials a new channel with the
 * request {@link nextRequest} builds; every message goes to {@link handle} (an undecodable one arrives as an
 * `UndecodableMessage`), and the call is paused until the promise `handle` returns settles (backpressure).
 * The first failure after a working connection (or the first failed attempt) is logged once with the reason;
 * further attempts are silent until the stream is back, which is logged once too.
 */
export abstract class StreamClientSource implements FlowSource {
  readonly id: string;
  /** Calls that ended or failed to start since the last one that connected. */
  failedAttempts = 0;
  protected readonly logger: Logger;
  private readonly backoff: Backoff;
  private readonly channelOptions: grpc.ChannelOptions;
  private readonly credentials: grpc.ChannelCredentials;
  private abort = new AbortController();
  private running: Promise<void> | undefined;
  private call: grpc.ClientReadableStream<unknown> | undefined;
  private everConnected = false;
  private connected = false;
  /** A lost (or failed) connection has been logged and is not back yet. */
  private lost = false;
  private lastReason: string | undefined;

  protected constructor(
    protected readonly pipeline: FlowPipeline,
    private readonly kind: 'hubble' | 'goldmane',
    private readonly options: StreamClientOptions,
    extraChannelOptions: grpc.ChannelOptions = {},
  ) {
    this.id = options.id ?? `${kind}:${options.address}`;
    this.logger = options.logger ?? silentLogger;
    this.backoff = options.backoff ?? new Backoff();
    const { credentials, options: tlsOptions } = clientCredentials(options.tls);
    this.credentials = credentials;
    const keepalive = options.keepalive === undefined ? DEFAULT_KEEPALIVE : options.keepalive;
    this.channelOptions = {
      ...tlsOptions,
      ...extraChannelOptions,
      ...(keepalive ? { 'grpc.keepalive_time_ms': keepalive.timeMs, 'grpc.keepalive_timeout_ms': keepalive.timeoutMs, 'grpc.keepalive_permit_without_calls': 0 } : {}),
    };
  }

  /** The address dialled. */
  get address(): string {
    return this.options.address;
  }

  /** Whether a call was ever accepted by the server since start (false: the source was never reached). */
  get reached(): boolean {
    return this.everConnected;
  }

  /** Why the last call ended or failed, if one did. */
  get lastError(): string | undefined {
    return this.lastReason;
  }

  /** Starts streaming in the background; resolves at once and never rejects (failures are retried and logged). */
  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.pipeline.registerSource(this.id, this.kind, this.options.address);
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

  /** The method to call. */
  protected abstract method(): StreamMethod;

  /** The request of the next call (resume point included). */
  protected abstract nextRequest(): object;

  /** Hands one message (or an `UndecodableMessage`) to the pipeline; returns what to wait for before reading on. */
  protected abstract handle(message: unknown): Promise<void> | undefined;


  /** What the peer is called in log lines: `Hubble at 10.0.0.1:4245`. */
  private peerName(): string {
    return `${this.kind === 'hubble' ? 'Hubble' : 'Goldmane'} at ${this.options.address}`;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const outcome = await this.streamOnce(signal);
      if (signal.aborted) break;
      if (outcome.connected) this.backoff.reset();
      this.failedAttempts += 1;
      this.connectionLost(outcome);
      await delay(this.backoff.next(), signal);
    }
    if (this.connected) this.pipeline.setConnected(this.id, false);
    this.connected = false;
  }

  /** One call, from request to final status (and every message it delivered handed to the pipeline). */
  private streamOnce(signal: AbortSignal): Promise<CallOutcome> {
    return new Promise((resolve) => {
      let client: grpc.Client;
      try {
        client = new grpc.Client(this.options.address, this.credentials, this.channelOptions);
      } catch (error) {
        return resolve({ connected: false, reason: (error as Error).message }); // e.g. an address grpc-js cannot parse
      }
      const method = this.method();
      const call = client.makeServerStreamRequest(method.path, method.serialize, guardDeserializer(method.deserialize), this.nextRequest());
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

  private connectionUp(): void {
    if (this.lost) this.logger.log(`${this.id}: reconnected to ${this.peerName()}`);
    this.lost = false;
    this.failedAttempts = 0;
    this.everConnected = true;
    this.connected = true;
    this.pipeline.setConnected(this.id, true);
  }

  private connectionLost(outcome: CallOutcome): void {
    this.lastReason = outcome.reason;
    if (this.lost) return;
    this.lost = true;
    this.logger.warn(
      outcome.connected
        ? `${this.id}: lost the connection to ${this.peerName()} (${outcome.reason}); reconnecting with backoff`
        : `${this.id}: cannot reach ${this.peerName()} (${outcome.reason}); reconnecting with backoff`,
    );
    this.connected = false;
    this.pipeline.setConnected(this.id, false, outcome.reason);
  }
}

/** Why a call ended, in plain words. We cancel only when stopping, so a CANCELLED came from the server. */
export function describeStatus(status: Pick<grpc.StatusObject, 'code' | 'details'>): string {
  if (status.code === grpc.status.OK) return 'the server ended the stream';
  if (status.code === grpc.status.CANCELLED) return `the server cancelled the stream${status.details ? ` (${status.details})` : ''}`;
  if (status.code === grpc.status.UNAVAILABLE) return plainReason(status.details);
  return `${grpc.status[status.code] ?? String(status.code)}: ${status.details}`;
}

/** The cause inside grpc-js's "No connection established. Last error: …" details, in plain words. */
function plainReason(details: string | undefined): string {
  if (!details) return 'unavailable';
  if (details.includes('ECONNREFUSED')) return 'connection refused';
  if (details.includes('ENOTFOUND') || details.includes('EAI_AGAIN')) return 'host not found';
  // grpc-js says only this when the peer closed or reset the connection or stopped answering keepalive pings.
  if (details === 'Connection dropped') return 'the connection dropped or stopped answering keepalive pings';
  if (details.includes('ETIMEDOUT') || details.includes('Deadline')) return 'timed out';
  if (details.includes('ECONNRESET')) return 'connection reset';
  if (details.includes('certificate required')) return 'TLS: the server requires a client certificate';
  if (/certificate verify failed|self[- ]signed|unable to get local issuer|CERT_/i.test(details)) return 'TLS: the server certificate is not trusted';
  if (/altnames|Hostname\/IP does not match/i.test(details)) return 'TLS: the server certificate does not name this host (set the server name)';
  if (/wrong version number|packet length too long|http_request/i.test(details)) return 'TLS mismatch: is the server plaintext (or TLS where plaintext was expected)?';
  return details.replace(/\s+/g, ' ').replace(/\.?\s*Resolution note:\s*$/, '').trim();
}
