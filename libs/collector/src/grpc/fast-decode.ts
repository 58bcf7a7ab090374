import protobuf from 'protobufjs';
import { join } from 'node:path';
import { HUBBLE_PROTO_DIR } from './protos.js';

let responseType: protobuf.Type | undefined;

/**
 * Decodes `observer.GetFlowsResponse` bytes into protobufjs message objects, skipping the conversion to plain
 * objects that proto-loader does for every message (about 40% of decoding time on the ingest path). The result
 * reads like proto-loader's `keepCase` objects, with three differences the Hubble normalizer accepts: enums are
 * numbers, 64-bit integers are protobufjs `Long`s, and unset fields read as their defaults from the prototype.
 * Unknown fields are skipped. Throws on malformed bytes; wrap it (see decode-guard).
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
  return root.lookupType('observer.GetFlowsResponse');
}
