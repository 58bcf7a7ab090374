/**
 * REST contracts of the flow read side: flow records (list, export, evidence), connections (edges aggregated over
 * a range) and collectors (each source's state and recent gaps). Zod only: the controllers validate with these
 * schemas and the OpenAPI document is generated from {@link flowsRoutes}.
 */
import { z } from 'zod';
import { flowIssueCodeSchema } from '../flow-issues.js';
import {
  collectorEventKindSchema, DRIFT_KINDS, driftKindSchema, FLOW_LABELS, flowLabelSchema, OBSERVED_VERDICTS, observedVerdictSchema,
} from '../vocabulary.js';
import { isoDateTimeInput, isoTime, listOf, namespaceName } from './common.js';
import type { RouteContract } from './route-contract.js';

// --- Record ids and cursors -------------------------------------------------------------------------------

/**
 * Where a flow record is: its window start in microseconds since 1970 and its id (both decimal strings, bigint).
 * `flow_records` is keyed by (window_start, id), so the pair finds the record in its own daily partition.
 */
export interface FlowRecordPosition {
  readonly windowStartMicros: string;
  readonly id: string;
}

const MAX_MICROS = 253_402_300_799_999_999n; // 9999-12-31T23:59:59.999999Z
const MAX_INT8 = 9_223_372_036_854_775_807n;
const POSITION_TEXT = /^(0|[1-9]\d{0,17}):([1-9]\d{0,18})$/;

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * base64url without padding of a text of char codes below 256 (a position's text is digits and a colon). Written
 * out here because `btoa` and three replacements cost more than the rest of a record's export together (an export
 * makes an id per record).
 */
function toBase64Url(text: string): string {
  let out = '';
  const whole = text.length - (text.length % 3);
  let i = 0;
  for (; i < whole; i += 3) {
    const n = (text.charCodeAt(i) << 16) | (text.charCodeAt(i + 1) << 8) | text.charCodeAt(i + 2);
    out += BASE64URL.charAt(n >> 18) + BASE64URL.charAt((n >> 12) & 63) + BASE64URL.charAt((n >> 6) & 63) + BASE64URL.charAt(n & 63);
  }
  if (i + 1 === text.length) {
    const n = text.charCodeAt(i) << 16;
    out += BASE64URL.charAt(n >> 18) + BASE64URL.charAt((n >> 12) & 63);
  } else if (i + 2 === text.length) {
    const n = (text.charCodeAt(i) << 16) | (text.charCodeAt(i + 1) << 8);
    out += BASE64URL.charAt(n >> 18) + BASE64URL.charAt((n >> 12) & 63) + BASE64URL.charAt((n >> 6) & 63);
  }
  return out;
}

/** The opaque id of a flow record (also the cursor after it): base64url of `<window start µs>:<id>`. */
export function encodeFlowRecordId(position: FlowRecordPosition): string {
  return toBase64Url(`${position.windowStartMicros}:${position.id}`);
}

/**
 * The position an id or cursor stands for, or undefined when it is not one this API made: not base64url, not
 * `<µs>:<id>` in canonical digits, or out of range. Never throws.
 */
export function decodeFlowRecordId(text: string): FlowRecordPosition | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(text)) return undefined;
  let decoded: string;
  try {
    decoded = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return undefined;
  }
  const match = POSITION_TEXT.exec(decoded);
  if (!match) return undefined;
  const [, micros, id] = match as unknown as [string, string, string];
  if (BigInt(micros) > MAX_MICROS || BigInt(id) > MAX_INT8) return undefined;
  const position = { windowStartMicros: micros, id };
  return encodeFlowRecordId(position) === text ? position : undefined;
}

const flowRecordId = z.string().transform((text, ctx) => {
  const position = decodeFlowRecordId(text);
  if (position === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be a flow record id or cursor as this API returned it' });
    return z.NEVER;
  }
  return position;
});

// --- Filters -----------------------------------------------------------------------------------------------

/** One side of a flow to match: a workload of a namespace, a namespace, an address, or a network. */
export type EndpointFilter =
  | { readonly kind: 'workload'; readonly namespace: string; readonly workload: string }
  | { readonly kind: 'namespace'; readonly namespace: string }
  | { readonly kind: 'ip'; readonly ip: string }
  | { readonly kind: 'cidr'; readonly cidr: string };

const ipAddress = z.union([z.ipv4(), z.ipv6()]);
const network = z.union([z.cidrv4(), z.cidrv6()]);
/** A workload name: 1 to 1024 characters, no slash, whitespace or other control character. */
const WORKLOAD = /^[^\s/\p{Cc}]{1,1024}$/u;

