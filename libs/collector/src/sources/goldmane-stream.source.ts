/**
 * Client of Calico Goldmane `goldmane.Flows/Stream` (server-streaming `FlowStreamRequest` → `FlowResult`s, one
 * per flow key and 15 s bucket). Reconnects with backoff forever and resumes from the newest bucket already
 * received; the replayed overlap is dropped by the pipeline (flow ids are stable per key and bucket).
 */
import type * as grpc from '@grpc/grpc-js';
import { normalizeGoldmaneFlow, type CalicoNormalizeOptions } from '@driftwatch/flow';
import { UndecodableMessage } from '../grpc/decode-guard.js';
import { loadGoldmaneApi } from '../grpc/protos.js';
import type { FlowPipeline } from '../pipeline/flow-pipeline.js';
import { StreamClientSource, type StreamClientOptions, type StreamMethod } from './stream-client.js';

/** Options of {@link GoldmaneStreamSource}. */
export interface GoldmaneStreamOptions extends StreamClientOptions {
  /** Goldmane's `host:port` (the operator's Service is `goldmane.calico-system.svc:7443`). */
  readonly address: string;
  /**
   * `start_time_gte` of the first request, in seconds: 0 = from now, no backfill (the default); below 0 =
   * relative to now; above 0 = absolute Unix seconds. Later requests resume from what was received.
   */
  readonly startTimeGte?: number;
  /** Cluster recorded on the flows (Goldmane does not name it). */
  readonly cluster?: string;
}

/**
 * Goldmane's buckets reach the Stream about 30 s after they start (it emits the bucket 2 back from head), so a
 * stream opened "now" receives buckets from about 30 s earlier; a reconnect with nothing received yet goes
 * back that far.
 */
const STREAM_LAG_S = 30;

/**
 * A {@link StreamClientSource} reading Goldmane's `Flows/Stream` (Goldmane as the operator deploys it requires
 * mutual TLS). The first request uses `startTimeGte`, later ones `start_time_gte = floor(lastSeen / 1000)`.
 * Messages that cannot be decoded or normalized are rejected and skipped.
 */
export class GoldmaneStreamSource extends StreamClientSource {
  private readonly stream: StreamMethod;
  private readonly normalizeOptions: CalicoNormalizeOptions;
  /** Absolute resume point when nothing was received yet (set at the first attempt). */
  private anchor: number | undefined;

  constructor(
    pipeline: FlowPipeline,
    private readonly goldmane: GoldmaneStreamOptions,
  ) {
    super(pipeline, 'goldmane', goldmane);
    const method = loadGoldmaneApi().Flows.service['Stream'] as grpc.MethodDefinition<object, unknown> | undefined;
    if (!method) throw new Error('goldmane.Flows/Stream is missing from the loaded protos');
    this.stream = { path: method.path, serialize: method.requestSerialize, deserialize: method.responseDeserialize };
    this.normalizeOptions = goldmane.cluster === undefined ? {} : { cluster: goldmane.cluster };
  }

  protected method(): StreamMethod {
    return this.stream;
  }

  /** `{start_time_gte}` of the next request. */
  protected nextRequest(): object {
    return { start_time_gte: this.startTime() };
  }

  private startTime(): number {
    const seen = this.pipeline.lastSeen(this.id);
    if (seen !== undefined) return Math.floor(seen / 1000);
    const requested = this.goldmane.startTimeGte ?? 0;
    if (this.anchor === undefined) {
      const now = Math.floor(Date.now() / 1000);
      this.anchor = requested > 0 ? requested : now + (requested < 0 ? requested : -STREAM_LAG_S);
      return requested;
    }
    return this.anchor;
  }

  protected handle(message: unknown): Promise<void> | undefined {
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
}
