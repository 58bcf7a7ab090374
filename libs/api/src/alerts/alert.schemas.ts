import { z } from 'zod';

export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved', 'suppressed'] as const;
export const SEVERITIES = ['medium', 'high', 'critical'] as const;
export const DRIFT_KINDS = ['unenforced-deny', 'unexpected-drop'] as const;

/** A Kubernetes namespace name (a DNS label). */
export const namespaceName = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a namespace name');

/** `a,b,c` of allowed values, or the same as an array (a repeated query parameter). */
function listOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== ''))
    .pipe(z.array(z.enum(values, { error: `must be one of ${values.join(', ')}` })));
}

/** An alert id: a positive decimal integer. */
export const alertId = z.string().regex(/^[1-9]\d{0,17}$/, 'must be an alert id (a positive integer)');

/** `GET /api/v1/alerts` query. */
export const alertListQuery = z
  .object({
    status: listOf(ALERT_STATUSES).optional(),
    severity: listOf(SEVERITIES).optional(),
    kind: listOf(DRIFT_KINDS).optional(),
    namespace: namespaceName.optional(),
    since: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).transform((s) => new Date(s)).optional(),
    cursor: alertId.optional(),
    limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be from 1 to 500').max(500, 'must be from 1 to 500').default(50),
  })
  .strict();

/** `POST /api/v1/alerts/:id/suppress` body. */
export const suppressBody = z
  .object({
    until: z.iso
      .datetime({ offset: true, error: 'must be an ISO 8601 date-time' })
      .transform((s) => new Date(s))
      .refine((d) => d.getTime() > Date.now(), 'must be in the future'),
    reason: z.string({ error: 'must be a text' }).trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters'),
  })
  .strict();

/** `POST /api/v1/alerts/:id/ack` and `/resolve` take no body (an empty object is fine). */
export const emptyBody = z.object({}).strict();