/** `namespace/workload`, `namespace`, an IP address or a CIDR (`10.0.0.0/8`, `fd00::/8`). */
const endpointFilter = z
  .string()
  .max(1100, 'must be at most 1100 characters')
  .transform((text, ctx): EndpointFilter => {
    if (ipAddress.safeParse(text).success) return { kind: 'ip', ip: text };
    if (network.safeParse(text).success) return { kind: 'cidr', cidr: text };
    const slash = text.indexOf('/');
    const namespace = slash < 0 ? text : text.slice(0, slash);
    const workload = slash < 0 ? undefined : text.slice(slash + 1);
    if (namespaceName.safeParse(namespace).success && (workload === undefined || WORKLOAD.test(workload))) {
      return workload === undefined ? { kind: 'namespace', namespace } : { kind: 'workload', namespace, workload };
    }
    ctx.addIssue({ code: 'custom', message: 'must be namespace/workload, a namespace, an IP address or a CIDR' });
    return z.NEVER;
  });

/** A label to filter on; `unlabeled` = records that are counted but not classified (replies, L7, ...). */
export const FLOW_LABEL_FILTERS = [...FLOW_LABELS, 'unlabeled'] as const;
export type FlowLabelFilter = (typeof FLOW_LABEL_FILTERS)[number];

