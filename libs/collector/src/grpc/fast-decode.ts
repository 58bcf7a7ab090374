import protobuf from 'protobufjs';
import { join } from 'node:path';
import { HUBBLE_PROTO_DIR } from './protos.js';

let responseType: protobuf.Type | undefined;

/**
 * Decodes `observer.GetFlowsResponse` bytes into protobufjs message objects, skipping the conversion to plain
 * objects that proto-loader does for every message (about 40% of decoding time on the ingest path). The result
 * reads like proto-loader's `keepCase` objects, with three differences the Hubble normalizer accepts: enums are
 * numbers, 64-bit integers are protobufjs `Long`s, and unset fields read as their defaults from the prototype.
 * Endpoints decode to plain objects whose label lists are shared between flows of the same identity (see
 * {@link EndpointDecoder}). Unknown fields are skipped. Throws on malformed bytes; wrap it (see decode-guard).
 */
export function decodeGetFlowsResponse(buffer: Buffer): unknown {
  responseType ??= loadResponseType();
  return responseType.decode(buffer);
}

function loadResponseType(): protobuf.Type {
  const root = new protobuf.Root();
  // google/protobuf/* are protobufjs' bundled common types; everything else lives in our copy of cilium's api/v1.
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : join(HUBBLE_PROTO_DIR, target));
  root.loadSync('observer/observer.proto', { keepCase: true });
  const endpoint = root.lookupType('flow.Endpoint');
  const workload = root.lookupType('flow.Workload');
  endpoint.setup();
  workload.setup();
  const decoder = new EndpointDecoder(workload);
  // Generated decoders of the enclosing messages call `types[i].decode(reader, length)`: this replaces Endpoint's.
  endpoint.decode = ((reader: protobuf.Reader | Uint8Array, length?: number) => decoder.decode(reader, length)) as unknown as typeof endpoint.decode;
  return root.lookupType('observer.GetFlowsResponse');
}

interface CachedLabels {
  readonly bytes: Buffer;
  readonly labels: readonly string[];
}

const LABELS_TAG = (4 << 3) | 2;

/**
 * Decodes `flow.Endpoint`. Its labels (a dozen strings) cost more to decode than the rest of a flow, and an
 * identity stands for one label set: so the encoded label fields are compared byte for byte with those last
 * seen for the same identity, and on a match the decoded list is reused without decoding a string. A recycled
 * identity number with other labels differs in its bytes and is decoded afresh. Bounded: cleared when full.
 */
export class EndpointDecoder {
  private readonly cache = new Map<number, CachedLabels>();

  constructor(
    private readonly workload: protobuf.Type,
    private readonly maxIdentities = 16_384,
  ) {}

  decode(input: protobuf.Reader | Uint8Array, length?: number): Record<string, unknown> {
    const reader = input instanceof protobuf.Reader ? input : protobuf.Reader.create(input);
    const end = length === undefined ? reader.len : reader.pos + length;
    let ID = 0;
    let identity = 0;
    let clusterName = '';
    let namespace = '';
    let podName = '';
    let labels: readonly string[] = [];
    const workloads: unknown[] = [];
    while (reader.pos < end) {
      const tag = reader.uint32();
      switch (tag >>> 3) {
        case 1:
          ID = reader.uint32();
          break;
        case 2:
          identity = reader.uint32();
          break;
        case 3:
          namespace = reader.string();
          break;
        case 4:
          if ((tag & 7) !== 2) {
            reader.skipType(tag & 7);
            break;
          }
          labels = this.labels(reader, identity, labels);
          break;
        case 5:
          podName = reader.string();
          break;
        case 6:
          workloads.push(this.workload.decode(reader, reader.uint32()));
          break;
        case 7:
          clusterName = reader.string();
          break;
        default:
          reader.skipType(tag & 7);
      }
    }
    return { ID, identity, cluster_name: clusterName, namespace, labels, pod_name: podName, workloads };
  }

  /** Reads the run of label fields starting at the tag just read; reuses the identity's list when the bytes match. */
  private labels(reader: protobuf.Reader, identity: number, before: readonly string[]): readonly string[] {
    const start = reader.pos - 1; // the one-byte tag of field 4
    let stop = skipString(reader);
    while (reader.pos < reader.len && reader.buf[reader.pos] === LABELS_TAG) {
      reader.pos += 1;
      stop = skipString(reader);
    }
    const buf = reader.buf as Buffer;
    const cacheable = identity !== 0 && before.length === 0 && Buffer.isBuffer(buf);
    const cached = cacheable ? this.cache.get(identity) : undefined;
    if (cached && cached.bytes.length === stop - start && buf.compare(cached.bytes, 0, cached.bytes.length, start, stop) === 0) {
      return cached.labels;
    }
    const decoded: string[] = [...before];
    const again = protobuf.Reader.create(Buffer.from(buf.buffer, buf.byteOffset + start, stop - start));
    while (again.pos < again.len) {
      again.uint32();
      decoded.push(again.string());
    }
    if (cacheable) {
      if (this.cache.size >= this.maxIdentities) this.cache.clear();
      this.cache.set(identity, { bytes: Buffer.from(buf.subarray(start, stop)), labels: Object.freeze(decoded) });
    }
    return decoded;
  }
}

function skipString(reader: protobuf.Reader): number {
  const length = reader.uint32();
  reader.pos += length;
  if (reader.pos > reader.len) throw new RangeError(`index out of range: ${reader.pos} > ${reader.len}`);
  return reader.pos;
}
