/**
 * Loads the gRPC APIs Driftwatch speaks (Hubble Observer, Calico Goldmane, our Ingest) from the .proto files
 * in `libs/collector/proto/`, with one set of decoding options everywhere so that decoded messages look like
 * the JSON forms the normalizers in @driftwatch/flow read:
 * `keepCase` (proto field names: `IP`, `source_port`, `Key`), `longs: String` (64-bit integers as decimal
 * strings), `enums: String` (enum names), `defaults: false` (absent stays absent), `oneofs: true` (virtual
 * `response_types` / `protocol` keys). Google's well-known types (timestamp, wrappers, any, field_mask) come
 * bundled with protobufjs; only our own directories are include paths.
 */
import { join } from 'node:path';
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync, type Options, type PackageDefinition } from '@grpc/proto-loader';

/** Root of the .proto tree (`libs/collector/proto`). */
export const PROTO_DIR = join(import.meta.dirname, '..', '..', 'proto');

/** Include directory for the Hubble protos (the layout of cilium's `api/v1`). */
export const HUBBLE_PROTO_DIR = join(PROTO_DIR, 'hubble');

/** The proto-loader options every Driftwatch gRPC client and server uses. */
export const PROTO_LOADER_OPTIONS: Readonly<Options> = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
});

/** Hubble's `observer.Observer` service. */
export interface HubbleApi {
  readonly Observer: ServiceClientConstructor;
  readonly definition: PackageDefinition;
}

/** Calico Goldmane's services (`goldmane.Flows`, `goldmane.FlowCollector`, `goldmane.Statistics`). */
export interface GoldmaneApi {
  readonly Flows: ServiceClientConstructor;
  readonly FlowCollector: ServiceClientConstructor;
  readonly Statistics: ServiceClientConstructor;
  readonly definition: PackageDefinition;
}

/** Driftwatch's own `driftwatch.v1.Ingest` service. */
export interface IngestApi {
  readonly Ingest: ServiceClientConstructor;
  readonly definition: PackageDefinition;
}

const cache = new Map<string, PackageDefinition>();

function loadDefinition(file: string, includeDirs: readonly string[]): PackageDefinition {
  const key = `${file}\n${includeDirs.join('\n')}`;
  let definition = cache.get(key);
  if (definition === undefined) {
    definition = loadSync(file, { ...PROTO_LOADER_OPTIONS, includeDirs: [...includeDirs] });
    cache.set(key, definition);
  }
  return definition;
}

function service(root: GrpcObject, path: string): ServiceClientConstructor {
  let node: unknown = root;
  for (const part of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  if (typeof node !== 'function' || !('service' in node)) throw new Error(`gRPC service ${path} not found in the loaded protos`);
  return node as ServiceClientConstructor;
}

/**
 * Loads `observer/observer.proto` (which imports `flow/flow.proto` and `relay/relay.proto`) and returns the
 * `observer.Observer` client constructor; `Observer.service` is the definition a server registers.
 * Loaded once per process.
 */
export function loadHubbleApi(): HubbleApi {
  const definition = loadDefinition('observer/observer.proto', [HUBBLE_PROTO_DIR]);
  const root = loadPackageDefinition(definition);
  return { Observer: service(root, 'observer.Observer'), definition };
}

/** Loads `goldmane/api.proto` and returns the Goldmane service constructors. Loaded once per process. */
export function loadGoldmaneApi(): GoldmaneApi {
  const definition = loadDefinition('goldmane/api.proto', [PROTO_DIR]);
  const root = loadPackageDefinition(definition);
  return {
    Flows: service(root, 'goldmane.Flows'),
    FlowCollector: service(root, 'goldmane.FlowCollector'),
    Statistics: service(root, 'goldmane.Statistics'),
    definition,
  };
}

/** Loads `driftwatch/v1/ingest.proto` and returns the `driftwatch.v1.Ingest` constructor. Loaded once per process. */
export function loadIngestApi(): IngestApi {
  const definition = loadDefinition('driftwatch/v1/ingest.proto', [PROTO_DIR, HUBBLE_PROTO_DIR]);
  const root = loadPackageDefinition(definition);
  return { Ingest: service(root, 'driftwatch.v1.Ingest'), definition };
}
