/**
 * The benchmark fast path: synthetic GetFlowsResponse frames encoded once as templates, then stamped with a
 * unique uuid and an increasing time per message by appending those fields to the encoded flow (protobuf
 * lets a later field win), so 500,000+ distinct flows stream at transport speed in constant memory.
 */
import type { SyntheticCluster } from './synthetic-cluster.js';
import { generateHubbleTraffic, type SyntheticTrafficOptions } from './synthetic-flows.js';
import { encodeGetFlowsResponse, protoWire, type RawFrame } from './relay-frames.js';

export interface EncodedStreamOptions extends SyntheticTrafficOptions {
  /** Distinct encoded messages to cycle through (default 4,096). */
  readonly templates?: number;
}

interface Template {
  readonly flow: Buffer;
  readonly rest: Buffer;
}

function timestampBytes(micros: number): number[] {
  const seconds = Math.floor(micros / 1_000_000);
  const nanos = (micros - seconds * 1_000_000) * 1000;
  return nanos === 0 ? [0x08, ...protoWire.varint(seconds)] : [0x08, ...protoWire.varint(seconds), 0x10, ...protoWire.varint(nanos)];
}

/**
 * Yields `options.count` encoded frames (flows only; no lost_events) with unique uuids (`…-<counter>`) and
 * monotonically increasing times. Each frame's `timeMs` is set, so the relay can still apply `since`.
 */
export function* encodedHubbleStream(cluster: SyntheticCluster, options: EncodedStreamOptions): Generator<RawFrame> {
  const templateCount = Math.max(1, Math.min(options.templates ?? 4096, options.count));
  const templates: Template[] = [];
  for (const { response } of generateHubbleTraffic(cluster, { ...options, count: templateCount, lostEventsEvery: 0 })) {
    const { uuid: _uuid, time: _time, ...flow } = response.flow ?? {};
    const encoded = encodeGetFlowsResponse({ flow });
    const [length, start] = protoWire.readVarint(encoded, 1);
    templates.push({ flow: encoded.subarray(start, start + length), rest: encodeGetFlowsResponse({ node_name: response.node_name ?? '' }) });
  }
  const prefix = `${(options.seed ?? 7).toString(16).padStart(8, '0').slice(-8)}-5eed-4000-8000-`;
  let micros = (options.startTimeMs ?? Date.UTC(2026, 0, 1)) * 1000;
  const gap = options.meanGapMicros ?? 200;
  for (let i = 0; i < options.count; i++) {
    const template = templates[i % templates.length] as Template;
    micros += 1 + ((i * 7919) % (gap * 2));
    const ts = timestampBytes(micros);
    const uuid = prefix + i.toString(16).padStart(12, '0');
    const flowTime = [0x0a, ts.length, ...ts];
    const inner = template.flow.length + flowTime.length + 3 + uuid.length;
    const head = [0x0a, ...protoWire.varint(inner)];
    const tail = [0xca, 0x3e, ts.length, ...ts];
    const frame = Buffer.allocUnsafe(head.length + inner + template.rest.length + tail.length);
    let at = 0;
    frame.set(head, at);
    at += head.length;
    template.flow.copy(frame, at);
    at += template.flow.length;
    frame.set(flowTime, at);
    at += flowTime.length;
    frame.set([0x92, 0x02, uuid.length], at);
    at += 3;
    at += frame.write(uuid, at, 'latin1');
    template.rest.copy(frame, at);
    at += template.rest.length;
    frame.set(tail, at);
    yield { frame, timeMs: Math.floor(micros / 1000) };
  }
}
