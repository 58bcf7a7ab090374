import * as grpc from '@grpc/grpc-js';
import { createHubbleNormalizer, type HubbleNormalizer } from '@driftwatch/flow';
import { decodeGetFlowsResponse } from '../grpc/fast-decode.js';
import { loadHubbleApi } from '../grpc/protos.js';
import type { FlowPipeline } from '../pipeline/flow-pipeline.js';
import { Backoff, clientCredentials, delay, type FlowSource, type TlsOptions } from './flow-source.js';

export interface HubbleRelayOptions {
  /** `host:port` of Hubble Relay (default port 4245) or of a node's Hubble server (4244, usually with mTLS). */
  readonly address: string;
  readonly tls?: TlsOptions;
  /** Where to start when nothing was collected yet (epoch ms); undefined = what the server sends for a follow. */
  readonly since?: number;
  /** How far back a resumed stream starts before the newest flow received, for Relay's imperfect ordering (default 2 s). */
  readonly resumeOverlapMs?: number;
  readonly log?: (line: string) => void;
  /** First reconnect delay in ms, doubling up to 30 s (default 500). */
  readonly retryBaseMs?: number;
  /** Cluster name for flows that do not carry one. */
  readonly cluster?: string;
}

/**
 * Channel settings for a long, dense stream: a 16 MiB HTTP/2 flow-control window (grpc-js defaults to 64 KiB,
 * which costs a WINDOW_UPDATE round per few dozen flows) and room for large messages.
 */
export const HIGH_VOLUME_CHANNEL: grpc.ChannelOptions = Object.freeze({
  'grpc-node.flow_control_window': 16 * 1024 * 1024,
  'grpc.max_receive_message_length': 16 * 1024 * 1024,
});

type Decoded = { ok: true; value: unknown } | { ok: false; error: Error };

/**
 * Client of Hubble's `observer.Observer/GetFlows` with follow=true. Reconnects with exponential backoff and
 * resumes with `since` = the newest flow time received (minus an overlap that the pipeline deduplicates by
 * flow uuid). A message that does not decode is counted as malformed and skipped; the stream goes on.
 */
export class HubbleRelaySource implements FlowSource {
  readonly id: string;
  /** Streams that ended or failed to start since the last successful one. */
  failedAttempts = 0;
  private received = false;
  private readonly abort = new AbortController();
  private readonly normalizer: HubbleNormalizer;
  private client: grpc.Client | undefined;
  private call: grpc.ClientReadableStream<Decoded> | undefined;
  private loop: Promise<void> | undefined;
  private readonly path = '/observer.Observer/GetFlows';
  private serialize!: (value: unknown) => Buffer;
  private decode!: (buffer: Buffer) => unknown;

  constructor(
    private readonly pipeline: FlowPipeline,
    private readonly options: HubbleRelayOptions,
  ) {
    this.id = `hubble:${options.address}`;
    this.normalizer = createHubbleNormalizer(options.cluster === undefined ? {} : { cluster: options.cluster });
  }

  async start(): Promise<void> {
    const method = loadHubbleApi().Observer.service['GetFlows'];
    if (!method) throw new Error('observer.Observer/GetFlows is missing from the loaded protos');
    this.serialize = method.requestSerialize as (value: unknown) => Buffer;
    this.decode = decodeGetFlowsResponse;
    const { credentials, options } = clientCredentials(this.options.tls);
    this.client = new grpc.Client(this.options.address, credentials, { ...options, ...HIGH_VOLUME_CHANNEL });
    this.pipeline.registerSource(this.id, 'hubble', this.options.address);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.call?.cancel();
    await this.loop;
    this.client?.close();
  }

  private async run(): Promise<void> {
    const backoff = new Backoff(this.options.retryBaseMs);
    let down: string | undefined;
    while (!this.abort.signal.aborted) {
      const outcome = await this.stream(() => {
        if (down !== undefined) this.options.log?.(`${this.id}: reconnected`);
        down = undefined;
        this.failedAttempts = 0;
        backoff.reset();
        this.pipeline.setConnected(this.id, true);
      });
      if (this.abort.signal.aborted) break;
      if (down === undefined) {
        // Log a lost connection once; further failed attempts are silent until it comes back.
        this.options.log?.(`${this.id}: ${outcome}; reconnecting with backoff`);
        this.pipeline.setConnected(this.id, false, outcome);
      }
      down = outcome;
      this.failedAttempts += 1;
      await delay(backoff.next(), this.abort.signal);
    }
    this.pipeline.setConnected(this.id, false);
  }

