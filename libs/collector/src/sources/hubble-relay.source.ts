/**
 * Client of Hubble's `observer.Observer/GetFlows` with follow=true, against Hubble Relay or a node's Hubble
 * server. Reconnects with backoff forever and resumes with `since`; the replayed overlap is dropped by the
 * pipeline by flow uuid.
 */
import type * as grpc from '@grpc/grpc-js';
import { createHubbleNormalizer, type HubbleNormalizer } from '@driftwatch/flow';
import { UndecodableMessage } from '../grpc/decode-guard.js';
import { decodeGetFlowsResponse } from '../grpc/fast-decode.js';
import { loadHubbleApi } from '../grpc/protos.js';
import type { FlowPipeline } from '../pipeline/flow-pipeline.js';
import { StreamClientSource, type StreamClientOptions, type StreamMethod } from './stream-client.js';

export interface HubbleRelayOptions extends StreamClientOptions {
  /** `host:port` of Hubble Relay (default port 4245) or of a node's Hubble server (4244, usually with mTLS). */
  readonly address: string;
  /** Where to start when nothing was collected yet (epoch ms); undefined = what the server sends for a follow. */
  readonly since?: number;
  /** How far back a resumed stream starts before the newest flow received, for Relay's imperfect ordering (default 2 s). */
  readonly resumeOverlapMs?: number;
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

/**
 * A {@link StreamClientSource} reading `GetFlows` with follow=true. Resumes with `since` = the newest flow time
 * received (minus an overlap that the pipeline deduplicates by flow uuid). A message that does not decode is
 * counted as malformed and skipped; the stream goes on.
 */
export class HubbleRelaySource extends StreamClientSource {
  private readonly normalizer: HubbleNormalizer;
  private readonly getFlows: StreamMethod;
  /** A message arrived since start (a resume point from the database is exact; one from this run overlaps). */
  private received = false;

  constructor(
    pipeline: FlowPipeline,
    private readonly hubble: HubbleRelayOptions,
  ) {
    super(pipeline, 'hubble', hubble, HIGH_VOLUME_CHANNEL);
    const method = loadHubbleApi().Observer.service['GetFlows'];
    if (!method) throw new Error('observer.Observer/GetFlows is missing from the loaded protos');
    this.getFlows = { path: method.path, serialize: method.requestSerialize as (value: object) => Buffer, deserialize: decodeGetFlowsResponse };
    this.normalizer = createHubbleNormalizer(hubble.cluster === undefined ? {} : { cluster: hubble.cluster });
  }

  protected method(): StreamMethod {
    return this.getFlows;
  }

  /** `{follow: true, since?}`: see {@link resumeAt}. */
  protected nextRequest(): object {
    const since = this.resumeAt();
    const request: Record<string, unknown> = { follow: true };
    if (since !== undefined) request['since'] = { seconds: String(Math.floor(since / 1000)), nanos: (since % 1000) * 1_000_000 };
    return request;
  }

  protected handle(message: unknown): Promise<void> | undefined {
    this.received = true;
    if (message instanceof UndecodableMessage) {
      this.pipeline.reject(this.id, message.problem);
      return undefined;
    }
    return this.pipeline.accept(this.id, this.normalizer.response(message));
  }

  /**
   * Where the next stream starts. After a reconnect: a little before the newest flow received, since Relay
   * merges nodes in imperfect time order; the overlap is deduplicated by the ids the pipeline remembers. After a
   * restart (a position restored from the database, nothing received yet): exactly there, since the ids in
   * memory are only those recorded at that very time.
   */
  private resumeAt(): number | undefined {
    const last = this.pipeline.lastSeen(this.id);
    if (last === undefined) return this.hubble.since;
    if (!this.received) return last;
    return Math.max(0, last - (this.hubble.resumeOverlapMs ?? 2000));
  }
}
