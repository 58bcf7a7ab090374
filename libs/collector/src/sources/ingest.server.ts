/**
 * Driftwatch's own push API, `driftwatch.v1.Ingest/Publish`: any agent (or a test) streams Hubble
 * `observer.GetFlowsResponse` messages and, when it closes the stream, gets a `PublishSummary` back.
 * See libs/collector/proto/driftwatch/v1/ingest.proto.
 */
import * as grpc from '@grpc/grpc-js';
import { createHubbleNormalizer, type HubbleNormalizer } from '@driftwatch/flow';
import { guardRequests, UndecodableMessage } from '../grpc/decode-guard.js';
import { loadIngestApi } from '../grpc/protos.js';
import { peerAddress } from '../grpc/server-lifecycle.js';
import type { FlowPipeline } from '../pipeline/flow-pipeline.js';
import { GrpcServerSource, type GrpcServerOptions } from './grpc-server-source.js';

/** Options of {@link IngestServer}. */
export interface IngestServerOptions extends GrpcServerOptions {
  /** Cluster recorded on flows whose node name has no `<cluster>/` prefix. */
  readonly cluster?: string;
}

/** `driftwatch.v1.PublishSummary`. */
export interface PublishSummary {
  /** Messages received on the stream. */
  received: number;
  /** Flows, node statuses and lost-events records handed to the pipeline (duplicates included). */
  accepted: number;
  /** Messages that could not be decoded or normalized. The rest (`received - accepted - rejected`) carried nothing to record. */
  rejected: number;
}

/** One open Publish stream. */
interface Publication {
  readonly call: grpc.ServerReadableStream<unknown, PublishSummary>;
  readonly callback: grpc.sendUnaryData<PublishSummary>;
  readonly normalizer: HubbleNormalizer;
  readonly peer: string;
  readonly counts: PublishSummary;
  /** Set while the stream is paused for the pipeline. */
  pending: Promise<void> | undefined;
  open: boolean;
}

/**
 * A {@link FlowSource} serving `Ingest.Publish`. Each message is normalized with a Hubble normalizer of the
 * stream's own (shared label sets) and handed to the pipeline; the stream is paused while the pipeline asks to
 * wait. Malformed messages are rejected and counted, and the stream goes on. Duplicates (a retried publish) are
 * dropped by the pipeline by flow uuid.
 * The source counts as connected (pipeline state and events) while the server is listening.
 */
export class IngestServer extends GrpcServerSource {
  private readonly publications = new Set<Publication>();

  constructor(
    pipeline: FlowPipeline,
    private readonly options: IngestServerOptions,
  ) {
    super(pipeline, 'ingest', options);
  }

  protected register(server: grpc.Server): void {
    server.addService(guardRequests(loadIngestApi().Ingest.service), {
      Publish: (call: grpc.ServerReadableStream<unknown, PublishSummary>, callback: grpc.sendUnaryData<PublishSummary>) =>
        this.publish(call, callback),
    });
  }

  /**
   * Messages already received are in the pipeline; streams still open are answered with UNAVAILABLE
   * (publishing again is safe: flows are deduplicated by uuid).
   */
  protected async endCalls(): Promise<void> {
    await Promise.all([...this.publications].map((publication) => publication.pending));
    for (const publication of this.publications) {
      this.finish(publication, {
        code: grpc.status.UNAVAILABLE,
        details: `Driftwatch is stopping after ${publication.counts.received} message(s) of this stream; publish again (flows are deduplicated)`,
      });
    }
  }

  private publish(call: grpc.ServerReadableStream<unknown, PublishSummary>, callback: grpc.sendUnaryData<PublishSummary>): void {
    const publication: Publication = {
      call,
      callback,
      normalizer: createHubbleNormalizer(this.options.cluster === undefined ? {} : { cluster: this.options.cluster }),
      peer: peerAddress(call.getPeer()),
      counts: { received: 0, accepted: 0, rejected: 0 },
      pending: undefined,
      open: true,
    };
    this.publications.add(publication);
    call.on('data', (message: unknown) => {
      if (!publication.open || this.stopping) return;
      const wait = this.receive(publication, message);
      if (wait === undefined) return;
      call.pause();
      publication.pending = wait.then(() => {
        publication.pending = undefined;
        if (publication.open) call.resume();
      });
    });
    // A paused stream emits 'end' only once resumed and drained, so every message has been handed over here.
    call.on('end', () => this.finish(publication, null));
    call.on('cancelled', () => this.close(publication));
    call.on('error', (error: Error) => {
      this.logger.warn(`${this.id}: publish stream from ${publication.peer} failed (${error.message})`);
      this.close(publication);
    });
  }

  private receive(publication: Publication, message: unknown): Promise<void> | undefined {
    publication.counts.received += 1;
    if (message instanceof UndecodableMessage) {
      publication.counts.rejected += 1;
      this.pipeline.reject(this.id, { ...message.problem, message: `${message.problem.message} (from ${publication.peer})` });
      return undefined;
    }
    const result = publication.normalizer.response(message);
    if (result.kind === 'error') publication.counts.rejected += 1;
    else if (result.kind !== 'skip') publication.counts.accepted += 1;
    return this.pipeline.accept(this.id, result);
  }

  /** Answers the stream: the summary (`error` null) or a status. */
  private finish(publication: Publication, error: Partial<grpc.StatusObject> | null): void {
    if (!publication.open) return;
    this.close(publication);
    if (error) publication.callback(error, null);
    else publication.callback(null, { ...publication.counts });
  }

  private close(publication: Publication): void {
    publication.open = false;
    this.publications.delete(publication);
  }
}
