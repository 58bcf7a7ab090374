/**
 * `/api/v1/webhooks`: alert receivers, and the body every delivery POSTs to them.
 */
import { z } from 'zod';
import { ALERT_EVENT_TYPES, SEVERITIES } from '../vocabulary.js';
import { decimalId, errorBody, isoTime, NAMESPACE_NAME } from './common.js';
import { alertSummary } from './alerts.js';
import type { RouteContract } from './route-contract.js';

const namespace = z.union([z.literal('*'), z.string().regex(NAMESPACE_NAME, 'must be * or a Kubernetes namespace name')]);

/** Why a URL cannot be a webhook's, or undefined when it can. */
export type UrlProblem = (url: string) => string | undefined;

/**
 * The check every deployment applies: an absolute http(s) URL without credentials. The API adds its own
 * (private addresses, per WEBHOOK_ALLOW_PRIVATE_NETWORKS) by passing a stricter {@link UrlProblem}.
 */
export const basicUrlProblem: UrlProblem = (text) => {
  if (!URL.canParse(text)) return 'must be an absolute URL';
  const url = new URL(text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http or https URL, not ${url.protocol.replace(/:$/, '')}`;
  if (url.username || url.password) return 'must not carry credentials (user:password@)';
  return undefined;
};

/** A webhook's fields, given a URL check (which depends on WEBHOOK_ALLOW_PRIVATE_NETWORKS). */
function fields(urlProblem: UrlProblem) {
  return {
    name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
    url: z
      .string()
      .max(2048, 'must be at most 2048 characters')
      .superRefine((url, ctx) => {
        const problem = urlProblem(url);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .meta({
        format: 'uri',
        description: 'absolute http(s) URL without credentials; loopback, private, link-local and unique-local addresses are refused unless WEBHOOK_ALLOW_PRIVATE_NETWORKS=true',
      }),
    namespaces: z.array(namespace).min(1, 'must name at least one namespace (or *)').max(200),
    minSeverity: z.enum(SEVERITIES, { error: `must be one of ${SEVERITIES.join(', ')}` }),
    eventTypes: z
      .array(z.enum(['*', ...ALERT_EVENT_TYPES], { error: `must be * or one of ${ALERT_EVENT_TYPES.join(', ')}` }))
      .min(1, 'must name at least one event type (or *)'),
    enabled: z.boolean(),
  };
}

/** `POST /webhooks`: name and url are required. */
export function createWebhookSchema(urlProblem: UrlProblem = basicUrlProblem) {
  const f = fields(urlProblem);
  return z.strictObject({
    name: f.name,
    url: f.url,
    namespaces: f.namespaces.default(['*']),
    minSeverity: f.minSeverity.default('medium'),
    eventTypes: f.eventTypes.default(['*']),
    enabled: f.enabled.default(true),
  });
}

/** `PATCH /webhooks/{id}`: any of the fields, at least one. */
export function updateWebhookSchema(urlProblem: UrlProblem = basicUrlProblem) {
  const f = fields(urlProblem);
  return z
    .strictObject({
      name: f.name.optional(),
      url: f.url.optional(),
      namespaces: f.namespaces.optional(),
      minSeverity: f.minSeverity.optional(),
      eventTypes: f.eventTypes.optional(),
      enabled: f.enabled.optional(),
    })
    .refine((body) => Object.keys(body).length > 0, 'must change at least one field');
}

/** `POST /webhooks/{id}/rotate-secret`: how long the old secret keeps signing (default 24 h, at most 7 days). */
export const rotateSecretSchema = z.strictObject({
  graceSeconds: z.number().int('must be a whole number').min(0, 'must be 0 or more').max(604_800, 'must be at most 604800 (7 days)').default(86_400),
});

/** `GET /webhooks/{id}/deliveries` query. */
export const deliveriesQuerySchema = z.strictObject({
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be from 1 to 200').max(200, 'must be from 1 to 200').default(50),
  before: z.string().regex(/^\d{1,18}$/, 'must be a delivery id').optional().meta({ description: 'deliveries older than this delivery id' }),
});

/** A webhook id: a positive integer (anything else names no webhook: 404). */
export const webhookId = z.string().regex(/^[1-9]\d{0,8}$/, 'must be a webhook id (a positive integer)');

/** A webhook as the API shows it: never its secrets. */
export const webhookView = z
  .strictObject({
    id: z.number().int().min(1),
    name: z.string(),
    url: z.string(),
    enabled: z.boolean(),
    disabledReason: z.string().nullable().meta({ description: 'why Driftwatch disabled it (a 410 answer), if it did' }),
    namespaces: z.array(z.string()),
    minSeverity: z.enum(SEVERITIES),
    eventTypes: z.array(z.string()),
    previousSecretExpiresAt: isoTime.nullable().meta({ description: 'until when the secret before the last rotation still signs' }),
    createdAt: isoTime,
    updatedAt: isoTime,
  })
  .meta({ id: 'Webhook', description: 'A webhook, without its secrets.' });

/** A webhook with its new signing secret: shown once, at creation and at rotation. */
export const webhookWithSecret = webhookView
  .extend({ secret: z.string().meta({ description: 'the signing secret; shown this once' }) })
  .meta({ id: 'WebhookWithSecret', description: 'A webhook with its new signing secret, shown once.' });

/** One delivery and every attempt made for it, newest attempt last. */
export const deliveryView = z
  .strictObject({
    id: decimalId,
    eventId: z.string().meta({ description: 'the alert event id, or `test-<delivery id>` for a test delivery' }),
    eventType: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int().min(0),
    lastStatus: z.number().int().nullable().meta({ description: "the receiver's last HTTP status; null when no answer came" }),
    lastError: z.string().nullable(),
    createdAt: isoTime,
    deliveredAt: isoTime.nullable(),
    nextAttemptAt: isoTime.nullable(),
    attemptLog: z.array(
      z.strictObject({ attempt: z.number().int().min(1), at: isoTime, status: z.number().int().nullable(), latencyMs: z.number().min(0), error: z.string().nullable() }),
    ),
  })
  .meta({ id: 'WebhookDelivery', description: 'One delivery of an event to a webhook, with every attempt.' });

/** What a test delivery carries in place of an alert. */
export const webhookTestPayload = z.strictObject({
  test: z.literal(true),
  message: z.string(),
  webhookId: z.number().int(),
  requestedBy: z.string().meta({ description: 'the key prefix that asked for the test' }),
});
export type WebhookTestPayload = z.output<typeof webhookTestPayload>;

/**
 * The JSON body of every webhook delivery, in this field order (the signature covers these exact bytes): the
 * event id (receivers dedupe by it), its type, when it happened, and the alert after it, or the test payload for
 * a `webhook.test` delivery.
 */
export const webhookDeliveryBody = z
  .discriminatedUnion('type', [
    z.strictObject({ id: decimalId, type: z.enum(ALERT_EVENT_TYPES), createdAt: isoTime, alert: alertSummary }),
    z.strictObject({ id: z.string().regex(/^test-\d+$/), type: z.literal('webhook.test'), createdAt: isoTime, alert: webhookTestPayload }),
  ])
  .meta({ id: 'WebhookDeliveryBody', description: 'What Driftwatch POSTs to a webhook (signed in X-Driftwatch-Signature).' });
export type WebhookDeliveryBody = z.output<typeof webhookDeliveryBody>;

const params = z.object({ id: webhookId });
const nameTaken = { description: 'another webhook has this name', schema: errorBody };

export const webhooksRoutes: readonly RouteContract[] = [
  {
    method: 'post',
    path: '/api/v1/webhooks',
    summary: 'Create a webhook',
    description: 'Audited. The answer holds the signing secret: the only time it is shown.',
    tag: 'webhooks',
    access: 'operator',
    body: createWebhookSchema(),
    responses: { 201: { description: 'the new webhook with its secret', schema: webhookWithSecret }, 409: nameTaken },
  },
  {
    method: 'get',
    path: '/api/v1/webhooks',
    summary: 'List webhooks',
    tag: 'webhooks',
    access: 'viewer',
    responses: { 200: { description: 'every webhook, without secrets', schema: z.array(webhookView) } },
  },
  {
    method: 'get',
    path: '/api/v1/webhooks/{id}',
    summary: 'Read one webhook',
    tag: 'webhooks',
    access: 'viewer',
    params,
    responses: { 200: { description: 'the webhook, without secrets', schema: webhookView } },
  },
  {
    method: 'patch',
    path: '/api/v1/webhooks/{id}',
    summary: 'Change a webhook',
    description: 'Any of the fields, at least one; audited.',
    tag: 'webhooks',
    access: 'operator',
    params,
    body: updateWebhookSchema(),
    responses: { 200: { description: 'the webhook after the change', schema: webhookView }, 409: nameTaken },
  },
  {
    method: 'delete',
    path: '/api/v1/webhooks/{id}',
    summary: 'Delete a webhook',
    description: 'With its pending deliveries; audited.',
    tag: 'webhooks',
    access: 'operator',
    params,
    responses: { 204: { description: 'deleted' } },
  },
  {
    method: 'post',
    path: '/api/v1/webhooks/{id}/rotate-secret',
    summary: "Rotate a webhook's signing secret",
    description: 'A new secret, shown once; the old one keeps signing (a second `v1=`) for `graceSeconds` (default 24 h).',
    tag: 'webhooks',
    access: 'operator',
    params,
    body: rotateSecretSchema,
    responses: { 201: { description: 'the webhook with its new secret', schema: webhookWithSecret } },
  },
  {
    method: 'get',
    path: '/api/v1/webhooks/{id}/deliveries',
    summary: "List a webhook's deliveries",
    description: 'Newest first, each with every attempt.',
    tag: 'webhooks',
    access: 'viewer',
    params,
    query: deliveriesQuerySchema,
    responses: { 200: { description: 'deliveries, newest first', schema: z.array(deliveryView) } },
  },
  {
    method: 'post',
    path: '/api/v1/webhooks/{id}/test',
    summary: 'Send a test event to a webhook',
    description: 'Queues a `webhook.test` delivery through the outbox; the dispatcher delivers it like any other. Takes no body.',
    tag: 'webhooks',
    access: 'operator',
    params,
    responses: {
      202: { description: 'queued', schema: z.strictObject({ deliveryId: decimalId }) },
      409: { description: 'the webhook is disabled', schema: errorBody },
    },
  },
];
