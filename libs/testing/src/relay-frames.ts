/**
 * Pre-encoded GetFlows frames for the fake relay: fast benchmark streams, protobuf with unknown fields (which
 * a client must skip harmlessly), and malformed bytes (which a client cannot decode). A frame is written to
 * the wire exactly as given.
 */
import { loadHubbleApi } from '@driftwatch/collector';
import type { GrpcGetFlowsResponse } from './hubble-messages.js';

/** A message the relay sends as raw bytes; `timeMs` lets `since`/`until` filtering see its time. */
export interface RawFrame {
  readonly frame: Buffer;
  readonly timeMs?: number;
}

let serialize: ((value: unknown) => Buffer) | undefined;

/** Encodes a GetFlowsResponse object with the same serializer a grpc-js server would use. */
export function encodeGetFlowsResponse(response: GrpcGetFlowsResponse): Buffer {
  serialize ??= loadHubbleApi().Observer.service['GetFlows']?.responseSerialize;
  if (serialize === undefined) throw new Error('observer.Observer/GetFlows is missing from the loaded protos');
  return serialize(response);
}

/** Wraps bytes as a frame the relay sends untouched. */
export function rawFrame(frame: Buffer, timeMs?: number): RawFrame {
  return timeMs === undefined ? { frame } : { frame, timeMs };
}

/**
 * Bytes that are not a valid GetFlowsResponse:
 * - `truncated`: field 1 (flow) announces 2^28 bytes and ends at once;
 * - `bad-wire-type`: a field key with the unused wire type 7.
 * A grpc-js client fails the call when it cannot decode a message (unless it decodes frames itself).
 */
export function malformedFrame(kind: 'truncated' | 'bad-wire-type' = 'truncated'): RawFrame {
  return { frame: kind === 'truncated' ? Buffer.from([0x0a, 0x80, 0x80, 0x80, 0x80, 0x01, 0x01]) : Buffer.from([0x0f, 0x01, 0x02]) };
}

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function readVarint(bytes: Buffer, offset: number): [value: number, next: number] {
  let value = 0;
  let shift = 1;
  let i = offset;
  for (;;) {
    const byte = bytes[i++];
    if (byte === undefined) throw new Error('truncated varint');
    value += (byte & 0x7f) * shift;
    if (byte < 0x80) return [value, i];
    shift *= 128;
  }
}

/** Fields no Hubble proto defines (numbers 4000–4003), one of each common wire type. */
export function unknownFieldBytes(): Buffer {
  return Buffer.from([
    ...varint((4000 << 3) | 0), ...varint(424242),
    ...varint((4001 << 3) | 2), ...varint(5), ...Buffer.from('extra'),
    ...varint((4002 << 3) | 5), 1, 2, 3, 4,
    ...varint((4003 << 3) | 1), 1, 2, 3, 4, 5, 6, 7, 8,
  ]);
}

/**
 * Encodes `response` and adds fields unknown to every Hubble version, both at the top level and inside the
 * nested flow (when there is one). A correct decoder skips them and yields the same message.
 */
export function withUnknownFields(response: GrpcGetFlowsResponse, timeMs?: number): RawFrame {
  const extra = unknownFieldBytes();
  if (response.flow === undefined) return { frame: Buffer.concat([encodeGetFlowsResponse(response), extra]), ...(timeMs === undefined ? {} : { timeMs }) };
  const { flow, ...rest } = response;
  const flowOnly = encodeGetFlowsResponse({ flow });
  if (flowOnly[0] !== 0x0a) throw new Error('unexpected encoding of GetFlowsResponse.flow');
  const [length, start] = readVarint(flowOnly, 1);
  const flowBytes = Buffer.concat([flowOnly.subarray(start, start + length), extra]);
  const frame = Buffer.concat([
    Buffer.from([0x0a, ...varint(flowBytes.length)]),
    flowBytes,
    encodeGetFlowsResponse(rest),
    extra,
  ]);
  return timeMs === undefined ? { frame } : { frame, timeMs };
}

/** Low-level helpers shared with the encoded synthetic stream. */
export const protoWire = { varint, readVarint };