  /** One GetFlows stream; resolves with why it ended. `onFirstMessage` fires when the stream delivers. */
  private stream(onFirstMessage: () => void): Promise<string> {
    return new Promise((resolve) => {
      const since = this.resumeAt();
      const request: Record<string, unknown> = { follow: true };
      if (since !== undefined) request['since'] = { seconds: String(Math.floor(since / 1000)), nanos: (since % 1000) * 1_000_000 };
      const call = this.client!.makeServerStreamRequest<unknown, Decoded>(this.path, this.serialize, (buffer) => this.safeDecode(buffer), request);
      this.call = call;
      let first = true;
      call.on('metadata', () => {
        if (first) {
          first = false;
          onFirstMessage();
        }
      });
      call.on('data', (decoded: Decoded) => {
        this.received = true;
        if (first) {
          first = false;
          onFirstMessage();
        }
        const wait = decoded.ok
          ? this.pipeline.accept(this.id, this.normalizer.response(decoded.value))
          : (this.pipeline.reject(this.id, { code: 'undecodable', message: decoded.error.message }), undefined);
        if (wait) {
          call.pause();
          void wait.then(() => call.resume());
        }
      });
      call.on('error', (error: grpc.ServiceError) => resolve(describe(error, this.options.address)));
      call.on('end', () => resolve('the server ended the stream'));
    });
  }

  /**
   * Where the next stream starts. After a reconnect: a little before the newest flow received, since Relay
   * merges nodes in imperfect time order; the overlap is deduplicated by the ids the pipeline remembers. After a
   * restart (a position restored from the database, nothing received yet): exactly there, since the ids in
   * memory are only those recorded at that very time.
   */
  private resumeAt(): number | undefined {
    const last = this.pipeline.lastSeen(this.id);
    if (last === undefined) return this.options.since;
    if (!this.received) return last;
    return Math.max(0, last - (this.options.resumeOverlapMs ?? 2000));
  }

  private safeDecode(buffer: Buffer): Decoded {
    try {
      return { ok: true, value: this.decode(buffer) };
    } catch (error) {
      return { ok: false, error: error as Error };
    }
  }
}

/** One line for a failed or ended stream. */
export function describe(error: grpc.ServiceError, address: string): string {
  const status = grpc.status[error.code] ?? String(error.code);
  if (error.code === grpc.status.UNAVAILABLE) return `cannot reach ${address} (${reason(error.details)})`;
  if (error.code === grpc.status.CANCELLED) return 'stream cancelled';
  return `stream failed: ${status}: ${error.details || error.message}`;
}

/** The cause inside grpc-js's "No connection established. Last error: …" details, in plain words. */
function reason(details: string | undefined): string {
  if (!details) return 'unavailable';
  if (details.includes('ECONNREFUSED')) return 'connection refused';
  if (details.includes('ENOTFOUND') || details.includes('EAI_AGAIN')) return 'host not found';
  if (details.includes('ETIMEDOUT') || details.includes('Deadline')) return 'timed out';
  if (details.includes('ECONNRESET')) return 'connection reset';
  if (details.includes('certificate required')) return 'TLS: the server requires a client certificate';
  if (/certificate verify failed|self[- ]signed|unable to get local issuer|CERT_/i.test(details)) return 'TLS: the server certificate is not trusted';
  if (/altnames|Hostname\/IP does not match/i.test(details)) return "TLS: the server certificate does not name this host (set the server name)";
  if (/wrong version number|packet length too long|http_request/i.test(details)) return 'TLS mismatch: is the server plaintext (or TLS where plaintext was expected)?';
  return details.replace(/\s+/g, ' ').replace(/\.?\s*Resolution note:\s*$/, '').trim();
}
