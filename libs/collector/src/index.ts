/**
 * @driftwatch/collector: gRPC clients and servers for the flow sources (Hubble, Calico Goldmane, Felix, our
 * Ingest API), resume, backpressure and batching.
 */

// --- gRPC API definitions (protos and their loaders) ---------------------------------------------------
export {
  HUBBLE_PROTO_DIR, loadGoldmaneApi, loadHubbleApi, loadIngestApi, PROTO_DIR, PROTO_LOADER_OPTIONS,
  type GoldmaneApi, type HubbleApi, type IngestApi,
} from './grpc/protos.js';
// --- end of gRPC API definitions --------------------------------------------------------------------------

// --- pipeline ------------------------------------------------------------------------------------------------
export { FlowPipeline, type ActiveRevision, type FlowPipelineOptions, type PipelineSummary } from './pipeline/flow-pipeline.js';
export { clientCredentials, quietGrpcLogs, serverCredentials, SourceSetupError, type FlowSource, type ServerTlsOptions, type TlsOptions } from './sources/flow-source.js';
export { DEFAULT_KEEPALIVE, StreamClientSource, type KeepaliveOptions, type StreamClientOptions } from './sources/stream-client.js';
export { DEFAULT_SERVER_LIMITS, type ServerLimits } from './grpc/server-guard.js';
export type { GrpcServerOptions } from './sources/grpc-server-source.js';
export { decodeGetFlowsResponse } from './grpc/fast-decode.js';
export { HIGH_VOLUME_CHANNEL, HubbleRelaySource, type HubbleRelayOptions } from './sources/hubble-relay.source.js';

// --- Calico sources and our Ingest API (Goldmane Flows/Stream client, Felix FlowCollector and Ingest servers) ---
export { GoldmaneStreamSource, type GoldmaneStreamOptions } from './sources/goldmane-stream.source.js';
export { FelixCollectorServer, type FelixCollectorOptions } from './sources/felix-collector.server.js';
export { IngestServer, type IngestServerOptions, type PublishSummary } from './sources/ingest.server.js';
// --- end of Calico sources and Ingest API ---------------------------------------------------------------------

// --- a running collection: declared policies as a revision, sources into one pipeline (serve, collect) ---
export { clientTls, serverTls, startCollection, type Collection, type CollectionOptions, type SourceSpec } from './collection.js';