/** Flow times are stored from 1970 to 9999 (README: a time outside is a malformed message). */
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const flowTime = isoDateTimeInput.refine((d) => d.getTime() >= EARLIEST && d.getTime() <= LATEST, 'must be from 1970 to 9999');
/** A whole number written in decimal digits (no sign, exponent, hex or blank), from `min` to `max`. */
const wholeNumber = (min: number, max: number) =>
  z
    .string({ error: 'must be a whole number' })
    .regex(/^\d{1,12}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be from ${min} to ${max}`).max(max, `must be from ${min} to ${max}`));
const token = (what: string) => z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,252}$/, `must be ${what} (letters, digits, . _ : -)`);

/** The filters every flow route takes (all optional; the time range defaults to the last hour). */
const flowFilterFields = {
  from: flowTime.optional().describe('windows starting at or after this time; default: one hour before `to`'),
  to: flowTime.optional().describe('windows starting before this time; default: now'),
  namespace: namespaceName.optional().describe('either side in this namespace'),
  src: endpointFilter.optional().describe('the source: `namespace/workload`, `namespace`, an IP address or a CIDR'),
  dst: endpointFilter.optional().describe('the destination: `namespace/workload`, `namespace`, an IP address or a CIDR'),
  port: wholeNumber(0, 65535).optional().describe('destination port'),
  protocol: token('a protocol').optional().describe('TCP, UDP, SCTP, ICMPv4, ... (any case)'),
  label: listOf(FLOW_LABEL_FILTERS).optional().describe(`comma list of ${FLOW_LABEL_FILTERS.join(', ')}`),
  kind: listOf(DRIFT_KINDS).optional().describe(`drift kinds, comma list of ${DRIFT_KINDS.join(', ')}`),
  observed: listOf(OBSERVED_VERDICTS).optional().describe(`observed verdicts, comma list of ${OBSERVED_VERDICTS.join(', ')}`),
  revision: wholeNumber(1, 2_147_483_647).optional().describe('the policy revision the flows were judged against'),
  source: token('a source kind').optional().describe('the kind of source: hubble, goldmane, calico-enterprise'),
  cluster: z
    .string()
    .max(253, 'must be at most 253 characters')
    .regex(/^[^\p{Cc}]*$/u, 'must not hold control characters')
    .optional()
    .describe('cluster name (empty: flows without one)'),
};

/** `from` before `to`; zod runs this even when a field failed (then holding its input), hence the type checks. */
const fromBeforeTo = (q: { from?: unknown; to?: unknown }, ctx: z.RefinementCtx) => {
  if (q.from instanceof Date && q.to instanceof Date && q.from.getTime() >= q.to.getTime()) {
    ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before to' });
  }
};

/** `GET /api/v1/flows` query. */
export const flowListQuery = z
  .strictObject({
    ...flowFilterFields,
    cursor: flowRecordId.optional().describe('the `nextCursor` of the previous page'),
    limit: wholeNumber(1, 1000).default(100).describe('records per page, 1 to 1000 (default 100)'),
  })
  .superRefine(fromBeforeTo);
export type FlowListQuery = z.output<typeof flowListQuery>;

export const FLOW_EXPORT_FORMATS = ['ndjson', 'csv'] as const;

/** `GET /api/v1/flows/export` query. */
export const flowExportQuery = z
  .strictObject({
    ...flowFilterFields,
    format: z.enum(FLOW_EXPORT_FORMATS, { error: 'must be ndjson or csv' }).default('ndjson'),
    max: wholeNumber(1, 1_000_000_000).optional().describe('stop after this many records (default: all)'),
  })
  .superRefine(fromBeforeTo);
export type FlowExportQuery = z.output<typeof flowExportQuery>;

/** `GET /api/v1/connections` query. */
export const connectionsQuery = z
  .strictObject({
    ...flowFilterFields,
    limit: wholeNumber(1, 5000).default(500).describe('edges, 1 to 5000 (default 500), the busiest first'),
  })
  .superRefine(fromBeforeTo);
export type ConnectionsQuery = z.output<typeof connectionsQuery>;

/** `/api/v1/flows/{id}/evidence` path parameters. */
export const flowRecordParams = z.strictObject({ id: flowRecordId.describe('a flow record id, as `GET /api/v1/flows` returned it') });

/** Default length of the time range when `from` is not given. */
export const DEFAULT_FLOW_RANGE_MS = 60 * 60 * 1000;

/**
 * The time range a query covers: `to` defaults to now (or, for a `from` in the future, one hour after it, at most
 * 9999-12-31), `from` to one hour before `to`.
 */
export function flowTimeRange(query: { from?: Date | undefined; to?: Date | undefined }, now = new Date()): { from: Date; to: Date } {
  const to = query.to ?? (query.from && query.from.getTime() >= now.getTime() ? new Date(Math.min(query.from.getTime() + DEFAULT_FLOW_RANGE_MS, LATEST)) : now);
  return { from: query.from ?? new Date(to.getTime() - DEFAULT_FLOW_RANGE_MS), to };
}

// --- Answers -----------------------------------------------------------------------------------------------

/** One stored flow record: the flows of one window with the same connection key, verdicts and label. */
export const flowRecordSchema = z.object({
  id: z.string().describe('opaque; use it with /flows/{id}/evidence (and as a cursor: the records after it)'),
  windowStart: isoTime,
  windowEnd: isoTime,
  source: z.string().describe('hubble, goldmane or calico-enterprise'),
  cluster: z.string(),
  srcNamespace: z.string().nullable(),
  srcWorkload: z.string().nullable(),
  srcIp: z.string().nullable().describe('null when the workload is known'),
  dstNamespace: z.string().nullable(),
  dstWorkload: z.string().nullable(),
  dstIp: z.string().nullable().describe('null when the workload is known'),
  dstPort: z.number().int().nullable(),
  protocol: z.string(),
  direction: z.string().describe('egress, ingress or unknown: where the verdict was observed'),
  observed: observedVerdictSchema,
  dropReason: z.string().nullable(),
  event: z.string().describe('connection, reply, established, l7, sock, no-verdict or other: only connections are labeled'),
  label: flowLabelSchema.nullable().describe('null for events that are counted, not classified'),
  driftKind: driftKindSchema.nullable(),
  policyRevisionId: z.number().int().nullable(),
  flowCount: z.number().int(),
  firstSeen: isoTime,
  lastSeen: isoTime,
  sampleFlowId: z.string().nullable(),
  issues: z.array(flowIssueCodeSchema),
});
export type FlowRecord = z.output<typeof flowRecordSchema>;

/** The columns of a CSV export, in order: the fields of {@link flowRecordSchema} (`issues` joined with `;`). */
export const FLOW_EXPORT_COLUMNS = Object.keys(flowRecordSchema.shape) as readonly (keyof FlowRecord)[];

export const flowListResponse = z.object({
  records: z.array(flowRecordSchema).describe('newest window first (then highest id)'),
  nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last page'),
});
export type FlowListResponse = z.output<typeof flowListResponse>;

/** A raw flow kept as evidence for a denied or unexpected record. */
export const flowEvidenceSchema = z.object({
  id: z.string(),
  flowId: z.string(),
  observedAt: isoTime,
  source: z.string(),
  direction: z.string(),
  label: flowLabelSchema.describe('the decision: denied or unexpected'),
  driftKind: driftKindSchema.nullable(),
  policyRevisionId: z.number().int().nullable(),
  decision: z.unknown().describe("the policy engine's decision (verdict, each direction's policies and rules); null when judged by the observed verdict alone"),
  explanation: z.string().describe('the decision in words'),
  issues: z.array(z.string()).describe('facts the decision missed'),
  body: z.unknown().describe('the flow as the source sent it (attacker-controlled: render as text)'),
});
export type FlowEvidence = z.output<typeof flowEvidenceSchema>;

export const flowEvidenceResponse = z.object({
  record: flowRecordSchema,
  evidence: z.array(flowEvidenceSchema).describe('oldest first, at most 100'),
});
export type FlowEvidenceResponse = z.output<typeof flowEvidenceResponse>;

const edgeEndpoint = z.object({
  namespace: z.string().nullable(),
  workload: z.string().nullable(),
  ip: z.string().nullable().describe('null when the workload is known'),
});

/** Flows between two endpoints on one port and protocol over the range, per label. */
export const connectionEdgeSchema = z.object({
  src: edgeEndpoint,
  dst: edgeEndpoint,
  port: z.number().int().nullable(),
  protocol: z.string(),
  counts: z.object({ allowed: z.number().int(), denied: z.number().int(), unexpected: z.number().int(), unlabeled: z.number().int() }),
  flows: z.number().int().describe('all flows of the edge (the sum of counts)'),
  lastSeen: isoTime,
});
export type ConnectionEdge = z.output<typeof connectionEdgeSchema>;

export const connectionsResponse = z.object({
  from: isoTime,
  to: isoTime,
  edges: z.array(connectionEdgeSchema).describe('most flows first'),
});
export type ConnectionsResponse = z.output<typeof connectionsResponse>;

/** Recent gaps and state changes of a collector (`collector_events`). */
export const collectorGapSchema = z.object({
  kind: collectorEventKindSchema,
  count: z.number().int(),
  at: isoTime,
  details: z.record(z.string(), z.unknown()).describe('per kind; for keys scoped to namespaces only the fields that cannot quote flow data'),
});

export const collectorSchema = z.object({
  id: z.string(),
  kind: z.string().describe('hubble, goldmane, felix, ingest'),
  address: z.string(),
  connected: z.boolean(),
  lastError: z.string().nullable(),
  lastSeenTime: isoTime.nullable(),
  lostEvents: z.number().int(),
  updatedAt: isoTime,
  cursor: z.record(z.string(), z.unknown()).describe('the resume position (source-specific)'),
  gaps: z.array(collectorGapSchema).describe('the last 24 hours, newest first, at most 50'),
});
export type Collector = z.output<typeof collectorSchema>;

export const collectorsResponse = z.object({ collectors: z.array(collectorSchema) });
export type CollectorsResponse = z.output<typeof collectorsResponse>;

// --- Routes ------------------------------------------------------------------------------------------------

const scopeNote = 'A key scoped to namespaces sees a record only when its source or destination namespace is in scope.';

export const flowsRoutes: readonly RouteContract[] = [
  {
    method: 'get',
    path: '/api/v1/flows',
    summary: 'List flow records',
    description: `Newest window first, keyset-paged: \`nextCursor\` continues after the last record, and records stored meanwhile never make a page repeat or skip one. The range defaults to the last hour (evaluated per request: pass \`from\` and \`to\` to page a fixed range). ${scopeNote}`,
    tag: 'flows',
    access: 'viewer',
    query: flowListQuery,
    responses: { 200: { description: 'a page of records', schema: flowListResponse } },
  },
  {
    method: 'get',
    path: '/api/v1/flows/export',
    summary: 'Export flow records as NDJSON or CSV',
    description: `Every record the filters match (newest first), streamed: one JSON object per line (the fields of a record), or CSV with a header row (RFC 4180; a cell starting with = + - @ gets a leading apostrophe). Sent as an attachment. ${scopeNote}`,
    tag: 'flows',
    access: 'viewer',
    query: flowExportQuery,
    responses: { 200: { description: 'the records', contentTypes: ['application/x-ndjson', 'text/csv'] } },
  },
  {
    method: 'get',
    path: '/api/v1/flows/{id}/evidence',
    summary: 'Raw evidence flows of a flow record',
    description:
      'The raw flows kept for a denied or unexpected record, with the decision and its explanation. Evidence is kept per window and connection, so it is found by the record: observed in its window, with the same source kind, direction, label, drift kind, policy revision and both sides\' namespace and workload, and (when the engine decided) the same destination port and protocol. Allowed and unlabeled records have none. 404 for an unknown record or one outside the key\'s scope.',
    tag: 'flows',
    access: 'viewer',
    params: flowRecordParams,
    responses: { 200: { description: 'the record and its evidence', schema: flowEvidenceResponse } },
  },
  {
    method: 'get',
    path: '/api/v1/connections',
    summary: 'Connections (edges) with flow counts per label',
    description: `Flows summed per source, destination, port and protocol over the range (default: the last hour), the busiest first. A flow observed at both ends counts at each. ${scopeNote}`,
    tag: 'flows',
    access: 'viewer',
    query: connectionsQuery,
    responses: { 200: { description: 'the edges', schema: connectionsResponse } },
  },
  {
    method: 'get',
    path: '/api/v1/collectors',
    summary: 'Flow sources: state and recent gaps',
    description:
      'Each collector\'s connection state, resume position and events of the last 24 hours (connections, lost events, malformed messages, node status). Holds no namespace data, so every key reads it; for keys scoped to namespaces, the free-text fields of gap details that can quote flow data (a malformed message\'s text and path) are left out.',
    tag: 'flows',
    access: 'viewer',
    responses: { 200: { description: 'the collectors', schema: collectorsResponse } },
  },
];
