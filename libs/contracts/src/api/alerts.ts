/**
 * `/api/v1/alerts`: drift alerts as the REST API takes and answers them. Alerts, events, socket.io and webhooks
 * carry the same {@link alertSummary}.
 */
import { z } from 'zod';
import { ALERT_EVENT_TYPES, ALERT_STATUSES, DRIFT_KINDS, SEVERITIES } from '../vocabulary.js';
import { decimalId, emptyBody, errorBody, isoDateTimeInput, isoTime, listOf, namespaceName } from './common.js';
import type { RouteContract } from './route-contract.js';

/** An alert id: a positive decimal integer. */
export const alertId = z.string().regex(/^[1-9]\d{0,17}$/, 'must be an alert id (a positive integer)');

/** `GET /api/v1/alerts` query. */
export const alertListQuery = z
  .object({
    status: listOf(ALERT_STATUSES).optional(),
    severity: listOf(SEVERITIES).optional(),
    kind: listOf(DRIFT_KINDS).optional(),
    namespace: namespaceName.optional().meta({ description: 'alerts with this namespace on either side' }),
    since: isoDateTimeInput.optional().meta({ description: 'alerts seen at or after this time' }),
    cursor: alertId.optional().meta({ description: 'the `nextCursor` of the previous page' }),
    limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be from 1 to 500').max(500, 'must be from 1 to 500').default(50),
  })
  .strict();

/** `POST /api/v1/alerts/{id}/suppress` body. */
export const suppressBody = z
  .object({
    until: isoDateTimeInput.refine((d) => d.getTime() > Date.now(), 'must be in the future'),
    reason: z.string({ error: 'must be a text' }).trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters'),
  })
  .strict();

/** How an alert was resolved: quiet for a while, made consistent by a policy revision, or by hand. */
export const alertResolution = z.discriminatedUnion('reason', [
  z.strictObject({ reason: z.literal('quiet'), quietMs: z.number().int().min(0) }),
  z.strictObject({ reason: z.literal('revision'), revisionId: z.number().int() }),
  z.strictObject({ reason: z.literal('manual'), by: z.string().meta({ description: 'the key prefix that resolved it' }) }),
]);
export type AlertResolution = z.output<typeof alertResolution>;

const side = (which: 'source' | 'destination') => ({
  namespace: z.string().nullable().meta({ description: `namespace of the ${which}; null for an external peer` }),
  workload: z.string().nullable(),
  ip: z.string().nullable().meta({ description: `IP address of the ${which}, when known` }),
});
const src = side('source');
const dst = side('destination');

/**
 * An alert as lists, events, socket.io and webhooks carry it (no explanation or sample flow). Ids are decimal
 * strings (bigint); times are ISO 8601 in UTC.
 */
export const alertSummary = z
  .strictObject({
    id: decimalId,
    status: z.enum(ALERT_STATUSES),
    severity: z.enum(SEVERITIES),
    driftKind: z.enum(DRIFT_KINDS),
    cluster: z.string(),
    srcNamespace: src.namespace,
    srcWorkload: src.workload,
    srcIp: src.ip,
    dstNamespace: dst.namespace,
    dstWorkload: dst.workload,
    dstIp: dst.ip,
    dstPort: z.number().int().min(0).max(65535).nullable(),
    protocol: z.string(),
    flowCount: z.number().int().min(0),
    firstSeen: isoTime,
    lastSeen: isoTime,
    policyRevisionId: z.number().int().nullable().meta({ description: 'the policy revision the drift was judged against' }),
    acknowledgedAt: isoTime.nullable(),
    acknowledgedBy: z.string().nullable(),
    resolvedAt: isoTime.nullable(),
    resolution: alertResolution.nullable(),
    suppressedUntil: isoTime.nullable(),
    suppressedReason: z.string().nullable(),
    suppressedBy: z.string().nullable(),
  })
  .meta({ id: 'AlertSummary', description: 'An alert as lists, events, socket.io and webhooks carry it.' });
export type AlertSummaryBody = z.output<typeof alertSummary>;

/** An alert with its connection key, the decision's explanation and a sample flow. */
export const alertDetail = alertSummary
  .extend({
    connectionKey: z.string(),
    explanation: z.unknown().meta({ description: "the policy engine's explanation of the decision" }),
    sampleFlow: z.unknown().meta({ description: 'one flow of the alert, as normalized' }),
  })
  .meta({ id: 'AlertDetail', description: 'An alert with its connection key, explanation and sample flow.' });

/** Evidence kept for an alert's connection: raw bodies of its flows with their explanations. */
export const alertEvidence = z.strictObject({
  flowId: z.string(),
  observedAt: isoTime,
  direction: z.string(),
  body: z.unknown().meta({ description: 'the flow as the source sent it' }),
  explanation: z.unknown(),
});

/** What happened to an alert, with the alert's state after it. */
export const alertEvent = z
  .strictObject({
    id: decimalId,
    alertId: decimalId,
    type: z.enum(ALERT_EVENT_TYPES),
    createdAt: isoTime,
    alert: alertSummary,
  })
  .meta({ id: 'AlertEvent', description: 'One alert event: what happened, when, and the alert after it.' });

/** `GET /api/v1/alerts`: newest first; `nextCursor` is set when there are more. */
export const alertList = z.strictObject({
  alerts: z.array(alertSummary),
  nextCursor: alertId.nullable().meta({ description: 'pass as `cursor` for the next page; null on the last' }),
});

/** `GET /api/v1/alerts/{id}`. */
export const alertWithEvidence = z.strictObject({
  alert: alertDetail,
  evidence: z.array(alertEvidence).max(10),
  events: z.array(alertEvent),
});

/** The answer to acknowledge, resolve and suppress: the alert after the change and the event it made. */
export const alertActionResult = z.strictObject({ alert: alertSummary, eventId: decimalId });

const alertParams = z.object({ id: alertId });
const conflict = { description: 'the alert is in a state where this cannot be done', schema: errorBody };
const action = (verb: string, summary: string, description: string, body: z.ZodType): RouteContract => ({
  method: 'post',
  path: `/api/v1/alerts/{id}/${verb}`,
  summary,
  description,
  tag: 'alerts',
  access: 'operator',
  params: alertParams,
  body,
  responses: { 200: { description: 'the alert after the change, and its event', schema: alertActionResult }, 409: conflict },
});

export const alertsRoutes: readonly RouteContract[] = [
  {
    method: 'get',
    path: '/api/v1/alerts',
    summary: 'List drift alerts',
    description: "Newest first, within the key's namespace scope; `nextCursor` pages on.",
    tag: 'alerts',
    access: 'viewer',
    query: alertListQuery,
    responses: { 200: { description: 'a page of alerts', schema: alertList } },
  },
  {
    method: 'get',
    path: '/api/v1/alerts/{id}',
    summary: 'Read one alert',
    description: 'The alert with its explanation, sample flow, evidence flows and events; 404 outside the key\'s scope.',
    tag: 'alerts',
    access: 'viewer',
    params: alertParams,
    responses: { 200: { description: 'the alert', schema: alertWithEvidence } },
  },
  action('ack', 'Acknowledge an alert', 'Someone is looking at it; audited with the key prefix. No body (or `{}`).', emptyBody),
  action('resolve', 'Resolve an alert by hand', 'Audited with the key prefix. No body (or `{}`).', emptyBody),
  action('suppress', 'Suppress an alert until a time', 'Silences it until `until`, with a reason; audited.', suppressBody),
];
