/**
 * `/api/v1/audit-log`: every change made through the API or the CLI (keys, alerts, webhooks, policy revisions),
 * who made it and when; and the closed lists of what `audit_log.action` and `target_type` hold.
 */
import { z } from 'zod';
import { isoDateTimeInput, isoTime, listOf } from './common.js';
import type { RouteContract } from './route-contract.js';

/**
 * Every `audit_log.action`: key changes (CLI and API), alert actions (the alert event type), webhook changes, and
 * policy revisions made and put in force. Writers use these spellings only.
 */
export const AUDIT_ACTIONS = [
  'key.create', 'key.revoke',
  'alert.acknowledged', 'alert.resolved', 'alert.suppressed',
  'webhook.create', 'webhook.update', 'webhook.delete', 'webhook.rotate-secret', 'webhook.test',
  'policy.create', 'policy.activate',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Every `audit_log.target_type`. */
export const AUDIT_TARGET_TYPES = ['api_key', 'alert', 'webhook', 'policy_revision'] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

/** Who an audit entry names besides API key prefixes: the CLI, and a collector putting its POLICY_DIR in force. */
export const AUDIT_SYSTEM_ACTORS = ['cli', 'policy-dir'] as const;

/** An audit entry id: a positive decimal integer (bigint). */
export const auditEntryId = z.string().regex(/^[1-9]\d{0,17}$/, 'must be an audit entry id (a positive integer)');

/** `GET /api/v1/audit-log` query. `from` is inclusive, `to` exclusive. */
export const auditLogQuery = z
  .strictObject({
    from: isoDateTimeInput.optional().meta({ description: 'entries at or after this time' }),
    to: isoDateTimeInput.optional().meta({ description: 'entries before this time' }),
    action: listOf(AUDIT_ACTIONS).optional().meta({ description: 'one or more actions, comma-separated' }),
    actor: z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional().meta({ description: 'a key prefix, `cli` or `policy-dir`' }),
    targetType: listOf(AUDIT_TARGET_TYPES).optional(),
    targetId: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
    limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be from 1 to 500').max(500, 'must be from 1 to 500').default(50),
    cursor: auditEntryId.optional().meta({ description: 'the `nextCursor` of the previous page' }),
  })
  .refine((q) => !q.from || !q.to || q.from < q.to, { path: ['to'], message: 'must be after from' });

export const auditEntry = z.strictObject({
  id: z.string().meta({ description: 'decimal (bigint); newer entries have larger ids' }),
  at: isoTime,
  actor: z.string().meta({ description: 'the API key prefix, or `cli` / `policy-dir`' }),
  action: z.string().meta({ description: `one of ${AUDIT_ACTIONS.join(', ')}` }),
  targetType: z.string().meta({ description: `one of ${AUDIT_TARGET_TYPES.join(', ')}` }),
  targetId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

export const auditLogPage = z.strictObject({
  entries: z.array(auditEntry),
  nextCursor: z.string().nullable().meta({ description: 'pass as `cursor` for the next page; null on the last' }),
});

export const auditRoutes: RouteContract[] = [
  {
    method: 'get',
    path: '/api/v1/audit-log',
    summary: 'Read the audit log',
    description: 'Newest first, keyset pagination. Admin keys with every namespace (`*`) only: entries name keys, webhooks and alerts of every namespace.',
    tag: 'audit',
    access: 'admin',
    query: auditLogQuery,
    responses: { 200: { description: 'a page of entries', schema: auditLogPage } },
  },
];
