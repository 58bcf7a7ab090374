/**
 * Hubble messages in the object form @grpc/proto-loader uses with Driftwatch's options (keepCase, longs as
 * strings, enums as names): what the fake relay serves and the generator produces. Loosely typed on purpose:
 * tests also build odd and malformed messages.
 */

/** `google.protobuf.Timestamp` as proto-loader reads and writes it. */
export interface GrpcTimestamp {
  readonly seconds: string | number;
  readonly nanos?: number;
}

/** An `observer.GetFlowsResponse` object: exactly one of flow / node_status / lost_events is expected. */
export interface GrpcGetFlowsResponse {
  readonly flow?: Record<string, unknown>;
  readonly node_status?: { readonly state_change?: string | number; readonly node_names?: readonly string[]; readonly message?: string };
  readonly lost_events?: { readonly source?: string | number; readonly num_events_lost?: string | number; readonly cpu?: { readonly value?: number } };
  readonly node_name?: string;
  readonly time?: GrpcTimestamp;
  readonly [unknownField: string]: unknown;
}

/** Epoch milliseconds (with sub-millisecond precision in `micros`) as a Timestamp. */
export function toTimestamp(ms: number, micros = 0): GrpcTimestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: (ms - seconds * 1000) * 1_000_000 + micros * 1000 };
}

/** A Timestamp (or RFC 3339 text) as epoch milliseconds; `undefined` when absent or unreadable. */
export function timestampMs(value: unknown): number | undefined {
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  if (typeof value === 'object' && value !== null) {
    const { seconds, nanos } = value as { seconds?: unknown; nanos?: unknown };
    const s = Number(seconds ?? 0);
    const n = Number(nanos ?? 0);
    if (Number.isFinite(s) && Number.isFinite(n)) return s * 1000 + Math.floor(n / 1e6);
  }
  return undefined;
}

function rfc3339ToTimestamp(text: string): GrpcTimestamp {
  const dot = text.indexOf('.', 19);
  const whole = dot < 0 ? text : `${text.slice(0, dot)}Z`;
  const fraction = dot < 0 ? '' : text.slice(dot + 1).replace(/[Zz]|[+-]\d\d:\d\d$/, '');
  const seconds = Math.floor(Date.parse(whole) / 1000);
  return { seconds: String(seconds), nanos: Number(fraction.padEnd(9, '0').slice(0, 9)) };
}

/**
 * Converts one `hubble observe -o json` response (or a legacy bare Flow) into the gRPC object form the fake
 * relay serves: RFC 3339 times become Timestamps, bare `is_reply` booleans become BoolValue wrappers, and a
 * bare Flow is wrapped as `{flow}`. Everything else passes through unchanged.
 */
export function hubbleJsonToGrpc(json: Record<string, unknown>): GrpcGetFlowsResponse {
  const wrapped = json['flow'] !== undefined || json['node_status'] !== undefined || json['lost_events'] !== undefined;
  const response: Record<string, unknown> = structuredClone(wrapped ? json : { flow: json });
  if (typeof response['time'] === 'string') response['time'] = rfc3339ToTimestamp(response['time']);
  const flow = response['flow'] as Record<string, unknown> | undefined;
  if (flow !== undefined) {
    if (typeof flow['time'] === 'string') flow['time'] = rfc3339ToTimestamp(flow['time']);
    if (typeof flow['is_reply'] === 'boolean') flow['is_reply'] = { value: flow['is_reply'] };
    if (response['time'] === undefined && flow['time'] !== undefined) response['time'] = flow['time'];
    if (response['node_name'] === undefined && typeof flow['node_name'] === 'string') response['node_name'] = flow['node_name'];
  }
  const lost = response['lost_events'] as Record<string, unknown> | undefined;
  if (lost !== undefined) {
    if (typeof lost['first'] === 'string') lost['first'] = rfc3339ToTimestamp(lost['first']);
    if (typeof lost['last'] === 'string') lost['last'] = rfc3339ToTimestamp(lost['last']);
  }
  return response as GrpcGetFlowsResponse;
}

/** Parses `hubble observe -o json` text (one response per line) into gRPC objects; blank lines are skipped. */
export function parseHubbleJsonLines(text: string): GrpcGetFlowsResponse[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => hubbleJsonToGrpc(JSON.parse(line) as Record<string, unknown>));
}
