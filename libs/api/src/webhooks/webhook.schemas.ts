import { z } from 'zod';

/** The alert event types a webhook can subscribe to (`*` = all). */
export const ALERT_EVENT_TYPES = ['alert.opened', 'alert.updated', 'alert.acknowledged', 'alert.resolved', 'alert.reopened', 'alert.suppressed'] as const;
export const SEVERITIES = ['medium', 'high', 'critical'] as const;

const namespace = z.union([z.literal('*'), z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be * or a Kubernetes namespace name')]);

/** A webhook's fields, given a URL check (which depends on WEBHOOK_ALLOW_PRIVATE_NETWORKS). */
function fields(urlProblem: (url: string) => string | undefined) {
  return {
    name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
    url: z
      .string()
      .max(2048, 'must be at most 2048 characters')
      .superRefine((url, ctx) => {
        const problem = urlProblem(url);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
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
export function createWebhookSchema(urlProblem: (url: string) => string | undefined) {
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

/** `PATCH /webhooks/:id`: any of the fields, at least one. */
export function updateWebhookSchema(urlProblem: (url: string) => string | undefined) {
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

/** `POST /webhooks/:id/rotate-secret`: how long the old secret keeps signing (default 24 h, at most 7 days). */
export const rotateSecretSchema = z.strictObject({
  graceSeconds: z.number().int('must be a whole number').min(0, 'must be 0 or more').max(604_800, 'must be at most 604800 (7 days)').default(86_400),
});

/** `GET /webhooks/:id/deliveries` query. */
export const deliveriesQuerySchema = z.strictObject({
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be from 1 to 200').max(200, 'must be from 1 to 200').default(50),
  before: z.string().regex(/^\d{1,18}$/, 'must be a delivery id').optional(),
});
